package spec

import "slices"

// triggers reads on: a mapping of events, a list of event names
// (on: [push, pull_request]) or one event name (on: push).
func (d *decoder) triggers(v val) {
	t := &d.p.On
	if s, ok := scalarText(v.n); ok && !isNull(v.n) {
		d.eventName(t, s, v)
		return
	}
	if isSequence(v.n) {
		items, _ := d.list(v)
		for _, it := range items {
			s, ok := scalarText(it.n)
			if !ok || isNull(it.n) {
				d.errorf(it.pos, it.path, "", "expected an event name, got %s", kindOf(it.n))
				continue
			}
			d.eventName(t, s, it)
		}
		return
	}
	es, _ := d.object(v, "triggers")
	for _, e := range es {
		switch e.key {
		case "push":
			t.Push = d.push(e.val)
		case "pull_request":
			t.PullRequest = d.pullRequest(e.val)
		case "schedule":
			t.Schedule = d.schedules(e.val)
		case "manual":
			t.Manual = d.boolean(e.val)
		}
	}
}

func (d *decoder) eventName(t *Triggers, s string, v val) {
	switch s {
	case "push":
		t.Push = &PushTrigger{}
	case "pull_request":
		t.PullRequest = &PullRequestTrigger{}
	case "manual":
		t.Manual = true
	case "schedule":
		d.errorf(v.pos, v.path, `write on: {schedule: [{cron: "0 3 * * *"}]}`, "a schedule needs a cron expression")
	default:
		d.errorf(v.pos, v.path, DidYouMean(s, Events), "unknown event %q", s)
	}
}

func (d *decoder) push(v val) *PushTrigger {
	t := &PushTrigger{}
	es, _ := d.object(v, "push")
	for _, e := range es {
		switch e.key {
		case "branches":
			t.Branches = d.strList(e.val, true)
		case "branches_ignore":
			t.BranchesIgnore = d.strList(e.val, true)
		case "tags":
			t.Tags = d.strList(e.val, true)
		case "paths":
			t.Paths = d.strList(e.val, true)
		}
	}
	return t
}

func (d *decoder) pullRequest(v val) *PullRequestTrigger {
	t := &PullRequestTrigger{}
	es, _ := d.object(v, "pull_request")
	for _, e := range es {
		switch e.key {
		case "branches":
			t.Branches = d.strList(e.val, true)
		case "types":
			for _, it := range d.strItems(e.val, true) {
				if !slices.Contains(PullRequestTypes, it.s) {
					d.errorf(it.pos, it.path, DidYouMean(it.s, PullRequestTypes), "unknown pull request type %q", it.s)
					continue
				}
				t.Types = append(t.Types, it.s)
			}
		}
	}
	return t
}

func (d *decoder) schedules(v val) []Schedule {
	items, _ := d.list(v)
	var out []Schedule
	for _, it := range items {
		var s Schedule
		es, _ := d.object(it, "schedule")
		hasCron := false
		for _, e := range es {
			switch e.key {
			case "cron":
				hasCron = true
				s.Cron = d.str(e.val)
			case "jobs":
				s.Jobs = d.strList(e.val, true)
			case "branch":
				s.Branch = d.str(e.val)
			}
		}
		if !hasCron && isMapping(it.n) {
			d.errorf(it.pos, it.path, `add cron: "0 3 * * *"`, "schedule has no cron")
		}
		out = append(out, s)
	}
	return out
}
