package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const docsPath = "../../docs/auth.md"

// TestDocsSigningExample recomputes the worked values in docs/auth.md.
func TestDocsSigningExample(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("read the user docs: %v", err)
	}
	doc := string(b)
	const key = "slk_k3vq7m2xw5ab_4Fh0Qe8ZtR1yLwC6nV3sJ9pX2kM7bG5dA0uH8iT1oY4" // sluice:ignore secrets: the docs' example key, not a real one
	id, secret, err := ParseKey(key)
	if err != nil {
		t.Fatalf("the docs' example key is malformed: %v", err)
	}
	sum := sha256.Sum256([]byte(`{"ref":"main"}`))
	bodySHA := hex.EncodeToString(sum[:])
	u, _ := url.Parse("/api/v1/projects/web/runs?ref=main")
	canonical := CanonicalString("POST", u, "1750000000", "9f2c4e1a7b3d5f60a8c2e4b6d8f0a1c3", bodySHA)
	sigKey := DeriveSigningKey(secret)
	for _, want := range []string{
		key,
		"Authorization: Sluice-HMAC " + id,
		"X-Sluice-Content-SHA256: " + bodySHA,
		"`" + hex.EncodeToString(sigKey) + "`",
		"```\n" + canonical + "\n```",
		"X-Sluice-Signature: " + hex.EncodeToString(mac(sigKey, canonical)),
		"`" + SigningInfo + "`",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/auth.md lacks %q", want)
		}
	}
}

// TestDocsSignScript runs the shell script from docs/auth.md with the real
// openssl and curl against a real server that verifies with
// VerifySignature, so the recipe users copy keeps working.
func TestDocsSignScript(t *testing.T) {
	for _, tool := range []string{"sh", "openssl", "curl", "cut", "tr", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("read the user docs: %v", err)
	}
	_, rest, ok := strings.Cut(string(b), "```sh\n#!/bin/sh\n# sluice-sign.sh")
	script, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/auth.md has no sluice-sign.sh block")
	}
	dir := t.TempDir()
	scriptPath := filepath.Join(dir, "sluice-sign.sh")
	if err := os.WriteFile(scriptPath, []byte("#!/bin/sh\n#"+script), 0o600); err != nil {
		t.Fatal(err)
	}
	key := newTestKey(t)
	nonces := NewNonceCache(0)
	srv := verifyServer(t, key, time.Now, nonces)

	for _, tc := range []struct{ method, target, body string }{
		{"POST", "/api/v1/projects/web/runs", `{"ref":"main"}`},
		{"GET", "/api/v1/runs?project=web&state=failed", ""},
		{"PUT", "/api/v1/secrets/db%2Fpassword?note=a%20b", "x\ny\n"},
	} {
		bodyFile := filepath.Join(dir, "body")
		if err := os.WriteFile(bodyFile, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", scriptPath, tc.method, tc.target, bodyFile)
		cmd.Env = append(os.Environ(), "SLUICE_KEY="+key)
		headers, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: script: %v", tc.method, tc.target, err)
		}
		headersFile := filepath.Join(dir, "headers.txt")
		if err := os.WriteFile(headersFile, headers, 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", tc.method, "-H", "@" + headersFile}
		if tc.body != "" {
			args = append(args, "--data-binary", "@"+bodyFile)
		}
		curl := func() string {
			out, err := exec.Command("curl", append(args, srv.URL+tc.target)...).CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v: %s", err, out)
			}
			return string(out)
		}
		if code := curl(); code != "204" {
			t.Errorf("%s %s: status %s, want 204\nheaders:\n%s", tc.method, tc.target, code, headers)
		}
		if code := curl(); code != "401" {
			t.Errorf("%s %s replayed: status %s, want 401", tc.method, tc.target, code)
		}
	}
}
