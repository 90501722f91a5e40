package dag

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		ids   []string
		needs map[string][]string
		want  [][]string
	}{
		{"none", []string{"a", "b", "c"}, map[string][]string{"b": {"a"}, "c": {"a", "b"}}, nil},
		{"self", []string{"a", "b"}, map[string][]string{"a": {"a"}}, [][]string{{"a", "a"}}},
		{"pair", []string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}, [][]string{{"a", "b", "a"}}},
		{"triangle", []string{"build", "test", "lint"}, map[string][]string{"build": {"test"}, "test": {"lint"}, "lint": {"build"}},
			[][]string{{"build", "test", "lint", "build"}}},
		{"two separate", []string{"a", "b", "c", "d", "e"}, map[string][]string{"a": {"b"}, "b": {"a"}, "d": {"e"}, "e": {"d"}, "c": {"a"}},
			[][]string{{"a", "b", "a"}, {"d", "e", "d"}}},
		{"unknown ignored", []string{"a"}, map[string][]string{"a": {"zzz"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Cycles(tt.ids, tt.needs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Cycles() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	_, err := Build([]string{"a", "b"}, map[string][]string{"a": {"c"}})
	var unk *UnknownNeedError
	if !errors.As(err, &unk) || unk.Need != "c" {
		t.Fatalf("want UnknownNeedError for c, got %v", err)
	}
	_, err = Build([]string{"a", "a"}, nil)
	var dup *DuplicateError
	if !errors.As(err, &dup) {
		t.Fatalf("want DuplicateError, got %v", err)
	}
	_, err = Build([]string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}})
	var cyc *CycleError
	if !errors.As(err, &cyc) || cyc.Error() != "dependency cycle: a -> b -> a" {
		t.Fatalf("want cycle a -> b -> a, got %v", err)
	}
}

func TestReadyIsNotLevelled(t *testing.T) {
	// a -> b (slow), c -> d. d must be ready as soon as c is done, even while
	// b (same "level" as d) still runs.
	g, err := Build([]string{"a", "b", "c", "d"}, map[string][]string{"b": {"a"}, "d": {"c"}})
	if err != nil {
		t.Fatal(err)
	}
	started := map[string]bool{}
	done := map[string]bool{}
	ready := func() []string {
		return g.Ready(func(id string) bool { return started[id] }, func(id string) bool { return done[id] })
	}
	if diff := cmp.Diff([]string{"a", "c"}, ready()); diff != "" {
		t.Fatalf("initial ready (-want +got):\n%s", diff)
	}
	started["a"], started["c"] = true, true
	done["c"] = true
	if diff := cmp.Diff([]string{"d"}, ready()); diff != "" {
		t.Fatalf("after c (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"d"}, g.Dependents("c")); diff != "" {
		t.Fatalf("Dependents(c) (-want +got):\n%s", diff)
	}
}

func TestAncestors(t *testing.T) {
	g, err := Build([]string{"lint", "test", "build", "docs"}, map[string][]string{"build": {"lint", "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lint", "test", "build"}, g.Ancestors([]string{"build"})); diff != "" {
		t.Fatalf("Ancestors (-want +got):\n%s", diff)
	}
}
