package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus and testdata/clean from corpus_test.go")

// planted is a secret put into the corpus, where the scanner must find it.
type planted struct {
	Rule                                 string
	Path                                 string
	StartLine, StartCol, EndLine, EndCol int
	secret                               string
}

var marker = regexp.MustCompile(`@@([a-z0-9-]+)(?::([^@]+))?@@`)

// render replaces the markers of a planted file with fake secrets and
// returns the content and where each secret is.
func render(cf corpusFile) (string, []planted) {
	fk := newFaker(cf.name)
	var b strings.Builder
	var want []planted
	last := 0
	for _, m := range marker.FindAllStringSubmatchIndex(cf.planted, -1) {
		b.WriteString(cf.planted[last:m[0]])
		last = m[1]
		kind := cf.planted[m[2]:m[3]]
		arg := ""
		if m[4] >= 0 {
			arg = cf.planted[m[4]:m[5]]
		}
		value := fk.value(kind, arg)
		// Indent a multi-line value like the line it starts on.
		lineStart := strings.LastIndexByte(cf.planted[:m[0]], '\n') + 1
		if indent := cf.planted[lineStart:m[0]]; strings.TrimSpace(indent) == "" {
			value = strings.ReplaceAll(value, "\n", "\n"+indent)
		}
		start := b.Len()
		b.WriteString(value)
		want = append(want, planted{Rule: kind, Path: cf.name, secret: value})
		p := &want[len(want)-1]
		p.StartLine, p.StartCol = lineCol(b.String(), start)
		p.EndLine, p.EndCol = lineCol(b.String(), b.Len())
	}
	b.WriteString(cf.planted[last:])
	return b.String(), want
}

// lineCol is the 1-based line and character column of offset i in s.
func lineCol(s string, i int) (int, int) {
	before := s[:i]
	line := strings.Count(before, "\n") + 1
	return line, utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
}

// TestCorpusFiles keeps testdata in step with corpus_test.go; run with
// -update to rewrite it.
func TestCorpusFiles(t *testing.T) {
	for _, cf := range corpus {
		content, _ := render(cf)
		for dir, want := range map[string]string{"corpus": content, "clean": cf.clean} {
			p := filepath.Join("testdata", dir, cf.name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCorpusFiles -update)", err)
			}
			if string(got) != want {
				t.Errorf("%s is out of date: run go test -run TestCorpusFiles -update", p)
			}
		}
	}
}

// scanDir walks dir and runs the scanner over it.
func scanDir(t *testing.T, dir string, opts Options) ([]findings.Finding, scan.Health) {
	t.Helper()
	root, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, errs, err := scan.Walk(context.Background(), root, scan.WalkOptions{NoIgnoreFile: true})
	if err != nil || len(errs) > 0 {
		t.Fatalf("walk %s: %v %v", dir, err, errs)
	}
	var mu sync.Mutex
	var got []findings.Finding
	s := New(opts)
	h, err := s.Scan(context.Background(), &scan.Target{Root: root, Files: files}, func(f findings.Finding) {
		mu.Lock()
		got = append(got, f)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool {
		a, b := got[i].Location, got[j].Location
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.StartLine < b.StartLine || a.StartLine == b.StartLine && a.StartCol < b.StartCol
	})
	return got, h
}

func TestCorpus(t *testing.T) {
	var want []planted
	secrets := map[string]string{} // path:line:col -> secret
	for _, cf := range corpus {
		_, w := render(cf)
		for _, p := range w {
			secrets[fmt.Sprintf("%s:%d:%d", p.Path, p.StartLine, p.StartCol)] = p.secret
		}
		want = append(want, w...)
	}
	sort.Slice(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.StartLine < b.StartLine || a.StartLine == b.StartLine && a.StartCol < b.StartCol
	})
	found, h := scanDir(t, "testdata/corpus", Options{})
	var got []planted
	for _, f := range found {
		l := f.Location
		got = append(got, planted{Rule: f.RuleID, Path: l.Path, StartLine: l.StartLine, StartCol: l.StartCol, EndLine: l.EndLine, EndCol: l.EndCol})
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(planted{}), cmp.Comparer(func(a, b planted) bool {
		a.secret, b.secret = "", ""
		return a == b
	})); diff != "" {
		t.Errorf("findings (-planted +found):\n%s", diff)
	}
	if h.Status != scan.Ran || h.Files != len(corpus) || h.Findings != len(found) || len(h.Errors) != 0 {
		t.Errorf("health = %+v", h)
	}
	ruleSeen := map[string]bool{}
	for _, f := range found {
		ruleSeen[f.RuleID] = true
		l := f.Location
		secret := secrets[fmt.Sprintf("%s:%d:%d", l.Path, l.StartLine, l.StartCol)]
		if secret == "" {
			continue
		}
		sum := sha256.Sum256([]byte(secret))
		if got := f.Properties["secret_sha256"]; got != hex.EncodeToString(sum[:]) {
			t.Errorf("%s %s: secret_sha256 = %s, not the hash of the secret", l.Path, f.RuleID, got)
		}
		for _, field := range []string{f.Snippet, f.Message, f.Title, f.Fix} {
			if strings.Contains(field, secret) {
				t.Errorf("%s %s: the secret appears in clear in %q", l.Path, f.RuleID, field)
			}
		}
		if f.Snippet == "" || !strings.Contains(f.Snippet, f.Properties["secret_redacted"]) {
			t.Errorf("%s %s: snippet %q lacks the redacted secret %q", l.Path, f.RuleID, f.Snippet, f.Properties["secret_redacted"])
		}
		if f.Scanner != "secrets" || f.Category != findings.Secrets || len(f.CWE) == 0 || f.CWE[0] != 798 ||
			len(f.Sources) != 1 || f.Fix == "" || f.Title == "" {
			t.Errorf("%s %s: incomplete finding %+v", l.Path, f.RuleID, f)
		}
	}
	// Every rule the corpus plants is found (the diff above says where).
	for _, p := range want {
		if !ruleSeen[p.Rule] {
			t.Errorf("rule %s found nothing", p.Rule)
		}
	}
}

func TestClean(t *testing.T) {
	found, h := scanDir(t, "testdata/clean", Options{})
	for _, f := range found {
		t.Errorf("clean file: %s:%d:%d %s %q", f.Location.Path, f.Location.StartLine, f.Location.StartCol, f.RuleID, f.Snippet)
	}
	if h.Status != scan.Ran || h.Files != len(corpus) {
		t.Errorf("health = %+v", h)
	}
}
