package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/notify"

	_ "modernc.org/sqlite"
)

// TestAuditVerifyCatchesEdits edits the store's database directly, the way
// someone with the file could, and checks `sluice audit verify` names the
// record.
func TestAuditVerifyCatchesEdits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  a: { steps: [{ run: echo a }] }
  b: { needs: [a], steps: [{ run: echo b }] }
`)
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	r := sluice(t, dir, "audit", "verify")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "audit trail verified: 4 records")

	r = sluice(t, dir, "audit", "export")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, `"action":"run.start"`)

	db, err := sql.Open("sqlite", filepath.Join(dir, ".sluice", "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	r = sluice(t, dir, "audit", "verify")
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "record 2")
	expectContains(t, r, "stdout", r.stdout, "edited")

	// The compliance report says so too, and exits 1.
	r = sluice(t, dir, "report", "2", "--format", "json")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr", r.stderr, "does not verify")

	// Put it back, then delete a record: the gap is named.
	if _, err := db.Exec(`UPDATE audit SET actor = (SELECT actor FROM audit WHERE seq = 1) WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	expectCode(t, sluice(t, dir, "audit", "verify"), 0)
	if _, err := db.Exec(`DELETE FROM audit WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	r = sluice(t, dir, "audit", "verify")
	expectCode(t, r, 1)
	expectContains(t, r, "stdout", r.stdout, "record 3")
}

// TestAuditForward sends the audit trail to a sink in signed batches and,
// run again, sends only what is new.
func TestAuditForward(t *testing.T) {
	t.Parallel()
	const secret = "sink-secret-0123456789"
	var (
		mu   sync.Mutex
		seqs []int
		bad  int
	)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if notify.Verify(secret, r.Header.Get("X-Sluice-Timestamp"), string(body), r.Header.Get("X-Sluice-Signature"), time.Now(), time.Minute) != nil {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			var rec struct{ Seq int }
			_ = json.Unmarshal([]byte(line), &rec)
			seqs = append(seqs, rec.Seq)
		}
	}))
	defer sink.Close()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", "version: 1\njobs:\n  a: { steps: [{ run: \"true\" }] }\n")
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	env := []string{"SINK_SECRET=" + secret}
	r := sluiceWith(t, dir, env, nil, "audit", "forward", sink.URL, "--secret-env", "SINK_SECRET", "--batch", "1")
	expectCode(t, r, 0)
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	r = sluiceWith(t, dir, env, nil, "audit", "forward", sink.URL, "--secret-env", "SINK_SECRET")
	expectCode(t, r, 0)
	mu.Lock()
	defer mu.Unlock()
	if bad > 0 || fmt.Sprint(seqs) != "[1 2 3 4]" {
		t.Errorf("sink received %v (%d badly signed)", seqs, bad)
	}
}
