package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// snykProject is one project of `snyk test --json` (or `snyk container
// test --json`); with --all-projects the output is a list of them.
type snykProject struct {
	Vulnerabilities   []json.RawMessage `json:"vulnerabilities"`
	OK                *bool             `json:"ok"`
	Error             string            `json:"error"`
	PackageManager    string            `json:"packageManager"`
	DisplayTargetFile string            `json:"displayTargetFile"`
	TargetFile        string            `json:"targetFile"`
	Path              string            `json:"path"`
	Docker            json.RawMessage   `json:"docker"`
	Platform          string            `json:"platform"`
	ProjectName       string            `json:"projectName"`
	DependencyCount   *number           `json:"dependencyCount"`
}

type snykVuln struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Type        string `json:"type"`
	Severity    string `json:"severity"`
	CVSSScore   number `json:"cvssScore"`
	CVSSv3      string `json:"CVSSv3"`
	Identifiers struct {
		CVE  []string `json:"CVE"`
		CWE  []string `json:"CWE"`
		GHSA []string `json:"GHSA"`
	} `json:"identifiers"`
	PackageName    string   `json:"packageName"`
	Version        string   `json:"version"`
	From           []string `json:"from"`
	FixedIn        []string `json:"fixedIn"`
	IsUpgradable   bool     `json:"isUpgradable"`
	UpgradePath    []any    `json:"upgradePath"`
	PackageManager string   `json:"packageManager"`
	Description    string   `json:"description"`
	Exploit        string   `json:"exploit"`
	References     []struct {
		URL string `json:"url"`
	} `json:"references"`
}

// importSnyk reads `snyk test --json` and `snyk container test --json`
// (one project or a list). Severity is Snyk's (critical … low as named),
// else from cvssScore. A vulnerability Snyk lists once per dependency path
// is one finding, with the number of paths in Properties["paths"].
// License issues are not security findings and are left out. Snyk Code's
// output is SARIF and read as such.
func importSnyk(data []byte, res *result) error {
	var top json.RawMessage
	if err := decode(data, &top); err != nil {
		return err
	}
	projects, err := list(top)
	if err != nil {
		return errors.New(describe(err))
	}
	each(res, "", projects, func(i int, p *snykProject) error {
		if p.Error != "" && p.Vulnerabilities == nil {
			res.note(res.relPath(p.Path), p.Error)
			return nil
		}
		if p.Vulnerabilities == nil && p.OK == nil && p.DependencyCount == nil {
			return errors.New(`no "vulnerabilities": not a Snyk test report`)
		}
		seen := map[string]int{}
		each(res, fmt.Sprintf("[%d].vulnerabilities", i), p.Vulnerabilities, func(_ int, v *snykVuln) error {
			if v.ID == "" || v.PackageName == "" {
				return errors.New("no id or packageName")
			}
			if strings.EqualFold(v.Type, "license") {
				return nil
			}
			key := v.ID + "\x00" + v.PackageName + "\x00" + v.Version
			if n, ok := seen[key]; ok {
				f := &res.findings[n]
				paths, _ := strconv.Atoi(f.Properties["paths"])
				f.Properties["paths"] = strconv.Itoa(paths + 1)
				return nil
			}
			seen[key] = len(res.findings)
			res.add(snykFinding(res, p, v))
			return nil
		})
		return nil
	})
	return nil
}

func snykFinding(res *result, p *snykProject, v *snykVuln) findings.Finding {
	f := findings.Finding{
		RuleID:     v.ID,
		Category:   findings.Deps,
		Title:      firstOf(v.Title, v.ID) + " in " + v.PackageName,
		Message:    clip(strings.TrimSpace(v.Description), maxText),
		CWE:        cwes(v.Identifiers.CWE...),
		Aliases:    uniq(append(v.Identifiers.CVE, v.Identifiers.GHSA...)...),
		References: []string{"https://security.snyk.io/vuln/" + v.ID},
		Properties: map[string]string{"paths": "1"},
	}
	for _, r := range v.References {
		f.References = append(f.References, r.URL)
	}
	f.References = uniq(f.References...)
	if s, ok := severityWord(v.Severity); ok {
		f.Severity = s
	} else {
		f.Severity = findings.FromCVSS(float64(v.CVSSScore))
	}
	// Snyk names OS package managers with the release: "debian:12".
	pm, release, _ := strings.Cut(strings.ToLower(firstOf(v.PackageManager, p.PackageManager)), ":")
	_, isOS := osFamilies[pm]
	l := &f.Location
	l.Package, l.Version = v.PackageName, v.Version
	l.Path = res.relPath(firstOf(p.DisplayTargetFile, p.TargetFile))
	l.Ecosystem = ecosystemOf(pm, pm, release)
	if p.Docker != nil || isOS {
		f.Category = findings.Container
		l.Image = p.Path
		if isOS {
			l.Path = ""
		}
	}
	if len(v.FixedIn) > 0 {
		f.FixedVersion = fixFor(v.Version, v.FixedIn)
		setProp(f.Properties, "fixed_versions", fixedVersions(v.FixedIn))
		f.Fix = fmt.Sprintf("Upgrade %s to %s.", v.PackageName, f.FixedVersion)
	}
	if len(v.UpgradePath) > 1 && v.IsUpgradable {
		if direct := str(v.UpgradePath[1]); direct != "" {
			f.Fix = "Upgrade " + direct + "."
		}
	}
	setProp(f.Properties, "cvss_vector", v.CVSSv3)
	if v.CVSSScore > 0 {
		f.Properties["cvss_score"] = strconv.FormatFloat(float64(v.CVSSScore), 'f', -1, 64)
	}
	if e := strings.TrimSpace(v.Exploit); e != "" && !strings.EqualFold(e, "Not Defined") {
		f.Properties["exploit"] = e
	}
	if len(v.From) > 1 {
		f.Properties["introduced_by"] = v.From[1]
	}
	return finish(f)
}
