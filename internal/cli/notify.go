package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/notify"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/tfplan"
)

// NotifyFile holds the notifications configuration in the data folder;
// every sluice process using the folder reads it.
const NotifyFile = "notify.yaml"

// notifier is a dispatcher with the audit trail as its record.
type notifier struct {
	d  *notify.Dispatcher
	st store.Store
}

// loadNotifier reads DATA/notify.yaml; no file means no notifications.
func (g *globals) loadNotifier(data string, st store.Store) (*notifier, error) {
	path := filepath.Join(data, NotifyFile)
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &notifier{}, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Notifications map[string]any `yaml:"notifications"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	if doc.Notifications == nil {
		return nil, usageErr("%s: no notifications: section", path)
	}
	cfg, err := notify.ParseConfig(doc.Notifications)
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	d, err := cfg.NewDispatcher(func(e notify.Event, sender string, attempt int, err error) {
		var re *notify.RetryError
		if errors.As(err, &re) {
			return // another attempt follows; the final outcome is recorded
		}
		action, data := "notify.delivered", map[string]string{"event": e.ID, "kind": e.Kind, "sender": sender, "attempt": strconv.Itoa(attempt)}
		if err != nil {
			action, data["error"] = "notify.failed", err.Error()
		}
		_ = st.Audit().AppendAudit(context.Background(), &store.AuditRecord{Time: time.Now(), Actor: "sluice", Action: action,
			Subject: "notify/" + e.Kind, Data: data})
	}, g.logger())
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return &notifier{d: d, st: st}, nil
}

// send notifies e (a no-op without configuration).
func (n *notifier) send(e notify.Event) {
	if n == nil || n.d == nil {
		return
	}
	if e.ID == "" {
		e.ID = e.Kind + "-" + randomHex(8)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	n.d.Notify(context.Background(), e)
}

// close delivers what is queued, waiting at most 15s.
func (n *notifier) close() {
	if n == nil || n.d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = n.d.Close(ctx)
}

// hooks are the gatekeeper hooks that notify.
func (n *notifier) hooks() gatekeeper.Hooks {
	return gatekeeper.Hooks{
		OnBlocked: func(run store.Run, env string, d gate.Decision) {
			n.send(notify.Event{Kind: notify.KindGateBlocked, Env: env, Run: fmt.Sprintf("#%d", run.Number), Actor: run.Actor,
				Title: fmt.Sprintf("gate %s blocked run #%d", env, run.Number), Text: d.Summary(),
				Fields: map[string]string{"commit": run.Commit, "blocking": strconv.Itoa(len(d.Blocking))}})
		},
		OnApprovalRequested: func(r *store.ApprovalRequest, run *store.Run) {
			n.send(notify.Event{Kind: notify.KindApprovalRequested, Env: r.Env, Run: fmt.Sprintf("#%d", run.Number), Actor: run.Actor,
				Title:  fmt.Sprintf("run #%d waits for approval to enter %s", run.Number, r.Env),
				Text:   fmt.Sprintf("sluice approve %d --env %s", run.Number, r.Env),
				Fields: map[string]string{"min": strconv.Itoa(r.Min), "until": r.Deadline.UTC().Format(time.RFC3339)}})
		},
	}
}

// runEnded notifies a failed run, and a scheduled run whose scans found
// critical findings the previous scheduled run did not.
func (n *notifier) runEnded(r *store.Run) {
	if r == nil {
		return
	}
	if r.Event == "schedule" {
		n.newCritical(r)
		n.drift(r)
	}
	if r.Status != store.StatusFailed {
		return
	}
	n.send(notify.Event{Kind: notify.KindRunFailed, Run: fmt.Sprintf("#%d", r.Number), Actor: r.Actor,
		Title: fmt.Sprintf("run #%d of %s failed", r.Number, r.Pipeline), Text: r.Error,
		Fields: map[string]string{"commit": r.Commit, "branch": r.Branch}})
}

func (n *notifier) newCritical(r *store.Run) {
	if n == nil || n.d == nil || n.st == nil {
		return
	}
	ctx := context.Background()
	ev, err := gatekeeper.RunEvidence(ctx, n.st, r.ID, nil)
	if err != nil {
		return
	}
	before := map[string]bool{}
	if runs, err := n.st.Runs().ListRuns(ctx, store.RunFilter{Limit: 50}); err == nil {
		for _, p := range runs {
			if p.Number < r.Number && p.Event == "schedule" && p.Pipeline == r.Pipeline {
				if pe, err := gatekeeper.RunEvidence(ctx, n.st, p.ID, nil); err == nil {
					for _, f := range pe.Findings {
						before[f.Fingerprint] = true
					}
				}
				break
			}
		}
	}
	var fresh []string
	for _, f := range ev.Findings {
		if f.Severity == findings.Critical && !f.InlineIgnored && !before[f.Fingerprint] {
			fresh = append(fresh, f.RuleID+" at "+f.Location.String())
		}
	}
	if len(fresh) == 0 {
		return
	}
	n.send(notify.Event{Kind: notify.KindScanNewCritical, Run: fmt.Sprintf("#%d", r.Number),
		Title: fmt.Sprintf("the scheduled scan of %s found %d new critical %s", r.Pipeline, len(fresh), plural(len(fresh), "finding")),
		Text:  strings.Join(fresh, "\n"), Fields: map[string]string{"commit": r.Commit}})
}

// drift notifies each terraform job of a scheduled run whose plan has
// changes: the live infrastructure no longer matches its configuration
// (someone changed it by hand, or the configuration moved on unapplied).
func (n *notifier) drift(r *store.Run) {
	if n == nil || n.d == nil || n.st == nil {
		return
	}
	evs, err := n.st.Evidence().ListEvidence(context.Background(), r.ID)
	if err != nil {
		return
	}
	for _, e := range evs {
		if e.Kind != engine.EvidenceTFPlan {
			continue
		}
		var sum tfplan.Summary
		if json.Unmarshal(e.Body, &sum) != nil || sum.Add+sum.Change+sum.Destroy == 0 {
			continue
		}
		n.send(notify.Event{Kind: notify.KindTerraformDrift, Run: fmt.Sprintf("#%d", r.Number),
			Title: fmt.Sprintf("drift: the scheduled plan of job %s in %s has changes", e.JobID, r.Pipeline),
			Text:  strings.Join(append([]string{sum.String()}, sum.Lines(20)...), "\n"),
			Fields: map[string]string{"job": e.JobID, "add": strconv.Itoa(sum.Add), "change": strconv.Itoa(sum.Change),
				"destroy": strconv.Itoa(sum.Destroy), "commit": r.Commit}})
	}
}
