package expr

import (
	"strings"
	"sync"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		src     string
		wantErr string // substring; "" means valid
	}{
		{"", ""},
		{"branch == 'main'", ""},
		{"${{ branch == 'main' }}", ""},
		{"event == 'push' && environment != 'production'", ""},
		{"needs.build.result == 'success'", ""},
		{"needs.build.outputs.version != ''", ""},
		{`needs["my-job"].result == "failure"`, ""},
		{"vars.REGION == 'eu' || env.CI == 'true' || matrix.os == 'linux'", ""},
		{"success() || failure() || always() || cancelled()", ""},
		{"startsWith(branch, 'release/')", ""},
		{"endsWith(branch, '-rc') and contains(commit, 'abc')", ""},
		{"branch startsWith 'release/'", ""},
		{"!contains(branch, 'wip')", ""},
		{"branch contains ('x')", ""},
		{"commit matches '^[0-9a-f]+$'", ""},
		{"foo == 1", "unknown name foo"},
		{"github.ref == 'main'", "unknown name github"},
		{"branch", "expected bool"},
		{"branch ==", "unexpected token EOF (at column 9)"},
		{"success(1)", "too many arguments"},
		{"startsWith(branch)", "not enough arguments to call startsWith"},
		{"needs.build.Result == 'x'", "has no field Result"},
	}
	for _, tt := range tests {
		err := Check(tt.src)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tt.src, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Check(%q) = %v, want error containing %q", tt.src, err, tt.wantErr)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("Check(%q) error spans lines: %q", tt.src, err)
		}
	}
}

func TestEval(t *testing.T) {
	ok := map[string]Need{"build": {Result: "success", Outputs: map[string]string{"version": "1.2.3"}}}
	failed := map[string]Need{"build": {Result: "failure"}, "lint": {Result: "success"}}
	skipped := map[string]Need{"build": {Result: "skipped"}}
	tests := []struct {
		name string
		src  string
		c    Context
		want bool
	}{
		{"empty means success", "", Context{Needs: ok}, true},
		{"empty after failure", "", Context{Needs: failed}, false},
		{"skipped need is not success", "success()", Context{Needs: skipped}, false},
		{"skipped need is not failure", "failure()", Context{Needs: skipped}, false},
		{"failure", "failure()", Context{Needs: failed}, true},
		{"always after failure", "always()", Context{Needs: failed}, true},
		{"cancelled", "cancelled()", Context{Cancelled: true}, true},
		{"success when cancelled", "success()", Context{Needs: ok, Cancelled: true}, false},
		{"no needs is success", "success()", Context{}, true},
		{"branch", "branch == 'main'", Context{Branch: "main"}, true},
		{"implicit success", "branch == 'main'", Context{Branch: "main", Needs: failed}, false},
		{"explicit status wins", "failure() && branch == 'main'", Context{Branch: "main", Needs: failed}, true},
		{"wrapped", "${{ event == 'push' }}", Context{Event: "push"}, true},
		{"output", "needs.build.outputs.version == '1.2.3'", Context{Needs: ok}, true},
		{"missing output is empty", "needs.build.outputs.nope == ''", Context{Needs: ok}, true},
		{"missing need is empty", "needs.other.result == ''", Context{Needs: ok}, true},
		{"vars", "vars.REGION == 'eu'", Context{Vars: map[string]string{"REGION": "eu"}}, true},
		{"missing var", "vars.REGION == ''", Context{}, true},
		{"matrix", "matrix.os == 'linux'", Context{Matrix: map[string]string{"os": "linux"}}, true},
		{"startsWith call", "startsWith(branch, 'release/')", Context{Branch: "release/1.0"}, true},
		{"endsWith call", "endsWith(branch, '.0')", Context{Branch: "release/1.0"}, true},
		{"contains call", "contains(branch, 'ease')", Context{Branch: "release/1.0"}, true},
		{"contains operator", "branch contains 'xyz'", Context{Branch: "release/1.0"}, false},
		{"call name inside string", "branch == 'contains(x)'", Context{Branch: "contains(x)"}, true},
		{"step success", "success()", Context{Step: true}, true},
		{"step after failed step", "success()", Context{Step: true, JobFailed: true}, false},
		{"step failure", "failure()", Context{Step: true, JobFailed: true}, true},
		{"step ignores needs", "success()", Context{Step: true, Needs: failed}, true},
		{"step implicit success", "env.X == '1'", Context{Step: true, JobFailed: true, Env: map[string]string{"X": "1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Eval(tt.src, tt.c)
			if err != nil {
				t.Fatalf("Eval(%q): %v", tt.src, err)
			}
			if got != tt.want {
				t.Errorf("Eval(%q) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	for _, src := range []string{"nope()", "branch", "1 +"} {
		if _, err := Eval(src, Context{}); err == nil {
			t.Errorf("Eval(%q) succeeded, want error", src)
		}
	}
}

func TestInterpolate(t *testing.T) {
	c := Context{
		Branch: "main", Commit: "abc123",
		Needs: map[string]Need{"build": {Result: "success", Outputs: map[string]string{"version": "1.2.3"}}},
		Vars:  map[string]string{"HOST": "example.test"},
	}
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", ""},
		{"v${{ needs.build.outputs.version }}", "v1.2.3"},
		{"${{ branch }}-${{ commit }}", "main-abc123"},
		{"https://${{vars.HOST}}/x", "https://example.test/x"},
		{"${{ 1 + 2 }}", "3"},
		{"${{ branch == 'main' }}", "true"},
		{"${{ vars.MISSING }}", ""},
		{`${{ "}}" }}`, "}}"},
		{"${{ [1, 2] }}", "[1,2]"},
		{"a $ { b } $", "a $ { b } $"},
	}
	for _, tt := range tests {
		got, err := Interpolate(tt.in, c)
		if err != nil {
			t.Errorf("Interpolate(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Interpolate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"no expressions", ""},
		{"${{ needs.build.outputs.version }}", ""},
		{"${{ branch }} and ${{ commit }}", ""},
		{"${{ nope }}", "unknown name nope"},
		{"${{ branch", "unterminated ${{"},
		{"x ${{ }}", "empty ${{ }}"},
		{"${{ branch == }}", "unexpected token"},
	}
	for _, tt := range tests {
		err := CheckTemplate(tt.in)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckTemplate(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
	if _, err := Interpolate("${{ nope }}", Context{}); err == nil {
		t.Error("Interpolate with an unknown name succeeded")
	}
}

func TestRefs(t *testing.T) {
	got, err := Refs("needs.build.outputs.version != '' && needs['my-job'].result == 'success' && matrix.go == '1' && success() && startsWith(branch, 'x')")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"needs.build.outputs.version", "needs.my-job.result", "matrix.go", "branch"}
	var paths []string
	for _, r := range got {
		paths = append(paths, strings.Join(r, "."))
	}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("Refs = %v, want %v", paths, want)
	}
	if _, err := Refs("a =="); err == nil {
		t.Error("Refs of a broken expression succeeded")
	}
}

func TestExpressions(t *testing.T) {
	got, err := Expressions("a ${{ x }} b ${{ y.z }}")
	if err != nil || strings.Join(got, ",") != "x,y.z" {
		t.Errorf("Expressions = %v, %v", got, err)
	}
}

func TestRewriteKeepsLength(t *testing.T) {
	for _, src := range []string{
		"startsWith(a, 'b')",
		"x and contains(a, 'contains(')",
		"a contains (b)",
		"foo.contains(b)",
		`"startsWith(" + endsWith (a, b)`,
	} {
		if got := rewriteCalls(src); len(got) != len(src) {
			t.Errorf("rewriteCalls(%q) = %q changes the length", src, got)
		}
	}
	if got := rewriteCalls("a contains (b)"); got != "a contains (b)" {
		t.Errorf("operator form rewritten: %q", got)
	}
	if got := rewriteCalls("x and contains(a, 'contains(')"); got != "x and Contains(a, 'contains(')" {
		t.Errorf("call form not rewritten: %q", got)
	}
}

func TestConcurrentEval(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				got, err := Eval("branch == 'b'", Context{Branch: "b"})
				if err != nil || !got {
					t.Errorf("goroutine %d: %v %v", i, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
