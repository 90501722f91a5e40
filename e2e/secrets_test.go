package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newToken returns a fresh secret with characters that every encoding
// treats differently (/ + = : &), so each form is distinct.
func newToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b)
	return "Tk" + h[:16] + "/+=:&" + h[16:]
}

// secretForm is one way a step can print the secret.
type secretForm struct {
	name  string
	value string
	// from is where the secret's own characters start: before it, the form
	// encodes something public ("user:" in a Basic credential).
	from int
}

func secretForms(token string) []secretForm {
	return []secretForm{
		{"raw", token, 0},
		{"base64", base64.StdEncoding.EncodeToString([]byte(token)), 0},
		// base64("user:") is 6 whole characters; the 7th mixes in the token.
		{"basic", base64.StdEncoding.EncodeToString([]byte("user:" + token)), 7},
		{"url", url.QueryEscape(token), 0},
		{"hex", hex.EncodeToString([]byte(token)), 0},
	}
}

// leakWindow is how many consecutive characters of a secret's form count as
// a leak: enough that a chance match is impossible, few enough that a mask
// which only hides part of the value still fails.
const leakWindow = 12

// needles are the strings that must appear nowhere: every form, as is and
// JSON-escaped, and every leakWindow-long piece of it.
func needles(forms []secretForm) map[string]string {
	out := map[string]string{}
	for _, f := range forms {
		out[f.value] = f.name
		j, _ := json.Marshal(f.value)
		out[strings.Trim(string(j), `"`)] = f.name + " (JSON-escaped)"
		for i := f.from; i+leakWindow <= len(f.value); i++ {
			out[f.value[i:i+leakWindow]] = f.name + " (part)"
		}
	}
	return out
}

// leaks returns a description of every needle found in text.
func leaks(ns map[string]string, where, text string) []string {
	var out []string
	seen := map[string]bool{}
	for n, form := range ns {
		if i := strings.Index(text, n); i >= 0 && !seen[form] {
			seen[form] = true
			out = append(out, where+": "+form+" form of the secret: …"+text[max(0, i-40):min(len(text), i+len(n)+40)]+"…")
		}
	}
	return out
}

// TestSecretsNeverLeak runs a pipeline that prints a --secret in raw,
// base64, Basic-credential, URL-encoded and hex forms on stdout and stderr
// and writes it as an output; then looks for it everywhere sluice writes.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "secrets")
	token := newToken(t)
	forms := secretForms(token)
	ns := needles(forms)
	env := []string{"TOKEN=" + token}

	var found []string
	look := func(where, text string) { found = append(found, leaks(ns, where, text)...) }

	plain := sluiceWith(t, dir, env, nil, "run", "--plain", "--secret", "TOKEN", "--junit", "report.xml")
	expectCode(t, plain, 0)
	look("run --plain stdout", plain.stdout)
	look("run --plain stderr", plain.stderr)

	jsonRun := sluiceWith(t, dir, env, nil, "run", "--json", "--secret", "TOKEN")
	expectCode(t, jsonRun, 0)
	look("run --json stdout", jsonRun.stdout)
	look("run --json stderr", jsonRun.stderr)

	// The step really printed each form: the copies it kept match what the
	// test computed.
	for _, f := range forms {
		data, err := os.ReadFile(filepath.Join(dir, "forms", f.name))
		if err != nil {
			t.Fatalf("the step did not write forms/%s: %v\n%s", f.name, err, plain)
		}
		if got := strings.TrimRight(string(data), "\n"); got != f.value {
			t.Fatalf("the step's %s form is %q, the test expected %q", f.name, got, f.value)
		}
	}

	for _, args := range [][]string{
		{"logs", "1"}, {"logs", "2"}, {"logs", "1", "leak", "--timestamps"},
		{"show", "1"}, {"show", "1", "--json"}, {"show", "2", "--json"},
		{"runs"}, {"runs", "--json"},
	} {
		r := sluice(t, dir, args...)
		expectCode(t, r, 0)
		look("sluice "+strings.Join(args, " ")+" stdout", r.stdout)
		look("sluice "+strings.Join(args, " ")+" stderr", r.stderr)
	}

	// Every file sluice keeps, after the runs, and the copies of the store
	// (database and write-ahead log) the second step took mid-run.
	var files []string
	for _, root := range []string{".sluice", "snapshot"} {
		err := filepath.WalkDir(filepath.Join(dir, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	files = append(files, filepath.Join(dir, "report.xml"))
	sawWAL := false
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		sawWAL = sawWAL || strings.HasSuffix(p, "-wal") && len(data) > 0
		look(rel, string(data))
	}
	if !sawWAL {
		t.Logf("no non-empty write-ahead log was captured (files: %v); only database files were searched", files)
	}

	for _, l := range found {
		t.Errorf("secret leaked: %s", l)
	}

	// The secret was really there and really masked, not silently dropped.
	logs := sluice(t, dir, "logs", "1", "leak")
	for _, want := range []string{"raw: ***", "base64: ***", "hex: ***", "url: ***", "raw on stderr: ***"} {
		expectContains(t, logs, "sluice logs 1 leak", logs.stdout, want)
	}
	run := show(t, dir, "1")
	if got := run.job(t, "leak").Outputs["token"]; got != "***" {
		t.Errorf("output token: want the masked ***, got %q", got)
	}
	if len(run.Secrets) != 1 || run.Secrets[0] != "TOKEN" {
		t.Errorf("run secrets: want only the name [TOKEN], got %v", run.Secrets)
	}
}

// TestSecretMissing: a --secret whose variable is not set is a usage error,
// and no run is recorded.
func TestSecretMissing(t *testing.T) {
	t.Parallel()
	dir := fixture(t, "secrets")
	r := sluice(t, dir, "run", "--plain", "--secret", "E2E_NOT_SET")
	expectCode(t, r, 2)
	expectContains(t, r, "stderr", r.stderr, "E2E_NOT_SET is not set")
	if _, err := os.Stat(filepath.Join(dir, ".sluice", "sluice.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run that could not start left a store behind (stat: %v)", err)
	}
}
