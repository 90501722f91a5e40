package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

type fixture struct {
	t    *testing.T
	st   store.Store
	srv  *httptest.Server
	s    *Server
	key  []byte
	data string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, auth.LimiterConfig{MaxFailures: 10000})
}

func newFixtureWith(t *testing.T, lc auth.LimiterConfig) *fixture {
	t.Helper()
	data := t.TempDir()
	st, err := sqlstore.Open(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := bytes.Repeat([]byte{7}, 32)
	runner := &LocalRunner{Store: st, DataDir: data, BaseEnv: map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME")}}
	s := New(Options{Store: st, DataDir: data, SealKey: key, Runner: runner, Limiter: lc})
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		runner.Shutdown(t.Context())
	})
	return &fixture{t: t, st: st, srv: srv, s: s, key: key, data: data}
}

// mkKey stores a key with grants and returns its plaintext.
func (fx *fixture) mkKey(name string, grants ...string) string {
	fx.t.Helper()
	plain, k, err := NewKey(time.Now(), name, grants, 0, "test", fx.key)
	if err != nil {
		fx.t.Fatal(err)
	}
	if err := fx.st.Control().CreateKey(fx.t.Context(), k, nil); err != nil {
		fx.t.Fatal(err)
	}
	return plain
}

func (fx *fixture) do(method, path, key string, body any, hdr map[string]string) (*http.Response, []byte) {
	fx.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(fx.t.Context(), method, fx.srv.URL+path, rd)
	if err != nil {
		fx.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fx.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return res, buf.Bytes()
}

// TestEveryRouteRefusesAnonymous walks the OpenAPI document the server
// serves and calls every operation without a key, with a bad key, and
// (for key routes) with a key of the wrong role.
func TestEveryRouteRefusesAnonymous(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("admin", "admin")
	res, body := fx.do("GET", "/api/openapi.json", admin, nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("openapi: %d %s", res.StatusCode, body)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `json:"security"`
			Login    bool   `json:"x-sluice-login"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, ops := range doc.Paths {
		concrete := strings.NewReplacer("{ref}", "1", "{env}", "production", "{id}", "abc", "{project}", "goodbooks", "{provider}", "github", "{name}", "ana",
			"{job}", "test", "{path}", "cover.out").Replace(path)
		for method, op := range ops {
			n++
			res, body := fx.do(strings.ToUpper(method), concrete, "", nil, nil)
			public := op.Security != nil && len(*op.Security) == 0 && !strings.HasPrefix(path, "/hooks/")
			if op.Login {
				// Logging in takes a user and password in the body: without
				// them nothing is checked.
				if res.StatusCode != http.StatusBadRequest {
					t.Errorf("%s %s (login) without a body: %d %s, want 400", method, path, res.StatusCode, body)
				}
				continue
			}
			if public {
				if res.StatusCode != 200 {
					t.Errorf("%s %s (public): %d", method, path, res.StatusCode)
				}
				continue
			}
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s without a key: %d %s, want 401", method, path, res.StatusCode, body)
			}
			if res, _ := fx.do(strings.ToUpper(method), concrete, "slk_nothing_here", nil, nil); res.StatusCode != http.StatusUnauthorized && !strings.HasPrefix(path, "/hooks/") {
				t.Errorf("%s %s with a bad key: %d, want 401", method, path, res.StatusCode)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d operations in the OpenAPI document", n)
	}
	// An unknown path tells nothing without a key.
	if res, _ := fx.do("GET", "/api/v1/nothing", "", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown path without a key: %d", res.StatusCode)
	}
	// Failures are audited.
	recs, _ := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "addr/"})
	if len(recs) == 0 || recs[0].Action != "auth.failed" {
		t.Errorf("auth failures not audited: %v", recs)
	}
}

func TestRolesAndKeys(t *testing.T) {
	fx := newFixture(t)
	admin := fx.mkKey("admin", "admin")
	viewer := fx.mkKey("viewer", "viewer")
	if res, _ := fx.do("GET", "/api/v1/runs", viewer, nil, nil); res.StatusCode != 200 {
		t.Errorf("viewer lists runs: %d", res.StatusCode)
	}
	if res, _ := fx.do("POST", "/api/v1/keys", viewer, map[string]any{"grants": []string{"admin"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer creates a key: %d, want 403", res.StatusCode)
	}
	res, body := fx.do("POST", "/api/v1/keys", admin, map[string]any{"name": "ci", "grants": []string{"developer"}, "expires_in": "1h"}, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("admin creates a key: %d %s", res.StatusCode, body)
	}
	var created struct{ ID, Key string }
	_ = json.Unmarshal(body, &created)
	if res, _ := fx.do("GET", "/api/v1/runs", created.Key, nil, nil); res.StatusCode != 200 {
		t.Errorf("the new key: %d", res.StatusCode)
	}
	if res, _ := fx.do("DELETE", "/api/v1/keys/"+created.ID, admin, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/runs", created.Key, nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked key: %d, want 401", res.StatusCode)
	}
	// Bad input: unknown fields, malformed JSON, oversized bodies.
	if res, _ := fx.do("POST", "/api/v1/keys", admin, []byte(`{"grants":["viewer"],"root":true}`), nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d", res.StatusCode)
	}
	if res, _ := fx.do("POST", "/api/v1/keys", admin, []byte(`{"grants":`), nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed JSON: %d", res.StatusCode)
	}
	big := append([]byte(`{"name":"`), append(bytes.Repeat([]byte("a"), maxBody+10), []byte(`"}`)...)...)
	if res, _ := fx.do("POST", "/api/v1/keys", admin, big, nil); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", res.StatusCode)
	}
	// An approver of staging may not approve production.
	stagingApprover := fx.mkKey("stager", "approver@*/staging")
	if res, _ := fx.do("POST", "/api/v1/runs/1/approvals/production", stagingApprover, map[string]string{"verdict": "approve"}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("staging approver on production: %d, want 403", res.StatusCode)
	}
	// A query's ?env= names no resource: it widens no key's scope.
	for _, path := range []string{"/api/v1/runs/1", "/api/v1/runs/1?env=staging", "/api/v1/runs/1/logs?env=staging"} {
		if res, body := fx.do("GET", path, stagingApprover, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s by a key scoped to staging: %d %s, want 403", path, res.StatusCode, body)
		}
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestWebhookStartsRunAtCommit pushes two commits to a local repository
// and delivers a webhook for the first: the run builds exactly that
// commit. A bad signature and a replay are refused and audited.
func TestWebhookStartsRunAtCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	fx := newFixture(t)
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "sluice.yaml"), []byte("version: 1\non: { push: { branches: [main] } }\njobs:\n  show: { steps: [{ run: 'echo built $(git rev-parse HEAD) file=$(cat v.txt)' }] }\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "v.txt"), []byte("one"), 0o644)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "one")
	first := git(t, repo, "rev-parse", "HEAD")
	os.WriteFile(filepath.Join(repo, "v.txt"), []byte("two"), 0o644)
	git(t, repo, "commit", "-q", "-am", "two")

	const secret = "0123456789abcdef-webhook"
	p, err := NewProject("goodbooks", repo, "", secret, fx.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Control().PutProject(t.Context(), p, nil); err != nil {
		t.Fatal(err)
	}
	payload := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"full_name":"acme/goodbooks","clone_url":"https://git.example/acme/goodbooks.git"},"pusher":{"name":"dana"},"sender":{"login":"dana"},"head_commit":{"id":"%s","message":"one"}}`,
		strings.Repeat("0", 40), first, first))
	hdr := map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "Content-Type": "application/json"}

	hdr["X-Hub-Signature-256"] = sign("wrong secret!!!!!", payload)
	if res, body := fx.do("POST", "/hooks/github/goodbooks", "", payload, hdr); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d %s", res.StatusCode, body)
	}
	recs, _ := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "project/goodbooks"})
	if len(recs) != 1 || recs[0].Action != "webhook.refused" {
		t.Fatalf("a refused delivery is not audited: %+v", recs)
	}

	hdr["X-Hub-Signature-256"] = sign(secret, payload)
	res, body := fx.do("POST", "/hooks/github/goodbooks", "", payload, hdr)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("good delivery: %d %s", res.StatusCode, body)
	}
	var started struct{ Run, Commit string }
	_ = json.Unmarshal(body, &started)
	if started.Commit != first {
		t.Errorf("run of %s, want %s", started.Commit, first)
	}
	if res, _ := fx.do("POST", "/hooks/github/goodbooks", "", payload, hdr); res.StatusCode != http.StatusConflict {
		t.Errorf("replayed delivery: %d, want 409", res.StatusCode)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		run, err := fx.st.Runs().GetRun(t.Context(), started.Run)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status.Final() {
			if run.Status != store.StatusSucceeded || run.Commit != first || run.Actor != "dana" || run.Event != "push" {
				t.Fatalf("run: %+v", run)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s", run.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	lines, _ := fx.st.Logs().ReadLogs(t.Context(), store.LogQuery{RunID: started.Run})
	var all []string
	for _, l := range lines {
		all = append(all, l.Text)
	}
	if !strings.Contains(strings.Join(all, "\n"), "built "+first+" file=one") {
		t.Errorf("the run did not build the pushed commit:\n%s", strings.Join(all, "\n"))
	}
}

// TestRepeatedFailuresSlowDown: after a few bad keys from one address the
// server answers 429 with Retry-After, even for a good key, and says so.
func TestRepeatedFailuresSlowDown(t *testing.T) {
	fx := newFixtureWith(t, auth.LimiterConfig{MaxFailures: 3, BaseDelay: time.Minute})
	good := fx.mkKey("ok", "viewer")
	for range 3 {
		if res, _ := fx.do("GET", "/api/v1/runs", "slk_guess_guess", nil, nil); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad key: %d", res.StatusCode)
		}
	}
	res, _ := fx.do("GET", "/api/v1/runs", good, nil, nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// TestSignedRequests: a request signed with the key (HMAC over method,
// path, time, nonce and body digest) is accepted without sending the key;
// a replay and a tampered body are refused.
func TestSignedRequests(t *testing.T) {
	fx := newFixture(t)
	key := fx.mkKey("robot", "admin")
	send := func(body []byte, tamper bool) (*http.Request, int) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", fx.srv.URL+"/api/v1/keys", bytes.NewReader(body))
		if err := auth.Sign(req, body, key, time.Now()); err != nil {
			t.Fatal(err)
		}
		if tamper {
			body = append([]byte(nil), body...)
			body[len(body)-2] = 'x'
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		return req, 0
	}
	do := func(req *http.Request) int {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	body := []byte(`{"name":"made-by-robot","grants":["viewer"]}`)
	req, _ := send(body, false)
	if strings.Contains(req.Header.Get("Authorization"), "slk_") && strings.Contains(req.Header.Get("Authorization"), "_"+strings.SplitN(key, "_", 3)[2]) {
		t.Fatal("a signed request carries the secret")
	}
	replay := req.Clone(t.Context())
	replay.Body = io.NopCloser(bytes.NewReader(body))
	if code := do(req); code != http.StatusCreated {
		t.Fatalf("signed request: %d", code)
	}
	if code := do(replay); code != http.StatusUnauthorized {
		t.Errorf("replayed signed request: %d, want 401", code)
	}
	req, _ = send(body, true)
	if code := do(req); code != http.StatusUnauthorized {
		t.Errorf("tampered body: %d, want 401", code)
	}
}

func TestMetricsAndDORA(t *testing.T) {
	fx := newFixture(t)
	viewer := fx.mkKey("prom", "viewer")
	now := time.Now()
	for _, st := range []store.Status{store.StatusSucceeded, store.StatusFailed, store.StatusRunning} {
		r := &store.Run{Status: st, CreatedAt: now, StartedAt: now.Add(-time.Minute), FinishedAt: now}
		if err := fx.st.Runs().CreateRun(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	rel := &store.Release{ID: "r1", Env: "production", State: store.ReleaseLive}
	if err := fx.st.Releases().CreateRelease(t.Context(), rel, &store.AuditRecord{Action: "release.create", Subject: "release/r1",
		Data: map[string]string{"env": "production"}}); err != nil {
		t.Fatal(err)
	}
	res, body := fx.do("GET", "/metrics", viewer, nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	for _, want := range []string{`sluice_runs{status="failed"} 1`, `sluice_runs_in_progress 1`, `sluice_run_duration_seconds_count 2`,
		`sluice_deployments{env="production"} 1`, `sluice_dora_change_failure_rate{env="production"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	res, body = fx.do("GET", "/api/v1/environments/production/dora?days=7", viewer, nil, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"deployments": 1`) {
		t.Errorf("dora: %d %s", res.StatusCode, body)
	}
}

func TestAlertmanagerRollback(t *testing.T) {
	fx := newFixture(t)
	var got []string
	fx.s.o.Rollback = func(_ context.Context, env, actor, reason string) error {
		got = append(got, env+"|"+actor+"|"+reason)
		return nil
	}
	viewer := fx.mkKey("v", "viewer")
	am := fx.mkKey("alertmanager", "approver@*/production")
	alert := map[string]any{"version": "4", "status": "firing", "receiver": "sluice", "alerts": []map[string]any{
		{"status": "firing", "labels": map[string]string{"alertname": "HighErrorRate", "sluice_action": "rollback", "sluice_env": "production"},
			"annotations": map[string]string{"summary": "5xx above 5%"}},
		{"status": "resolved", "labels": map[string]string{"alertname": "Old", "sluice_action": "rollback", "sluice_env": "staging"}},
		{"status": "firing", "labels": map[string]string{"alertname": "Noise"}},
	}}
	if _, body := fx.do("POST", "/api/v1/alerts/alertmanager", viewer, alert, nil); !strings.Contains(string(body), "refused") {
		t.Errorf("a viewer's alert was not refused: %s", body)
	}
	res, body := fx.do("POST", "/api/v1/alerts/alertmanager", am, alert, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), "rolled back") {
		t.Fatalf("alert: %d %s", res.StatusCode, body)
	}
	if len(got) != 1 || got[0] != "production|alertmanager:alertmanager|HighErrorRate: 5xx above 5%" {
		t.Errorf("rollbacks: %v", got)
	}
}

func TestLogStream(t *testing.T) {
	fx := newFixture(t)
	key := fx.mkKey("v", "viewer")
	run := &store.Run{Status: store.StatusRunning}
	if err := fx.st.Runs().CreateRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Jobs().PutJobs(t.Context(), []*store.Job{{RunID: run.ID, ID: "build", Status: store.StatusRunning}}); err != nil {
		t.Fatal(err)
	}
	appendLine := func(text string) {
		if err := fx.st.Logs().AppendLogs(t.Context(), []*store.LogLine{{RunID: run.ID, JobID: "build", Time: time.Now(), Stream: store.Stdout, Text: text}}); err != nil {
			t.Fatal(err)
		}
	}
	appendLine("first")
	go func() {
		time.Sleep(500 * time.Millisecond)
		appendLine("second, live")
		time.Sleep(300 * time.Millisecond)
		run.Status = store.StatusSucceeded
		_ = fx.st.Runs().UpdateRun(context.Background(), run)
	}()
	res, body := fx.do("GET", "/api/v1/runs/"+run.ID+"/logs/stream", key, nil, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{`"text":"first"`, `"text":"second, live"`, "event: end", `"status":"succeeded"`} {
		if !strings.Contains(text, want) {
			t.Errorf("stream lacks %q:\n%s", want, text)
		}
	}
}

// TestProjectScopes: a key scoped to one project lists and reads only
// that project's runs.
func TestProjectScopes(t *testing.T) {
	fx := newFixture(t)
	for _, p := range []string{"goodbooks", "other", "goodbooks"} {
		if err := fx.st.Runs().CreateRun(t.Context(), &store.Run{Project: p, Status: store.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
	dev := fx.mkKey("gb", "developer@goodbooks")
	res, body := fx.do("GET", "/api/v1/runs", dev, nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}
	if strings.Count(string(body), `"project": "goodbooks"`) != 2 || strings.Contains(string(body), `"other"`) {
		t.Errorf("a goodbooks key lists:\n%s", body)
	}
	if res, _ := fx.do("GET", "/api/v1/runs/1", dev, nil, nil); res.StatusCode != 200 {
		t.Errorf("own project's run: %d", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/runs/2", dev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("another project's run: %d, want 403", res.StatusCode)
	}
}
