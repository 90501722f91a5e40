package plan

import (
	"testing"

	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

func TestTriggered(t *testing.T) {
	p := &spec.Pipeline{On: spec.Triggers{
		Manual:      true,
		Push:        &spec.PushTrigger{Branches: []string{"main", "release/**"}, BranchesIgnore: []string{"release/old-*"}, Tags: []string{"v*"}},
		PullRequest: &spec.PullRequestTrigger{Branches: []string{"main"}},
	}}
	tests := []struct {
		event, branch string
		want          bool
	}{
		{"manual", "anything", true},
		{"push", "main", true},
		{"push", "feature/x", false},
		{"push", "release/1.2", true},
		{"push", "release/1.2/hotfix", true},
		{"push", "release/old-1", false},
		{"push", "refs/tags/v1.0.0", true},
		{"push", "refs/tags/nightly", false},
		{"pull_request", "main", true},
		{"pull_request", "dev", false},
		{"schedule", "main", false},
		{"bogus", "main", false},
	}
	for _, tt := range tests {
		got, why := Triggered(p, tt.event, tt.branch)
		if got != tt.want {
			t.Errorf("Triggered(%s, %s) = %v (%s), want %v", tt.event, tt.branch, got, why, tt.want)
		}
		if !got && why == "" {
			t.Errorf("Triggered(%s, %s): no reason given", tt.event, tt.branch)
		}
	}
	p.On.Manual = false
	if ok, _ := Triggered(p, "manual", "main"); ok {
		t.Error("manual run allowed with on.manual false")
	}
}
