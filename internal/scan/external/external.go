// Package external adapts the security tools teams already run to sluice's
// findings model. Import reads a tool's report (Bandit, Semgrep, Trivy,
// Grype, Hadolint, Checkov, tfsec, kube-linter, gitleaks, pip-audit,
// Safety, Snyk, OWASP Dependency-Check, OWASP ZAP, and any SARIF log);
// Detect tells from a report's content which tool wrote it; Tools returns
// a scanner per runnable tool that runs it when it is installed and
// imports what it wrote.
//
// Every importer keeps the tool's own facts: scanner = the tool, its rule
// id, a category, a severity normalized from the tool's scale (each
// importer's doc says how), CWE ids where the tool gives them, the
// location (file and lines; package, version and OSV ecosystem for
// dependency tools; URL and method for ZAP), the fix or fixed version,
// advisory aliases and references. Secrets are never kept in clear: their
// SHA-256 goes to Properties[findings.PropSecretSHA256] and snippets show
// them redacted. Fingerprints and OWASP categories are left to the caller
// (findings.Merge and findings.Classify), except for SARIF logs, which the
// sarif package reads complete.
//
// Severity by tool (each importer's doc has the details):
//
//	bandit            issue_severity HIGH/MEDIUM/LOW as named
//	semgrep           security-severity score, else ERROR high, WARNING medium, INFO low
//	trivy, grype      the tool's word; UNKNOWN from the highest CVSS score; Negligible info
//	hadolint          error high, warning medium, info low, style info
//	checkov           the severity when given (platform key), else medium
//	tfsec             CRITICAL … LOW as named
//	kube-linter       per check (privileged, host namespaces, docker.sock … high)
//	gitleaks          high (no severity of its own)
//	pip-audit         medium, marked unrated (no severity of its own)
//	safety            CVSS v3 when given, else medium, marked unrated
//	snyk              the tool's word, else from cvssScore
//	dependency-check  CVSS v3 severity or score, else its word (MODERATE medium), else CVSS v2
//	zap               riskcode 3 high, 2 medium, 1 low, 0 info (false positives dropped)
//	SARIF             see sarif.Read (security-severity, then level)
package external

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// maxReport bounds the size of a report Import reads, so a runaway file
// cannot exhaust memory.
const maxReport = 1 << 30

// Import reads the report of the tool called name from r and returns its
// findings. name is one of Formats (or an alias such as "owasp-zap" or
// "dependency-check"); a SARIF log is read whatever the name, with name as
// the scanner unless it is "sarif" (then the log's tool name is used).
// root is the absolute folder the tool scanned: absolute paths under it
// become relative; "" keeps paths as the report has them (without a
// leading "/" or "./").
//
// A report that is not the tool's JSON is an error naming the tool and
// what is wrong. When only some entries are malformed, Import returns the
// findings of the others together with a *MalformedError listing them.
func Import(name string, r io.Reader, root string) ([]findings.Finding, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxReport+1))
	if err != nil {
		return nil, fmt.Errorf("read %s report: %w", name, err)
	}
	if len(data) > maxReport {
		return nil, fmt.Errorf("read %s report: larger than %d bytes", name, maxReport)
	}
	res, err := parse(name, data, root)
	if res == nil {
		return nil, err
	}
	return res.findings, err
}

// ImportFile reads the report at path, tells which tool wrote it with
// Detect and imports it with Import; it returns the tool (format) found.
// A file whose format is not recognized is an error listing the formats
// sluice reads.
func ImportFile(path, root string) (string, []findings.Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReport+1))
	if err != nil {
		return "", nil, fmt.Errorf("import %s: %w", path, err)
	}
	tool, ok := Detect(data)
	if !ok {
		return "", nil, fmt.Errorf("import %s: not a report sluice can tell the tool of (it reads SARIF 2.1.0 and the JSON of %s)",
			path, strings.Join(Formats(), ", "))
	}
	fs, err := Import(tool, bytes.NewReader(data), root)
	if err != nil {
		return tool, fs, fmt.Errorf("import %s: %w", path, err)
	}
	return tool, fs, nil
}

// Formats returns the report formats Import reads, sorted: the tool names
// it accepts (codeql, eslint and gosec write SARIF), with "sarif" for any
// SARIF 2.1.0 log.
func Formats() []string {
	names := make([]string, 0, len(importers)+len(sarifTools))
	for n := range importers {
		names = append(names, n)
	}
	for n := range sarifTools {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// aliases maps other spellings of a tool's name to its format.
var aliases = map[string]string{
	"owasp-zap": "zap", "zaproxy": "zap", "owasp-dependency-check": "dependency-check",
	"dependencycheck": "dependency-check", "odc": "dependency-check", "kubelinter": "kube-linter",
	"pip_audit": "pip-audit", "pipaudit": "pip-audit", "snyk-open-source": "snyk",
}

// sarifTools are tools whose only machine-readable report is SARIF.
var sarifTools = map[string]bool{"eslint": true, "codeql": true, "gosec": true, "sarif": true}

// importer reads one tool's JSON report into res.
type importer func(data []byte, res *result) error

// importers maps a format name to its importer.
var importers = map[string]importer{
	"bandit":           importBandit,
	"semgrep":          importSemgrep,
	"trivy":            importTrivy,
	"grype":            importGrype,
	"hadolint":         importHadolint,
	"checkov":          importCheckov,
	"tfsec":            importTfsec,
	"kube-linter":      importKubeLinter,
	"gitleaks":         importGitleaks,
	"pip-audit":        importPipAudit,
	"safety":           importSafety,
	"snyk":             importSnyk,
	"dependency-check": importDepCheck,
	"zap":              importZAP,
}

// result is what reading one report gave: findings, entries that were
// malformed, and problems the tool itself reported with single inputs (a
// file it could not parse), which runners show as input errors.
type result struct {
	tool     string
	root     string
	findings []findings.Finding
	bad      []string
	notes    []scan.InputError
}

// add appends a finding, with the tool as scanner and source.
func (r *result) add(f findings.Finding) {
	if f.Scanner == "" {
		f.Scanner = r.tool
	}
	r.findings = append(r.findings, f)
}

// malformed records an entry of the report that could not be read.
func (r *result) malformed(where string, err error) {
	r.bad = append(r.bad, where+": "+describe(err))
}

// note records a problem the tool reported with one input.
func (r *result) note(path, msg string) {
	r.notes = append(r.notes, scan.InputError{Path: path, Err: r.tool + ": " + msg})
}

// parse reads data as name's report. It returns nil and an error when
// nothing could be read, the result and a *MalformedError when some
// entries were malformed.
func parse(name string, data []byte, root string) (*result, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[name]; ok {
		name = a
	}
	if isSARIF(data) {
		return parseSARIF(name, data, root)
	}
	if name == None {
		var arr []json.RawMessage
		if err := decode(data, &arr); err != nil || len(arr) > 0 {
			return nil, errors.New(`import "none": want an empty JSON list`)
		}
		return &result{tool: None, root: root}, nil
	}
	imp, ok := importers[name]
	if !ok {
		if sarifTools[name] {
			return nil, fmt.Errorf("%s report: not a SARIF 2.1.0 log (%s reports are read as SARIF)", name, name)
		}
		return nil, fmt.Errorf("import %q: unknown report format (known: %s)", name, strings.Join(Formats(), ", "))
	}
	res := &result{tool: name, root: root}
	if err := imp(data, res); err != nil {
		return nil, fmt.Errorf("%s report: %w", name, err)
	}
	if len(res.bad) > 0 {
		return res, &MalformedError{Tool: name, Problems: res.bad}
	}
	return res, nil
}

// MalformedError lists the entries of a report that could not be read;
// Import returns it with the findings of the other entries.
type MalformedError struct {
	Tool string
	// Problems names each bad entry: "results[3]: line_number: got JSON
	// string, want a number".
	Problems []string
}

// maxProblems caps the problems an error message spells out.
const maxProblems = 5

// Error names the tool and the first malformed entries.
func (e *MalformedError) Error() string {
	shown := e.Problems[:min(len(e.Problems), maxProblems)]
	msg := fmt.Sprintf("%s report: %d malformed entr%s: %s", e.Tool, len(e.Problems),
		plural(len(e.Problems), "y", "ies"), strings.Join(shown, "; "))
	if len(e.Problems) > maxProblems {
		msg += fmt.Sprintf("; and %d more", len(e.Problems)-maxProblems)
	}
	return msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
