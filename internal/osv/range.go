package osv

import (
	"slices"

	"github.com/google/osv-scalibr/semantic"
)

// Event kinds in the order they sort when two events name the same
// version: a fix at the version where a range opens wins.
const (
	kindIntroduced = iota
	kindFixed
	kindLastAffected
)

type sortedEvent struct {
	kind int
	text string
	// v is nil for introduced "0", before every version.
	v semantic.Version
}

// evalRange evaluates one SEMVER or ECOSYSTEM range for the installed
// version the way the OSV schema describes: events sorted by version, the
// last event at or below the installed version decides (introduced opens,
// fixed closes at its version, last_affected closes just after it). It
// also returns the smallest fixed version above the installed one. A
// range with an event that does not parse is not evaluated: guessing could
// report a version outside the real range.
func evalRange(events []Event, inst semantic.Version, parse func(string) (semantic.Version, error)) (bool, string) {
	evs := make([]sortedEvent, 0, len(events))
	for _, e := range events {
		var se sortedEvent
		switch {
		case e.Introduced != "":
			se = sortedEvent{kind: kindIntroduced, text: e.Introduced}
		case e.Fixed != "":
			se = sortedEvent{kind: kindFixed, text: e.Fixed}
		case e.LastAffected != "":
			se = sortedEvent{kind: kindLastAffected, text: e.LastAffected}
		default:
			continue // limit: GIT ranges only
		}
		if !(se.kind == kindIntroduced && se.text == "0") {
			v, err := parse(se.text)
			if err != nil {
				return false, ""
			}
			se.v = v
		}
		evs = append(evs, se)
	}
	var bad bool
	slices.SortStableFunc(evs, func(a, b sortedEvent) int {
		switch {
		case a.v == nil && b.v == nil:
			return a.kind - b.kind
		case a.v == nil:
			return -1
		case b.v == nil:
			return 1
		}
		c, err := a.v.Compare(b.v)
		if err != nil {
			bad = true
		}
		if c != 0 {
			return c
		}
		return a.kind - b.kind
	})
	if bad {
		return false, ""
	}
	affected := false
	fixed := ""
	for _, e := range evs {
		c := 1 // installed compared with the event's version
		if e.v != nil {
			var err error
			if c, err = inst.Compare(e.v); err != nil {
				return false, ""
			}
		}
		if c < 0 || (c == 0 && e.kind == kindLastAffected) {
			if e.kind == kindFixed && fixed == "" {
				fixed = e.text
			}
			continue
		}
		affected = e.kind == kindIntroduced
	}
	return affected, fixed
}
