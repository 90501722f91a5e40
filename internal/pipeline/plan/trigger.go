package plan

import (
	"fmt"
	"path"
	"strings"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// Triggered reports whether an event on a branch starts the pipeline
// according to its on: section, and if not, why. Manual runs are allowed
// unless on.manual is false. A pipeline with no push or pull_request trigger
// is not started by those events.
func Triggered(p *spec.Pipeline, event, branch string) (bool, string) {
	switch event {
	case "", "manual":
		if !p.On.Manual {
			return false, "the pipeline does not allow manual runs (on.manual is false)"
		}
		return true, ""
	case "push":
		t := p.On.Push
		if t == nil {
			return false, "the pipeline has no on.push trigger"
		}
		if strings.HasPrefix(branch, "refs/tags/") {
			tag := strings.TrimPrefix(branch, "refs/tags/")
			if len(t.Tags) == 0 || !matchAny(t.Tags, tag) {
				return false, fmt.Sprintf("tag %q does not match on.push.tags", tag)
			}
			return true, ""
		}
		if len(t.Branches) > 0 && !matchAny(t.Branches, branch) {
			return false, fmt.Sprintf("branch %q does not match on.push.branches %v", branch, t.Branches)
		}
		if matchAny(t.BranchesIgnore, branch) {
			return false, fmt.Sprintf("branch %q matches on.push.branches_ignore", branch)
		}
		return true, ""
	case "pull_request":
		t := p.On.PullRequest
		if t == nil {
			return false, "the pipeline has no on.pull_request trigger"
		}
		if len(t.Branches) > 0 && !matchAny(t.Branches, branch) {
			return false, fmt.Sprintf("target branch %q does not match on.pull_request.branches %v", branch, t.Branches)
		}
		return true, ""
	case "schedule":
		if len(p.On.Schedule) == 0 {
			return false, "the pipeline has no on.schedule"
		}
		return true, ""
	}
	return false, fmt.Sprintf("unknown event %q", event)
}

// matchAny matches name against glob patterns: * matches within one path
// segment, ** across segments (release/** matches release/1.2/hotfix).
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if globMatch(p, name) {
			return true
		}
	}
	return false
}

func globMatch(pattern, name string) bool {
	if !strings.Contains(pattern, "**") {
		ok, err := path.Match(pattern, name)
		return err == nil && ok
	}
	// Split on the first ** and try every split of name.
	i := strings.Index(pattern, "**")
	prefix, rest := pattern[:i], pattern[i+2:]
	if !strings.HasPrefix(name, prefix) && !(strings.ContainsAny(prefix, "*?[") && globPrefix(prefix, name)) {
		return false
	}
	tail := name[min(len(prefix), len(name)):]
	for k := 0; k <= len(tail); k++ {
		if globMatch(rest, tail[k:]) || (rest == "" && k == len(tail)) {
			return true
		}
	}
	return false
}

// globPrefix reports whether some prefix of name matches the glob prefix.
func globPrefix(prefix, name string) bool {
	for k := 0; k <= len(name); k++ {
		if ok, err := path.Match(prefix, name[:k]); err == nil && ok {
			return true
		}
	}
	return false
}
