package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluice-ci/sluice/internal/store"
)

// These tests end the store's server connections with pg_terminate_backend,
// as a server restart or a DBA would, and check that the store recovers on
// its next call and leaves nothing half-written.

// waitFor polls cond until it holds, failing the test after 20 s or when
// failed returns an error (the call under test ended early).
func waitFor(t *testing.T, what string, cond func() bool, failed func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if err := failed(); err != nil {
			t.Fatalf("while waiting for %s: %v", what, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// backends returns the server processes of the connections named app:
// all of them, or those waiting for a lock.
func backends(t *testing.T, admin *pgx.Conn, app string, waiting bool) []int32 {
	t.Helper()
	rows, err := admin.Query(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE application_name = $1 AND (NOT $2 OR wait_event_type = 'Lock') ORDER BY pid`, app, waiting)
	if err != nil {
		t.Fatalf("list backends: %v", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatalf("list backends: %v", err)
	}
	return pids
}

// terminate ends the backend pid.
func terminate(t *testing.T, admin *pgx.Conn, pid int32) {
	t.Helper()
	var ok bool
	if err := admin.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate backend %d: %v %v", pid, ok, err)
	}
}

// count returns the rows of table the query tail selects.
func count(t *testing.T, admin *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := admin.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func noError() error { return nil }

func TestIdleConnectionsKilled(t *testing.T) {
	dsn := freshSchema(t)
	admin := adminConn(t, dsn)
	app := randomName("kill_")
	s := openStore(t, withParam(t, dsn, "application_name", app))
	ctx := t.Context()
	first := &store.Run{Status: store.StatusPending}
	if err := s.Runs().CreateRun(ctx, first); err != nil {
		t.Fatal(err)
	}
	pids := backends(t, admin, app, false)
	if len(pids) == 0 {
		t.Fatal("the store has no connection to kill")
	}
	for _, pid := range pids {
		terminate(t, admin, pid)
	}
	waitFor(t, "the backends to end", func() bool { return len(backends(t, admin, app, false)) == 0 }, noError)

	// At once, so the pool has no reason to ping its (dead) idle connection
	// first: the call meets the dead connection and must recover by itself.
	second := &store.Run{Status: store.StatusPending}
	if err := s.Runs().CreateRun(ctx, second); err != nil {
		t.Fatalf("CreateRun after the connections were killed: %v", err)
	}
	if second.Number != 2 {
		t.Errorf("run after the kill got number %d, want 2", second.Number)
	}
	if _, err := s.Runs().GetRun(ctx, first.ID); err != nil {
		t.Errorf("GetRun after the kill: %v", err)
	}
	for _, pid := range backends(t, admin, app, false) {
		terminate(t, admin, pid)
	}
	waitFor(t, "the backends to end", func() bool { return len(backends(t, admin, app, false)) == 0 }, noError)
	runs, err := s.Runs().ListRuns(ctx, store.RunFilter{})
	if err != nil || len(runs) != 2 {
		t.Errorf("ListRuns after a second kill: %d runs, %v", len(runs), err)
	}
}

// TestKilledMidTransaction kills the store's connection while CreateRelease
// has inserted the release and waits for the audit lock (held by the test),
// so the kill lands between the two writes of one transaction.
func TestKilledMidTransaction(t *testing.T) {
	dsn := freshSchema(t)
	admin := adminConn(t, dsn)
	holder := adminConn(t, dsn)
	app := randomName("kill_")
	s := openStore(t, withParam(t, dsn, "application_name", app))
	ctx := t.Context()

	lock, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT name FROM store_locks WHERE name = 'audit' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.Releases().CreateRelease(ctx,
			&store.Release{ID: "rel-k", Env: "staging", State: store.ReleasePending},
			&store.AuditRecord{Action: "release.create", Subject: "release/rel-k"})
	}()
	ended := func() error {
		select {
		case err := <-done:
			return errors.Join(errors.New("CreateRelease returned before the lock was released"), err)
		default:
			return nil
		}
	}
	var victim int32
	waitFor(t, "CreateRelease to wait for the audit lock", func() bool {
		pids := backends(t, admin, app, true)
		if len(pids) == 1 {
			victim = pids[0]
		}
		return victim != 0
	}, ended)
	terminate(t, admin, victim)
	// The killed transaction's insert is gone; the retry waits for the lock
	// on a new connection.
	waitFor(t, "CreateRelease to retry on a new connection", func() bool {
		pids := backends(t, admin, app, true)
		return len(pids) == 1 && pids[0] != victim
	}, ended)
	if n := count(t, admin, `SELECT count(*) FROM releases`); n != 0 {
		t.Errorf("%d releases visible before the retry committed", n)
	}
	if err := lock.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("CreateRelease after its connection was killed: %v", err)
	}
	if n := count(t, admin, `SELECT count(*) FROM releases WHERE id = 'rel-k'`); n != 1 {
		t.Errorf("%d copies of the release stored, want 1", n)
	}
	recs, err := s.Audit().ListAudit(ctx, store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Subject != "release/rel-k" {
		t.Errorf("audit after the retry: %+v", recs)
	}

	// A call whose context ends while it waits leaves nothing behind either.
	lock, err = holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT name FROM store_locks WHERE name = 'audit' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = s.Releases().CreateRelease(short, &store.Release{ID: "rel-c", Env: "staging", State: store.ReleasePending},
		&store.AuditRecord{Action: "release.create", Subject: "release/rel-c"})
	cancel()
	if err == nil {
		t.Fatal("CreateRelease succeeded while the audit lock was held past its deadline")
	}
	if err := lock.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, admin, `SELECT count(*) FROM releases WHERE id = 'rel-c'`); n != 0 {
		t.Errorf("a cancelled CreateRelease stored its release")
	}
	if err := s.Releases().CreateRelease(ctx, &store.Release{ID: "rel-c", Env: "staging", State: store.ReleasePending},
		&store.AuditRecord{Action: "release.create", Subject: "release/rel-c"}); err != nil {
		t.Fatalf("CreateRelease after a cancelled one: %v", err)
	}
	recs, err = s.Audit().ListAudit(ctx, store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Errorf("%d audit records, want 2", len(recs))
	}
	if err := store.VerifyAudit("", recs); err != nil {
		t.Errorf("audit chain after the kill and the cancel: %v", err)
	}
}
