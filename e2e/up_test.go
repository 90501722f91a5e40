package e2e

import (
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUpServesTheAPI starts the control plane binary, creates the first
// admin key locally, and checks the API refuses anonymous calls and
// accepts the key; SIGTERM stops it cleanly.
func TestUpServesTheAPI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", "version: 1\njobs:\n  a: { steps: [{ run: \"true\" }] }\n")
	r := sluice(t, dir, "keys", "create", "--grant", "admin", "--name", "first")
	expectCode(t, r, 0)
	key := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(key, "slk_") {
		t.Fatalf("keys create printed %q", r.stdout)
	}
	addr := freeAddr(t)
	bg := startSluice(t, dir, nil, "up", "--addr", addr)
	get := func(path, key string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitFor(t, 30*time.Second, "the API to answer", func() bool { return get("/healthz", "") == 200 }, bg.output)
	for path, want := range map[string]int{"/api/v1/runs": 401, "/api/openapi.json": 401, "/api/v1/keys": 401} {
		if got := get(path, ""); got != want {
			t.Errorf("GET %s without a key: %d, want %d", path, got, want)
		}
		if got := get(path, key); got != 200 {
			t.Errorf("GET %s with the admin key: %d", path, got)
		}
	}
	r = sluice(t, dir, "keys", "list")
	expectContains(t, r, "stdout", r.stdout, "first")

	// sluice login keeps the address and key; sluice api uses them, also
	// signing instead of sending the key.
	home := []string{"XDG_CONFIG_HOME=" + t.TempDir()}
	login := exec.Command(sluiceBin, "login", "http://"+addr)
	login.Dir, login.Env, login.Stdin = dir, sluiceEnv(home...), strings.NewReader(key+"\n")
	if out, err := login.CombinedOutput(); err != nil || !strings.Contains(string(out), "logged in") {
		t.Fatalf("login: %v\n%s", err, out)
	}
	r = sluiceWith(t, dir, home, nil, "api", "/api/v1/audit/verify", "--sign")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, `"verified": true`)
	r = sluiceWith(t, dir, home, nil, "api", "DELETE", "/api/v1/keys/nope")
	expectCode(t, r, 1)
	_ = bg.cmd.Process.Signal(syscall.SIGTERM)
	if code, ok := bg.wait(30 * time.Second); !ok || code != 0 {
		t.Fatalf("sluice up after SIGTERM: code %d, ended %v\n%s", code, ok, bg.output())
	}
	if !strings.Contains(bg.output(), "control plane stopped") {
		t.Errorf("output:\n%s", bg.output())
	}
	sluice(t, dir, "down")
}
