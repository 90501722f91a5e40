package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

var tfStateTests = []subtest{
	{"WriteSerialLineage", testTFWrite},
	{"Locks", testTFLocks},
	{"ConcurrentLockers", testTFConcurrentLockers},
	{"DeleteKeepsVersions", testTFDelete},
	{"RestoreAndReseal", testTFRestoreReseal},
}

// tfVersion is a version of state name to write.
func tfVersion(project, name string, serial int64, lineage, content string) *store.TFStateVersion {
	return &store.TFStateVersion{Project: project, Name: name, Serial: serial, Lineage: lineage, SHA256: "sha-" + content,
		Size: int64(len(content)), Sealed: []byte("sealed " + content), Actor: "ci", CreatedAt: at(0)}
}

func mustPut(t *testing.T, s store.Store, v *store.TFStateVersion, lockID string) {
	t.Helper()
	stored, err := s.TFState().PutTFStateVersion(t.Context(), v, lockID, &store.AuditRecord{Actor: v.Actor, Action: "tfstate.write", Subject: "tfstate/" + v.Name})
	if err != nil || !stored {
		t.Fatalf("PutTFStateVersion(serial %d): stored %v, %v", v.Serial, stored, err)
	}
}

func testTFWrite(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	tf := s.TFState()
	_, err := tf.GetTFState(ctx, "", "net")
	wantErr(t, "a state never written", err, store.ErrNotFound)
	_, err = tf.GetTFStateVersion(ctx, "", "net", 0)
	wantErr(t, "the current version of a state never written", err, store.ErrNotFound)

	v1 := tfVersion("", "net", 1, "L1", "one")
	mustPut(t, s, v1, "")
	if v1.Version != 1 {
		t.Errorf("first version numbered %d", v1.Version)
	}
	got, err := tf.GetTFStateVersion(ctx, "", "net", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "current version", v1, got)

	// The same content again changes nothing.
	again := tfVersion("", "net", 1, "L1", "one")
	stored, err := tf.PutTFStateVersion(ctx, again, "", &store.AuditRecord{Action: "tfstate.write"})
	if err != nil || stored || again.Version != 1 {
		t.Errorf("the same content again: stored %v, version %d, %v", stored, again.Version, err)
	}
	// Stale or foreign writes are refused.
	for what, v := range map[string]*store.TFStateVersion{
		"a lower serial":                   tfVersion("", "net", 0, "L1", "zero"),
		"the same serial, another content": tfVersion("", "net", 1, "L1", "other"),
		"another lineage":                  tfVersion("", "net", 5, "L2", "five"),
	} {
		_, err := tf.PutTFStateVersion(ctx, v, "", &store.AuditRecord{Action: "tfstate.write"})
		var se *store.TFStaleError
		if !errors.As(err, &se) || !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: got %v, want a *TFStaleError matching ErrConflict", what, err)
		}
	}
	v2 := tfVersion("", "net", 4, "L1", "four")
	mustPut(t, s, v2, "")
	if v2.Version != 2 {
		t.Errorf("second version numbered %d", v2.Version)
	}
	// A state of the same name in a project is another state.
	mustPut(t, s, tfVersion("web", "net", 1, "LW", "web"), "")

	st, err := tf.GetTFState(ctx, "", "net")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "state", &store.TFState{Name: "net", Version: 2, Serial: 4, Lineage: "L1", SHA256: "sha-four", Size: 4, UpdatedBy: "ci", UpdatedAt: at(0)}, st)
	vs, err := tf.ListTFStateVersions(ctx, "", "net")
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[1].Serial != 4 || vs[0].Sealed != nil {
		t.Errorf("ListTFStateVersions: %+v %v", vs, err)
	}
	old, err := tf.GetTFStateVersion(ctx, "", "net", 1)
	if err != nil || string(old.Sealed) != "sealed one" {
		t.Errorf("version 1: %+v %v", old, err)
	}
	_, err = tf.GetTFStateVersion(ctx, "", "net", 3)
	wantErr(t, "a version not written", err, store.ErrNotFound)
	list, err := tf.ListTFStates(ctx)
	if err != nil || len(list) != 2 || list[0].Project != "" || list[1].Project != "web" {
		t.Errorf("ListTFStates: %+v %v", list, err)
	}
	recs, _ := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "tfstate/net"})
	if len(recs) != 3 || recs[0].Data["version"] != "1" || recs[1].Data["version"] != "2" {
		t.Errorf("audit records of the writes: %+v", recs)
	}
}

func testTFLocks(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	tf := s.TFState()
	a := &store.TFLock{Name: "net", ID: "lock-a", Info: []byte(`{"ID":"lock-a","Who":"ana@host"}`), Actor: "ana", CreatedAt: at(0)}
	if err := tf.LockTFState(ctx, a, &store.AuditRecord{Action: "tfstate.lock", Subject: "tfstate/net"}); err != nil {
		t.Fatal(err)
	}
	// Locked before the first write: the state shows, with its lock.
	st, err := tf.GetTFState(ctx, "", "net")
	if err != nil || st.Version != 0 || st.Lock == nil {
		t.Fatalf("a locked state never written: %+v %v", st, err)
	}
	wantDiff(t, "lock", &store.TFLock{Name: "net", ID: "lock-a", Info: a.Info, Actor: "ana", CreatedAt: at(0)}, st.Lock)

	b := &store.TFLock{Name: "net", ID: "lock-b", Info: []byte(`{"ID":"lock-b"}`), Actor: "bo"}
	err = tf.LockTFState(ctx, b, &store.AuditRecord{Action: "tfstate.lock"})
	var le *store.TFLockError
	if !errors.As(err, &le) || !errors.Is(err, store.ErrLocked) || le.Held == nil || le.Held.ID != "lock-a" || string(le.Held.Info) != string(a.Info) {
		t.Fatalf("a second locker: %v, want a *TFLockError naming lock-a", err)
	}
	if err := tf.LockTFState(ctx, &store.TFLock{Name: "net", ID: "lock-a", Info: a.Info}, nil); err != nil {
		t.Errorf("the holder locking again: %v", err)
	}
	// Writes need the lock's id.
	for given, want := range map[string]string{"": "lock-a", "lock-b": "lock-a"} {
		_, err := tf.PutTFStateVersion(ctx, tfVersion("", "net", 1, "L", "one"), given, nil)
		if !errors.As(err, &le) || le.Held == nil || le.Held.ID != want || le.Given != given {
			t.Errorf("a write with lock id %q: %v", given, err)
		}
	}
	mustPut(t, s, tfVersion("", "net", 1, "L", "one"), "lock-a")
	// Unlocking needs the lock's id too.
	if _, err := tf.UnlockTFState(ctx, "", "net", "lock-b", nil); !errors.As(err, &le) || le.Held.ID != "lock-a" {
		t.Errorf("unlock with another id: %v", err)
	}
	held, err := tf.UnlockTFState(ctx, "", "net", "lock-a", &store.AuditRecord{Action: "tfstate.unlock", Subject: "tfstate/net"})
	if err != nil || held.ID != "lock-a" {
		t.Fatalf("unlock: %+v %v", held, err)
	}
	_, err = tf.UnlockTFState(ctx, "", "net", "lock-a", nil)
	wantErr(t, "unlocking twice", err, store.ErrNotFound)
	// A write with the id of a lock no longer held is refused.
	_, err = tf.PutTFStateVersion(ctx, tfVersion("", "net", 2, "L", "two"), "lock-a", nil)
	if !errors.As(err, &le) || le.Held != nil || le.Given != "lock-a" {
		t.Errorf("a write with a released lock's id: %v", err)
	}
	// Force: no id releases whatever lock is held.
	if err := tf.LockTFState(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if held, err := tf.UnlockTFState(ctx, "", "net", "", &store.AuditRecord{Action: "tfstate.force_unlock", Subject: "tfstate/net"}); err != nil || held.ID != "lock-b" {
		t.Errorf("force unlock: %+v %v", held, err)
	}
	if st, _ := tf.GetTFState(ctx, "", "net"); st == nil || st.Lock != nil || st.Version != 1 {
		t.Errorf("after unlocking: %+v", st)
	}
	// A state only locked, never written, leaves nothing once unlocked.
	if err := tf.LockTFState(ctx, &store.TFLock{Project: "web", Name: "tmp", ID: "x", Info: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tf.UnlockTFState(ctx, "web", "tmp", "x", nil); err != nil {
		t.Fatal(err)
	}
	_, err = tf.GetTFState(ctx, "web", "tmp")
	wantErr(t, "a state locked and unlocked, never written", err, store.ErrNotFound)
	recs, _ := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "tfstate/net"})
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	wantDiff(t, "audit actions", []string{"tfstate.lock", "tfstate.write", "tfstate.unlock", "tfstate.force_unlock"}, actions)
}

// testTFConcurrentLockers: of many lockers at once exactly one wins; every
// other is told who holds the lock.
func testTFConcurrentLockers(t *testing.T, open Opener) {
	s := open(t)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("lock-%d", i)
			errs[i] = s.TFState().LockTFState(t.Context(), &store.TFLock{Name: "shared", ID: id, Info: []byte(`{"ID":"` + id + `"}`), Actor: id},
				&store.AuditRecord{Actor: id, Action: "tfstate.lock", Subject: "tfstate/shared"})
		}()
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("both %s and lock-%d hold the lock", winner, i)
			}
			winner = fmt.Sprintf("lock-%d", i)
		}
	}
	if winner == "" {
		t.Fatalf("no locker won: %v", errs)
	}
	for i, err := range errs {
		var le *store.TFLockError
		if err != nil && (!errors.As(err, &le) || le.Held == nil || le.Held.ID != winner) {
			t.Errorf("lock-%d: %v, want a *TFLockError naming %s", i, err, winner)
		}
	}
	st, err := s.TFState().GetTFState(t.Context(), "", "shared")
	if err != nil || st.Lock == nil || st.Lock.ID != winner {
		t.Errorf("the stored lock: %+v %v, want %s", st, err, winner)
	}
	if recs, _ := s.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "tfstate/shared"}); len(recs) != 1 || recs[0].Actor != winner {
		t.Errorf("audit: %+v, want one record by %s", recs, winner)
	}
}

func testTFDelete(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	tf := s.TFState()
	mustPut(t, s, tfVersion("", "net", 1, "L1", "one"), "")
	if err := tf.LockTFState(ctx, &store.TFLock{Name: "net", ID: "l", Info: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "deleting a locked state", tf.DeleteTFState(ctx, "", "net", &store.AuditRecord{Action: "tfstate.delete"}), store.ErrLocked)
	if _, err := tf.UnlockTFState(ctx, "", "net", "l", nil); err != nil {
		t.Fatal(err)
	}
	if err := tf.DeleteTFState(ctx, "", "net", &store.AuditRecord{Actor: "admin", Action: "tfstate.delete", Subject: "tfstate/net"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "deleting twice", tf.DeleteTFState(ctx, "", "net", nil), store.ErrNotFound)
	_, err := tf.GetTFStateVersion(ctx, "", "net", 0)
	wantErr(t, "the current version of a deleted state", err, store.ErrNotFound)
	if st, err := tf.GetTFState(ctx, "", "net"); err != nil || st.Version != 0 || st.UpdatedBy != "admin" {
		t.Errorf("a deleted state: %+v %v", st, err)
	}
	// A new lineage may start; the numbering goes on.
	v := tfVersion("", "net", 1, "L2", "new")
	mustPut(t, s, v, "")
	if v.Version != 2 {
		t.Errorf("the first version after the delete is %d, want 2", v.Version)
	}
	if vs, _ := tf.ListTFStateVersions(ctx, "", "net"); len(vs) != 2 || vs[0].Lineage != "L1" {
		t.Errorf("versions after the delete: %+v", vs)
	}
}

func testTFRestoreReseal(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	tf := s.TFState()
	mustPut(t, s, tfVersion("", "net", 1, "L1", "one"), "")
	mustPut(t, s, tfVersion("", "net", 2, "L1", "two"), "")
	// A restore keeps the restored version's lineage, even another one.
	r := tfVersion("", "net", 3, "L0", "one again")
	r.RestoredFrom = 1
	mustPut(t, s, r, "")
	got, err := tf.GetTFStateVersion(ctx, "", "net", 0)
	if err != nil || got.Version != 3 || got.RestoredFrom != 1 || got.Lineage != "L0" {
		t.Errorf("the restored version: %+v %v", got, err)
	}
	if err := tf.ResealTFStateVersion(ctx, "", "net", 2, []byte("resealed")); err != nil {
		t.Fatal(err)
	}
	if got, _ := tf.GetTFStateVersion(ctx, "", "net", 2); got == nil || string(got.Sealed) != "resealed" || got.Serial != 2 || got.SHA256 != "sha-two" {
		t.Errorf("after resealing: %+v", got)
	}
	wantErr(t, "resealing a version not written", tf.ResealTFStateVersion(ctx, "", "net", 9, []byte("x")), store.ErrNotFound)
}
