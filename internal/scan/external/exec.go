package external

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxStderr bounds how much of a tool's standard error (and, when the
// report is a file, standard output) is kept: the tail, which is where
// the reason for a failure usually is.
const maxStderr = 32 << 10

// maxReason bounds the part of that tail put in an error.
const maxReason = 1000

// run runs one call of the tool: argv (never a shell), in the scanned
// root, with a timeout, its own process group (killed whole on timeout
// or cancellation), and the report read from c.out.
func (r *runner) run(ctx context.Context, c *call) (*result, error) {
	name := r.tool.name
	timeout := r.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, c.in.bin, r.tool.args(c)...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), r.tool.env...)
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)
	stderr := &tail{max: maxStderr}
	cmd.Stderr = stderr
	if r.tool.stdout {
		f, err := os.Create(c.out)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", name, err)
		}
		defer f.Close()
		cmd.Stdout = f
	} else {
		cmd.Stdout = stderr // progress lines help explain a failure
	}
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("run %s: %w", name, ctx.Err())
	case rctx.Err() != nil:
		return nil, fmt.Errorf("%s timed out after %s%s", name, timeout, stderr.reason())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() < 0:
		return nil, fmt.Errorf("%s was killed (%s)%s", name, exit.ProcessState, stderr.reason())
	case errors.As(err, &exit) && !slices.Contains(r.tool.okExit, exit.ExitCode()):
		return nil, fmt.Errorf("%s exited with status %d%s", name, exit.ExitCode(), stderr.reason())
	case err != nil && !errors.As(err, &exit):
		return nil, fmt.Errorf("run %s: %w", name, err)
	}
	data, err := os.ReadFile(c.out)
	switch {
	case errors.Is(err, os.ErrNotExist) || err == nil && len(strings.TrimSpace(string(data))) == 0:
		return nil, fmt.Errorf("%s wrote no report%s", name, stderr.reason())
	case err != nil:
		return nil, fmt.Errorf("read %s report: %w", name, err)
	}
	res, err := parse(r.tool.format, data, c.root)
	if res == nil {
		return nil, fmt.Errorf("%w%s", err, stderr.reason())
	}
	return res, nil
}

// fileArgs returns files as arguments that cannot be taken for options.
func fileArgs(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		if strings.HasPrefix(f, "-") {
			f = "./" + f
		}
		out[i] = filepath.FromSlash(f)
	}
	return out
}

// tail is an io.Writer keeping the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

var _ io.Writer = (*tail)(nil)

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// String returns the kept tail, at most max bytes.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return string(b)
}

// reason returns ": " and the last lines of the tail, short enough for a
// scanner's health reason; "" when nothing was written.
func (t *tail) reason() string {
	s := strings.TrimSpace(strings.ToValidUTF8(t.String(), "?"))
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	var kept []string
	size := 0
	for i := len(lines) - 1; i >= 0 && len(kept) < 8; i-- {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		if size+len(line) > maxReason {
			if len(kept) == 0 {
				kept = append(kept, "…"+line[len(line)-maxReason:])
			}
			break
		}
		kept = append(kept, line)
		size += len(line)
	}
	slices.Reverse(kept)
	return ": " + strings.Join(kept, " | ")
}
