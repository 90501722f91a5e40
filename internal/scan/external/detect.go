package external

import (
	"bytes"
	"encoding/json"
)

// None is the format Detect returns for an empty JSON list: the report of
// a tool that writes a list of findings (gitleaks, hadolint …) and found
// nothing. Import reads it as no findings.
const None = "none"

// Detect tells from a report's content which tool wrote it, so `sluice
// scan --import FILE` needs no format flag: "sarif" for any SARIF log,
// else one of Formats, or None for an empty list. ok is false when the
// content is not a report sluice knows.
func Detect(data []byte) (tool string, ok bool) {
	switch topKind(data) {
	case '{':
		if isSARIF(data) {
			return "sarif", true
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return "", false
		}
		return detectObject(obj)
	case '[':
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) != nil {
			return "", false
		}
		if len(arr) == 0 {
			return None, true
		}
		if topKind(arr[0]) == '[' {
			return "safety", true // Safety 1: a list of lists
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(arr[0], &obj) != nil {
			return "", false
		}
		switch {
		case has(obj, "RuleID") && (has(obj, "Secret") || has(obj, "Match") || has(obj, "File")):
			return "gitleaks", true
		case has(obj, "code") && has(obj, "level") && has(obj, "line"):
			return "hadolint", true
		case has(obj, "name") && has(obj, "vulns"):
			return "pip-audit", true
		case has(obj, "Diagnostic") && has(obj, "Check"):
			return "kube-linter", true
		}
		return detectObject(obj)
	}
	return "", false
}

// detectObject recognizes a report object by the members only its tool
// writes.
func detectObject(obj map[string]json.RawMessage) (string, bool) {
	results := first(obj["results"])
	switch {
	case has(obj, "generated_at") && has(obj, "metrics") || has(results, "test_id"):
		return "bandit", true
	case has(results, "check_id") || has(obj, "results") && has(obj, "paths") && has(obj, "errors"):
		return "semgrep", true
	case has(obj, "SchemaVersion") && (has(obj, "Results") || has(obj, "ArtifactName")):
		return "trivy", true
	case has(obj, "matches") && (has(obj, "descriptor") || has(obj, "source")):
		return "grype", true
	case has(obj, "check_type") || has(obj, "checkov_version") && has(obj, "resource_count"):
		return "checkov", true
	case has(obj, "Reports") && (has(obj, "Checks") || has(obj, "Summary")):
		return "kube-linter", true
	case has(obj, "dependencies") && (has(obj, "reportSchema") || has(obj, "scanInfo")):
		return "dependency-check", true
	case has(obj, "dependencies") && has(obj, "fixes"):
		return "pip-audit", true
	case has(obj, "report_meta") || has(obj, "scan_results") && has(obj, "meta"):
		return "safety", true
	case has(obj, "vulnerabilities") && (has(obj, "packageManager") || has(obj, "dependencyCount") || has(obj, "ok")):
		return "snyk", true
	case has(obj, "site") && (has(obj, "@programName") || has(obj, "@version")):
		return "zap", true
	case has(results, "rule_id") || has(results, "long_id") || len(obj) == 1 && has(obj, "results"):
		return "tfsec", true
	}
	return "", false
}

// has says whether obj has the member key.
func has(obj map[string]json.RawMessage, key string) bool {
	_, ok := obj[key]
	return ok
}

// first returns the members of the first object of a JSON list, nil when
// raw is not a list starting with an object.
func first(raw json.RawMessage) map[string]json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil || len(arr) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(arr[0], &obj) != nil {
		return nil
	}
	return obj
}
