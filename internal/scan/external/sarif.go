package external

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/report/sarif"
)

// isSARIF says whether data is a SARIF log: an object with "runs" and a
// "version" or a "$schema" naming SARIF.
func isSARIF(data []byte) bool {
	if topKind(data) != '{' || !bytes.Contains(data, []byte(`"runs"`)) {
		return false
	}
	var probe struct {
		Version *string         `json:"version"`
		Schema  string          `json:"$schema"`
		Runs    json.RawMessage `json:"runs"`
	}
	if json.Unmarshal(data, &probe) != nil || probe.Runs == nil {
		return false
	}
	return probe.Version != nil || strings.Contains(strings.ToLower(probe.Schema), "sarif")
}

// sarifInvocations is the part of a SARIF log the sarif package does not
// read: what the tool said about its own run, where ESLint reports files
// it could not parse.
type sarifInvocations struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name string `json:"name"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			Execution     []sarifNotification `json:"toolExecutionNotifications"`
			Configuration []sarifNotification `json:"toolConfigurationNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

type sarifNotification struct {
	Level   string `json:"level"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
}

// parseSARIF reads a SARIF log with the sarif package, naming the scanner
// after the tool the caller named (the log's own tool name for "sarif"),
// adds the CWEs of ESLint's security rules, and collects the tool's error
// notifications as notes.
func parseSARIF(name string, data []byte, root string) (*result, error) {
	scanner := name
	if scanner == "sarif" {
		scanner = ""
	}
	fs, err := sarif.Read(bytes.NewReader(data), sarif.ReadOptions{Scanner: scanner, Root: root})
	if fs == nil && err != nil {
		return nil, fmt.Errorf("%s report: %w", name, err)
	}
	res := &result{tool: firstOf(scanner, "sarif"), root: root, findings: fs}
	for i := range res.findings {
		f := &res.findings[i]
		if len(f.CWE) == 0 {
			if n, ok := eslintSecurityCWE[strings.TrimPrefix(f.RuleID, "security/")]; ok && strings.HasPrefix(f.RuleID, "security/") {
				f.CWE = []int{n}
				findings.Classify(f)
			}
		}
	}
	var inv sarifInvocations
	if json.Unmarshal(data, &inv) == nil {
		for _, run := range inv.Runs {
			if scanner == "" {
				res.tool = firstOf(strings.ToLower(run.Tool.Driver.Name), "sarif")
			}
			for _, in := range run.Invocations {
				for _, n := range append(in.Configuration, in.Execution...) {
					if !strings.EqualFold(n.Level, "error") {
						continue
					}
					path, msg := "", firstLine(n.Message.Text)
					if len(n.Locations) > 0 {
						pl := n.Locations[0].PhysicalLocation
						path = res.relPath(pl.ArtifactLocation.URI)
						if pl.Region.StartLine > 0 {
							msg = fmt.Sprintf("line %d: %s", pl.Region.StartLine, msg)
						}
					}
					res.note(path, msg)
				}
			}
		}
	}
	if err != nil {
		return res, fmt.Errorf("%s report: %w", name, err)
	}
	return res, nil
}

// eslintSecurityCWE gives eslint-plugin-security's rules, which carry no
// CWE in ESLint's SARIF, the CWE of the weakness each detects.
var eslintSecurityCWE = map[string]int{
	"detect-buffer-noassert":                119,
	"detect-child-process":                  78,
	"detect-disable-mustache-escape":        79,
	"detect-eval-with-expression":           95,
	"detect-new-buffer":                     908,
	"detect-no-csrf-before-method-override": 352,
	"detect-non-literal-fs-filename":        22,
	"detect-non-literal-regexp":             1333,
	"detect-non-literal-require":            829,
	"detect-object-injection":               915,
	"detect-possible-timing-attacks":        208,
	"detect-pseudoRandomBytes":              338,
	"detect-unsafe-regex":                   1333,
	"detect-bidi-characters":                451,
	"detect-invisible-characters":           451,
}
