package tfplan

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	plan := `{"format_version":"1.2","resource_changes":[
	 {"address":"terraform_data.a","mode":"managed","change":{"actions":["create"]}},
	 {"address":"terraform_data.b","mode":"managed","change":{"actions":["update"]}},
	 {"address":"terraform_data.c","mode":"managed","change":{"actions":["delete","create"]}},
	 {"address":"terraform_data.d","mode":"managed","change":{"actions":["create","delete"]}},
	 {"address":"terraform_data.e","mode":"managed","change":{"actions":["delete"]}},
	 {"address":"terraform_data.f","mode":"managed","change":{"actions":["no-op"]}},
	 {"address":"data.x.y","mode":"data","change":{"actions":["read"]}}]}`
	s, err := Summarize(strings.NewReader(plan))
	if err != nil {
		t.Fatal(err)
	}
	if s.Add != 3 || s.Change != 1 || s.Destroy != 3 || len(s.Changes) != 5 {
		t.Errorf("summary %+v; want 3 to add, 1 to change, 3 to destroy, 5 changes", s)
	}
	if got := s.String(); got != "Plan: 3 to add, 1 to change, 3 to destroy." {
		t.Errorf("line %q", got)
	}
	if got := s.DestroyedText(); got != "terraform_data.c, terraform_data.d, terraform_data.e" {
		t.Errorf("destroyed %q", got)
	}
	if lines := s.Lines(2); len(lines) != 3 || lines[2] != "… and 3 more" || !strings.Contains(lines[0], "+   terraform_data.a (create)") {
		t.Errorf("lines %q", lines)
	}

	none, err := Summarize(strings.NewReader(`{"format_version":"1.2"}`))
	if err != nil || none.String() != "No changes: the infrastructure matches the configuration." {
		t.Errorf("empty plan: %v %v", none, err)
	}
	for _, bad := range []string{``, `{`, `{"resource_changes":[]}`, `[]`} {
		if _, err := Summarize(strings.NewReader(bad)); err == nil {
			t.Errorf("Summarize(%q) took it for a plan", bad)
		}
	}
}

func FuzzSummarize(f *testing.F) {
	f.Add(`{"format_version":"1.2","resource_changes":[{"address":"a.b","mode":"managed","change":{"actions":["create"]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		sum, err := Summarize(strings.NewReader(s))
		if err == nil && sum.Add+sum.Destroy < len(sum.Changes)-sum.Change {
			t.Errorf("counts %+v disagree with changes", sum)
		}
	})
}
