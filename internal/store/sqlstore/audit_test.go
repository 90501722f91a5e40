package sqlstore

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

// TestAuditTamperShows edits a stored record behind the store's back, the
// way someone with the database file could, and checks the chain says so.
func TestAuditTamperShows(t *testing.T) {
	s := openTemp(t)
	for i := range 3 {
		if err := s.Audit().AppendAudit(t.Context(), &store.AuditRecord{Actor: "ana", Action: "gate.decide",
			Subject: "run/x", Data: map[string]string{"outcome": "block", "i": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(t.Context(), `UPDATE audit SET data = '{"i":"1","outcome":"pass"}' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Audit().ListAudit(t.Context(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	err = store.VerifyAudit("", recs)
	if err == nil {
		t.Fatal("an edited record verified")
	}
	if ce, ok := err.(*store.AuditChainError); !ok || ce.Seq != 2 {
		t.Errorf("error %v does not name record 2", err)
	}
	if _, err := s.w.ExecContext(t.Context(), `DELETE FROM audit WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	recs, _ = s.Audit().ListAudit(t.Context(), store.AuditQuery{})
	if err := store.VerifyAudit("", recs); err == nil {
		t.Error("a chain with a deleted record verified")
	}
}

// auditDirEnv tells the test binary, run again as a child, to append audit
// records to the store in the named folder.
const auditDirEnv = "SLUICE_STORE_AUDIT_DIR"

// TestAuditAppendsFromProcesses appends from several processes at once:
// SQLite's write lock must serialise them into one unbroken chain.
func TestAuditAppendsFromProcesses(t *testing.T) {
	if dir := os.Getenv(auditDirEnv); dir != "" {
		s, err := Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := range 25 {
			if err := s.Audit().AppendAudit(t.Context(), &store.AuditRecord{Action: "test", Subject: fmt.Sprintf("p%d/%d", os.Getpid(), i)}); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestAuditAppendsFromProcesses$")
			cmd.Env = append(os.Environ(), auditDirEnv+"="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child: %v\n%s", err, out)
			}
		})
	}
	wg.Wait()
	recs, err := s.Audit().ListAudit(t.Context(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 100 {
		t.Fatalf("%d records, want 100", len(recs))
	}
	if err := store.VerifyAudit("", recs); err != nil {
		t.Fatal(err)
	}
}
