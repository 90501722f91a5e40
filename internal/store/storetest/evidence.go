package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

var evidenceTests = []subtest{
	{"PutListReplace", testEvidence},
	{"UnknownRun", testEvidenceUnknownRun},
}

var decisionTests = []subtest{
	{"AppendList", testDecisions},
}

var auditTests = []subtest{
	{"ChainVerifies", testAuditChain},
	{"ConcurrentAppends", testAuditConcurrent},
	{"Query", testAuditQuery},
}

func testEvidence(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	other := mustRun(t, s, "")
	put := func(e *store.Evidence) {
		t.Helper()
		if err := s.Evidence().PutEvidence(t.Context(), e); err != nil {
			t.Fatalf("PutEvidence: %v", err)
		}
	}
	sec := &store.Evidence{RunID: r.ID, JobID: "security", Kind: "scan", Body: []byte(`{"a":1}`), CreatedAt: at(0)}
	put(sec)
	if sec.Digest != "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862" {
		t.Errorf("digest = %s, want the sha256 of the body", sec.Digest)
	}
	iac := &store.Evidence{RunID: r.ID, JobID: "iac", Kind: "scan", Body: []byte(`{"b":2}`), CreatedAt: at(1)}
	put(iac)
	put(&store.Evidence{RunID: other.ID, JobID: "security", Kind: "scan", Body: []byte(`{}`), CreatedAt: at(2)})
	// Replacing keeps one record per (run, job, kind).
	sec2 := &store.Evidence{RunID: r.ID, JobID: "security", Kind: "scan", Body: []byte(`{"a":2}`), CreatedAt: at(3)}
	put(sec2)
	got, err := s.Evidence().ListEvidence(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "evidence by job", []*store.Evidence{iac, sec2}, got)
	if sec2.Digest == sec.Digest {
		t.Error("a changed body kept its digest")
	}
}

func testEvidenceUnknownRun(t *testing.T, open Opener) {
	s := open(t)
	err := s.Evidence().PutEvidence(t.Context(), &store.Evidence{RunID: "nope", JobID: "j", Kind: "scan", Body: []byte("{}")})
	wantErr(t, "PutEvidence of an unknown run", err, store.ErrNotFound)
}

func testDecisions(t *testing.T, open Opener) {
	s := open(t)
	r := mustRun(t, s, "")
	var want []*store.Decision
	for i, env := range []string{"dev", "staging", "production"} {
		d := &store.Decision{RunID: r.ID, JobID: "deploy-" + env, Env: env, Outcome: "pass", Actor: "ci",
			Digests: map[string]string{"findings": fmt.Sprintf("sha256:%d", i)}, Body: []byte(`{"outcome":"pass"}`), CreatedAt: at(0)}
		if err := s.Decisions().PutDecision(t.Context(), d); err != nil {
			t.Fatalf("PutDecision: %v", err)
		}
		if i > 0 && d.ID <= want[i-1].ID {
			t.Errorf("decision IDs do not increase: %d after %d", d.ID, want[i-1].ID)
		}
		want = append(want, d)
	}
	got, err := s.Decisions().ListDecisions(t.Context(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "decisions oldest first", want, got)
	err = s.Decisions().PutDecision(t.Context(), &store.Decision{RunID: "nope", Env: "dev", Outcome: "pass"})
	wantErr(t, "PutDecision of an unknown run", err, store.ErrNotFound)
}

func appendAudit(t *testing.T, s store.Store, r *store.AuditRecord) {
	t.Helper()
	if err := s.Audit().AppendAudit(t.Context(), r); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func testAuditChain(t *testing.T, open Opener) {
	s := open(t)
	appendAudit(t, s, &store.AuditRecord{Actor: "ana", Action: "run.start", Subject: "run/a", Time: at(0)})
	appendAudit(t, s, &store.AuditRecord{Actor: "ana", Action: "gate.decide", Subject: "run/a",
		Data: map[string]string{"env": "production", "outcome": "block"}, Time: at(time.Second)})
	appendAudit(t, s, &store.AuditRecord{Actor: "bo", Action: "run.finish", Subject: "run/a", Data: map[string]string{}, Time: at(2 * time.Second)})
	recs, err := s.Audit().ListAudit(t.Context(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Seq != 1 || recs[2].Seq != 3 || recs[0].PrevHash != "" || recs[1].PrevHash != recs[0].Hash {
		t.Fatalf("records not chained 1..3: %+v", recs)
	}
	if err := store.VerifyAudit("", recs); err != nil {
		t.Fatalf("a stored chain does not verify: %v", err)
	}
	if recs[1].Data["outcome"] != "block" || !recs[1].Time.Equal(at(time.Second)) {
		t.Errorf("record 2 read back wrong: %+v", recs[1])
	}
	// A changed field, a missing record and a reordered pair all show.
	edited := *recs[1]
	edited.Data = map[string]string{"env": "production", "outcome": "pass"}
	if err := store.VerifyAudit("", []*store.AuditRecord{recs[0], &edited, recs[2]}); err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Errorf("an edited record verified: %v", err)
	}
	if err := store.VerifyAudit("", []*store.AuditRecord{recs[0], recs[2]}); err == nil {
		t.Error("a chain with a record removed verified")
	}
	if err := store.VerifyAudit("", recs[1:]); err == nil {
		t.Error("a chain without its first record verified")
	}
	if err := store.VerifyAudit(recs[0].Hash, recs[1:]); err != nil {
		t.Errorf("a chain verified from a known record: %v", err)
	}
	// The stored trail, whole and up to a record.
	if n, head, err := store.VerifyTrail(t.Context(), s.Audit(), 0); err != nil || n != 3 || head != recs[2].Hash {
		t.Errorf("VerifyTrail: %d records, head %q, %v; want 3, %q, nil", n, head, err, recs[2].Hash)
	}
	if n, head, err := store.VerifyTrail(t.Context(), s.Audit(), 2); err != nil || n != 2 || head != recs[1].Hash {
		t.Errorf("VerifyTrail up to 2: %d records, head %q, %v", n, head, err)
	}
}

func testAuditConcurrent(t *testing.T, open Opener) {
	s := open(t)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Audit().AppendAudit(t.Context(), &store.AuditRecord{Action: "test", Subject: fmt.Sprintf("n/%d", i)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.Audit().ListAudit(t.Context(), store.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records after %d appends", len(recs), n)
	}
	if err := store.VerifyAudit("", recs); err != nil {
		t.Fatalf("concurrent appends broke the chain: %v", err)
	}
}

func testAuditQuery(t *testing.T, open Opener) {
	s := open(t)
	for _, subj := range []string{"run/a", "run/ab", "env/prod", "run/b", "run/a"} {
		appendAudit(t, s, &store.AuditRecord{Action: "x", Subject: subj})
	}
	got, err := s.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "run/a"})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, r := range got {
		seqs = append(seqs, r.Seq)
	}
	wantDiff(t, "records with subject prefix run/a", []int64{1, 2, 5}, seqs)
	got, err = s.Audit().ListAudit(t.Context(), store.AuditQuery{AfterSeq: 2, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 4 {
		t.Errorf("after 2, limit 2: got %d records starting %v", len(got), got)
	}
}
