package spec

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sluice-ci/sluice/internal/diag"
)

func intp(i int) *int { return &i }

func boolp(b bool) *bool { return &b }

func dur(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return Duration(d)
}

// TestParseFull checks every field of the full-featured example.
func TestParseFull(t *testing.T) {
	p, ds := ParseFile("testdata/valid/full.yaml")
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	buildStep := &Step{
		Name:    "build",
		Run:     "go build -o dist/goodbooks ./cmd/goodbooks\necho \"version=$(git describe --tags)\" >> \"$SLUICE_OUTPUT\"\n",
		Dir:     ".",
		Env:     map[string]string{"PORT": "8080"},
		Retry:   Retry{Attempts: 3, Backoff: dur("2s"), MaxBackoff: dur("30s")},
		If:      "success()",
		Timeout: 0,
	}
	want := &Pipeline{
		File:    "testdata/valid/full.yaml",
		Version: 1,
		Name:    "goodbooks",
		On: Triggers{
			Push:        &PushTrigger{Branches: []string{"main", "release/*"}, BranchesIgnore: []string{"wip/*"}, Tags: []string{"v*"}, Paths: []string{"cmd/**", "internal/**"}},
			PullRequest: &PullRequestTrigger{Branches: []string{"main"}, Types: []string{"opened", "synchronize"}},
			Schedule: []Schedule{
				{Cron: "0 3 * * *", Jobs: []string{"sast", "deps"}, Branch: "main"},
				{Cron: "@weekly"},
			},
			Manual: false,
		},
		Env: map[string]string{"CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly", "DEBUG": "true"},
		Jobs: []*Job{
			{ID: "lint", Name: "Vet and lint", Steps: []*Step{{Name: "vet", Run: "go vet ./...", Timeout: dur("5m")}}},
			{
				ID: "unit",
				Matrix: &Matrix{
					Axes:    []MatrixAxis{{Name: "go", Values: []string{"1.22", "1.23"}}, {Name: "os", Values: []string{"linux", "darwin"}}},
					Include: []map[string]string{{"go": "1.24", "os": "linux"}},
					Exclude: []map[string]string{{"go": "1.22", "os": "darwin"}},
				},
				Env:      map[string]string{"GOVERSION": "${{ matrix.go }}"},
				Steps:    []*Step{{Run: "go test -coverprofile=cover.out ./...", Retry: Retry{Attempts: 2}}},
				Coverage: &Coverage{File: "cover.out", Min: 80.5},
			},
			{
				ID: "build", Needs: []string{"lint", "unit"}, Timeout: dur("1h30m"),
				If:      "branch == 'main' || startsWith(branch, 'release/')",
				Outputs: []string{"version"}, Artifacts: []string{"dist/goodbooks"},
				ContinueOnError: true, Environment: "staging",
				Steps: []*Step{buildStep},
			},
			{ID: "package", Needs: []string{"build"}, Env: map[string]string{"VERSION": "${{ needs.build.outputs.version }}"}, Steps: []*Step{{Run: `./scripts/package.sh "$VERSION"`}}},
			{ID: "sast", Scan: []string{"dockerfile", "secrets"}},
			{ID: "deps", Scan: []string{"deps"}},
			{ID: "notify", Needs: []string{"build"}, If: "failure()", Steps: []*Step{{Run: "./scripts/notify.sh"}}},
		},
		Environments: []*Environment{
			{
				Name: "staging", URL: "https://staging.goodbooks.test",
				Vars:     map[string]string{"REGION": "eu", "REPLICAS": "2"},
				Secrets:  []string{"DB_PASSWORD"},
				Gates:    &Gates{Mode: "warn", Block: "high", NewOnly: true},
				Strategy: &Strategy{Kind: "blue-green", BlueGreen: &BlueGreen{}},
				WAF:      &WAF{Mode: "monitor"},
			},
			{
				Name: "production", After: []string{"staging"}, URL: "https://goodbooks.test",
				Gates: &Gates{
					Mode: "block", Block: "medium", Require: []string{"sast", "deps"},
					Categories: map[string]GateThreshold{
						"sast":    {Block: "high", MaxCount: intp(0)},
						"deps":    {Block: "critical"},
						"quality": {MaxCount: intp(10)},
					},
					Policies: []string{"policies/"},
				},
				Approval: &Approval{Min: 1, Roles: []string{"approver"}, NotAuthor: true, Timeout: dur("24h")},
				Strategy: &Strategy{Kind: "canary", Canary: &Canary{
					Steps: []int{10, 25, 50, 100}, Interval: dur("1m"),
					Analysis: map[string]string{"success_rate": ">= 99%", "p99": "<= 500ms", "min_requests": "100"},
				}},
				Monitor: &Monitor{Duration: dur("10m"), RollbackWhen: map[string]string{"error_rate": "> 2%"}},
				WAF: &WAF{
					Mode: "enforce", ParanoiaLevel: 2, AnomalyInbound: 5, AnomalyOutbound: 4,
					RemoveRules:         []string{"920350", "942100-942199"},
					PathExclusions:      []WAFExclusion{{PathPrefix: "/api/search", RuleIDs: []string{"942200-942260"}}},
					InspectRequestBody:  boolp(true),
					RequestBodyLimit:    65536,
					RequestBodyOversize: "reject",
					InspectResponseBody: true,
					ResponseBodyLimit:   262144,
					ResponseMIMETypes:   []string{"application/json"},
					AllowedMethods:      []string{"GET", "POST"},
				},
				RateLimit: &RateLimit{
					Mode: "enforce", Limit: 100, Window: dur("1m"),
					Routes:           []RateRoute{{PathPrefix: "/login", Limit: 10, Window: dur("1m")}},
					IPv6PrefixLength: 56, MaxClients: 50000,
				},
				Geo: &Geo{Mode: "enforce", Database: "geo/GeoLite2-Country.mmdb", List: "deny", Countries: []string{"KP", "NO"}, Unknown: "refuse"},
				Auth: &Auth{
					Mode: "enforce", NonceCacheSize: 1000,
					Routes: []AuthRoute{{
						PathPrefix: "/api/", Header: "X-Api-Key",
						Keys:             []APIKey{{ID: "ci", SHA256: "ef64b764febd08947d7718639b201523033ce0dc0dc1310df92a0fbab72df9d7"}},
						RequireSignature: true, Window: dur("2m"), MaxBodyBytes: 65536,
					}},
				},
				OpenAPI:        &OpenAPI{Mode: "monitor", Spec: "api/openapi.yaml", MaxBodyBytes: 65536, PathPrefixes: []string{"/api"}},
				TrustedProxies: []string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"},
			},
			{
				Name:     "dev",
				Strategy: &Strategy{Kind: "rolling", Rolling: &Rolling{MaxUnavailable: "33%", MaxSurge: "1"}},
				WAF:      &WAF{Mode: "detect"},
				Gates:    &Gates{Mode: "off"},
				OpenAPI:  &OpenAPI{Mode: "enforce", Spec: "api/openapi.yaml"},
			},
			{Name: "qa", After: []string{"staging"}, Strategy: &Strategy{Kind: "blue-green", BlueGreen: &BlueGreen{ScaleDownDelay: dur("48h")}}},
		},
		Deploy: &Deploy{
			Run:      []string{"dist/goodbooks", "--addr", "127.0.0.1:${PORT}"},
			Env:      map[string]string{"VERSION": "${{ needs.build.outputs.version }}"},
			Replicas: 2,
			Health:   map[string]any{"path": "/healthz", "interval": "2s"},
			Smoke:    []*Step{{Name: "smoke", Run: `./scripts/smoke.sh "${URL}"`}},
		},
	}
	if diff := cmp.Diff(want, p, cmpopts.IgnoreUnexported(Pipeline{})); diff != "" {
		t.Errorf("parsed pipeline differs (-want +got):\n%s", diff)
	}
	// Positions: keys of mappings point at the key, scalars at the value.
	for path, pos := range map[string]diag.Pos{
		"jobs.build":          {Line: 46, Col: 3},
		"jobs.build.needs[1]": {Line: 47, Col: 19},
		"jobs.build.timeout":  {Line: 48, Col: 14},
		"jobs.build.steps[0]": {Line: 55, Col: 9},
		"environments.production.strategy.canary.steps[2]": {Line: 102, Col: 25},
		"jobs.package.needs[0]":                            {Line: 66, Col: 12},
		"on.schedule[0].cron":                              {Line: 14, Col: 13},
	} {
		if got := p.Pos(path); got != pos {
			t.Errorf("Pos(%s) = %v, want %v", path, got, pos)
		}
	}
}

// TestParseAnchors checks aliases and merge keys, explicit keys winning.
func TestParseAnchors(t *testing.T) {
	p, ds := ParseFile("testdata/valid/anchors.yaml")
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	want := []*Job{
		{ID: "build", Steps: []*Step{{Run: "go build ./...", Timeout: dur("10m"), Env: map[string]string{"GOFLAGS": "-mod=readonly"}}}},
		{ID: "test", Needs: []string{"build"}, Steps: []*Step{{Run: "go test ./...", Timeout: dur("20m"),
			Env: map[string]string{"GOFLAGS": "-mod=readonly", "CGO_ENABLED": "1"}}}},
	}
	if diff := cmp.Diff(want, p.Jobs); diff != "" {
		t.Errorf("jobs differ (-want +got):\n%s", diff)
	}
	if p.On.Push == nil || p.On.PullRequest == nil || !p.On.Manual {
		t.Errorf("on: [push, pull_request] gave %+v", p.On)
	}
}

func TestParseDefaults(t *testing.T) {
	p, ds := Parse("x.yaml", []byte("version: 1\njobs:\n  a:\n    steps: [{run: make}]\n"))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if !p.On.Manual || p.On.Push != nil {
		t.Errorf("default triggers = %+v, want manual only", p.On)
	}
	p, _ = Parse("x.yaml", []byte("version: 1\non: {manual: false}\njobs:\n  a:\n    steps: [{run: make}]\n"))
	if p.On.Manual {
		t.Error("manual: false ignored")
	}
}

func TestParseDirective(t *testing.T) {
	p, ds := Parse("x.yaml", []byte("%YAML 1.2\n---\nversion: 1\njobs: {a: {scan: [gosec]}}\n...\n"))
	if len(ds) > 0 || p.Job("a") == nil {
		t.Fatalf("got %v, %v", p, ds)
	}
}

func TestParseFileMissing(t *testing.T) {
	p, ds := ParseFile(filepath.Join(t.TempDir(), "sluice.yaml"))
	if p == nil || len(ds) != 1 || !strings.Contains(ds[0].Summary, "not found") {
		t.Fatalf("got %v, %v", p, ds)
	}
	if err := ds.Err(); err == nil {
		t.Error("missing file is not an error")
	}
}

func TestParseTooLarge(t *testing.T) {
	_, ds := Parse("big.yaml", make([]byte, MaxFileSize+1))
	if len(ds) != 1 || ds[0].Line != 1 {
		t.Fatalf("got %v", ds)
	}
}

// TestAliasBomb checks that exponential alias expansion is cut off.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nx-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("x-a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for k := range 10 {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	// deploy.health is read as plain values, so the bomb would be expanded.
	b.WriteString("deploy:\n  run: [app]\n  health: {x: *a8}\n")
	start := time.Now()
	_, ds := Parse("bomb.yaml", []byte(b.String()))
	if !strings.Contains(ds.Error(), "too large") {
		t.Errorf("alias bomb not reported: %v", ds)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("alias bomb took %v", time.Since(start))
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90s", 90 * time.Second, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"250ms", 250 * time.Millisecond, ""},
		{"0", 0, ""},
		{"-1s", 0, "negative"},
		{"90", 0, "missing unit"},
		{"10 m", 0, "spaces"},
		{"5y", 0, "unknown unit"},
		{"", 0, "empty"},
		{"s", 0, "expected a number"},
		{"1.2.3s", 0, "bad number"},
		{"999999999999d", 0, "too long"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDuration(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"steps", "scan", "needs", "timeout", "continue_on_error"}
	tests := map[string]string{
		"stpes":            "steps",
		"step":             "steps",
		"Steps":            "steps",
		"need":             "needs",
		"timout":           "timeout",
		"continue_on_eror": "continue_on_error",
		"xyz":              "",
		"completely_else":  "",
	}
	for in, want := range tests {
		if got := Suggest(in, keys); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
