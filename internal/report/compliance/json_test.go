package compliance

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

func writeJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteJSONRoundTrip(t *testing.T) {
	in := sampleReport()
	out := writeJSON(t, in)
	var back Report
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("the JSON report does not decode into a Report: %v", err)
	}
	// The report lists findings worst first (findings.Sort), scanners by name.
	findings.Sort(in.Findings)
	slices.SortFunc(in.Scanners, func(a, b scan.Health) int { return strings.Compare(a.Scanner, b.Scanner) })
	if diff := cmp.Diff(in, &back, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-written +read):\n%s", diff)
	}
}

func TestWriteJSONKeys(t *testing.T) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(writeJSON(t, sampleReport()), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"approvals", "audit", "checklist", "decisions", "facts", "findings", "generated_at", "owasp_2021",
		"owasp_2025", "run", "scanners", "schema", "summary", "tool"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	if string(doc["approvals"]) != "[]" {
		t.Errorf("approvals: %s, want []", doc["approvals"])
	}
	var rest struct {
		Schema    string `json:"schema"`
		Findings  []map[string]any
		OWASP2021 []OWASPRow `json:"owasp_2021"`
		OWASP2025 []OWASPRow `json:"owasp_2025"`
		Checklist []CheckItem
		Decisions []map[string]any
		Summary   Summary
	}
	raw, _ := json.Marshal(doc)
	if err := json.Unmarshal(raw, &rest); err != nil {
		t.Fatal(err)
	}
	if rest.Schema != Schema {
		t.Errorf("schema %q, want %q", rest.Schema, Schema)
	}
	if len(rest.OWASP2021) != 10 || len(rest.OWASP2025) != 10 || len(rest.Checklist) == 0 {
		t.Errorf("%d 2021 rows, %d 2025 rows, %d checklist items", len(rest.OWASP2021), len(rest.OWASP2025), len(rest.Checklist))
	}
	// Findings are in report order (worst first) with their status.
	var got [][2]any
	for _, f := range rest.Findings {
		got = append(got, [2]any{f["fingerprint"], f["status"]})
	}
	want2 := [][2]any{{"fp-minimist", "open"}, {"fp-aws", "suppressed"}, {"fp-lodash", "pre-existing"},
		{"fp-sql", "open"}, {"fp-xss", "open"}, {"fp-g104", "inline-ignored"}}
	if diff := cmp.Diff(want2, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// A decision shows the gate's fields and the report's beside them.
	for _, k := range []string{"outcome", "env", "reasons", "blocking", "decided_at", "actor", "digests"} {
		if _, ok := rest.Decisions[1][k]; !ok {
			t.Errorf("decision has no %q key: %v", k, rest.Decisions[1])
		}
	}
	if len(rest.Summary.Outcomes) != 2 {
		t.Errorf("summary outcomes: %+v", rest.Summary.Outcomes)
	}
}

// TestWriteJSONSnakeCase checks every key of the document outside maps
// keyed by data (digests, properties).
func TestWriteJSONSnakeCase(t *testing.T) {
	var doc any
	if err := json.Unmarshal(writeJSON(t, sampleReport()), &doc); err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if !snake.MatchString(k) {
					t.Errorf("%s: key %q is not snake_case", path, k)
				}
				if k != "digests" && k != "properties" {
					walk(path+"."+k, e)
				}
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		}
	}
	walk("$", doc)
}

func TestWriteJSONEmptyListsAndNil(t *testing.T) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(writeJSON(t, &Report{}), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scanners", "findings", "decisions", "approvals"} {
		if string(doc[k]) != "[]" {
			t.Errorf("%s of an empty report: %s, want []", k, doc[k])
		}
	}
	if err := WriteJSON(&bytes.Buffer{}, nil); !errors.Is(err, errNilReport) {
		t.Errorf("nil report: %v", err)
	}
}

func TestWriteJSONDoesNotChangeTheReport(t *testing.T) {
	r := sampleReport()
	r.Findings[0].Sources = nil
	before := *r
	before.Findings = slices.Clone(r.Findings)
	writeJSON(t, r)
	if r.Findings[0].Sources != nil {
		t.Error("WriteJSON filled the caller's finding sources")
	}
	if diff := cmp.Diff(before.Findings, r.Findings); diff != "" {
		t.Errorf("findings changed:\n%s", diff)
	}
}
