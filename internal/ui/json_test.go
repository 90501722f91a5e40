package ui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sluice-ci/sluice/internal/engine"
)

func TestJSONLinesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: ModeJSON, Color: ColorAlways})
	want := events(script())
	for _, e := range want {
		r.Handle(e)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	var got []engine.Event
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var e engine.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", len(got)+1, err, sc.Text())
		}
		got = append(got, e)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events read back differ (-want +got):\n%s", diff)
	}
}
