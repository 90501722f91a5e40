package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// depCheckReport is OWASP Dependency-Check's JSON report (`--format JSON`).
type depCheckReport struct {
	ReportSchema string            `json:"reportSchema"`
	ScanInfo     json.RawMessage   `json:"scanInfo"`
	Dependencies []json.RawMessage `json:"dependencies"`
}

type depCheckDep struct {
	FileName string `json:"fileName"`
	FilePath string `json:"filePath"`
	Packages []struct {
		ID string `json:"id"`
	} `json:"packages"`
	Vulnerabilities []depCheckVuln `json:"vulnerabilities"`
}

type depCheckVuln struct {
	Source   string `json:"source"`
	Name     string `json:"name"`
	Severity string `json:"severity"`
	CVSSv2   *struct {
		Score number `json:"score"`
	} `json:"cvssv2"`
	CVSSv3 *struct {
		BaseScore    number `json:"baseScore"`
		BaseSeverity string `json:"baseSeverity"`
		Vector       string `json:"vectorString"`
	} `json:"cvssv3"`
	CWEs        []string `json:"cwes"`
	Description string   `json:"description"`
	References  []struct {
		URL string `json:"url"`
	} `json:"references"`
	VulnerableSoftware []struct {
		Software struct {
			ID                   string `json:"id"`
			VulnerabilityIDMatch string `json:"vulnerabilityIdMatched"`
			VersionEndExcluding  string `json:"versionEndExcluding"`
		} `json:"software"`
	} `json:"vulnerableSoftware"`
}

// importDepCheck reads Dependency-Check's JSON report: one finding per
// vulnerability of each dependency. The package comes from the
// dependency's package URL (its ecosystem from the purl type), else its
// file name. Severity: the CVSS v3 base severity or score, else the
// report's severity word (MODERATE is medium), else the CVSS v2 score.
// The fixed version is the versionEndExcluding of the vulnerable software
// entry that matched.
func importDepCheck(data []byte, res *result) error {
	var rep depCheckReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Dependencies == nil && rep.ReportSchema == "" && rep.ScanInfo == nil {
		return errors.New(`no "dependencies" member: not a Dependency-Check JSON report`)
	}
	each(res, "dependencies", rep.Dependencies, func(i int, d *depCheckDep) error {
		pkg, version, eco := d.FileName, "", ""
		for _, p := range d.Packages {
			if u, ok := parsePURL(p.ID); ok {
				pkg, version, eco = u.name, u.version, ecosystemOf(u.typ, "", "")
				break
			}
		}
		for j, v := range d.Vulnerabilities {
			if v.Name == "" || pkg == "" {
				res.malformed(fmt.Sprintf("dependencies[%d].vulnerabilities[%d]", i, j),
					errors.New("no name, or a dependency with no fileName or package"))
				continue
			}
			res.add(depCheckFinding(res, d, &v, pkg, version, eco))
		}
		return nil
	})
	return nil
}

func depCheckFinding(res *result, d *depCheckDep, v *depCheckVuln, pkg, version, eco string) findings.Finding {
	f := findings.Finding{
		RuleID:     v.Name,
		Category:   findings.Deps,
		Title:      fmt.Sprintf("%s in %s %s", v.Name, pkg, version),
		Message:    clip(strings.TrimSpace(v.Description), maxText),
		CWE:        cwes(v.CWEs...),
		Properties: map[string]string{},
	}
	f.Title = strings.TrimSpace(f.Title)
	for _, r := range v.References {
		f.References = append(f.References, r.URL)
	}
	f.References = uniq(f.References...)
	switch {
	case v.CVSSv3 != nil && v.CVSSv3.BaseSeverity != "":
		f.Severity, _ = severityWord(v.CVSSv3.BaseSeverity)
	case v.CVSSv3 != nil && v.CVSSv3.BaseScore > 0:
		f.Severity = findings.FromCVSS(float64(v.CVSSv3.BaseScore))
	default:
		if s, ok := severityWord(v.Severity); ok {
			f.Severity = s
		} else if v.CVSSv2 != nil {
			f.Severity = findings.FromCVSS(float64(v.CVSSv2.Score))
		}
	}
	if v.CVSSv3 != nil {
		setProp(f.Properties, "cvss_vector", v.CVSSv3.Vector)
		if v.CVSSv3.BaseScore > 0 {
			f.Properties["cvss_score"] = strconv.FormatFloat(float64(v.CVSSv3.BaseScore), 'f', -1, 64)
		}
	}
	for _, s := range v.VulnerableSoftware {
		if s.Software.VulnerabilityIDMatch == "true" && s.Software.VersionEndExcluding != "" {
			f.FixedVersion = s.Software.VersionEndExcluding
			f.Fix = fmt.Sprintf("Upgrade %s to %s or later.", pkg, f.FixedVersion)
			break
		}
	}
	setProp(f.Properties, "source", v.Source)
	setProp(f.Properties, "file", d.FileName)
	l := &f.Location
	l.Package, l.Version, l.Ecosystem = pkg, version, eco
	// A virtual dependency's path names the lockfile and the package
	// ("web/package-lock.json?lodash").
	file, _, _ := strings.Cut(d.FilePath, "?")
	if res.under(file) || !strings.HasPrefix(file, "/") {
		l.Path = res.relPath(file)
	}
	return finish(f)
}
