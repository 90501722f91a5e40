package auth

import (
	"errors"
	"strings"
	"testing"
)

// cheap are small parameters, so the table tests run fast.
var cheap = PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPasswordDefaults(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not carry the default parameters", h)
	}
	p, salt, key, err := ParsePasswordHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultPasswordParams || len(salt) != 16 || len(key) != 32 {
		t.Errorf("parsed %+v, salt %d bytes, key %d bytes", p, len(salt), len(key))
	}
	if !CheckPassword("correct horse battery", h) {
		t.Error("the password does not match its own hash")
	}
	if CheckPassword("correct horse batterY", h) {
		t.Error("another password matches")
	}
}

// TestPasswordParamsRoundTrip: every parameter written into a hash is the
// one CheckPassword uses, so changing the defaults later keeps old hashes
// working.
func TestPasswordParamsRoundTrip(t *testing.T) {
	for _, p := range []PasswordParams{
		cheap,
		{Memory: 128, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 16},
		{Memory: 256, Time: 2, Threads: 4, SaltLen: 64, KeyLen: 64},
	} {
		h, err := HashPasswordWith("a password of some length", p)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		got, salt, key, err := ParsePasswordHash(h)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if got != p || uint32(len(salt)) != p.SaltLen || uint32(len(key)) != p.KeyLen {
			t.Errorf("%s parsed as %+v", h, got)
		}
		if !CheckPassword("a password of some length", h) || CheckPassword("a password of some lengtH", h) {
			t.Errorf("%s: check is wrong", h)
		}
		// The same password under other parameters or another salt is
		// another hash.
		other := p
		other.Time++
		h2, _ := HashPasswordWith("a password of some length", other)
		if h2 == h || strings.Split(h2, "$")[5] == strings.Split(h, "$")[5] {
			t.Errorf("a change of time cost left the hash as it was: %s %s", h, h2)
		}
	}
	a, _ := HashPasswordWith("same", cheap)
	b, _ := HashPasswordWith("same", cheap)
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                              false,
		"elevenchars":                   false,
		"twelve chars":                  true,
		"ééééééééééé":                   false, // 11 characters, 22 bytes
		"éééééééééééé":                  true,
		strings.Repeat("x", 1024):       true,
		strings.Repeat("x", 1025):       false,
		"correct horse battery staple!": true,
	} {
		err := CheckPasswordRules(pw)
		if (err == nil) != ok {
			t.Errorf("CheckPasswordRules(%d bytes): %v, want ok=%v", len(pw), err, ok)
		}
		if err != nil && (!errors.Is(err, ErrWeakPassword) || pw != "" && strings.Contains(err.Error(), pw)) {
			t.Errorf("the error %q is not ErrWeakPassword or repeats the password", err)
		}
		if _, err := HashPassword(pw); (err == nil) != ok {
			t.Errorf("HashPassword(%d bytes): %v, want ok=%v", len(pw), err, ok)
		}
	}
}

// TestMalformedHashes: nothing matches a hash that cannot be read, and
// parameters out of bounds (a hash edited in the database) are refused
// before any work.
func TestMalformedHashes(t *testing.T) {
	good, err := HashPasswordWith("password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=…,t=…,p=…, salt, hash
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, h := range map[string]string{
		"empty":             "",
		"sha256 key hash":   HashSecret("password"),
		"argon2i":           strings.Replace(good, "argon2id", "argon2i", 1),
		"version 16":        with(2, "v=16"),
		"params reordered":  with(3, "t=1,m=64,p=1"),
		"param missing":     with(3, "m=64,t=1"),
		"extra param":       with(3, "m=64,t=1,p=1,x=2"),
		"no threads":        with(3, "m=64,t=1,p=0"),
		"256 threads":       with(3, "m=4096,t=1,p=256"),
		"huge memory":       with(3, "m=4294967295,t=1,p=1"),
		"huge time":         with(3, "m=64,t=100000,p=1"),
		"zero time":         with(3, "m=64,t=0,p=1"),
		"short salt":        with(4, "c2FsdA"),
		"padded salt":       with(4, parts[4]+"=="),
		"salt not base64":   with(4, "!!!!!!!!!!!!"),
		"short hash":        with(5, "aGFzaA"),
		"hash not base64":   with(5, "%%%%"),
		"trailing part":     good + "$x",
		"negative memory":   with(3, "m=-64,t=1,p=1"),
		"spaces in params":  with(3, "m=64, t=1, p=1"),
		"hash of other pwd": func() string { h, _ := HashPasswordWith("other", cheap); return h }(),
	} {
		if CheckPassword("password", h) {
			t.Errorf("%s: %q matches", name, h)
		}
		if name != "hash of other pwd" {
			if _, _, _, err := ParsePasswordHash(h); !errors.Is(err, ErrBadPasswordHash) {
				t.Errorf("%s: ParsePasswordHash(%q) = %v, want ErrBadPasswordHash", name, h, err)
			}
		}
	}
	if !CheckPassword("password", good) {
		t.Fatal("the unmodified hash does not match")
	}
	if CheckPassword(strings.Repeat("p", MaxPasswordLen+1), good) {
		t.Error("an overlong password matches")
	}
	if _, err := HashPasswordWith("password", PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}); err == nil {
		t.Error("a 4-byte salt was accepted")
	}
}

// TestDummyPasswordHash: the dummy is well-formed with the default
// parameters (so checking against it costs a real check) and matches
// nothing typed.
func TestDummyPasswordHash(t *testing.T) {
	d := DummyPasswordHash()
	p, _, _, err := ParsePasswordHash(d)
	if err != nil || p != DefaultPasswordParams {
		t.Fatalf("dummy %q: %+v %v", d, p, err)
	}
	for _, pw := range []string{"", "password", "correct horse battery"} {
		if CheckPassword(pw, d) {
			t.Errorf("%q matches the dummy hash", pw)
		}
	}
}
