package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// importSafety reads Safety's JSON in its three shapes: `safety check
// --json` of Safety 1 (a list of [name, spec, version, advisory, id]),
// Safety 2's report (report_meta, vulnerabilities), and `safety scan
// --output json` of Safety 3 (meta, scan_results). Severity: Safety 2's
// CVSS v3 base severity or score when the advisory has one, else medium
// with Properties["severity"] = "unrated" (Safety 1 and 3 give none). The
// fixed version is the first of fixed_versions (Safety 2) or the
// recommended version (Safety 3). Ignored vulnerabilities are kept with a
// "suppressed" property.
func importSafety(data []byte, res *result) error {
	if topKind(data) == '[' {
		return importSafety1(data, res)
	}
	var probe struct {
		ReportMeta      json.RawMessage   `json:"report_meta"`
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
		ScanResults     json.RawMessage   `json:"scan_results"`
	}
	if err := decode(data, &probe); err != nil {
		return err
	}
	switch {
	case probe.ScanResults != nil:
		return importSafety3(probe.ScanResults, res)
	case probe.Vulnerabilities != nil || probe.ReportMeta != nil:
		each(res, "vulnerabilities", probe.Vulnerabilities, func(_ int, v *safety2Vuln) error {
			return safety2Finding(res, v)
		})
		return nil
	}
	return errors.New(`no "vulnerabilities" or "scan_results" member: not a Safety JSON report`)
}

// importSafety1 reads Safety 1's list of lists.
func importSafety1(data []byte, res *result) error {
	var raws []json.RawMessage
	if err := decode(data, &raws); err != nil {
		return err
	}
	each(res, "", raws, func(_ int, row *[]text) error {
		r := *row
		if len(r) < 5 || r[0] == "" || r[4] == "" {
			return errors.New("want [name, spec, version, advisory, id]")
		}
		v := safety2Vuln{PackageName: string(r[0]), VulnerableSpec: string(r[1]),
			AnalyzedVersion: string(r[2]), Advisory: string(r[3]), VulnerabilityID: r[4]}
		if len(r) > 5 {
			v.CVE = string(r[5])
		}
		return safety2Finding(res, &v)
	})
	return nil
}

type safety2Vuln struct {
	VulnerabilityID text     `json:"vulnerability_id"`
	PackageName     string   `json:"package_name"`
	VulnerableSpec  string   `json:"vulnerable_spec"`
	AnalyzedVersion string   `json:"analyzed_version"`
	Advisory        string   `json:"advisory"`
	FixedVersions   []string `json:"fixed_versions"`
	CVE             string   `json:"CVE"`
	MoreInfoURL     string   `json:"more_info_url"`
	Ignored         any      `json:"ignored"`
	IgnoredReason   string   `json:"ignored_reason"`
	Severity        *struct {
		CVSSv3 *struct {
			BaseScore    number `json:"base_score"`
			BaseSeverity string `json:"base_severity"`
			VectorString string `json:"vector_string"`
		} `json:"cvssv3"`
	} `json:"severity"`
}

func safety2Finding(res *result, v *safety2Vuln) error {
	id := strings.TrimSpace(string(v.VulnerabilityID))
	if id == "" || v.PackageName == "" {
		return errors.New("no vulnerability_id or package_name")
	}
	f := safetyFinding(v.PackageName, v.AnalyzedVersion, id, v.VulnerableSpec)
	f.Message = clip(strings.TrimSpace(v.Advisory), maxText)
	if cve := strings.TrimSpace(v.CVE); cve != "" && !strings.HasPrefix(cve, "PVE-") {
		f.Aliases = []string{cve}
	} else if cve != "" {
		f.Properties["pve"] = cve
	}
	f.References = uniq(v.MoreInfoURL)
	if len(v.FixedVersions) > 0 {
		f.FixedVersion = fixFor(v.AnalyzedVersion, v.FixedVersions)
		setProp(f.Properties, "fixed_versions", fixedVersions(v.FixedVersions))
		f.Fix = fmt.Sprintf("Upgrade %s to %s.", v.PackageName, f.FixedVersion)
	}
	if v.Severity != nil && v.Severity.CVSSv3 != nil {
		c := v.Severity.CVSSv3
		if s, ok := severityWord(c.BaseSeverity); ok {
			f.Severity = s
			delete(f.Properties, "severity")
		} else if c.BaseScore > 0 {
			f.Severity = findings.FromCVSS(float64(c.BaseScore))
			delete(f.Properties, "severity")
		}
		setProp(f.Properties, "cvss_vector", c.VectorString)
	}
	if ignored(v.Ignored) {
		f.Properties["suppressed"] = "external"
		setProp(f.Properties, "suppression_justification", v.IgnoredReason)
	}
	res.add(finish(f))
	return nil
}

// safetyFinding is the part every Safety shape shares.
func safetyFinding(pkg, version, id, spec string) findings.Finding {
	f := findings.Finding{
		RuleID:     id,
		Category:   findings.Deps,
		Severity:   findings.Medium,
		Title:      fmt.Sprintf("Vulnerability %s in %s %s", id, pkg, version),
		Location:   findings.Location{Package: pkg, Version: version, Ecosystem: "PyPI"},
		Properties: map[string]string{"severity": "unrated"},
	}
	setProp(f.Properties, "vulnerable_spec", spec)
	return f
}

// ignored says whether Safety's "ignored" member marks an ignored
// vulnerability: true, or a non-empty object.
func ignored(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		return len(x) > 0
	}
	return false
}
