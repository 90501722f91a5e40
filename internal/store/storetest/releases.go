package storetest

import (
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var releaseTests = []subtest{
	{"Lifecycle", testReleaseLifecycle},
	{"EnvAndQuarantine", testEnvAndQuarantine},
}

func testReleaseLifecycle(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	rs := s.Releases()
	r1 := &store.Release{ID: "rel-1", Env: "staging", Version: "1.0", Artifact: "/a", Digest: "sha256:aa", Strategy: "canary",
		Config: []byte(`{"x":1}`), State: store.ReleasePending, Actor: "ana", CreatedAt: at(0)}
	if err := rs.CreateRelease(ctx, r1, &store.AuditRecord{Action: "release.create", Subject: "release/rel-1"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateRelease twice", rs.CreateRelease(ctx, &store.Release{ID: "rel-1", Env: "staging", State: store.ReleasePending}, nil), store.ErrConflict)
	r2 := &store.Release{ID: "rel-2", Env: "staging", Version: "1.1", State: store.ReleasePending, CreatedAt: at(time.Second)}
	if err := rs.CreateRelease(ctx, r2, nil); err != nil {
		t.Fatal(err)
	}
	if err := rs.CreateRelease(ctx, &store.Release{ID: "rel-p", Env: "production", State: store.ReleasePending, CreatedAt: at(2 * time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
	r1.State, r1.Step, r1.Weight, r1.Message = store.ReleaseProgressing, 2, 25, "step 2 of 4"
	if err := rs.UpdateRelease(ctx, r1, &store.AuditRecord{Action: "release.step", Subject: "release/rel-1"}); err != nil {
		t.Fatal(err)
	}
	if err := rs.SetReleaseRequest(ctx, "rel-1", "promote", &store.AuditRecord{Action: "release.promote", Subject: "release/rel-1"}); err != nil {
		t.Fatal(err)
	}
	got, err := rs.GetRelease(ctx, "rel-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.ReleaseProgressing || got.Weight != 25 || got.Request != "promote" || string(got.Config) != `{"x":1}` || !got.CreatedAt.Equal(at(0)) {
		t.Errorf("release read back: %+v", got)
	}
	list, err := rs.ListReleases(ctx, "staging", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "rel-2" || list[1].ID != "rel-1" {
		t.Errorf("staging releases newest first: %v", list)
	}
	_, err = rs.GetRelease(ctx, "nope")
	wantErr(t, "GetRelease of an unknown id", err, store.ErrNotFound)
	wantErr(t, "UpdateRelease of an unknown id", rs.UpdateRelease(ctx, &store.Release{ID: "nope"}, nil), store.ErrNotFound)
	// The audit records were written with the changes.
	recs, err := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "release/rel-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[1].Action != "release.step" {
		t.Errorf("audit of rel-1: %+v", recs)
	}
	// Instances.
	for i := range 2 {
		if err := rs.PutInstance(ctx, &store.Instance{ReleaseID: "rel-1", Replica: i, State: "starting", Addr: "127.0.0.1:1", Data: []byte(`{"pid":1}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rs.PutInstance(ctx, &store.Instance{ReleaseID: "rel-1", Replica: 1, State: "healthy", Addr: "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	ins, err := rs.ListInstances(ctx, "rel-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[1].State != "healthy" || ins[1].Addr != "127.0.0.1:2" || string(ins[0].Data) != `{"pid":1}` {
		t.Errorf("instances: %+v %+v", ins[0], ins[1])
	}
	wantErr(t, "PutInstance of an unknown release", rs.PutInstance(ctx, &store.Instance{ReleaseID: "nope", State: "x"}), store.ErrNotFound)
}

func testEnvAndQuarantine(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	rs := s.Releases()
	_, err := rs.GetEnv(ctx, "staging")
	wantErr(t, "GetEnv before any deploy", err, store.ErrNotFound)
	e := &store.EnvState{Env: "staging", Live: "rel-1", Listen: "127.0.0.1:8081"}
	if err := rs.PutEnv(ctx, e, &store.AuditRecord{Action: "env.switch", Subject: "env/staging"}); err != nil {
		t.Fatal(err)
	}
	e.Previous, e.Live = "rel-1", "rel-2"
	if err := rs.PutEnv(ctx, e, nil); err != nil {
		t.Fatal(err)
	}
	got, err := rs.GetEnv(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if got.Live != "rel-2" || got.Previous != "rel-1" || got.Listen != "127.0.0.1:8081" {
		t.Errorf("env: %+v", got)
	}
	if envs, err := rs.ListEnvs(ctx); err != nil || len(envs) != 0 && envs[0].Env != "staging" || len(envs) != 1 {
		t.Errorf("ListEnvs with one environment: %v %v", envs, err)
	}
	if err := rs.PutEnv(ctx, &store.EnvState{Env: "production", Live: "rel-9"}, nil); err != nil {
		t.Fatal(err)
	}
	envs, err := rs.ListEnvs(ctx)
	if err != nil || len(envs) != 2 || envs[0].Env != "production" || envs[1].Env != "staging" || envs[1].Live != "rel-2" || envs[0].UpdatedAt.IsZero() {
		t.Errorf("ListEnvs: %+v %v; want production and staging, by name", envs, err)
	}
	_, err = rs.GetQuarantine(ctx, "staging", "sha256:bad")
	wantErr(t, "GetQuarantine of a clean digest", err, store.ErrNotFound)
	if err := rs.PutQuarantine(ctx, &store.Quarantine{Env: "staging", Digest: "sha256:bad", ReleaseID: "rel-2", Reason: "rolled back: error rate 30%"}); err != nil {
		t.Fatal(err)
	}
	q, err := rs.GetQuarantine(ctx, "staging", "sha256:bad")
	if err != nil || q.ReleaseID != "rel-2" {
		t.Errorf("quarantine: %+v %v", q, err)
	}
	if _, err := rs.GetQuarantine(ctx, "production", "sha256:bad"); err == nil {
		t.Error("a quarantine in staging applies to production")
	}
}
