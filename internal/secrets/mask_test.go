package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// secret has characters that every escaping changes: / + ? & = < " space.
const secret = `s3cr/t+pa ss?&=<x>"q"!`

func TestMaskForms(t *testing.T) {
	b := []byte(secret)
	tests := []struct{ name, form string }{
		{"raw", secret},
		{"base64 std", base64.StdEncoding.EncodeToString(b)},
		{"base64 std raw", base64.RawStdEncoding.EncodeToString(b)},
		{"base64 url", base64.URLEncoding.EncodeToString(b)},
		{"base64 url raw", base64.RawURLEncoding.EncodeToString(b)},
		{"query escaped", url.QueryEscape(secret)},
		{"path escaped", url.PathEscape(secret)},
		{"json", `s3cr/t+pa ss?\u0026=\u003cx\u003e\"q\"!`},
		{"json without html escapes", `s3cr/t+pa ss?&=<x>\"q\"!`},
		{"hex", hex.EncodeToString(b)},
		{"HEX", strings.ToUpper(hex.EncodeToString(b))},
	}
	m := NewMasker(secret)
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if seen[tt.form] {
				t.Fatalf("form %q repeats an earlier case", tt.form)
			}
			seen[tt.form] = true
			in := "before " + tt.form + " after"
			if got, want := m.Mask(in), "before *** after"; got != want {
				t.Errorf("Mask(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestMaskCases(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no secrets", nil, "plain text", "plain text"},
		{"empty secret ignored", []string{""}, "plain text", "plain text"},
		{"every occurrence", []string{"hunter2"}, "hunter2 and hunter2hunter2!", "*** and ***!"},
		{"overlap keeps no tail", []string{"abcd1234", "1234wxyz"}, "<abcd1234wxyz>", "<***>"},
		{"overlap other order", []string{"1234wxyz", "abcd1234"}, "<abcd1234wxyz>", "<***>"},
		{"contained secret", []string{"pass", "superpassword"}, "a superpassword b pass", "a *** b ***"},
		{"late longer match reaches back", []string{"cdef", "abcdefghij"}, "xabcdefghijx", "x***x"},
		{"short secret raw only", []string{"ab"}, "ab YWI= 6162", "*** YWI= 6162"},
		{"short derived forms of long secret", []string{"abcd"}, "YWJjZA== 61626364", "*** ***"},
		{"multi-line secret lines",
			[]string{"-----BEGIN KEY-----\nMIIEfirst\n  indentedline\nabc\n-----END KEY-----"},
			"MIIEfirst | indentedline | abc | -----END KEY-----",
			"*** | *** | abc | ***"},
		{"crlf multi-line secret", []string{"line-one\r\nline-two"}, "line-one line-two", "*** ***"},
		{"star secret cannot rejoin", []string{"a***b"}, "aa***bb", "***"},
		{"non-ascii", []string{"pässwörd"}, "x pässwörd y " + base64.StdEncoding.EncodeToString([]byte("pässwörd")), "x *** y ***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewMasker(tt.secrets...).Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMaskInsideLongerBase64 checks the case of Basic auth headers and
// base64-encoded config files: the secret is only part of what was encoded,
// at any of the three byte alignments, with text on either side.
func TestMaskInsideLongerBase64(t *testing.T) {
	const pw = "correct-horse-battery"
	m := NewMasker(pw)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		for _, prefix := range []string{"", "u:", "us:", "user:", "admin:"} {
			for _, suffix := range []string{"", "@", "@db.internal:5432"} {
				plain := prefix + pw + suffix
				encoded := enc.EncodeToString([]byte(plain))
				got := m.Mask("Authorization: Basic " + encoded)
				rest, ok := strings.CutPrefix(got, "Authorization: Basic ")
				if !ok || !strings.Contains(rest, Redacted) {
					t.Errorf("%q: not masked: %q", plain, got)
					continue
				}
				// Every character whose bits all come from the password must
				// be gone: what is left before and after *** may only carry
				// the prefix and suffix (plus one shared character each).
				i := strings.Index(rest, Redacted)
				before, after := rest[:i], rest[i+len(Redacted):]
				firstPwChar := (8*len(prefix) + 5) / 6
				lastPwChar := (8 * (len(prefix) + len(pw))) / 6
				if len(before) > firstPwChar || len(encoded)-len(after) < lastPwChar ||
					!strings.HasPrefix(encoded, before) || !strings.HasSuffix(encoded, after) {
					t.Errorf("%q: encoded %q masked to %q", plain, encoded, rest)
				}
			}
		}
	}
}

// TestMaskRandom embeds random secrets, in random forms, into random text.
func TestMaskRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+=?&%<> \"\\:-_.é\n"
	const filler = " .,;!()[]{}|~^`#$" // shares no letters or digits with any form
	randString := func(chars string, n int) string {
		rs := []rune(chars)
		var b strings.Builder
		for range n {
			b.WriteRune(rs[r.IntN(len(rs))])
		}
		return b.String()
	}
	for i := range 300 {
		var secrets []string
		for range 1 + r.IntN(5) {
			// Letters and digits first, so that every form has some.
			secrets = append(secrets, randString("abcdefghijklmnopqrstuvwxyz0123456789", 4)+randString(alphabet, r.IntN(30)))
		}
		m := NewMasker(secrets...)
		plain := randString(filler, r.IntN(50))
		if got := m.Mask(plain); got != plain {
			t.Fatalf("case %d: text without secrets changed: %q -> %q", i, plain, got)
		}
		var b strings.Builder
		var used []string
		for range 1 + r.IntN(6) {
			s := secrets[r.IntN(len(secrets))]
			fs := forms(s)
			f := fs[r.IntN(len(fs))]
			used = append(used, f)
			b.WriteString(randString(filler, r.IntN(10)))
			b.WriteString(f)
		}
		b.WriteString(randString(filler, r.IntN(10)))
		got := m.Mask(b.String())
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Fatalf("case %d: secret %q survives in %q", i, s, got)
			}
		}
		for _, f := range used {
			if strings.Contains(got, f) {
				t.Fatalf("case %d: form %q survives in %q", i, f, got)
			}
		}
	}
}

func TestMaskerZeroValueAndAdd(t *testing.T) {
	var m Masker
	if got := m.Mask("token abcdef"); got != "token abcdef" {
		t.Errorf("zero Masker changed text: %q", got)
	}
	m.Add("")
	m.Add("abcdef")
	m.Add("abcdef")
	if got := m.Mask("token abcdef"); got != "token ***" {
		t.Errorf("after Add: %q", got)
	}
}

func TestMaskConcurrent(t *testing.T) {
	m := NewMasker()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				m.Add(fmt.Sprintf("secret-%d-%d", i, j))
			}
		})
		wg.Go(func() {
			for range 200 {
				_ = m.Mask("line with secret-1-1 maybe")
			}
		})
	}
	wg.Wait()
	if got := m.Mask("secret-3-49 secret-0-0"); got != "*** ***" {
		t.Errorf("after concurrent adds: %q", got)
	}
}

func TestMaskNoAllocWithoutSecrets(t *testing.T) {
	m := NewMasker(benchSecrets(20)...)
	line := strings.Repeat("an ordinary line of build output ", 3)
	if n := testing.AllocsPerRun(100, func() { _ = m.Mask(line) }); n != 0 {
		t.Errorf("Mask allocated %v times on a clean line", n)
	}
}

func TestBase64Middle(t *testing.T) {
	// "abcd" at each alignment inside "xyz" + "abcd" + "xyz"-style texts.
	for lead := range 3 {
		mid := base64Middle(base64.StdEncoding, []byte("abcd"), lead)
		for _, pre := range []string{"", "qrs", "123456"} {
			full := base64.StdEncoding.EncodeToString([]byte(pre + strings.Repeat("Z", lead) + "abcd" + "!?"))
			if !strings.Contains(full, mid) {
				t.Errorf("lead %d: %q not in %q", lead, mid, full)
			}
		}
	}
}
