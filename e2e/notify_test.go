package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/notify"
)

// TestNotificationsSigned: a failing run and a blocked gate reach a local
// webhook receiver, each with a signature the receiver verifies with the
// shared secret; the deliveries are in the audit trail.
func TestNotificationsSigned(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-shared-with-the-receiver"
	var (
		mu    sync.Mutex
		kinds []string
		bad   []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := notify.Verify(secret, r.Header.Get("X-Sluice-Timestamp"), string(body), r.Header.Get("X-Sluice-Signature"), time.Now(), time.Minute)
		var p struct {
			Kind string `json:"kind"`
			ID   string `json:"id"`
		}
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || p.ID != r.Header.Get("X-Sluice-Delivery") {
			bad = append(bad, p.Kind+": "+errString(err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		kinds = append(kinds, p.Kind)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  broken: { steps: [{ run: "exit 3" }] }
  ok: { steps: [{ run: "true" }] }
  ship: { needs: [ok], environment: production, steps: [{ run: "true" }] }
environments:
  production: { gates: { mode: block, require: [secrets] } }
`)
	writeFile(t, dir, filepath.Join(".sluice", "notify.yaml"), `notifications:
  senders:
    hook: { type: webhook, url: `+recv.URL+`, secret_env: HOOK_SECRET }
  rules:
    - sender: hook
`)
	r := sluiceWith(t, dir, []string{"HOOK_SECRET=" + secret}, nil, "run", "--plain")
	expectCode(t, r, 1)
	mu.Lock()
	got := strings.Join(kinds, ",")
	mu.Unlock()
	if !strings.Contains(got, "run.failed") || !strings.Contains(got, "gate.blocked") {
		t.Errorf("delivered: %q; refused: %v", got, bad)
	}
	if len(bad) > 0 {
		t.Errorf("deliveries with a bad signature: %v", bad)
	}
	r = sluice(t, dir, "audit", "export")
	expectContains(t, r, "stdout", r.stdout, `"action":"notify.delivered"`)
	// A configuration naming a missing secret is refused before anything runs.
	r = sluice(t, dir, "run", "--plain")
	expectCode(t, r, 2)
	expectContains(t, r, "stderr", r.stderr, "HOOK_SECRET")
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
