package spec

// knownKeys lists, per kind of mapping, the keys the parser accepts. The
// names of the kinds are the names of the definitions in schema.json, and a
// test checks that both agree, so the schema cannot drift from the parser.
var knownKeys = map[string][]string{
	"pipeline":     {"version", "name", "on", "env", "jobs", "environments", "deploy"},
	"triggers":     {"push", "pull_request", "schedule", "manual"},
	"push":         {"branches", "branches_ignore", "tags", "paths"},
	"pull_request": {"branches", "types"},
	"schedule":     {"cron", "jobs", "branch"},
	"job":          {"name", "needs", "env", "steps", "timeout", "if", "matrix", "artifacts", "outputs", "continue_on_error", "environment", "scan", "coverage", "terraform"},
	"step":         {"name", "run", "env", "dir", "timeout", "retry", "continue_on_error", "if"},
	"retry":        {"attempts", "backoff", "max_backoff"},
	"coverage":     {"file", "min"},
	"terraform":    {"dir", "workspace", "backend_config", "apply", "destroy", "policies"},
	"environment": {"after", "url", "vars", "secrets", "gates", "approval", "strategy", "monitor", "waf", "rate_limit", "geo", "auth",
		"openapi", "trusted_proxies"},
	"gates": {"mode", "block", "require", "new_only", "sast", "deps", "secrets", "container", "iac", "dast", "quality", "policies",
		"inline_ignores", "fixable_only", "known_exploited", "max_db_age"},
	"gate_threshold": {"block", "max"},
	"approval":       {"min", "roles", "not_author", "timeout"},
	"strategy":       {"canary", "blue-green", "rolling"},
	"canary":         {"steps", "interval", "analysis", "sticky", "header"},
	"blue_green":     {"scale_down_delay"},
	"rolling":        {"max_unavailable", "max_surge"},
	"monitor":        {"duration", "rollback_when"},
	"metrics":        {"success_rate", "error_rate", "p50", "p90", "p95", "p99", "rps", "min_requests", "prometheus", "webhook"},
	"waf": {"mode", "paranoia_level", "anomaly_threshold", "outbound_anomaly_threshold", "remove_rules", "path_exclusions",
		"inspect_request_body", "request_body_limit", "request_body_oversize", "inspect_response_body", "response_body_limit",
		"response_mime_types", "allowed_methods"},
	"waf_exclusion": {"path_prefix", "rule_ids"},
	"rate_limit":    {"mode", "limit", "window", "routes", "ipv6_prefix_length", "max_clients"},
	"rate_route":    {"path_prefix", "limit", "window"},
	"geo":           {"mode", "database", "list", "countries", "unknown"},
	"auth":          {"mode", "routes", "nonce_cache_size"},
	"auth_route":    {"path_prefix", "header", "keys", "require_signature", "window", "max_body_bytes"},
	"api_key":       {"id", "sha256"},
	"openapi":       {"spec", "mode", "max_body_bytes", "path_prefixes"},
	"deploy":        {"run", "env", "replicas", "health", "smoke"},
}

// matrixKeys are the reserved keys of a matrix; every other key is an axis.
var matrixKeys = []string{"include", "exclude"}

// Enumerations, validated with did-you-mean hints.
var (
	// GateModes are the values of gates.mode.
	GateModes = []string{"off", "warn", "block"}
	// KnownExploitedEffects are the values of gates.known_exploited.
	KnownExploitedEffects = []string{"block", "warn"}
	// Severities are the finding severities, most severe first.
	Severities = []string{"critical", "high", "medium", "low"}
	// StrategyKinds are the deployment strategies.
	StrategyKinds = []string{"rolling", "blue-green", "canary"}
	// EdgeModes are the modes of every edge protection: waf, rate_limit,
	// geo, auth and openapi.
	EdgeModes = []string{"off", "detect", "monitor", "enforce"}
	// WAFModes are the values of waf.mode.
	WAFModes = EdgeModes
	// WAFOversizeActions are the values of waf.request_body_oversize.
	WAFOversizeActions = []string{"inspect-prefix", "reject"}
	// GeoLists are the values of geo.list.
	GeoLists = []string{"allow", "deny"}
	// GeoUnknown are the values of geo.unknown.
	GeoUnknown = []string{"allow", "refuse"}
	// GateCategories are the finding categories gates can hold thresholds for.
	GateCategories = []string{"sast", "deps", "secrets", "container", "iac", "dast", "quality"}
	// Scanners are the names a job's scan: list accepts: sluice's built-in
	// scanners and the tool adapters (a test in internal/scan/builtin keeps
	// this list equal to what is registered there).
	Scanners = []string{"bandit", "checkov", "dast", "deps", "dockerfile", "eslint", "gitleaks", "gosec", "hadolint",
		"image", "kube-linter", "kubernetes", "secrets", "semgrep", "terraform", "tfsec", "trivy"}
	// Events are the trigger names of the on: list shorthand.
	Events = []string{"push", "pull_request", "manual"}
	// PullRequestTypes are the pull request actions on.pull_request.types accepts.
	PullRequestTypes = []string{"opened", "synchronize", "reopened", "closed", "edited", "ready_for_review"}
)
