// Package tfplan reads what a saved Terraform plan will do from its JSON
// form (`terraform show -json PLANFILE`): the resources it creates,
// updates, replaces and destroys.
package tfplan

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Change is one resource the plan changes.
type Change struct {
	Address string `json:"address"`
	// Action is create, update, replace (delete and create, in either
	// order) or delete.
	Action string `json:"action"`
}

// Summary counts a plan's changes as `terraform plan` does: a replaced
// resource counts once to add and once to destroy.
type Summary struct {
	Add     int      `json:"add"`
	Change  int      `json:"change"`
	Destroy int      `json:"destroy"`
	Changes []Change `json:"changes"`
	// FormatVersion is the plan JSON's format_version.
	FormatVersion string `json:"format_version,omitempty"`
}

// Summarize reads a plan's JSON.
func Summarize(r io.Reader) (*Summary, error) {
	var p struct {
		FormatVersion   string `json:"format_version"`
		ResourceChanges []struct {
			Address string `json:"address"`
			Mode    string `json:"mode"`
			Change  struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	dec := json.NewDecoder(io.LimitReader(r, 512<<20))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("read the plan's JSON: %w", err)
	}
	if p.FormatVersion == "" {
		return nil, fmt.Errorf("read the plan's JSON: no format_version: not the output of terraform show -json")
	}
	s := &Summary{FormatVersion: p.FormatVersion, Changes: []Change{}}
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "data" {
			continue // data sources are read, not changed
		}
		var action string
		switch a := rc.Change.Actions; {
		case slices.Equal(a, []string{"create"}):
			action = "create"
			s.Add++
		case slices.Equal(a, []string{"update"}):
			action = "update"
			s.Change++
		case slices.Equal(a, []string{"delete"}):
			action = "delete"
			s.Destroy++
		case len(a) == 2 && slices.Contains(a, "create") && slices.Contains(a, "delete"):
			action = "replace"
			s.Add++
			s.Destroy++
		default: // no-op, read, forget
			continue
		}
		s.Changes = append(s.Changes, Change{Address: rc.Address, Action: action})
	}
	return s, nil
}

// String is the plan's line as terraform writes it.
func (s *Summary) String() string {
	if s.Add+s.Change+s.Destroy == 0 {
		return "No changes: the infrastructure matches the configuration."
	}
	return fmt.Sprintf("Plan: %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy)
}

// Destroyed lists the addresses the plan destroys (deleted or replaced).
func (s *Summary) Destroyed() []string {
	var out []string
	for _, c := range s.Changes {
		if c.Action == "delete" || c.Action == "replace" {
			out = append(out, c.Address)
		}
	}
	return out
}

// Lines describes each change, one line each, at most max (then a count
// of the rest).
func (s *Summary) Lines(max int) []string {
	sign := map[string]string{"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
	var out []string
	for i, c := range s.Changes {
		if i == max {
			out = append(out, fmt.Sprintf("… and %d more", len(s.Changes)-max))
			break
		}
		out = append(out, fmt.Sprintf("  %-3s %s (%s)", sign[c.Action], c.Address, c.Action))
	}
	return out
}

// joinAddrs is addresses joined for a message, at most max of them.
func joinAddrs(addrs []string, max int) string {
	if len(addrs) > max {
		return strings.Join(addrs[:max], ", ") + fmt.Sprintf(" and %d more", len(addrs)-max)
	}
	return strings.Join(addrs, ", ")
}

// DestroyedText names what the plan destroys, for a message.
func (s *Summary) DestroyedText() string { return joinAddrs(s.Destroyed(), 5) }
