package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

func TestBuildExpandsMatrixAndNeeds(t *testing.T) {
	p := &spec.Pipeline{Jobs: []*spec.Job{
		{ID: "lint"},
		{ID: "test", Matrix: &spec.Matrix{
			Axes:    []spec.MatrixAxis{{Name: "go", Values: []string{"1.22", "1.23"}}, {Name: "os", Values: []string{"linux", "darwin"}}},
			Exclude: []map[string]string{{"go": "1.22", "os": "darwin"}},
			Include: []map[string]string{{"go": "1.24", "os": "linux"}},
		}},
		{ID: "build", Needs: []string{"lint", "test"}},
		{ID: "docs"},
	}}
	pl, err := Build(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range pl.Jobs {
		ids = append(ids, j.ID)
	}
	want := []string{"lint", "test[go=1.22,os=linux]", "test[go=1.23,os=linux]", "test[go=1.23,os=darwin]", "test[go=1.24,os=linux]", "build", "docs"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[:5], pl.Job("build").Needs); diff != "" {
		t.Fatalf("build needs (-want +got):\n%s", diff)
	}
	if got := pl.Job("test[go=1.23,os=darwin]").Name; got != "test (1.23, darwin)" {
		t.Fatalf("name = %q", got)
	}
}

func TestBuildSelectsJobsWithTheirNeeds(t *testing.T) {
	p := &spec.Pipeline{Jobs: []*spec.Job{{ID: "lint"}, {ID: "test"}, {ID: "build", Needs: []string{"lint"}}, {ID: "docs"}}}
	pl, err := Build(p, Options{Jobs: []string{"build"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Jobs) != 2 || pl.Jobs[0].ID != "lint" || pl.Jobs[1].ID != "build" {
		t.Fatalf("selected %v", pl.Jobs)
	}
	_, err = Build(p, Options{Jobs: []string{"buld"}})
	if err == nil || !strings.Contains(err.Error(), `did you mean "build"`) {
		t.Fatalf("want did-you-mean error, got %v", err)
	}
}

func TestBuildRejectsCycle(t *testing.T) {
	p := &spec.Pipeline{Jobs: []*spec.Job{{ID: "a", Needs: []string{"b"}}, {ID: "b", Needs: []string{"a"}}}}
	if _, err := Build(p, Options{}); err == nil || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Fatalf("want cycle error, got %v", err)
	}
}
