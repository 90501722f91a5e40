package secrets

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// ids returns "rule@line:col" for each finding, with " ignored" after
// those an inline marker covers.
func ids(fs []findings.Finding) []string {
	var out []string
	for _, f := range fs {
		id := fmt.Sprintf("%s@%d:%d", f.RuleID, f.Location.StartLine, f.Location.StartCol)
		if f.InlineIgnored {
			id += " ignored"
		}
		out = append(out, id)
	}
	return out
}

func TestDetectCases(t *testing.T) {
	fk := newFaker("cases")
	gh := fk.value("github-pat", "")
	ghBad := gh[:len(gh)-1] + "a"
	if ghBad == gh {
		ghBad = gh[:len(gh)-1] + "b"
	}
	aws := fk.value("aws-access-key-id", "")
	gen := fk.value("generic-secret", "")
	pass := fk.value("url-basic-auth", "")
	cases := []struct {
		name    string
		path    string
		content string
		opts    Options
		want    []string
	}{
		{"plain", "a.go", "x := \"" + gh + "\"\n", Options{}, []string{"github-pat@1:7"}},
		{"inline marker", "a.go", "x := \"" + gh + "\" // sluice:ignore\n", Options{}, []string{"github-pat@1:7 ignored"}},
		{"marker for secrets", "a.go", "x := \"" + gh + "\" // sluice:ignore secrets\n", Options{}, []string{"github-pat@1:7 ignored"}},
		{"marker for the rule", "a.go", "x := \"" + gh + "\" // sluice:ignore github-pat\n", Options{}, []string{"github-pat@1:7 ignored"}},
		{"marker with a comment", "a.go", "x := \"" + gh + "\" // sluice:ignore test fixture\n", Options{}, []string{"github-pat@1:7 ignored"}},
		{"marker for another scanner", "a.go", "x := \"" + gh + "\" // sluice:ignore dockerfile\n", Options{}, []string{"github-pat@1:7"}},
		{"marker for another rule", "a.go", "x := \"" + gh + "\" // sluice:ignore aws-access-key-id\n", Options{}, []string{"github-pat@1:7"}},
		{"not the marker", "a.go", "x := \"" + gh + "\" // sluice:ignored\n", Options{}, []string{"github-pat@1:7"}},
		{"gitleaks marker", "a.go", "x := \"" + gh + "\" // gitleaks:allow\n", Options{}, []string{"github-pat@1:7 ignored"}},
		{"marker covers every secret on its line", "a.env", "A=" + aws + " B=" + gh + " # sluice:ignore\n", Options{},
			[]string{"aws-access-key-id@1:3 ignored", "github-pat@1:26 ignored"}},
		{"marker for one rule of two on a line", "a.env", "A=" + aws + " B=" + gh + " # sluice:ignore github-pat\n", Options{},
			[]string{"aws-access-key-id@1:3", "github-pat@1:26 ignored"}},
		// A marker scoped to the token's rule leaves the generic rule,
		// which matches the same value, to report it unmarked.
		{"marker for the rule that wins an overlap", "a.go", `token := "` + gh + `" // sluice:ignore github-pat` + "\n", Options{},
			[]string{"generic-secret@1:11"}},
		{"marker for both overlapping rules", "a.go", `token := "` + gh + `" // sluice:ignore github-pat,generic-secret` + "\n", Options{},
			[]string{"github-pat@1:11 ignored"}},
		{"allow value beats the marker", "a.go", "x := \"" + gh + "\" // sluice:ignore\n",
			Options{AllowValues: []*regexp.Regexp{regexp.MustCompile("^gh" + "p_")}}, nil},
		{"marker on another line", "a.go", "// sluice:ignore\nx := \"" + gh + "\"\n", Options{}, []string{"github-pat@2:7"}},
		{"allow value", "a.go", "x := \"" + gh + "\"\n", Options{AllowValues: []*regexp.Regexp{regexp.MustCompile("^gh" + "p_")}}, nil},
		{"disabled rule", "a.go", "x := \"" + gh + "\"\n", Options{Disable: []string{"github-pat"}}, nil},
		{"allow path", "fixtures/a.go", "x := \"" + gh + "\"\n", Options{AllowPaths: []string{"fixtures/"}}, nil},
		{"two on a line", "a.env", "A=" + aws + " B=" + gh + "\n", Options{}, []string{"aws-access-key-id@1:3", "github-pat@1:26"}},
		{"unicode columns", "a.txt", "é—ö \"" + gh + "\"\n", Options{}, []string{"github-pat@1:6"}},
		{"CRLF", "a.yml", "a: 1\r\ntoken: " + gh + "\r\n", Options{}, []string{"github-pat@2:8"}},
		{"no newline at end", "a.go", "x := `" + gh + "`", Options{}, []string{"github-pat@1:7"}},
		{"inside a word", "a.go", "x := \"A" + gh + "\"\n", Options{}, nil},
		{"generic in code needs quotes", "a.go", "password := " + gen + "\n", Options{}, nil},
		{"generic unquoted in config", "a.properties", "db.password=" + gen + "\n", Options{}, []string{"generic-secret@1:13"}},
		{"generic short", "a.go", `password := "aB3$dE6"` + "\n", Options{}, nil},
		{"generic low entropy", "a.go", `password := "aaaaaaaaaaaaaaaaaaaa1"` + "\n", Options{}, nil},
		{"generic identifier", "a.go", `token := "auth.errors.expired_token"` + "\n", Options{}, nil},
		{"generic sentence", "a.go", `token := "Invalid token, please login"` + "\n", Options{}, nil},
		{"generic env name", "a.go", `apiKey := "PAYMENTS_API_KEY_V2"` + "\n", Options{}, nil},
		{"generic path", "a.go", `privateKey := "/etc/ssl/private/server-2024.key"` + "\n", Options{}, nil},
		{"generic hash name", "a.go", `passwordHash := "` + gen + `"` + "\n", Options{}, nil},
		{"generic qualifier", "a.go", `DB_PASSWORD_PROD := "` + gen + `"` + "\n", Options{}, []string{"generic-secret@1:22"}},
		{"format wins over generic", "a.go", `token := "` + gh + `"` + "\n", Options{}, []string{"github-pat@1:11"}},
		{"url password", "a.txt", "mysql://root:" + pass + "@db.internal:3306/x\n", Options{}, []string{"url-basic-auth@1:14"}},
		{"url token as user", "a.txt", "https://" + gh + ":x-oauth-basic@git.internal/x.git\n", Options{}, []string{"github-pat@1:9"}},
		{"url example host", "a.txt", "mysql://root:" + pass + "@example.com/x\n", Options{}, nil},
		{"pem without end", "a.txt", "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n", 4), Options{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.opts).(*scanner)
			var got []findings.Finding
			if !s.allow.Excludes(tc.path) {
				got = s.scanContent(tc.path, []byte(tc.content))
			}
			g := ids(got)
			if strings.Join(g, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", g, tc.want)
			}
		})
	}
	// Generic findings in tests are low; token formats keep their severity.
	s0 := New(Options{}).(*scanner)
	for path, want := range map[string]findings.Severity{"a.go": findings.Medium, "a_test.go": findings.Low,
		"test/a.py": findings.Low, "src/app.spec.ts": findings.Low, "testdata/x.json": findings.Low} {
		got := s0.scanContent(path, []byte(`password = "`+gen+`"`+"\n"))
		if len(got) != 1 || got[0].Severity != want {
			t.Errorf("%s: %v, want severity %v", path, got, want)
		}
	}
	if got := s0.scanContent("a_test.go", []byte("x := \""+gh+"\"\n")); len(got) != 1 || got[0].Severity != findings.High {
		t.Errorf("token in a test: %v", got)
	}
	// A token whose checksum does not add up is still reported, one
	// severity lower.
	s := New(Options{}).(*scanner)
	got := s.scanContent("a.go", []byte("x := \""+ghBad+"\"\n"))
	if len(got) != 1 || got[0].Properties["checksum"] != "mismatch" || got[0].Severity != findings.Medium {
		t.Errorf("bad checksum: %+v", got)
	}
}

// A marked secret is the finding it would be without the marker, with
// InlineIgnored set: same rule, place, severity, properties and
// fingerprint, and redacted the same way.
func TestMarkerKeepsTheFinding(t *testing.T) {
	fk := newFaker("marker")
	gh := fk.value("github-pat", "")
	s := New(Options{}).(*scanner)
	plain := s.scanContent("a.go", []byte("x := \""+gh+"\"\n"))
	for _, marker := range []string{"sluice:ignore", "gitleaks:allow", "sluice:ignore secrets"} {
		marked := s.scanContent("a.go", []byte("x := \""+gh+"\" // "+marker+"\n"))
		if len(plain) != 1 || len(marked) != 1 {
			t.Fatalf("%s: got %v and %v, want one finding each", marker, ids(plain), ids(marked))
		}
		p, m := plain[0], marked[0]
		if p.InlineIgnored || !m.InlineIgnored {
			t.Errorf("%s: InlineIgnored %v without the marker, %v with it", marker, p.InlineIgnored, m.InlineIgnored)
		}
		if findings.Fingerprint(&p) != findings.Fingerprint(&m) {
			t.Errorf("%s: the marker changes the fingerprint", marker)
		}
		if diff := cmp.Diff(p, m, cmpopts.IgnoreFields(findings.Finding{}, "InlineIgnored", "Snippet")); diff != "" {
			t.Errorf("%s: the marker changes the finding (-plain +marked):\n%s", marker, diff)
		}
		if strings.Contains(m.Snippet, gh) || !strings.Contains(m.Snippet, marker) {
			t.Errorf("%s: snippet %q", marker, m.Snippet)
		}
	}
}

func TestSnippetRedaction(t *testing.T) {
	fk := newFaker("snippet")
	gh := fk.value("github-pat", "")
	aws := fk.value("aws-access-key-id", "")
	// The token is repeated in a comment where no rule matches it.
	line := "a = \"" + gh + "\" b = \"" + aws + "\" # was " + gh[4:] + " and X" + gh + "\n"
	got := New(Options{}).(*scanner).scanContent("a.py", []byte(line))
	if len(got) != 2 {
		t.Fatalf("got %v", ids(got))
	}
	for _, f := range got {
		for _, secret := range []string{gh, aws} {
			if strings.Contains(f.Snippet, secret) || strings.Contains(f.Message, secret) {
				t.Errorf("%s: secret in clear: %q", f.RuleID, f.Snippet)
			}
		}
	}
	if want := `a = "ghp_…" b = "AKIA…" # was`; !strings.HasPrefix(got[0].Snippet, want) {
		t.Errorf("snippet = %q, want prefix %q", got[0].Snippet, want)
	}

	// Long lines are cut around the secret.
	long := strings.Repeat("x = 1; ", 200) + "t = \"" + gh + "\"; " + strings.Repeat("y = 2; ", 200)
	got = New(Options{}).(*scanner).scanContent("a.js", []byte(long))
	if len(got) != 1 || len(got[0].Snippet) > maxSnippet+10 || !strings.Contains(got[0].Snippet, "ghp_…") {
		t.Errorf("long line: %v", ids(got))
	}
	if got[0].Location.StartCol != 1406 {
		t.Errorf("long line: col %d", got[0].Location.StartCol)
	}
}

func TestKeywordIndex(t *testing.T) {
	words := []string{"he", "she", "his", "hers", "-----begin", "://", "Q~", "aiza"}
	k, err := newKeywordIndex(words)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "hersiHERS-bgn:/Q~aizAZ \n"
	for n := range 300 {
		size := r.IntN(200)
		if n%3 == 0 {
			size = 4000 + r.IntN(3000) // long enough for the two-way scan
		}
		b := make([]byte, size)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		var want []hit
		lowerB := bytes.ToLower(b)
		for end := 1; end <= len(b); end++ {
			for id, w := range words {
				if end >= len(w) && string(lowerB[end-len(w):end]) == strings.ToLower(w) {
					want = append(want, hit{kw: int32(id), end: end})
				}
			}
		}
		got := k.find(b, nil)
		if !sameHits(got, want) {
			t.Fatalf("%q: got %v, want %v", b, got, want)
		}
	}
}

// sameHits compares hit lists regardless of the order of hits that end at
// the same byte.
func sameHits(a, b []hit) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[hit]int{}
	for _, h := range a {
		count[h]++
	}
	for _, h := range b {
		count[h]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestScanHealth(t *testing.T) {
	fk := newFaker("health")
	root := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", []byte("x := \""+fk.value("github-pat", "")+"\"\n"))
	write("big.txt", bytes.Repeat([]byte("a"), 2048))
	write("bin.dat", []byte("\x00\x01"+fk.value("github-pat", "")))
	write("skip.go", []byte("x := \""+fk.value("github-pat", "")+"\"\n"))
	target := &scan.Target{Root: root, Files: []string{"a.go", "big.txt", "bin.dat", "gone.txt", "skip.go"}}
	s := New(Options{MaxFileSize: 1024, AllowPaths: []string{"skip.*"}, Workers: 2})
	var n int
	h, err := s.Scan(context.Background(), target, func(findings.Finding) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	want := "scanned 1 files (48 B); skipped 1 binary files; skipped 1 allowlisted files"
	if h.Status != scan.Ran || h.Files != 1 || h.Findings != 1 || n != 1 || !h.Partial || h.Reason != want {
		t.Errorf("health = %+v", h)
	}
	errs := map[string]string{}
	for _, e := range h.Errors {
		errs[e.Path] = e.Err
	}
	if errs["big.txt"] != "file too large: 2 KiB, over the 1 KiB limit" || errs["gone.txt"] != "no such file or directory" || len(errs) != 2 {
		t.Errorf("errors = %v", h.Errors)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h, err = New(Options{}).Scan(ctx, target, func(findings.Finding) {})
	if err == nil || h.Status != scan.Failed {
		t.Errorf("cancelled: %+v, %v", h, err)
	}

	if ok, why := s.Applies(context.Background(), &scan.Target{Root: root}); ok || why == "" {
		t.Errorf("Applies on nothing = %v, %q", ok, why)
	}
	for _, opts := range []Options{{AllowPaths: []string{"[z-a]"}}, {Disable: []string{"no-such-rule"}}} {
		h, err := New(opts).Scan(context.Background(), target, func(findings.Finding) {})
		if err == nil || h.Status != scan.Failed || h.Reason == "" {
			t.Errorf("%+v: %+v, %v", opts, h, err)
		}
	}
}

func TestRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.Title == "" || r.Fix == "" || len(r.CWE) == 0 {
			t.Errorf("rule %+v: duplicate or incomplete", r)
		}
		seen[r.ID] = true
	}
	if len(seen) < 40 {
		t.Errorf("%d rules", len(seen))
	}
}

func BenchmarkKeywords(b *testing.B) {
	dir := b.TempDir()
	if _, _, err := writeBenchTree(dir, 20, 4); err != nil {
		b.Fatal(err)
	}
	var content []byte
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			data, _ := os.ReadFile(p)
			content = append(content, data...)
		}
		return nil
	})
	d := New(Options{}).(*scanner).det
	b.SetBytes(int64(len(content)))
	var hits []hit
	for b.Loop() {
		hits = d.kw.find(content, hits[:0])
	}
}
