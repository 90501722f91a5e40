package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var controlTests = []subtest{
	{"Keys", testKeys},
	{"ProjectsAndDeliveries", testProjectsAndDeliveries},
	{"Leases", testLeases},
}

func testKeys(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	k := &store.APIKey{ID: "k1", Name: "ci", Hash: "sha256:ab", Grants: []string{"developer@goodbooks"}, SigningKey: []byte{1, 2},
		CreatedBy: "ana", CreatedAt: at(0), ExpiresAt: at(24 * time.Hour)}
	if err := cs.CreateKey(ctx, k, &store.AuditRecord{Action: "key.create", Subject: "key/k1"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a key id twice", cs.CreateKey(ctx, &store.APIKey{ID: "k1", Hash: "x"}, nil), store.ErrConflict)
	got, err := cs.GetKey(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "key", k, got)
	if err := cs.TouchKey(ctx, "k1", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := cs.RevokeKey(ctx, "k1", at(2*time.Hour), &store.AuditRecord{Action: "key.revoke", Subject: "key/k1"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "revoking twice", cs.RevokeKey(ctx, "k1", at(3*time.Hour), nil), store.ErrNotFound)
	got, _ = cs.GetKey(ctx, "k1")
	if !got.LastUsedAt.Equal(at(time.Hour)) || !got.RevokedAt.Equal(at(2*time.Hour)) {
		t.Errorf("used/revoked: %+v", got)
	}
	_, err = cs.GetKey(ctx, "nope")
	wantErr(t, "unknown key", err, store.ErrNotFound)
	list, err := cs.ListKeys(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("ListKeys: %v %v", list, err)
	}
}

func testProjectsAndDeliveries(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	p := &store.Project{Name: "goodbooks", Repo: "https://git.example/goodbooks.git", Pipeline: "sluice.yaml", WebhookSecret: []byte("sealed"), CreatedAt: at(0)}
	if err := cs.PutProject(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	got, err := cs.GetProject(ctx, "goodbooks")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "project", p, got)
	if list, _ := cs.ListProjects(ctx); len(list) != 1 {
		t.Errorf("projects: %v", list)
	}
	if err := cs.RecordDelivery(ctx, "github", "d-1", at(0)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a replayed delivery", cs.RecordDelivery(ctx, "github", "d-1", at(time.Second)), store.ErrConflict)
	if err := cs.RecordDelivery(ctx, "gitlab", "d-1", at(0)); err != nil {
		t.Errorf("the same id from another provider: %v", err)
	}
}

func testLeases(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	take := func(holder string, now time.Time) bool {
		t.Helper()
		ok, err := cs.AcquireLease(ctx, "scheduler", holder, now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("a", at(0)) {
		t.Fatal("a free lease was refused")
	}
	if take("b", at(30*time.Second)) {
		t.Error("b took a's unexpired lease")
	}
	if !take("a", at(50*time.Second)) {
		t.Error("a could not renew its lease")
	}
	if take("b", at(100*time.Second)) {
		t.Error("b took the renewed lease before it expired")
	}
	if !take("b", at(111*time.Second)) {
		t.Error("b could not take an expired lease")
	}
	if take("a", at(112*time.Second)) {
		t.Error("a took b's lease back")
	}
}
