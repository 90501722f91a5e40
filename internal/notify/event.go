// Package notify tells people and systems about what sluice did: a run
// failed, a gate blocked, an approval is waiting, a release was deployed or
// rolled back, a scheduled scan found new critical findings.
//
// The control plane builds an [Event] and hands it to a [Dispatcher], which
// routes it by [Rule] to named [Sender]s (a signed JSON [Webhook], a [Slack]
// incoming webhook, an [Email] over SMTP) and delivers it in the background
// with retries. Every attempt is reported through a callback so the caller
// can record it in its audit trail.
package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The kinds of events sluice notifies about. Kind strings are part of the
// webhook payload and of configuration files, so they never change.
const (
	KindRunFailed         = "run.failed"          // a pipeline run ended in failure
	KindGateBlocked       = "gate.blocked"        // a gate refused to let a run or release proceed
	KindApprovalRequested = "approval.requested"  // a human approval is waiting
	KindReleaseDeployed   = "release.deployed"    // a release finished rolling out
	KindReleaseRolledBack = "release.rolled_back" // a release was rolled back
	KindScanNewCritical   = "scan.new_critical"   // a scheduled scan found new critical findings
	KindTerraformDrift    = "terraform.drift"     // a scheduled Terraform plan found changes on a live workspace
)

// Kinds lists every event kind, in a stable order.
func Kinds() []string {
	return []string{KindRunFailed, KindGateBlocked, KindApprovalRequested,
		KindReleaseDeployed, KindReleaseRolledBack, KindScanNewCritical, KindTerraformDrift}
}

// KnownKind reports whether kind is one of [Kinds].
func KnownKind(kind string) bool { return slices.Contains(Kinds(), kind) }

// Event is one thing that happened. ID must be unique per event: it is the
// idempotency key receivers use to drop duplicates, and it stays the same on
// every retry of every sender. All other fields except Kind are optional.
type Event struct {
	ID      string
	Kind    string
	Time    time.Time
	Project string
	Env     string
	Run     string
	Release string
	Version string
	Actor   string
	Title   string
	Text    string
	URL     string
	// Fields carries extra facts shown to people (for example "gate":
	// "no-critical" or "findings": "3"); keys are shown sorted.
	Fields map[string]string
}

// Validate reports what makes e undeliverable: an empty or multi-line ID,
// or an unknown Kind.
func (e Event) Validate() error {
	if e.ID == "" {
		return fmt.Errorf("event has no ID: set a unique ID, it is the idempotency key")
	}
	if len(e.ID) > 200 || strings.ContainsFunc(e.ID, isControl) {
		return fmt.Errorf("event ID %q must be at most 200 characters without control characters", e.ID)
	}
	if !KnownKind(e.Kind) {
		return fmt.Errorf("event %s has unknown kind %q: use one of %s", e.ID, e.Kind, strings.Join(Kinds(), ", "))
	}
	return nil
}

// Headline is a one-line summary of e: its Title, or when that is empty a
// sentence built from Kind, Project, Env, Run and Release.
func (e Event) Headline() string {
	if e.Title != "" {
		return e.Title
	}
	where := e.Project
	if e.Env != "" {
		where = strings.TrimPrefix(where+"/"+e.Env, "/")
	}
	what := e.Release
	if what == "" {
		what = e.Version
	}
	var s string
	switch e.Kind {
	case KindRunFailed:
		s = join("Run", e.Run, "failed")
	case KindGateBlocked:
		s = join("Gate blocked", e.Run, "")
	case KindApprovalRequested:
		s = join("Approval requested for", what, "")
	case KindReleaseDeployed:
		s = join("Release", what, "deployed")
	case KindReleaseRolledBack:
		s = join("Release", what, "rolled back")
	case KindScanNewCritical:
		s = "Scan found new critical findings"
	case KindTerraformDrift:
		s = "Terraform plan found drift"
	default:
		s = "sluice event " + e.Kind
	}
	if where != "" {
		s = where + ": " + s
	}
	return s
}

func join(a, b, c string) string {
	return strings.Join(slices.DeleteFunc([]string{a, b, c}, func(s string) bool { return s == "" }), " ")
}

// facts lists e's labelled values for people, empty ones left out, Fields
// last in key order.
func (e Event) facts() [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("Project", e.Project)
	add("Environment", e.Env)
	add("Run", e.Run)
	add("Release", e.Release)
	add("Version", e.Version)
	add("Actor", e.Actor)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(k, e.Fields[k])
	}
	return out
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
