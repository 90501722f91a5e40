package auth

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func TestSealSigningKey(t *testing.T) {
	master := make([]byte, MasterKeyLen)
	rand.Read(master)
	key := newTestKey(t)
	id, secret, _ := ParseKey(key)
	sigKey := DeriveSigningKey(secret)

	sealed, err := SealSigningKey(master, id, sigKey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, sigKey) {
		t.Fatal("sealed blob contains the signing key")
	}
	again, _ := SealSigningKey(master, id, sigKey)
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals are identical: nonce not random")
	}
	got, err := OpenSigningKey(master, id, sealed)
	if err != nil || !bytes.Equal(got, sigKey) {
		t.Fatalf("OpenSigningKey = %x, %v", got, err)
	}

	otherMaster := bytes.Clone(master)
	otherMaster[0] ^= 1
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	badVersion := bytes.Clone(sealed)
	badVersion[0] = 9
	for name, tc := range map[string]struct {
		master []byte
		id     string
		sealed []byte
	}{
		"other master": {otherMaster, id, sealed},
		"other key id": {master, "zzzzzzzzzzzz", sealed},
		"tampered":     {master, id, tampered},
		"version":      {master, id, badVersion},
		"truncated":    {master, id, sealed[:10]},
		"empty":        {master, id, nil},
	} {
		if _, err := OpenSigningKey(tc.master, tc.id, tc.sealed); !errors.Is(err, ErrUnseal) {
			t.Errorf("%s: err = %v, want ErrUnseal", name, err)
		}
	}
	if _, err := OpenSigningKey(master[:16], id, sealed); err == nil {
		t.Error("short master key accepted")
	}
	if _, err := SealSigningKey(master[:31], id, sigKey); err == nil {
		t.Error("31-byte master key accepted")
	}
	if _, err := SealSigningKey(master, id, nil); err == nil {
		t.Error("empty signing key sealed")
	}
}
