package gate

import (
	"errors"
	"fmt"
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
	// Source is where the suppression was written, as file:line, or
	// "stored suppression N" for one kept in the store.
	Source string `json:"source,omitempty"`
	// ID is the store's id of a stored suppression (made through the API,
	// the web UI or sluice suppressions); 0 for an entry of the ignore file.
	ID int64 `json:"id,omitempty"`
}

// Check reports what makes s unfit to suppress anything, as the ignore
// file's loader does: no selector or half of one (rule needs path,
// advisory needs package), an invalid path glob, no reason or no owner.
func (s Suppression) Check() error {
	if msg, hint := s.selectorProblem(); msg != "" {
		return errors.New(msg + ": " + hint)
	}
	if s.Path != "" && !validGlob(s.Path) {
		return errors.New("invalid path pattern " + s.Path + ": use * within a folder and ** across folders")
	}
	if strings.TrimSpace(s.Reason) == "" {
		return errors.New("suppression has no reason: say why the finding is acceptable")
	}
	if strings.TrimSpace(s.Owner) == "" {
		return errors.New("suppression has no owner: name who answers for this suppression")
	}
	return nil
}

// selectorProblem says what is wrong with s's selector, and a hint, or ""
// when it selects soundly.
func (s Suppression) selectorProblem() (msg, hint string) {
	switch {
	case !s.hasSelector():
		return "suppression selects no finding", "select findings by fingerprint, by rule and path, or by advisory and package"
	case s.Rule != "" && s.Path == "":
		return "rule needs a path pattern", `use path: "**" to suppress the rule everywhere`
	case s.Path != "" && s.Rule == "":
		return "path needs a rule", "add the rule id the path applies to"
	case s.Advisory != "" && s.Package == "":
		return "advisory needs a package", "add the package the advisory applies to"
	case s.Package != "" && s.Advisory == "":
		return "package needs an advisory", "add the advisory id (CVE, GHSA …)"
	}
	return "", ""
}

// stored reports whether s is kept in the store rather than the ignore file.
func (s Suppression) stored() bool { return s.ID != 0 }

// name names s in messages: "suppression at FILE:LINE", or "stored
// suppression N".
func (s Suppression) name() string {
	if s.stored() {
		return s.Source
	}
	return "suppression at " + s.Source
}

// label names s after a word like "expired": "suppression FILE:LINE", or
// "stored suppression N".
func (s Suppression) label() string {
	if s.stored() {
		return s.Source
	}
	return "suppression " + s.Source
}

// renewHint says what to do about s once it expired.
func (s Suppression) renewHint() string {
	if s.stored() {
		return fmt.Sprintf("revoke it (sluice suppressions revoke %d), or suppress the finding again if its risk is still accepted", s.ID)
	}
	return "renew or remove it in " + ignoreFile
}

// removeHint says what to do about s when it matched nothing.
func (s Suppression) removeHint() string {
	if s.stored() {
		return "revoke it"
	}
	return "remove it"
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
