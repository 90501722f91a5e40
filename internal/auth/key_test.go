package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestNewKeyFormatAndCheck(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		plain, id, hash, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) != len(KeyPrefix)+KeyIDLen+1+SecretLen {
			t.Fatalf("key length %d", len(plain))
		}
		gotID, secret, err := ParseKey(plain)
		if err != nil {
			t.Fatalf("ParseKey(NewKey()): %v", err)
		}
		if gotID != id {
			t.Fatalf("ParseKey id %q, NewKey id %q", gotID, id)
		}
		if plain != KeyPrefix+id+"_"+secret {
			t.Fatal("key does not reassemble from id and secret")
		}
		if !strings.HasPrefix(hash, HashScheme) || hash != HashSecret(secret) {
			t.Fatalf("hash %q is not HashSecret(secret)", hash)
		}
		if !CheckKey(secret, hash) {
			t.Fatal("CheckKey rejects the key's own secret")
		}
		if strings.Contains(hash, secret) {
			t.Fatal("hash contains the secret")
		}
		if seen[id] || seen[secret] {
			t.Fatal("repeated id or secret")
		}
		seen[id], seen[secret] = true, true
	}
}

func TestHashSecretKnownAnswer(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2.
	want := "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashSecret("abc"); got != want {
		t.Fatalf("HashSecret(abc) = %s, want %s", got, want)
	}
}

func TestCheckKeyRejects(t *testing.T) {
	good := HashSecret("s3cret")
	sum := sha256.Sum256([]byte("s3cret"))
	for name, tc := range map[string]struct{ secret, hash string }{
		"other secret":   {"s3creT", good},
		"no scheme":      {"s3cret", hex.EncodeToString(sum[:])},
		"other scheme":   {"s3cret", "sha512:" + hex.EncodeToString(sum[:])},
		"short digest":   {"s3cret", good[:len(good)-2]},
		"bad hex":        {"s3cret", good[:len(good)-1] + "z"},
		"empty hash":     {"s3cret", ""},
		"upper scheme":   {"s3cret", "SHA256:" + hex.EncodeToString(sum[:])},
		"empty secret":   {"", good},
		"trailing bytes": {"s3cret", good + "00"},
	} {
		if CheckKey(tc.secret, tc.hash) {
			t.Errorf("%s: CheckKey accepted", name)
		}
	}
	if !CheckKey("s3cret", HashScheme+strings.ToUpper(hex.EncodeToString(sum[:]))) {
		t.Error("CheckKey should accept an upper-case hex digest of the right hash")
	}
}

func TestEncodeBase62(t *testing.T) {
	for _, b := range [][]byte{make([]byte, 32), bytesOf(0xff, 32), append(make([]byte, 31), 1), {0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}} {
		s := encodeBase62(b)
		if len(s) != SecretLen {
			t.Fatalf("len %d", len(s))
		}
		// Decode and compare, so the encoding is a bijection on 32 bytes.
		n := new(big.Int)
		for _, c := range []byte(s) {
			n.Mul(n, big.NewInt(62))
			n.Add(n, big.NewInt(int64(strings.IndexByte(base62Alphabet, c))))
		}
		if got := n.FillBytes(make([]byte, 32)); string(got) != string(b) {
			t.Fatalf("encodeBase62(%x) = %s decodes to %x", b, s, got)
		}
	}
	if got := encodeBase62(make([]byte, 32)); got != strings.Repeat("0", SecretLen) {
		t.Fatalf("zero bytes encode as %s", got)
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestParseKeyRejects(t *testing.T) {
	id := "abcdefgh2345"
	secret := strings.Repeat("aZ9", 14) + "x"
	if _, _, err := ParseKey(KeyPrefix + id + "_" + secret); err != nil {
		t.Fatalf("valid key rejected: %v", err)
	}
	for name, in := range map[string]string{
		"empty":            "",
		"no prefix":        id + "_" + secret,
		"wrong prefix":     "slx_" + id + "_" + secret,
		"upper prefix":     "SLK_" + id + "_" + secret,
		"short secret":     KeyPrefix + id + "_" + secret[1:],
		"long secret":      KeyPrefix + id + "_" + secret + "a",
		"short id":         KeyPrefix + id[1:] + "_" + secret + "a",
		"id with 1":        KeyPrefix + "abcdefgh2341_" + secret,
		"id upper":         KeyPrefix + "ABCDEFGH2345_" + secret,
		"dash separator":   KeyPrefix + id + "-" + secret,
		"secret with _":    KeyPrefix + id + "_" + secret[:42] + "_",
		"secret with +":    KeyPrefix + id + "_" + secret[:42] + "+",
		"trailing newline": KeyPrefix + id + "_" + secret[:42] + "\n",
		"bearer":           "Bearer " + KeyPrefix + id + "_" + secret,
	} {
		_, _, err := ParseKey(in)
		if !errors.Is(err, ErrMalformedKey) {
			t.Errorf("%s: err = %v, want ErrMalformedKey", name, err)
			continue
		}
		if len(in) > 8 && strings.Contains(err.Error(), in[4:]) {
			t.Errorf("%s: error repeats the input: %v", name, err)
		}
	}
}

func TestValidKeyID(t *testing.T) {
	if !ValidKeyID("abcdefgh2345") || ValidKeyID("abcdefgh234") || ValidKeyID("abcdefgh234!") || ValidKeyID("") {
		t.Fatal("ValidKeyID gives wrong answers")
	}
}

func FuzzParseKey(f *testing.F) {
	plain, _, _, err := NewKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	f.Add("slk_")
	f.Add("slk_abcdefgh2345_")
	f.Add("slk_abcdefgh2345_" + strings.Repeat("0", 43))
	f.Add("slk_abcdefgh2345_" + strings.Repeat("é", 21) + "a")
	f.Fuzz(func(t *testing.T, in string) {
		id, secret, err := ParseKey(in)
		if err != nil {
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("error %v does not wrap ErrMalformedKey", err)
			}
			if id != "" || secret != "" {
				t.Fatal("parts returned with an error")
			}
			return
		}
		if KeyPrefix+id+"_"+secret != in {
			t.Fatalf("parts do not reassemble the input")
		}
		if !ValidKeyID(id) || len(secret) != SecretLen {
			t.Fatalf("accepted id %q / secret length %d", id, len(secret))
		}
		for _, c := range []byte(secret) {
			if strings.IndexByte(base62Alphabet, c) < 0 {
				t.Fatalf("accepted secret byte %q", c)
			}
		}
		if !CheckKey(secret, HashSecret(secret)) {
			t.Fatal("CheckKey rejects HashSecret of an accepted secret")
		}
		if _, err := WrapKey(in); err != nil {
			t.Fatalf("WrapKey rejects what ParseKey accepts: %v", err)
		}
	})
}
