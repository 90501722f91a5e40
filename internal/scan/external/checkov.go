package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// checkovReport is one framework's part of `checkov -o json`; the output
// is one such object, a list of them (several frameworks), or a bare
// summary when nothing was scanned.
type checkovReport struct {
	CheckType string `json:"check_type"`
	Results   *struct {
		FailedChecks  []json.RawMessage `json:"failed_checks"`
		ParsingErrors []string          `json:"parsing_errors"`
	} `json:"results"`
	Passed *number `json:"passed"`
}

type checkovCheck struct {
	CheckID       string        `json:"check_id"`
	BCCheckID     string        `json:"bc_check_id"`
	CheckName     string        `json:"check_name"`
	CodeBlock     [][]any       `json:"code_block"`
	FilePath      string        `json:"file_path"`
	FileAbsPath   string        `json:"file_abs_path"`
	FileLineRange []int         `json:"file_line_range"`
	Resource      string        `json:"resource"`
	Severity      text          `json:"severity"`
	Guideline     string        `json:"guideline"`
	Description   string        `json:"description"`
	Details       []string      `json:"details"`
	VulnDetails   *checkovVulns `json:"vulnerability_details"`
}

type checkovVulns struct {
	ID             string  `json:"id"`
	PackageName    string  `json:"package_name"`
	PackageVersion string  `json:"package_version"`
	FixedVersion   string  `json:"fixed_version"`
	LowestFixed    string  `json:"lowest_fixed_version"`
	CVSS           number  `json:"cvss"`
	Severity       string  `json:"severity"`
	Link           string  `json:"link"`
	Description    string  `json:"description"`
	Vector         string  `json:"vector"`
	PackageType    string  `json:"package_type"`
	RiskFactors    any     `json:"risk_factors"`
	Status         *string `json:"status"`
}

// importCheckov reads Checkov's JSON output. Only failed checks are
// findings. Open-source Checkov gives no severity (null): such checks are
// medium; a severity it does give (with a platform key) is used as named.
// Secrets checks (check_type "secrets") are secrets findings whose code
// Checkov has already masked; package checks (sca_package, sca_image)
// are dependency findings with the package, version, CVE and fixed
// version of vulnerability_details.
func importCheckov(data []byte, res *result) error {
	var top json.RawMessage
	if err := decode(data, &top); err != nil {
		return err
	}
	parts, err := list(top)
	if err != nil {
		return errors.New(describe(err))
	}
	each(res, "", parts, func(i int, c *checkovReport) error {
		if c.Results == nil {
			if c.Passed != nil || c.CheckType != "" {
				return nil // a summary of a scan that found nothing
			}
			return errors.New(`no "results" or summary: not a Checkov report`)
		}
		for _, e := range c.Results.ParsingErrors {
			res.note(res.relPath(e), "could not parse the file")
		}
		typ := strings.ToLower(c.CheckType)
		each(res, fmt.Sprintf("[%d].results.failed_checks", i), c.Results.FailedChecks, func(_ int, k *checkovCheck) error {
			return checkovFinding(res, typ, k)
		})
		return nil
	})
	return nil
}

func checkovFinding(res *result, typ string, k *checkovCheck) error {
	if k.CheckID == "" {
		return errors.New("no check_id")
	}
	f := findings.Finding{
		RuleID:     k.CheckID,
		Category:   findings.IaC,
		Title:      firstOf(k.CheckName, k.Description, k.CheckID),
		References: uniq(k.Guideline),
		Snippet:    clip(checkovCode(k.CodeBlock), maxText),
		Properties: map[string]string{},
	}
	if len(k.Details) > 0 {
		f.Message = strings.Join(k.Details, "\n")
	}
	sev, ok := severityWord(string(k.Severity))
	if !ok {
		sev = findings.Medium
	}
	f.Severity = sev
	l := &f.Location
	l.Path = res.relPath(k.FilePath)
	if res.under(k.FileAbsPath) {
		l.Path = res.relPath(k.FileAbsPath)
	}
	if len(k.FileLineRange) == 2 {
		l.StartLine, l.EndLine = k.FileLineRange[0], max(k.FileLineRange[1], k.FileLineRange[0])
	}
	l.Resource = k.Resource
	setProp(f.Properties, "bc_check_id", k.BCCheckID)
	setProp(f.Properties, "framework", typ)
	switch {
	case typ == "secrets":
		f.Category = findings.Secrets
		f.CWE = []int{798}
		l.Resource = ""
	case k.VulnDetails != nil && k.VulnDetails.PackageName != "":
		v := k.VulnDetails
		f.Category = findings.Deps
		if typ == "sca_image" {
			f.Category = findings.Container
		}
		f.RuleID = firstOf(v.ID, k.CheckID)
		f.Properties["check_id"] = k.CheckID
		l.Package, l.Version, l.Resource = v.PackageName, v.PackageVersion, ""
		l.Ecosystem = ecosystemOf(v.PackageType, "", "")
		f.FixedVersion = firstOf(v.LowestFixed, v.FixedVersion)
		if s, ok := severityWord(v.Severity); ok {
			f.Severity = s
		} else if v.CVSS > 0 {
			f.Severity = findings.FromCVSS(float64(v.CVSS))
		}
		f.Title = fmt.Sprintf("%s in %s %s", f.RuleID, v.PackageName, v.PackageVersion)
		f.Message = clip(strings.TrimSpace(v.Description), maxText)
		f.References = uniq(append([]string{v.Link}, f.References...)...)
		setProp(f.Properties, "cvss_vector", v.Vector)
	}
	res.add(finish(f))
	return nil
}

// checkovCode joins the lines of a code block ([[line, text], …]).
func checkovCode(block [][]any) string {
	var b strings.Builder
	for _, line := range block {
		if len(line) == 2 {
			b.WriteString(str(line[1]))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
