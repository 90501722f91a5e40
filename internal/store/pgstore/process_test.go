//go:build unix

package pgstore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

// These tests run the test binary again as child processes, selected by an
// environment variable, so that several processes share one database, as
// a sluice server and its CLI or several runners do.

const (
	// childEnv tells the test binary, run again, to act as a child: its
	// value is the kind of work ("runs" or "audit").
	childEnv = "SLUICE_PGSTORE_CHILD"
	// childDSNEnv is the DSN of the schema the child works in.
	childDSNEnv = "SLUICE_PGSTORE_CHILD_DSN"
)

const (
	children     = 3  // processes besides the test itself
	perProcess   = 12 // records each process writes
	perGoroutine = 3  // records each goroutine writes: 4 goroutines a process
)

// work creates perProcess runs, or appends perProcess audit records, from
// several goroutines, and returns the numbers or seqs the store assigned.
func work(ctx context.Context, s store.Store, kind, who string) ([]int64, error) {
	var (
		mu   sync.Mutex
		got  []int64
		errs = make(chan error, perProcess)
		wg   sync.WaitGroup
	)
	for g := range perProcess / perGoroutine {
		wg.Go(func() {
			for i := range perGoroutine {
				var n int64
				switch kind {
				case "runs":
					r := &store.Run{Status: store.StatusPending, Host: who}
					if err := s.Runs().CreateRun(ctx, r); err != nil {
						errs <- err
						return
					}
					n = r.Number
				case "audit":
					rec := &store.AuditRecord{Action: "test.append", Subject: fmt.Sprintf("proc/%s/%d/%d", who, g, i)}
					if err := s.Audit().AppendAudit(ctx, rec); err != nil {
						errs <- err
						return
					}
					n = rec.Seq
				default:
					errs <- fmt.Errorf("unknown child work %q", kind)
					return
				}
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return got, nil
}

// childMain is the child's side: open the store (migrating it, maybe at
// the same time as the other children), say "ready", wait for a line on
// standard input so that all processes start together, work, and print
// each assigned number as "got N".
func childMain(t *testing.T, kind string) {
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(childDSNEnv), Options{ArtifactDir: t.TempDir()})
	if err != nil {
		t.Fatalf("child: open: %v", err)
	}
	defer s.Close()
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("child: wait for the start: %v", err)
	}
	got, err := work(ctx, s, kind, strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	for _, n := range got {
		fmt.Println("got", n)
	}
}

// child is a running child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready chan struct{}
	done  chan struct{}
	got   []int64
	out   strings.Builder
}

// startChild runs the test binary as a child doing kind of work in dsn.
func startChild(t *testing.T, test, kind, dsn string) *child {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+kind, childDSNEnv+"="+dsn)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, ready: make(chan struct{}), done: make(chan struct{})}
	log := &lockedWriter{w: &c.out}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stdout)
		readied := false
		for sc.Scan() {
			line := sc.Text()
			_, _ = io.WriteString(log, line+"\n")
			switch {
			case line == "ready" && !readied:
				readied = true
				close(c.ready)
			case strings.HasPrefix(line, "got "):
				if n, err := strconv.ParseInt(strings.TrimPrefix(line, "got "), 10, 64); err == nil {
					c.got = append(c.got, n)
				}
			}
		}
		if !readied {
			close(c.ready)
		}
	}()
	return c
}

// lockedWriter lets the child's stderr share the output log with the
// stdout reader.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// runProcesses starts the children on a new, empty schema, lets them and
// the test itself work at once, and returns every number assigned plus
// the test's own store.
func runProcesses(t *testing.T, test, kind string) ([]int64, *Store) {
	dsn := freshSchema(t)
	var kids []*child
	for range children {
		kids = append(kids, startChild(t, test, kind, dsn))
	}
	s := openStore(t, dsn)
	for _, c := range kids {
		<-c.ready
	}
	for _, c := range kids {
		if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
			t.Fatalf("start child: %v", err)
		}
	}
	all, err := work(t.Context(), s, kind, "parent")
	if err != nil {
		t.Fatalf("parent: %v", err)
	}
	for i, c := range kids {
		<-c.done
		err := c.cmd.Wait()
		if err != nil || len(c.got) != perProcess {
			t.Fatalf("child %d: %v, %d numbers, want %d; output:\n%s", i, err, len(c.got), perProcess, c.out.String())
		}
		all = append(all, c.got...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	for i, n := range all {
		if n != int64(i+1) {
			t.Fatalf("%s from %d processes: numbers %v, want 1..%d each once", kind, children+1, all, len(all))
		}
	}
	return all, s
}

func TestConcurrentCreateRunProcesses(t *testing.T) {
	if kind := os.Getenv(childEnv); kind != "" {
		childMain(t, kind)
		return
	}
	all, s := runProcesses(t, "TestConcurrentCreateRunProcesses", "runs")
	runs, err := s.Runs().ListRuns(t.Context(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(all) {
		t.Errorf("%d runs stored, %d created", len(runs), len(all))
	}
}

func TestConcurrentAuditProcesses(t *testing.T) {
	if kind := os.Getenv(childEnv); kind != "" {
		childMain(t, kind)
		return
	}
	all, s := runProcesses(t, "TestConcurrentAuditProcesses", "audit")
	recs, err := s.Audit().ListAudit(t.Context(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(all) {
		t.Fatalf("%d audit records stored, %d appended", len(recs), len(all))
	}
	if err := store.VerifyAudit("", recs); err != nil {
		t.Fatalf("appends from %d processes broke the chain: %v", children+1, err)
	}
}
