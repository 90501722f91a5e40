package gate

import (
	"path"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Suppression hides findings from the gate, with a reason and an owner. It
// selects findings by Fingerprint, by Rule and a Path glob (** crosses
// folders), or by Advisory id (also matched against a finding's aliases) and
// Package. Every selector field that is set must match.
type Suppression struct {
	Fingerprint string    `json:"fingerprint,omitempty"`
	Rule        string    `json:"rule,omitempty"`
	Path        string    `json:"path,omitempty"`
	Advisory    string    `json:"advisory,omitempty"`
	Package     string    `json:"package,omitempty"`
	Reason      string    `json:"reason"`
	Owner       string    `json:"owner"`
	Expires     time.Time `json:"expires,omitzero"`
	// Source is where the suppression was written, as file:line.
	Source string `json:"source,omitempty"`
}

// Expired reports whether s has an expiry before now.
func (s Suppression) Expired(now time.Time) bool {
	return !s.Expires.IsZero() && s.Expires.Before(now)
}

// hasSelector reports whether s selects anything at all.
func (s Suppression) hasSelector() bool {
	return s.Fingerprint != "" || s.Rule != "" || s.Path != "" || s.Advisory != "" || s.Package != ""
}

// Matches reports whether s selects f, ignoring expiry.
func (s Suppression) Matches(f findings.Finding) bool {
	if !s.hasSelector() {
		return false
	}
	if s.Fingerprint != "" && s.Fingerprint != f.Fingerprint {
		return false
	}
	if s.Rule != "" && !hasRule(f, s.Rule) {
		return false
	}
	if s.Path != "" && !MatchPath(s.Path, f.Location.Path) {
		return false
	}
	if s.Advisory != "" && !hasAdvisory(f, s.Advisory) {
		return false
	}
	if s.Package != "" && s.Package != f.Location.Package {
		return false
	}
	return true
}

// selector describes what s selects, for messages.
func (s Suppression) selector() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("fingerprint", s.Fingerprint)
	add("rule", s.Rule)
	add("path", s.Path)
	add("advisory", s.Advisory)
	add("package", s.Package)
	return strings.Join(parts, ", ")
}

func hasRule(f findings.Finding, rule string) bool {
	if f.RuleID == rule {
		return true
	}
	for _, src := range f.Sources {
		if src.RuleID == rule {
			return true
		}
	}
	return false
}

func hasAdvisory(f findings.Finding, id string) bool {
	if strings.EqualFold(f.RuleID, id) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}

// MatchPath matches a slash-separated path against a glob in which * and ?
// stay within one folder and a ** segment matches any number of folders.
func MatchPath(pattern, name string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], name[0])
		if err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// validGlob reports whether every segment of pattern is a valid glob.
func validGlob(pattern string) bool {
	for _, seg := range strings.Split(pattern, "/") {
		if _, err := path.Match(seg, ""); err != nil {
			return false
		}
	}
	return true
}
