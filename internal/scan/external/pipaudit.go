package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

type pipAuditDep struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	SkipReason string `json:"skip_reason"`
	Vulns      []struct {
		ID          string   `json:"id"`
		FixVersions []string `json:"fix_versions"`
		Aliases     []string `json:"aliases"`
		Description string   `json:"description"`
	} `json:"vulns"`
}

// importPipAudit reads `pip-audit -f json`: {"dependencies": […]} (or,
// from versions before 2.0, the bare list). pip-audit gives no severity:
// every vulnerability is medium, marked with Properties["severity"] =
// "unrated" so a gate or a merge with a rated source can tell. The
// ecosystem is PyPI; the first fix version is the fixed version.
// Dependencies pip-audit skipped are input errors.
func importPipAudit(data []byte, res *result) error {
	var deps []json.RawMessage
	switch topKind(data) {
	case '[':
		if err := decode(data, &deps); err != nil {
			return err
		}
	default:
		var rep struct {
			Dependencies []json.RawMessage `json:"dependencies"`
		}
		if err := decode(data, &rep); err != nil {
			return err
		}
		if rep.Dependencies == nil {
			return errors.New(`no "dependencies" member: not a pip-audit JSON report`)
		}
		deps = rep.Dependencies
	}
	each(res, "dependencies", deps, func(i int, d *pipAuditDep) error {
		if d.Name == "" {
			return errors.New("no name")
		}
		if d.SkipReason != "" {
			res.note(d.Name, "skipped: "+d.SkipReason)
		}
		for j, v := range d.Vulns {
			if v.ID == "" {
				res.malformed(fmt.Sprintf("dependencies[%d].vulns[%d]", i, j), errors.New("no id"))
				continue
			}
			f := findings.Finding{
				RuleID:     v.ID,
				Category:   findings.Deps,
				Severity:   findings.Medium,
				Title:      fmt.Sprintf("%s in %s %s", v.ID, d.Name, d.Version),
				Message:    clip(strings.TrimSpace(v.Description), maxText),
				Aliases:    uniq(v.Aliases...),
				References: osvReferences(v.ID, v.Aliases),
				Properties: map[string]string{"severity": "unrated"},
			}
			f.Location = findings.Location{Package: d.Name, Version: d.Version, Ecosystem: "PyPI"}
			if len(v.FixVersions) > 0 {
				f.FixedVersion = fixFor(d.Version, v.FixVersions)
				setProp(f.Properties, "fixed_versions", fixedVersions(v.FixVersions))
				f.Fix = fmt.Sprintf("Upgrade %s to %s.", d.Name, f.FixedVersion)
			}
			res.add(finish(f))
		}
		return nil
	})
	return nil
}

// osvReferences links an advisory and its aliases to their OSV pages.
func osvReferences(id string, aliases []string) []string {
	var out []string
	for _, a := range append([]string{id}, aliases...) {
		if a = strings.TrimSpace(a); a != "" && !strings.ContainsAny(a, " /?#") {
			out = append(out, "https://osv.dev/vulnerability/"+a)
		}
	}
	return uniq(out...)
}
