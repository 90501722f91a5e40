package gatekeeper

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
)

// DefaultApprovalTimeout is how long a release waits for approval when
// the environment's approval has no timeout.
const DefaultApprovalTimeout = 24 * time.Hour

// Verdicts.
const (
	Approve = "approve"
	Reject  = "reject"
)

// Errors of Decide.
var (
	ErrNoRequest   = errors.New("nothing waits for approval")
	ErrSelfApprove = errors.New("the author of a change may not approve it")
	ErrNotAllowed  = errors.New("not allowed to approve")
)

// awaitApproval asks for the approvals environment env requires of the
// run and waits for them: enough distinct approvers (never the run's
// author when not_author), no rejection, before the deadline.
func (k *Keeper) awaitApproval(ctx context.Context, req engine.AdmitRequest, a *spec.Approval) error {
	if a == nil || a.Min <= 0 {
		return nil
	}
	timeout := a.Timeout.D()
	if timeout <= 0 {
		timeout = DefaultApprovalTimeout
	}
	run := req.Run
	ar := &store.ApprovalRequest{RunID: run.ID, Env: req.Env, JobID: req.JobID, Min: a.Min, Roles: a.Roles,
		NotAuthor: a.NotAuthor, Author: run.Actor, Deadline: k.now().Add(timeout), State: store.ApprovalPending, CreatedAt: k.now()}
	as := k.Store.Approvals()
	if err := as.RequestApproval(ctx, ar, &store.AuditRecord{Time: k.now(), Actor: run.Actor, Action: "approval.requested",
		Subject: "run/" + run.ID, Data: map[string]string{"env": req.Env, "job": req.JobID, "min": fmt.Sprint(a.Min),
			"not_author": fmt.Sprint(a.NotAuthor), "deadline": ar.Deadline.UTC().Format(time.RFC3339)}}); err != nil {
		return fmt.Errorf("request approval for %s: %w", req.Env, err)
	}
	who := "anyone"
	if len(a.Roles) > 0 {
		who = "a holder of " + strings.Join(a.Roles, " or ")
	}
	if a.NotAuthor {
		who += fmt.Sprintf(" other than %s (who started this run)", orSomeone(run.Actor))
	}
	req.Log(fmt.Sprintf("waiting for %d %s from %s until %s: sluice approve %d --env %s (or reject)",
		a.Min, plural(a.Min, "approval"), who, ar.Deadline.Local().Format("2006-01-02 15:04"), run.Number, req.Env))
	if k.OnApprovalRequested != nil {
		k.OnApprovalRequested(ar, &run)
	}
	poll := k.ApprovalPoll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	seen := 0
	for {
		vs, err := as.ListApprovals(ctx, run.ID, req.Env)
		if err != nil {
			return err
		}
		approvers := map[string]bool{}
		for _, v := range vs[min(seen, len(vs)):] {
			req.Log(fmt.Sprintf("%s: %s%s", v.Approver, v.Verdict, commentOf(v.Comment)))
		}
		seen = len(vs)
		for _, v := range vs {
			if v.Verdict == Reject {
				_ = as.SetApprovalState(context.WithoutCancel(ctx), run.ID, req.Env, store.ApprovalRejected, &store.AuditRecord{Time: k.now(),
					Actor: v.Approver, Action: "approval.rejected", Subject: "run/" + run.ID, Data: map[string]string{"env": req.Env, "comment": v.Comment}})
				return fmt.Errorf("release to %s rejected by %s%s", req.Env, v.Approver, commentOf(v.Comment))
			}
			if !(a.NotAuthor && sameActor(v.Approver, run.Actor)) {
				approvers[strings.ToLower(v.Approver)] = true
			}
		}
		if len(approvers) >= a.Min {
			names := make([]string, 0, len(approvers))
			for n := range approvers {
				names = append(names, n)
			}
			slices.Sort(names)
			if err := as.SetApprovalState(context.WithoutCancel(ctx), run.ID, req.Env, store.ApprovalApproved, &store.AuditRecord{Time: k.now(),
				Actor: strings.Join(names, ","), Action: "approval.granted", Subject: "run/" + run.ID, Data: map[string]string{"env": req.Env}}); err != nil {
				return err
			}
			req.Log(fmt.Sprintf("approved for %s by %s", req.Env, strings.Join(names, ", ")))
			return nil
		}
		if k.now().After(ar.Deadline) {
			_ = as.SetApprovalState(context.WithoutCancel(ctx), run.ID, req.Env, store.ApprovalExpired, &store.AuditRecord{Time: k.now(),
				Action: "approval.expired", Subject: "run/" + run.ID, Data: map[string]string{"env": req.Env}})
			return fmt.Errorf("release to %s not approved within %s (%d of %d approvals): rejected", req.Env, timeout, len(approvers), a.Min)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}

// Decide records a person's verdict on the approval run waits for in env,
// checking the four-eyes rule and the allowed roles. role is the role the
// person acts in ("local" for the data folder's owner at the command
// line, who is trusted with every role).
func Decide(ctx context.Context, st store.Store, run *store.Run, env, who, role, verdict, comment string, now time.Time) error {
	if verdict != Approve && verdict != Reject {
		return fmt.Errorf("verdict %q: want approve or reject", verdict)
	}
	as := st.Approvals()
	ar, err := as.GetApprovalRequest(ctx, run.ID, env)
	if errors.Is(err, store.ErrNotFound) || err == nil && ar.State != store.ApprovalPending {
		state := "no request"
		if ar != nil {
			state = ar.State
		}
		return fmt.Errorf("%w: run #%d in %s (%s)", ErrNoRequest, run.Number, env, state)
	}
	if err != nil {
		return err
	}
	audit := &store.AuditRecord{Time: now, Actor: who, Action: "approval." + verdict, Subject: "run/" + run.ID,
		Data: map[string]string{"env": env, "role": role, "comment": comment}}
	if verdict == Approve && ar.NotAuthor && sameActor(who, ar.Author) {
		audit.Action = "approval.refused"
		audit.Data["reason"] = "four-eyes: the approver started the run"
		_ = st.Audit().AppendAudit(ctx, audit)
		return fmt.Errorf("%w: %s started run #%d; someone else must approve its release to %s", ErrSelfApprove, who, run.Number, env)
	}
	if role != "local" && len(ar.Roles) > 0 && !slices.Contains(ar.Roles, role) && role != "admin" {
		audit.Action = "approval.refused"
		audit.Data["reason"] = "role " + role + " may not approve"
		_ = st.Audit().AppendAudit(ctx, audit)
		return fmt.Errorf("%w: %s approves in %s only as %s, not as %s", ErrNotAllowed, who, env, strings.Join(ar.Roles, " or "), role)
	}
	return as.PutApproval(ctx, &store.Approval{RunID: run.ID, Env: env, Approver: who, Role: role, Verdict: verdict,
		Comment: comment, CreatedAt: now}, audit)
}

func sameActor(a, b string) bool {
	return a != "" && strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func orSomeone(s string) string {
	if s == "" {
		return "the author"
	}
	return s
}

func commentOf(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}
