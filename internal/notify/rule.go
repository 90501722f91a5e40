package notify

import (
	"fmt"
	"slices"
)

// Rule sends the events it matches to one sender. Each non-empty list must
// contain the event's value (exact match); an empty list matches anything.
type Rule struct {
	Kinds    []string
	Projects []string
	Envs     []string
	Sender   string
}

// Matches reports whether e passes every list of r.
func (r Rule) Matches(e Event) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return in(r.Kinds, e.Kind) && in(r.Projects, e.Project) && in(r.Envs, e.Env)
}

// check reports a rule that names no sender or an unknown kind.
func (r Rule) check() error {
	if r.Sender == "" {
		return fmt.Errorf("rule names no sender")
	}
	for _, k := range r.Kinds {
		if !KnownKind(k) {
			return fmt.Errorf("rule for sender %s: unknown kind %q", r.Sender, k)
		}
	}
	return nil
}
