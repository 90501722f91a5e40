package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var approvalTests = []subtest{
	{"RequestVerdicts", testApprovals},
}

func testApprovals(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	as := s.Approvals()
	r := mustRun(t, s, "")
	req := &store.ApprovalRequest{RunID: r.ID, Env: "production", JobID: "deploy", Min: 2, Roles: []string{"approver"},
		NotAuthor: true, Author: "ana", Deadline: at(time.Hour), State: store.ApprovalPending, CreatedAt: at(0)}
	if err := as.RequestApproval(ctx, req, &store.AuditRecord{Action: "approval.request", Subject: "run/" + r.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := as.GetApprovalRequest(ctx, r.ID, "production")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "approval request", req, got)
	pending, err := as.ListApprovalRequests(ctx, store.ApprovalPending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending requests: %v %v", pending, err)
	}
	bo := &store.Approval{RunID: r.ID, Env: "production", Approver: "bo", Role: "approver", Verdict: "approve", Comment: "lgtm", CreatedAt: at(time.Minute)}
	if err := as.PutApproval(ctx, bo, &store.AuditRecord{Action: "approval.approve", Subject: "run/" + r.ID}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a second verdict of the same approver",
		as.PutApproval(ctx, &store.Approval{RunID: r.ID, Env: "production", Approver: "bo", Verdict: "reject"}, nil), store.ErrConflict)
	wantErr(t, "a verdict without a request",
		as.PutApproval(ctx, &store.Approval{RunID: r.ID, Env: "staging", Approver: "bo", Verdict: "approve"}, nil), store.ErrNotFound)
	cy := &store.Approval{RunID: r.ID, Env: "production", Approver: "cy", Role: "approver", Verdict: "approve", CreatedAt: at(2 * time.Minute)}
	if err := as.PutApproval(ctx, cy, nil); err != nil {
		t.Fatal(err)
	}
	list, err := as.ListApprovals(ctx, r.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "approvals oldest first", []*store.Approval{bo, cy}, list)
	if err := as.SetApprovalState(ctx, r.ID, "production", store.ApprovalApproved, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = as.GetApprovalRequest(ctx, r.ID, "production")
	if got.State != store.ApprovalApproved || got.DecidedAt.IsZero() {
		t.Errorf("after approval: %+v", got)
	}
	// A new request (a resumed run) starts the verdicts over.
	req.State = store.ApprovalPending
	if err := as.RequestApproval(ctx, req, nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := as.ListApprovals(ctx, r.ID, "production"); len(list) != 0 {
		t.Errorf("old verdicts kept for a new request: %v", list)
	}
	recs, _ := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "run/" + r.ID})
	if len(recs) != 2 {
		t.Errorf("audit records: %d, want 2", len(recs))
	}
}
