// Package release runs releases: it takes an artifact to an environment
// with the environment's strategy (blue-green, canary or rolling), moving
// traffic through the gateway's routing table, judging the candidate with
// analysis, watching the new live release through the monitor window, and
// rolling back — instantly, to a release kept warm — when it breaks its
// limits. Every transition is persisted before it is acted on, with an
// audit record in the same transaction, so a controller that dies at any
// point leaves a state the next one continues or rolls back from.
package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// Strategy kinds.
const (
	BlueGreen = "blue-green"
	Canary    = "canary"
	Rolling   = "rolling"
)

// Config is everything a release needs to run, resolved from the pipeline
// when it is deployed and stored with it: a resumed or rolled-back release
// runs exactly as it was deployed, whatever the pipeline file says now.
type Config struct {
	// Run is the argv; Shell says it came from a string (sh -c) and gets
	// PORT, ARTIFACT and VERSION as environment variables instead of
	// substitutions.
	Run      []string          `json:"run"`
	Shell    bool              `json:"shell,omitempty"`
	Env      map[string]string `json:"env,omitempty"`
	Replicas int               `json:"replicas"`
	Health   map[string]any    `json:"health,omitempty"`
	Smoke    []SmokeStep       `json:"smoke,omitempty"`
	// Workdir is the folder the app and smoke tests run in (the pipeline's).
	Workdir string `json:"workdir"`
	// Secrets are the names of the environment's secrets (values are never
	// stored with the release): the target gives the app their values.
	Secrets []string `json:"secrets,omitempty"`

	Strategy       string            `json:"strategy"`
	Steps          []int             `json:"steps,omitempty"`
	Interval       time.Duration     `json:"interval,omitempty"`
	Analysis       map[string]string `json:"analysis,omitempty"`
	ScaleDownDelay time.Duration     `json:"scale_down_delay,omitempty"`
	MaxUnavailable string            `json:"max_unavailable,omitempty"`
	MaxSurge       string            `json:"max_surge,omitempty"`
	// Sticky and Header configure the gateway's routing of the
	// environment (a cookie per client; a header picking a release).
	Sticky bool   `json:"sticky,omitempty"`
	Header string `json:"header,omitempty"`
	// Edge is the environment's edge protection in the gateway's format
	// (WAF, rate limits, geo, API keys), set by the caller of Resolve.
	Edge json.RawMessage `json:"edge,omitempty"`

	MonitorFor   time.Duration     `json:"monitor_for,omitempty"`
	RollbackWhen map[string]string `json:"rollback_when,omitempty"`

	// Listen is the gateway address of the environment from its url:, ""
	// when sluice picks one.
	Listen string `json:"listen,omitempty"`
	// pickListen says Listen was picked for an environment not served
	// yet, so another free address may replace it when it is taken.
	pickListen bool
}

// SmokeStep is a command run against the candidate's own address (URL in
// its environment) before traffic moves to it.
type SmokeStep struct {
	Name    string            `json:"name"`
	Run     string            `json:"run"`
	Env     map[string]string `json:"env,omitempty"`
	Timeout time.Duration     `json:"timeout,omitempty"`
}

// Defaults.
const (
	DefaultInterval = time.Minute
	DefaultGrace    = 10 * time.Second
)

// Resolve builds the Config of a release of p to environment env, with
// the app and smoke tests running in workdir.
func Resolve(p *spec.Pipeline, env, workdir string) (*Config, error) {
	e := p.Environment(env)
	if e == nil {
		var names []string
		for _, x := range p.Environments {
			names = append(names, x.Name)
		}
		return nil, fmt.Errorf("no environment %q in the pipeline (have: %s)", env, strings.Join(names, ", "))
	}
	if p.Deploy == nil || len(p.Deploy.Run) == 0 {
		return nil, fmt.Errorf("the pipeline has no deploy: section saying how to start the app; add deploy: { run: [dist/app, --addr, \"127.0.0.1:${PORT}\"] }")
	}
	d := p.Deploy
	c := &Config{Run: slices.Clone(d.Run), Env: d.Env, Replicas: max(d.Replicas, 1), Health: d.Health, Workdir: workdir,
		Secrets: slices.Clone(e.Secrets)}
	if len(c.Run) == 3 && c.Run[0] == "sh" && c.Run[1] == "-c" {
		c.Shell = true
	}
	for i, s := range d.Smoke {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("smoke %d", i+1)
		}
		c.Smoke = append(c.Smoke, SmokeStep{Name: name, Run: s.Run, Env: s.Env, Timeout: s.Timeout.D()})
	}
	c.Strategy = Rolling
	if st := e.Strategy; st != nil {
		c.Strategy = st.Kind
		switch {
		case st.Canary != nil:
			c.Steps, c.Interval, c.Analysis = slices.Clone(st.Canary.Steps), st.Canary.Interval.D(), st.Canary.Analysis
			c.Sticky, c.Header = st.Canary.Sticky, st.Canary.Header
		case st.BlueGreen != nil:
			c.ScaleDownDelay = st.BlueGreen.ScaleDownDelay.D()
		case st.Rolling != nil:
			c.MaxUnavailable, c.MaxSurge = st.Rolling.MaxUnavailable, st.Rolling.MaxSurge
		}
	}
	if c.Strategy == Canary {
		if len(c.Steps) == 0 {
			c.Steps = []int{10, 25, 50, 100}
		}
		if c.Steps[len(c.Steps)-1] != 100 {
			return nil, fmt.Errorf("environment %s: canary steps %v must end at 100", env, c.Steps)
		}
		if c.Interval <= 0 {
			c.Interval = DefaultInterval
		}
	}
	if m := e.Monitor; m != nil {
		c.MonitorFor, c.RollbackWhen = m.Duration.D(), m.RollbackWhen
	}
	for what, m := range map[string]map[string]string{"strategy.canary.analysis": c.Analysis, "monitor.rollback_when": c.RollbackWhen} {
		if _, _, err := splitSources(m); err != nil {
			return nil, fmt.Errorf("environment %s: %s: %w", env, what, err)
		}
	}
	if e.URL != "" {
		addr, err := listenOf(e.URL)
		if err != nil {
			return nil, fmt.Errorf("environment %s: url %q: %w", env, e.URL, err)
		}
		c.Listen = addr
	}
	return c, nil
}

// listenOf turns an environment URL into the gateway's listen address.
func listenOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" {
		return "", fmt.Errorf("the local gateway serves http:// URLs")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// batch returns how many replicas a rolling update replaces at once: from
// max_surge (new replicas started beyond the count) and max_unavailable,
// as a count ("1") or a share ("33%"), at least one.
func (c *Config) batch() int {
	n := 0
	for _, v := range []string{c.MaxSurge, c.MaxUnavailable} {
		if k := amount(v, c.Replicas); k > n {
			n = k
		}
	}
	if n == 0 {
		n = (c.Replicas + 2) / 3 // a third at a time
	}
	return max(1, min(n, c.Replicas))
}

func amount(v string, of int) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0
		}
		return int(float64(of)*f/100 + 0.999)
	}
	n, _ := strconv.Atoi(v)
	return n
}

// Digest returns the sha256 of a file, or of a folder's files (their
// slash-separated relative paths, modes and contents, in path order).
func Digest(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !info.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
		return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
	}
	// Walk and read through an os.Root: a file swapped for a link to
	// outside the folder while we walk cannot be read through it.
	root, err := os.OpenRoot(path)
	if err != nil {
		return "", err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", rel, fi.Mode().Perm())
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := root.Readlink(rel)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "link:%s\x00", t)
			return nil
		}
		f, err := root.Open(rel)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func (c *Config) marshal() []byte {
	b, _ := json.Marshal(c)
	return b
}

func configOf(b []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("release configuration: %w", err)
	}
	return &c, nil
}
