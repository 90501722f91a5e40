package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoredSecrets keeps a secret in the store for production: only the
// job bound to production gets it, every log shows it masked, the database
// file never holds it in clear, and each read is audited.
func TestStoredSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  build: { steps: [{ run: 'echo "build sees [${DEPLOY_TOKEN:-nothing}]"' }] }
  ship:
    needs: [build]
    environment: production
    steps: [{ run: 'echo "ship sees [$DEPLOY_TOKEN]"; test -n "$DEPLOY_TOKEN"' }]
environments:
  production: { secrets: [DEPLOY_TOKEN] }
`)
	const value = "tok-9f8e7d6c5b4a39281706"
	cmd := exec.Command(sluiceBin, "secrets", "set", "DEPLOY_TOKEN", "--env", "production")
	cmd.Dir = dir
	cmd.Env = sluiceEnv()
	cmd.Stdin = strings.NewReader(value + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secrets set: %v\n%s", err, out)
	}
	r := sluice(t, dir, "secrets", "list")
	expectContains(t, r, "stdout", r.stdout, "DEPLOY_TOKEN")
	if strings.Contains(r.stdout, value) {
		t.Fatal("secrets list shows the value")
	}

	r = sluice(t, dir, "run", "--plain")
	expectCode(t, r, 0)
	if strings.Contains(r.stdout, value) {
		t.Fatalf("the value leaked into the output:\n%s", r.stdout)
	}
	r = sluice(t, dir, "logs", "1", "ship")
	expectContains(t, r, "stdout", r.stdout, "ship sees [***]")
	r = sluice(t, dir, "logs", "1", "build")
	expectContains(t, r, "stdout", r.stdout, "build sees [nothing]")

	for _, f := range []string{"sluice.db", "sluice.db-wal"} {
		data, err := os.ReadFile(filepath.Join(dir, ".sluice", f))
		if err == nil && bytes.Contains(data, []byte(value)) {
			t.Errorf("%s holds the secret in clear", f)
		}
	}
	r = sluice(t, dir, "audit", "export")
	expectContains(t, r, "stdout", r.stdout, `"action":"secret.put"`)
	expectContains(t, r, "stdout", r.stdout, `"action":"secret.read"`)

	// Another server key cannot open it: a clear error, not a silent empty value.
	r = sluiceWith(t, dir, []string{"SLUICE_SECRET_KEY=" + strings.Repeat("ab", 32)}, nil, "run", "--plain")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr", r.stderr, "cannot be decrypted")
}

// TestRotateServerKey re-seals stored secrets with a new server key: they
// still reach their jobs, and the old key no longer opens them.
func TestRotateServerKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  ship:
    environment: production
    steps: [{ run: 'test "$DEPLOY_TOKEN" = "tok-rotate-123456"' }] # sluice:ignore secrets test fixture
environments:
  production: { secrets: [DEPLOY_TOKEN] }
`)
	cmd := exec.Command(sluiceBin, "secrets", "set", "DEPLOY_TOKEN", "--env", "production")
	cmd.Dir, cmd.Env, cmd.Stdin = dir, sluiceEnv(), strings.NewReader("tok-rotate-123456")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secrets set: %v\n%s", err, out)
	}
	expectCode(t, sluice(t, dir, "keys", "create", "--grant", "admin"), 0)
	oldKey, err := os.ReadFile(filepath.Join(dir, ".sluice", "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	r := sluice(t, dir, "secrets", "rotate-key")
	expectCode(t, r, 0)
	expectContains(t, r, "stdout", r.stdout, "re-sealed 1 secrets")
	expectCode(t, sluice(t, dir, "run", "--plain"), 0)
	r = sluiceWith(t, dir, []string{"SLUICE_SECRET_KEY=" + strings.TrimSpace(string(oldKey))}, nil, "run", "--plain")
	expectCode(t, r, 1)
	expectContains(t, r, "stderr", r.stderr, "cannot be decrypted")
	r = sluice(t, dir, "audit", "export")
	expectContains(t, r, "stdout", r.stdout, `"action":"secret.key_rotated"`)
}

// TestDeploySecrets: a release's app gets its environment's stored
// secrets; without them it refuses to start and the deploy fails.
func TestDeploySecrets(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	writeFile(t, dir, "sluice.yaml", `version: 1
jobs:
  noop: { steps: [{ run: "true" }] }
deploy:
  run: ["${ARTIFACT}"]
  health: { path: /, interval: 100ms, startup_timeout: 20s }
environments:
  staging: { secrets: [APP_TOKEN], strategy: blue-green }
`)
	writeFile(t, dir, "app.sh", "#!/bin/sh\n[ \"$APP_TOKEN\" = \"app-secret-value\" ] || { echo 'APP_TOKEN missing' >&2; exit 3; }\nexec python3 -m http.server \"$PORT\" --bind 127.0.0.1\n") // sluice:ignore secrets test fixture
	if err := os.Chmod(filepath.Join(dir, "app.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sluice(t, dir, "down") })
	r := sluice(t, dir, "deploy", "--env", "staging", "--artifact", "app.sh", "--version", "no-secret")
	expectCode(t, r, 1)
	cmd := exec.Command(sluiceBin, "secrets", "set", "APP_TOKEN", "--env", "staging")
	cmd.Dir, cmd.Env, cmd.Stdin = dir, sluiceEnv(), strings.NewReader("app-secret-value")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secrets set: %v\n%s", err, out)
	}
	// The same artifact failed before it took traffic: not quarantined.
	r = sluice(t, dir, "deploy", "--env", "staging", "--artifact", "app.sh", "--version", "with-secret")
	expectCode(t, r, 0)
	r = sluice(t, dir, "audit", "export")
	expectContains(t, r, "stdout", r.stdout, `"action":"secret.read"`)
}
