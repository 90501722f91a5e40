package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestKeyRedacts(t *testing.T) {
	plain, id, _, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := ParseKey(plain)
	k, err := WrapKey(plain)
	if err != nil {
		t.Fatal(err)
	}
	if k.Reveal() != plain || k.ID() != id || k.IsZero() {
		t.Fatal("Reveal/ID/IsZero wrong")
	}
	want := KeyPrefix + id + "_[REDACTED]"
	if k.String() != want {
		t.Fatalf("String() = %q, want %q", k.String(), want)
	}

	type exported struct{ Key Key }
	type unexported struct{ key Key }
	type pointer struct{ K *Key }
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outs = append(outs,
			fmt.Sprintf(verb, k),
			fmt.Sprintf(verb, exported{k}),
			fmt.Sprintf(verb, unexported{k}),
			fmt.Sprintf(verb, pointer{&k}),
			fmt.Sprintf(verb, []Key{k}),
			fmt.Sprintf(verb, map[string]Key{"k": k}),
			fmt.Sprintf(verb, &k),
		)
	}
	if !strings.Contains(fmt.Sprintf("%v", exported{k}), want) {
		t.Errorf("%%v of a struct does not show the redacted form: %v", exported{k})
	}
	j, err := json.Marshal(map[string]any{"key": k, "ptr": &k, "s": exported{k}})
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	if !strings.Contains(string(j), `"key":"`+want+`"`) {
		t.Errorf("JSON lacks the redacted form: %s", j)
	}
	txt, _ := k.MarshalText()
	outs = append(outs, string(txt))

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("issued", "key", k, "group", exported{k})
	slog.New(slog.NewTextHandler(&buf, nil)).Info("issued", "key", k, "ptr", &k)
	outs = append(outs, buf.String())
	if !strings.Contains(buf.String(), want) {
		t.Errorf("slog output lacks the redacted form: %s", buf.String())
	}
	outs = append(outs, fmt.Errorf("wrap: %w", errors.New(k.String())).Error())

	for _, out := range outs {
		if strings.Contains(out, secret) || strings.Contains(out, secret[:16]) {
			t.Fatalf("secret leaked: %s", out)
		}
	}
}

func TestZeroKey(t *testing.T) {
	var k Key
	if !k.IsZero() || k.Reveal() != "" || k.ID() != "" || k.String() != "" || fmt.Sprint(k) != "" {
		t.Fatal("zero Key is not empty")
	}
	if j, _ := json.Marshal(k); string(j) != `""` {
		t.Fatalf("zero Key JSON %s", j)
	}
}

func TestWrapKeyRejects(t *testing.T) {
	if _, err := WrapKey("slk_nope"); !errors.Is(err, ErrMalformedKey) {
		t.Fatalf("err = %v", err)
	}
}
