package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var userTests = []subtest{
	{"CreateGetList", testUsersCreateGetList},
	{"DisableRevokesSessions", testUsersDisable},
	{"PasswordRevokesSessions", testUsersPassword},
	{"AuditInSameTransaction", testUsersAudit},
}

// mustUser stores a user named name.
func mustUser(t *testing.T, s store.Store, name string, grants ...string) *store.User {
	t.Helper()
	u := &store.User{Name: name, PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", Grants: grants,
		CreatedBy: "root", CreatedAt: at(0)}
	if err := s.Control().CreateUser(t.Context(), u, &store.AuditRecord{Action: "user.create", Subject: "user/" + name}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	return u
}

// mustSessionKey stores a login session key of user.
func mustSessionKey(t *testing.T, s store.Store, id, user string) *store.APIKey {
	t.Helper()
	k := &store.APIKey{ID: id, Name: "session of " + user, Hash: "sha256:" + id, Grants: []string{"viewer"}, CreatedBy: user,
		CreatedAt: at(0), ExpiresAt: at(12 * time.Hour), User: user}
	if err := s.Control().CreateKey(t.Context(), k, nil); err != nil {
		t.Fatalf("CreateKey %s: %v", id, err)
	}
	return k
}

func testUsersCreateGetList(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	ana := mustUser(t, s, "ana", "developer@goodbooks", "approver@*/staging")
	mustUser(t, s, "bo.b-1", "viewer")
	dup := &store.User{Name: "ana", PasswordHash: "x"}
	wantErr(t, "a user name twice", cs.CreateUser(ctx, dup, nil), store.ErrConflict)
	got, err := cs.GetUser(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "user", ana, got)
	_, err = cs.GetUser(ctx, "nobody")
	wantErr(t, "unknown user", err, store.ErrNotFound)
	_, err = cs.GetUser(ctx, "bad\x00name")
	wantErr(t, "a name no store can hold", err, store.ErrNotFound)
	list, err := cs.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "ana" || list[1].Name != "bo.b-1" {
		t.Errorf("ListUsers: %+v", list)
	}
	if err := cs.TouchUser(ctx, "ana", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := cs.TouchUser(ctx, "nobody", at(time.Hour)); err != nil {
		t.Errorf("TouchUser of an unknown user: %v", err)
	}
	got, _ = cs.GetUser(ctx, "ana")
	if !got.LastLoginAt.Equal(at(time.Hour)) {
		t.Errorf("last login: %v", got.LastLoginAt)
	}
	// A key records the user it is a session of.
	k := mustSessionKey(t, s, "sess1", "ana")
	gotKey, err := cs.GetKey(ctx, "sess1")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "session key", k, gotKey)
}

func testUsersDisable(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	mustUser(t, s, "ana", "developer")
	mustUser(t, s, "bo", "viewer")
	mustSessionKey(t, s, "ana1", "ana")
	mustSessionKey(t, s, "ana2", "ana")
	mustSessionKey(t, s, "bo1", "bo")
	plain := &store.APIKey{ID: "plain", Name: "ana", Hash: "sha256:p", Grants: []string{"admin"}, CreatedAt: at(0)}
	if err := cs.CreateKey(ctx, plain, nil); err != nil {
		t.Fatal(err)
	}
	if err := cs.RevokeKey(ctx, "ana2", at(time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	if err := cs.DisableUser(ctx, "ana", at(time.Hour), &store.AuditRecord{Action: "user.disable", Subject: "user/ana"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "disabling twice", cs.DisableUser(ctx, "ana", at(2*time.Hour), nil), store.ErrNotFound)
	wantErr(t, "disabling an unknown user", cs.DisableUser(ctx, "nobody", at(time.Hour), nil), store.ErrNotFound)
	u, err := cs.GetUser(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if !u.DisabledAt.Equal(at(time.Hour)) {
		t.Errorf("disabled at %v", u.DisabledAt)
	}
	revoked := map[string]time.Time{}
	keys, err := cs.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		revoked[k.ID] = k.RevokedAt
	}
	if !revoked["ana1"].Equal(at(time.Hour)) {
		t.Errorf("ana's session key: revoked at %v, want the time of disabling", revoked["ana1"])
	}
	if !revoked["ana2"].Equal(at(time.Minute)) {
		t.Errorf("ana's key revoked before: revoked at %v, want its own time kept", revoked["ana2"])
	}
	if !revoked["bo1"].IsZero() || !revoked["plain"].IsZero() {
		t.Errorf("keys of others were revoked: bo1 %v, plain key named ana %v", revoked["bo1"], revoked["plain"])
	}
	wantErr(t, "setting a disabled user's password", cs.UpdateUserPassword(ctx, "ana", "h", at(3*time.Hour), nil), store.ErrNotFound)
}

func testUsersPassword(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	mustUser(t, s, "ana", "developer")
	mustSessionKey(t, s, "ana1", "ana")
	if err := cs.UpdateUserPassword(ctx, "ana", "$argon2id$new", at(time.Hour), &store.AuditRecord{Action: "user.password", Subject: "user/ana"}); err != nil {
		t.Fatal(err)
	}
	u, _ := cs.GetUser(ctx, "ana")
	if u.PasswordHash != "$argon2id$new" || !u.DisabledAt.IsZero() {
		t.Errorf("after the password change: %+v", u)
	}
	k, _ := cs.GetKey(ctx, "ana1")
	if !k.RevokedAt.Equal(at(time.Hour)) {
		t.Errorf("the session key outlived the password change: revoked at %v", k.RevokedAt)
	}
	wantErr(t, "an unknown user's password", cs.UpdateUserPassword(ctx, "nobody", "h", at(time.Hour), nil), store.ErrNotFound)
}

// testUsersAudit: each change writes its audit record, and a refused one
// writes none.
func testUsersAudit(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	cs := s.Control()
	mustUser(t, s, "ana", "viewer")
	_ = cs.CreateUser(ctx, &store.User{Name: "ana", PasswordHash: "x"}, &store.AuditRecord{Action: "user.create", Subject: "user/ana"})
	_ = cs.DisableUser(ctx, "nobody", at(0), &store.AuditRecord{Action: "user.disable", Subject: "user/nobody"})
	if err := cs.UpdateUserPassword(ctx, "ana", "h2", at(time.Minute), &store.AuditRecord{Action: "user.password", Subject: "user/ana"}); err != nil {
		t.Fatal(err)
	}
	if err := cs.DisableUser(ctx, "ana", at(time.Hour), &store.AuditRecord{Action: "user.disable", Subject: "user/ana"}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "user/"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Action+" "+r.Subject)
	}
	wantDiff(t, "audit records", []string{"user.create user/ana", "user.password user/ana", "user.disable user/ana"}, got)
}
