//go:build linux

package local

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the app under test and as a short-lived
// "control plane": TestMain dispatches on roleEnv.
const roleEnv = "SLUICE_LOCAL_TESTAPP"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "app":
		os.Exit(runApp(os.Args[1:]))
	case "control":
		os.Exit(runControl())
	}
	os.Exit(m.Run())
}

// runApp is a small HTTP app: GET /healthz, /hello and /env?k=NAME.
func runApp(args []string) int {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	port := fs.Int("port", 0, "port to listen on (default: $PORT)")
	failHealth := fs.Bool("fail-health", false, "answer /healthz with 503")
	exitAfter := fs.Duration("exit-after", 0, "exit with status 2 after this long")
	crash := fs.Bool("crash", false, "exit with status 3 at once")
	ignoreTerm := fs.Bool("ignore-term", false, "ignore SIGTERM")
	spawn := fs.Bool("spawn", false, "start a helper process in the same group that ignores SIGTERM")
	msg := fs.String("msg", "", "text /hello returns")
	if err := fs.Parse(args); err != nil {
		return 64
	}
	if *crash {
		fmt.Println("crashing on purpose")
		return 3
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	if *port == 0 {
		*port, _ = strconv.Atoi(os.Getenv("PORT"))
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*port))
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	fmt.Println("listening on", l.Addr())
	if *spawn {
		self, _ := os.Executable()
		helper := exec.Command(self, "-ignore-term", "-port", "0")
		helper.Env = []string{roleEnv + "=app", "PORT=0", noRaceExitSleep}
		helper.Stdout, helper.Stderr = os.Stdout, os.Stderr
		if err := helper.Start(); err != nil {
			fmt.Println("spawn:", err)
			return 1
		}
		fmt.Println("helper pid", helper.Process.Pid)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if *failHealth {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello msg=%s VERSION=%s", *msg, os.Getenv("VERSION"))
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getenv(r.URL.Query().Get("k")))
	})
	go func() { _ = http.Serve(l, mux) }()
	var exit <-chan time.Time
	if *exitAfter > 0 {
		exit = time.After(*exitAfter)
	}
	for {
		select {
		case <-exit:
			fmt.Println("exiting as told")
			return 2
		case <-sigs:
			if *ignoreTerm {
				fmt.Println("ignoring SIGTERM")
				continue
			}
			fmt.Println("shutting down")
			return 0
		}
	}
}

// runControl plays a control plane that starts a replica and exits: the spec
// comes as JSON in SLUICE_LOCAL_SPEC, the Instance goes to stdout.
func runControl() int {
	var spec Spec
	if err := json.Unmarshal([]byte(os.Getenv("SLUICE_LOCAL_SPEC")), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "control: spec:", err)
		return 1
	}
	inst, err := Start(context.Background(), spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "control:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(inst); err != nil {
		return 1
	}
	return 0
}

// noRaceExitSleep spares a second at every exit of a -race build.
const noRaceExitSleep = "GORACE=atexit_sleep_ms=0"

// appSpec is a Spec running the test binary as the app with args.
func appSpec(t *testing.T, args ...string) Spec {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Release: "r1",
		Argv:    append([]string{self, "-port", "${PORT}"}, args...),
		Env:     map[string]string{roleEnv: "app", "GORACE": "atexit_sleep_ms=0"},
		Dir:     t.TempDir(),
		LogFile: filepath.Join(t.TempDir(), "logs", "app.log"),
	}
}

// cleanupStop stops inst when the test ends, whatever happened.
func cleanupStop(t *testing.T, inst *Instance) {
	t.Cleanup(func() {
		if err := Stop(context.Background(), inst, 100*time.Millisecond); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// start starts spec and registers its cleanup.
func start(t *testing.T, spec Spec) *Instance {
	t.Helper()
	inst, err := Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	cleanupStop(t, inst)
	return inst
}

// fastHealth keeps tests quick.
var fastHealth = HealthCheck{Interval: 50 * time.Millisecond, Timeout: time.Second, StartupTimeout: 30 * time.Second}

func startHealthy(t *testing.T, spec Spec) *Instance {
	t.Helper()
	inst := start(t, spec)
	if err := WaitHealthy(context.Background(), inst, fastHealth); err != nil {
		t.Fatal(err)
	}
	return inst
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b)
}

func readLog(t *testing.T, inst *Instance) string {
	t.Helper()
	b, err := os.ReadFile(inst.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gone reports whether pid has ended (absent, or a zombie nobody reaps).
func gone(pid int) bool {
	st, err := readStat(pid)
	return err != nil || st.dead()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isHealthErr(err error, target error) bool {
	var he *HealthError
	return errors.As(err, &he) && errors.Is(err, target)
}
