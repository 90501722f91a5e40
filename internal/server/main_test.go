package server

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// The test binary doubles as the app the delivery tests deploy:
// TestMain dispatches on testAppEnv.
const testAppEnv = "SLUICE_SERVER_TESTAPP"

func TestMain(m *testing.M) {
	if os.Getenv(testAppEnv) == "app" {
		os.Exit(runTestApp(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runTestApp is a small HTTP app: GET /healthz answers ok, anything else
// the version it was started with. It stops on SIGTERM.
func runTestApp(args []string) int {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	port := fs.Int("port", 0, "port to listen on")
	version := fs.String("version", "", "what the app answers")
	if err := fs.Parse(args); err != nil {
		return 64
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*port))
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			fmt.Fprintln(w, "ok")
			return
		}
		fmt.Fprintln(w, *version)
	})}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Println("serve:", err)
		return 1
	}
	return 0
}

// testRepo makes a git repository whose sluice.yaml is pipeline and
// registers it as project name; it returns the commit.
func (fx *fixture) testRepo(name, pipeline string) string {
	t := fx.t
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(repo, "sluice.yaml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "pipeline")
	p, err := NewProject(name, repo, "", "", fx.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.st.Control().PutProject(t.Context(), p, nil); err != nil {
		t.Fatal(err)
	}
	return git(t, repo, "rev-parse", "HEAD")
}

// trigger starts a run of project at commit through the API and returns
// its id.
func (fx *fixture) trigger(key, project, commit string) string {
	fx.t.Helper()
	res, body := fx.do("POST", "/api/v1/projects/"+project+"/runs", key, map[string]any{"commit": commit, "branch": "main"}, nil)
	if res.StatusCode != http.StatusCreated {
		fx.t.Fatalf("trigger: %d %s", res.StatusCode, body)
	}
	var out struct{ Run string }
	if err := json.Unmarshal(body, &out); err != nil {
		fx.t.Fatal(err)
	}
	return out.Run
}

// waitRun polls run id until ok accepts it (60s at most) and returns it.
func (fx *fixture) waitRun(id string, ok func(*store.Run) bool) *store.Run {
	fx.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		run, err := fx.st.Runs().GetRun(fx.t.Context(), id)
		if err != nil {
			fx.t.Fatal(err)
		}
		if ok(run) {
			return run
		}
		if time.Now().After(deadline) {
			fx.t.Fatalf("run %s still %s", id, run.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func final(r *store.Run) bool { return r.Status.Final() }

// audited returns the audit records of subject with action.
func (fx *fixture) audited(subject, action string) []*store.AuditRecord {
	fx.t.Helper()
	recs, err := fx.st.Audit().ListAudit(fx.t.Context(), store.AuditQuery{SubjectPrefix: subject})
	if err != nil {
		fx.t.Fatal(err)
	}
	var out []*store.AuditRecord
	for _, a := range recs {
		if a.Action == action && strings.HasPrefix(a.Subject, subject) {
			out = append(out, a)
		}
	}
	return out
}
