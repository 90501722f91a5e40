// Package route holds what the control plane and the gateway (the data
// plane) exchange: the routing table the control plane writes and the
// gateway serves, and the per-release traffic statistics the gateway
// counts and analysis reads. It is types and file handling only, so both
// sides can depend on it without depending on each other.
//
// The table lives in a file (TableFile in the gateway's folder) that the
// control plane replaces atomically (write to a temporary file, fsync,
// rename); the gateway loads it at start and whenever it changes, so it
// keeps serving with its last table when the control plane is down.
package route

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// TableFile is the routing table's file name in the gateway folder.
const TableFile = "routes.json"

// Roles of a release in an environment.
const (
	RoleStable    = "stable"    // the live release
	RoleCandidate = "candidate" // the release being rolled out (canary, green)
	RolePrevious  = "previous"  // kept warm for instant rollback; weight 0
)

// Table is the whole routing table: every environment the gateway serves.
type Table struct {
	// Generation increases with every table the control plane writes; the
	// gateway ignores a table older than the one it serves.
	Generation   int64                   `json:"generation"`
	Environments map[string]*Environment `json:"environments"`
}

// Environment is the routing of one environment: one listener and the
// releases behind it with their traffic weights.
type Environment struct {
	// Listen is the gateway's address for the environment, host:port.
	Listen string `json:"listen"`
	// Releases with Weight > 0 share the traffic in proportion to their
	// weights; the rest receive only pinned requests (header or cookie).
	Releases []Release `json:"releases"`
	// Sticky pins a client to the release that served its first request
	// with a cookie (StickyCookie), as long as that release has weight.
	Sticky bool `json:"sticky,omitempty"`
	// Header, when set, names a request header whose value (a release ID or
	// version) routes the request to that release whatever the weights:
	// testers reach the candidate before it gets traffic.
	Header string `json:"header,omitempty"`
	// Edge is the environment's edge protection (WAF, rate limits, geo,
	// API keys), in the gateway's edge configuration format; requests it
	// refuses never reach a release.
	Edge json.RawMessage `json:"edge,omitempty"`
}

// StickyCookie is the cookie that pins a client to a release.
const StickyCookie = "sluice_release"

// Release is one release's share of an environment's traffic.
type Release struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Role    string `json:"role"`
	// Weight is a percentage 0..100; the weights of an environment add up
	// to 100 when any is set.
	Weight int `json:"weight"`
	// Backends are the host:port addresses of the release's healthy
	// replicas; requests are spread over them.
	Backends []string `json:"backends"`
}

// Validate checks a table: listeners set and distinct, weights in 0..100
// adding up to 100 per environment (or all zero), release IDs unique,
// every weighted release with at least one backend.
func (t *Table) Validate() error {
	listeners := map[string]string{}
	for name, e := range t.Environments {
		if e == nil {
			return fmt.Errorf("environment %s: no routing", name)
		}
		if e.Listen == "" {
			return fmt.Errorf("environment %s: no listen address", name)
		}
		if other, ok := listeners[e.Listen]; ok {
			return fmt.Errorf("environments %s and %s both listen on %s", other, name, e.Listen)
		}
		listeners[e.Listen] = name
		sum := 0
		ids := map[string]bool{}
		for _, r := range e.Releases {
			if r.ID == "" {
				return fmt.Errorf("environment %s: a release has no id", name)
			}
			if ids[r.ID] {
				return fmt.Errorf("environment %s: release %s listed twice", name, r.ID)
			}
			ids[r.ID] = true
			if r.Weight < 0 || r.Weight > 100 {
				return fmt.Errorf("environment %s: release %s has weight %d, want 0..100", name, r.ID, r.Weight)
			}
			if r.Weight > 0 && len(r.Backends) == 0 {
				return fmt.Errorf("environment %s: release %s has weight %d but no backends", name, r.ID, r.Weight)
			}
			sum += r.Weight
		}
		if sum != 0 && sum != 100 {
			return fmt.Errorf("environment %s: weights add up to %d, want 100", name, sum)
		}
	}
	return nil
}

// Load reads the table in dir; a missing file is an empty table.
func Load(dir string) (*Table, error) {
	data, err := os.ReadFile(filepath.Join(dir, TableFile))
	if errors.Is(err, os.ErrNotExist) {
		return &Table{Environments: map[string]*Environment{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read routing table: %w", err)
	}
	var t Table
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("read routing table %s: %w", filepath.Join(dir, TableFile), err)
	}
	if t.Environments == nil {
		t.Environments = map[string]*Environment{}
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("routing table %s: %w", filepath.Join(dir, TableFile), err)
	}
	return &t, nil
}

// Save validates t and replaces the table file in dir atomically (a
// temporary file, fsync, rename, fsync of the folder), so the gateway
// never reads half a table.
func Save(dir string, t *Table) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("write routing table: %w", err)
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("write routing table: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write routing table: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+TableFile+"-*")
	if err != nil {
		return fmt.Errorf("write routing table: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write routing table: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write routing table: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write routing table: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, TableFile)); err != nil {
		return fmt.Errorf("write routing table: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Stats is what the gateway has counted since it started, per environment
// and release. Counters only grow; analysis takes the difference of two
// snapshots to judge an interval.
type Stats struct {
	// Started is when the gateway process started (counters reset then).
	Started      time.Time                    `json:"started"`
	Time         time.Time                    `json:"time"`
	Generation   int64                        `json:"generation"`
	Environments map[string]*EnvironmentStats `json:"environments"`
}

// EnvironmentStats are the counters of one environment's releases.
type EnvironmentStats struct {
	Releases map[string]*ReleaseStats `json:"releases"`
	// Blocked counts what the edge protection matched, by "layer rule
	// mode" (refused in enforce mode, counted otherwise): never counted as
	// a release's request.
	Blocked map[string]int64 `json:"blocked,omitempty"`
}

// ReleaseStats are a release's traffic counters.
type ReleaseStats struct {
	// Requests counts responses sent (and requests that failed).
	Requests int64 `json:"requests"`
	// Status counts by class: "1xx" … "5xx", and "error" for requests the
	// gateway could not get an answer for (502 sent).
	Status   map[string]int64 `json:"status"`
	InFlight int64            `json:"in_flight"`
	// Latency is a cumulative histogram of response times in seconds.
	Latency Histogram `json:"latency"`
	// Recent holds up to the last 1,000 response times in seconds, newest
	// last, for statistical comparison of releases.
	Recent []float64 `json:"recent,omitempty"`
	// Excluded counts requests the gateway itself refused (WAF, rate
	// limit): never counted as the release's errors.
	Excluded int64 `json:"excluded,omitempty"`
}

// Histogram is a cumulative latency histogram: Counts[i] is how many
// observations were <= Bounds[i]; Count and Sum cover all of them.
type Histogram struct {
	Bounds []float64 `json:"bounds"`
	Counts []int64   `json:"counts"`
	Count  int64     `json:"count"`
	Sum    float64   `json:"sum"`
}
