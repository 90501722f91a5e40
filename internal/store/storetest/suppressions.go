package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var suppressionTests = []subtest{
	{"CreateGetList", testSuppressionsCreate},
	{"Revoke", testSuppressionsRevoke},
	{"AuditInTransaction", testSuppressionsAtomic},
}

func testSuppressionsCreate(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	ss := s.Suppressions()
	a := &store.Suppression{Project: "web", Fingerprint: "fp-1", Reason: "only in tests", Owner: "platform", Expires: at(30 * 24 * time.Hour),
		CreatedBy: "ana", CreatedAt: at(0)}
	if err := ss.CreateSuppression(ctx, a, &store.AuditRecord{Action: "suppression.create", Data: map[string]string{"project": "web"}}); err != nil {
		t.Fatal(err)
	}
	b := &store.Suppression{Project: "web", Rule: "G304", Path: "cmd/**", Reason: "reads our own path", Owner: "bo", Expires: at(time.Hour)}
	if err := ss.CreateSuppression(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	c := &store.Suppression{Project: "api", Advisory: "CVE-2023-1", Package: "requests", Reason: "no proxies", Owner: "cy", Expires: at(time.Hour),
		CreatedAt: at(0)}
	if err := ss.CreateSuppression(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if a.ID <= 0 || b.ID <= a.ID || c.ID <= b.ID {
		t.Errorf("ids not increasing: %d %d %d", a.ID, b.ID, c.ID)
	}
	if b.CreatedAt.IsZero() {
		t.Error("CreatedAt was not set")
	}
	got, err := ss.GetSuppression(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "suppression", a, got)
	_, err = ss.GetSuppression(ctx, c.ID+100)
	wantErr(t, "an unknown suppression", err, store.ErrNotFound)
	list, err := ss.ListSuppressions(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "web's suppressions", []*store.Suppression{a, b}, list)
	if list, _ := ss.ListSuppressions(ctx, "nobody"); len(list) != 0 {
		t.Errorf("a project without suppressions has %d", len(list))
	}
	for _, bad := range []store.Suppression{
		{Project: "web", Fingerprint: "fp-2", Owner: "ana", Expires: at(time.Hour)},
		{Project: "web", Fingerprint: "fp-2", Reason: "r", Expires: at(time.Hour)},
		{Project: "web", Fingerprint: "fp-2", Reason: "r", Owner: "ana"},
	} {
		if err := ss.CreateSuppression(ctx, &bad, nil); err == nil {
			t.Errorf("stored a suppression without a reason, owner or expiry: %+v", bad)
		}
	}
	if list, _ := ss.ListSuppressions(ctx, "web"); len(list) != 2 {
		t.Errorf("refused suppressions were stored: %d", len(list))
	}
	recs, err := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "suppression/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Subject != store.SuppressionSubject(a.ID) || recs[0].Action != "suppression.create" {
		t.Errorf("audit records: %+v", recs)
	}
	if !a.Active(at(0)) || a.Active(at(31*24*time.Hour)) {
		t.Error("Active does not follow the expiry")
	}
}

func testSuppressionsRevoke(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	ss := s.Suppressions()
	a := &store.Suppression{Project: "web", Fingerprint: "fp-1", Reason: "r", Owner: "o", Expires: at(time.Hour), CreatedAt: at(0)}
	if err := ss.CreateSuppression(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	audit := &store.AuditRecord{Action: "suppression.revoke", Subject: store.SuppressionSubject(a.ID)}
	if err := ss.RevokeSuppression(ctx, a.ID, "bo", at(time.Minute), audit); err != nil {
		t.Fatal(err)
	}
	got, err := ss.GetSuppression(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(at(time.Minute)) || got.RevokedBy != "bo" || got.Active(at(0)) {
		t.Errorf("revoked suppression: %+v", got)
	}
	wantErr(t, "revoking twice", ss.RevokeSuppression(ctx, a.ID, "cy", at(2*time.Minute), nil), store.ErrNotFound)
	wantErr(t, "revoking an unknown suppression", ss.RevokeSuppression(ctx, a.ID+1, "cy", at(0), nil), store.ErrNotFound)
	got, _ = ss.GetSuppression(ctx, a.ID)
	if got.RevokedBy != "bo" {
		t.Errorf("a second revocation changed the first: %+v", got)
	}
	recs, _ := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: store.SuppressionSubject(a.ID)})
	if len(recs) != 1 || recs[0].Action != "suppression.revoke" {
		t.Errorf("audit records: %+v", recs)
	}
}

// testSuppressionsAtomic: a change whose audit record cannot be written
// is not made.
func testSuppressionsAtomic(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	ss := s.Suppressions()
	a := &store.Suppression{Project: "web", Fingerprint: "fp-1", Reason: "r", Owner: "o", Expires: at(time.Hour)}
	if err := ss.CreateSuppression(ctx, a, &store.AuditRecord{}); err == nil {
		t.Fatal("a suppression was created with an audit record without action")
	}
	if list, _ := ss.ListSuppressions(ctx, "web"); len(list) != 0 {
		t.Fatalf("the suppression was stored without its audit record: %+v", list[0])
	}
	if err := ss.CreateSuppression(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if err := ss.RevokeSuppression(ctx, a.ID, "bo", at(0), &store.AuditRecord{}); err == nil {
		t.Fatal("a suppression was revoked with an audit record without action")
	}
	if got, _ := ss.GetSuppression(ctx, a.ID); got == nil || !got.RevokedAt.IsZero() {
		t.Errorf("the suppression was revoked without its audit record: %+v", got)
	}
}
