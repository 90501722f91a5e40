package local

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNotSupported is returned by Start and Stop on platforms other than Linux.
var ErrNotSupported = errors.New("the local deploy target is only supported on Linux")

// Spec says how to start one replica of a release.
type Spec struct {
	// Release is the id of the release, Replica the index of this replica
	// within it; both are recorded in the Instance and used in errors.
	Release string
	Replica int
	// Argv is the command: a program and its arguments, as in deploy.run.
	// ${PORT} and the names in Vars are replaced in every element (Expand).
	// A program without a slash is looked up in the PATH of Env (or, when
	// Env has no PATH, in sluice's own PATH); a relative path with a slash
	// is relative to Dir.
	Argv []string
	// Env is the complete environment of the process: nothing of sluice's
	// own environment is inherited. ${PORT} and the names in Vars are
	// replaced in the values. Start adds PORT (always, from Port) and every
	// entry of Vars whose name Env does not set itself.
	Env map[string]string
	// Vars are the values substituted in Argv and Env, typically ARTIFACT
	// (the path of the release's artifact) and VERSION. PORT is taken from
	// Port and must not be set here.
	Vars map[string]string
	// Dir is the working directory; empty means sluice's own.
	Dir string
	// LogFile receives the process's stdout and stderr, appended. It is
	// created with mode 0600 (its folder with 0700) when missing. The caller
	// chooses its place, normally under the data folder.
	LogFile string
	// Port is the loopback port the replica must listen on; 0 picks a free
	// one (FreePort).
	Port int
}

// Instance is a started replica. It is plain data, safe to store as JSON and
// to use from another sluice process later (re-adoption).
type Instance struct {
	Release string `json:"release"`
	Replica int    `json:"replica"`
	// PID is the process id; PGID its process group (equal to PID, as the
	// process leads its own session).
	PID  int `json:"pid"`
	PGID int `json:"pgid"`
	// StartTicks is the start time of the process in clock ticks since boot
	// (field 22 of /proc/PID/stat): a later process reusing the pid has
	// another one.
	StartTicks uint64 `json:"start_ticks"`
	// Port and Addr ("127.0.0.1:PORT") are where the replica listens.
	Port int    `json:"port"`
	Addr string `json:"addr"`
	// Started is when Start started the process.
	Started time.Time `json:"started"`
	// LogFile is the file holding stdout and stderr; LogStart the size it
	// had when the process started, so this run's lines begin there.
	LogFile  string `json:"log_file"`
	LogStart int64  `json:"log_start"`
}

// String names the instance in messages: "release r1 replica 0 (pid 123, 127.0.0.1:4000)".
func (i *Instance) String() string {
	return fmt.Sprintf("release %s replica %d (pid %d, %s)", i.Release, i.Replica, i.PID, i.Addr)
}

// Expand returns argv with every ${NAME} whose NAME is a key of vars replaced
// by its value. Replacement is literal and done once (a value containing
// ${...} is not expanded again); unknown names, $NAME without braces and
// ${{ }} expressions are left as they are. No shell is involved, so a value
// cannot inject arguments or commands.
func Expand(argv []string, vars map[string]string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = expand(a, vars)
	}
	return out
}

func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		n := nameLen(rest)
		if n > 0 && n < len(rest) && rest[n] == '}' {
			if v, ok := vars[rest[:n]]; ok {
				b.WriteString(v)
				s = rest[n+1:]
				continue
			}
		}
		b.WriteString("${")
		s = rest
	}
}

// nameLen is the length of the variable name ([A-Za-z_][A-Za-z0-9_]*) s starts with.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}

// prepared is a Spec turned into what exec needs.
type prepared struct {
	path string
	argv []string
	env  []string
}

// prepare validates spec (with its Port already chosen) and expands it.
func prepare(spec Spec) (prepared, error) {
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return prepared{}, fmt.Errorf("start release %s replica %d: no command: set deploy.run", spec.Release, spec.Replica)
	}
	if spec.LogFile == "" {
		return prepared{}, fmt.Errorf("start release %s replica %d: no log file given", spec.Release, spec.Replica)
	}
	if spec.Port <= 0 || spec.Port > 65535 {
		return prepared{}, fmt.Errorf("start release %s replica %d: port %d is out of range 1-65535", spec.Release, spec.Replica, spec.Port)
	}
	if _, ok := spec.Vars["PORT"]; ok {
		return prepared{}, fmt.Errorf("start release %s replica %d: Vars sets PORT; set Spec.Port instead", spec.Release, spec.Replica)
	}
	vars := make(map[string]string, len(spec.Vars)+1)
	for k, v := range spec.Vars {
		vars[k] = v
	}
	vars["PORT"] = strconv.Itoa(spec.Port)

	envm := make(map[string]string, len(spec.Env)+len(vars))
	for k, v := range spec.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			return prepared{}, fmt.Errorf("start release %s replica %d: bad environment variable %q: names must be non-empty without '=' or NUL", spec.Release, spec.Replica, k)
		}
		envm[k] = expand(v, vars)
	}
	for k, v := range vars {
		if _, set := envm[k]; !set || k == "PORT" {
			envm[k] = v
		}
	}
	env := make([]string, 0, len(envm)) // never nil: nil would inherit sluice's environment
	for _, k := range slices.Sorted(maps.Keys(envm)) {
		env = append(env, k+"="+envm[k])
	}

	argv := Expand(spec.Argv, vars)
	path, err := lookPath(argv[0], envm["PATH"], envm)
	if err != nil {
		return prepared{}, fmt.Errorf("start release %s replica %d: %w", spec.Release, spec.Replica, err)
	}
	return prepared{path: path, argv: argv, env: env}, nil
}

// lookPath finds a program named without a slash in the PATH of the app's
// environment (relative entries are skipped, as os/exec does), falling back
// to sluice's PATH when the app's environment has none. A name with a slash is
// returned as is: exec resolves a relative one against Dir.
func lookPath(name, pathList string, env map[string]string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if _, ok := env["PATH"]; !ok {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("find program %q: %w (set PATH in deploy.env or give a path)", name, err)
		}
		return p, nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("find program %q: not found in the PATH of deploy.env (%s); give a path or fix PATH", name, pathList)
}
