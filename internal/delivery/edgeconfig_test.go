package delivery_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/gateway/edge"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
)

// This file checks that what the parser accepts the gateway accepts too:
// the edge protection of the spec package's testdata/valid/full.yaml goes through
// delivery.EdgeConfig, which builds the real edge (WAF, geo database,
// OpenAPI document) once as a probe.

const openAPIDoc = `openapi: 3.0.3
info: { title: goodbooks, version: "1" }
paths:
  /api/books:
    get:
      responses:
        "200": { description: the books }
`

// project writes the files full.yaml's edge protection names into a new
// project folder.
func project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "api", "openapi.yaml"), []byte(openAPIDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Test-Country", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	_, n, _ := net.ParseCIDR("2001:db8::/32")
	if err := tree.Insert(n, mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String("KP")}}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "geo"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "geo", "GeoLite2-Country.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fullPipeline(t *testing.T) *spec.Pipeline {
	t.Helper()
	p, ds := spec.ParseFile("../pipeline/spec/testdata/valid/full.yaml")
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	return p
}

func TestEdgeConfigFromPipeline(t *testing.T) {
	p, dir := fullPipeline(t), project(t)
	raw, err := delivery.EdgeConfig(p.Environment("production"), dir)
	if err != nil {
		t.Fatalf("the gateway refuses what the parser accepted: %v", err)
	}
	var got edge.Config
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	yes := true
	want := edge.Config{
		TrustedProxies: []string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"},
		WAF: edge.WAFConfig{
			Mode: edge.ModeEnforce, ParanoiaLevel: 2, InboundAnomalyThreshold: 5, OutboundAnomalyThreshold: 4,
			RemoveRules:        []string{"920350", "942100-942199"},
			PathExclusions:     []edge.PathExclusion{{PathPrefix: "/api/search", RuleIDs: []string{"942200-942260"}}},
			InspectRequestBody: &yes, RequestBodyLimit: 65536, RequestBodyOversize: edge.OversizeReject,
			InspectResponseBody: true, ResponseBodyLimit: 262144,
			ResponseMIMETypes: []string{"application/json"}, AllowedMethods: []string{"GET", "POST"},
		},
		RateLimit: edge.RateLimitConfig{
			Mode: edge.ModeEnforce, Limit: 100, Window: edge.Duration(60e9),
			Routes:           []edge.RouteRateLimit{{PathPrefix: "/login", Limit: 10, Window: edge.Duration(60e9)}},
			IPv6PrefixLength: 56, MaxClients: 50000,
		},
		Geo: edge.GeoConfig{Mode: edge.ModeEnforce, Database: filepath.Join(dir, "geo", "GeoLite2-Country.mmdb"),
			List: edge.GeoDeny, Countries: []string{"KP", "NO"}, Unknown: "refuse"},
		APIAuth: edge.APIAuthConfig{Mode: edge.ModeEnforce, NonceCacheSize: 1000, Routes: []edge.APIRoute{{
			PathPrefix: "/api/", Header: "X-Api-Key", RequireSignature: true, Window: edge.Duration(120e9), MaxBodyBytes: 65536,
			Keys: []edge.APIKey{{ID: "ci", SHA256: edge.HashAPIKey("example-ci-key")}},
		}}},
		OpenAPI: edge.OpenAPIConfig{Mode: edge.ModeMonitor, Document: openAPIDoc, Source: "api/openapi.yaml",
			MaxBodyBytes: 65536, PathPrefixes: []string{"/api"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("edge configuration differs (-want +got):\n%s", diff)
	}

	// The shorthand openapi: api/openapi.yaml enforces.
	raw, err = delivery.EdgeConfig(p.Environment("dev"), dir)
	if err != nil {
		t.Fatal(err)
	}
	got = edge.Config{}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.OpenAPI.Mode != edge.ModeEnforce || got.OpenAPI.Source != "api/openapi.yaml" || got.WAF.Mode != edge.ModeDetect {
		t.Errorf("dev: got %+v", got)
	}

	// No protection on: no configuration.
	if raw, err := delivery.EdgeConfig(p.Environment("qa"), dir); raw != nil || err != nil {
		t.Errorf("qa: got %s, %v", raw, err)
	}
}

// TestEdgeConfigOpenAPIFile checks the errors of a document that cannot
// be read from the project: they name the field.
func TestEdgeConfigOpenAPIFile(t *testing.T) {
	p := fullPipeline(t)
	env := p.Environment("dev")

	dir := project(t)
	if err := os.Remove(filepath.Join(dir, "api", "openapi.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := delivery.EdgeConfig(env, dir)
	if err == nil || !strings.Contains(err.Error(), "environments.dev.openapi.spec: api/openapi.yaml not found") {
		t.Errorf("missing document: %v", err)
	}

	// A symbolic link out of the project is not followed.
	outside := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(outside, []byte(openAPIDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "api", "openapi.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err = delivery.EdgeConfig(env, dir)
	if err == nil || !strings.Contains(err.Error(), "environments.dev.openapi.spec: open api/openapi.yaml in "+dir+": path escapes from parent") {
		t.Errorf("document outside the project: %v", err)
	}
}
