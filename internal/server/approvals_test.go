package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
)

// TestApprovalsAndWaitingJobs: a run waiting for production's approval
// shows its job as waiting (with its needs and times), the approvals list
// carries the verdicts so far, and a key scoped to one project sees that
// project's requests only, where it used to be refused the whole list.
func TestApprovalsAndWaitingJobs(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	seed := func(project string) *store.Run {
		r := &store.Run{Project: project, Pipeline: project, Status: store.StatusRunning, Actor: "ana", Commit: "abc123", StartedAt: now}
		if err := fx.st.Runs().CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		jobs := []*store.Job{
			{RunID: r.ID, ID: "build", Status: store.StatusSucceeded, StartedAt: now, FinishedAt: now.Add(time.Second)},
			{RunID: r.ID, ID: "deploy", Needs: []string{"build"}, Status: store.StatusRunning, StartedAt: now.Add(time.Second)},
		}
		if err := fx.st.Jobs().PutJobs(ctx, jobs); err != nil {
			t.Fatal(err)
		}
		req := &store.ApprovalRequest{RunID: r.ID, Env: "production", JobID: "deploy", Min: 2, Roles: []string{"approver"}, NotAuthor: true,
			Author: "ana", Deadline: now.Add(time.Hour), State: store.ApprovalPending}
		if err := fx.st.Approvals().RequestApproval(ctx, req, nil); err != nil {
			t.Fatal(err)
		}
		return r
	}
	demo := seed("demo")
	seed("other")
	admin := fx.mkKey("admin", "admin")
	bo := fx.mkKey("bo", "approver@demo/production")
	if res, body := fx.do("POST", "/api/v1/runs/"+demo.ID+"/approvals/production", bo, map[string]string{"verdict": "approve", "comment": "looks fine"}, nil); res.StatusCode >= 300 {
		t.Fatalf("approve: %d %s", res.StatusCode, body)
	}

	res, body := fx.do("GET", "/api/v1/runs/"+demo.ID, admin, nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("run: %d %s", res.StatusCode, body)
	}
	var run struct{ Jobs []jobJSON }
	if err := json.Unmarshal(body, &run); err != nil {
		t.Fatal(err)
	}
	byID := map[string]jobJSON{}
	for _, j := range run.Jobs {
		byID[j.ID] = j
	}
	if d := byID["deploy"]; d.WaitingForApproval != "production" || !slices.Equal(d.Needs, []string{"build"}) || d.StartedAt == nil || d.FinishedAt != nil {
		t.Errorf("deploy: %+v", d)
	}
	if b := byID["build"]; b.WaitingForApproval != "" || b.FinishedAt == nil || !b.FinishedAt.Equal(now.Add(time.Second)) {
		t.Errorf("build: %+v", b)
	}

	type approval struct {
		Run       string
		RunNumber int64 `json:"run_number"`
		Project   string
		Job       string
		Env       string
		Verdicts  []struct{ Approver, Verdict, Comment string }
	}
	list := func(key string) []approval {
		t.Helper()
		res, body := fx.do("GET", "/api/v1/approvals?state=pending", key, nil, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("approvals: %d %s", res.StatusCode, body)
		}
		var out struct{ Approvals []approval }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out.Approvals
	}
	if all := list(admin); len(all) != 2 {
		t.Fatalf("admin sees %d requests, want 2: %+v", len(all), all)
	}
	mine := list(bo)
	if len(mine) != 1 || mine[0].Run != demo.ID || mine[0].Project != "demo" || mine[0].Job != "deploy" || mine[0].RunNumber != demo.Number {
		t.Fatalf("a demo/production approver sees %+v, want demo's request only", mine)
	}
	if v := mine[0].Verdicts; len(v) != 1 || v[0].Approver != "bo" || v[0].Verdict != "approve" || v[0].Comment != "looks fine" {
		t.Errorf("verdicts so far: %+v", v)
	}
	if got := list(fx.mkKey("stager", "approver@demo/staging")); len(got) != 0 {
		t.Errorf("a staging approver sees production's requests: %+v", got)
	}
}

// TestScopedKeyListsItsProjects: a key scoped to one project lists that
// project (not a 403 for the whole list), and a run that does not exist is
// not found for it rather than forbidden.
func TestScopedKeyListsItsProjects(t *testing.T) {
	fx := newFixture(t)
	for _, name := range []string{"demo", "other"} {
		if err := fx.st.Control().PutProject(t.Context(), &store.Project{Name: name, Repo: "https://git.example/" + name}, nil); err != nil {
			t.Fatal(err)
		}
	}
	dev := fx.mkKey("dev", "developer@demo")
	res, body := fx.do("GET", "/api/v1/projects", dev, nil, nil)
	var out struct{ Projects []struct{ Name string } }
	if err := json.Unmarshal(body, &out); res.StatusCode != http.StatusOK || err != nil || len(out.Projects) != 1 || out.Projects[0].Name != "demo" {
		t.Fatalf("projects for developer@demo: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("GET", "/api/v1/runs/999", dev, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a missing run for a scoped key: %d %s, want 404", res.StatusCode, body)
	}
	if res, _ := fx.do("GET", "/api/v1/runs/999", fx.mkKey("stager", "approver@*/staging"), nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a missing run for a key that may not read runs anywhere: %d, want 403", res.StatusCode)
	}
}
