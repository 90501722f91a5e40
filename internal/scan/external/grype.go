package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// grypeReport is `grype … -o json`.
type grypeReport struct {
	Matches []json.RawMessage `json:"matches"`
	Source  *struct {
		Type   string          `json:"type"`
		Target json.RawMessage `json:"target"`
	} `json:"source"`
	Distro struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"distro"`
	Descriptor *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"descriptor"`
}

type grypeVuln struct {
	ID          string   `json:"id"`
	DataSource  string   `json:"dataSource"`
	Namespace   string   `json:"namespace"`
	Severity    string   `json:"severity"`
	URLs        []string `json:"urls"`
	Description string   `json:"description"`
	CVSS        []struct {
		Version string `json:"version"`
		Vector  string `json:"vector"`
		Metrics struct {
			BaseScore number `json:"baseScore"`
		} `json:"metrics"`
	} `json:"cvss"`
	Fix struct {
		Versions []string `json:"versions"`
		State    string   `json:"state"`
	} `json:"fix"`
}

type grypeMatch struct {
	Vulnerability          grypeVuln   `json:"vulnerability"`
	RelatedVulnerabilities []grypeVuln `json:"relatedVulnerabilities"`
	Artifact               struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Type      string `json:"type"`
		Locations []struct {
			Path    string `json:"path"`
			LayerID string `json:"layerID"`
		} `json:"locations"`
		PURL string `json:"purl"`
	} `json:"artifact"`
}

// importGrype reads Grype's JSON report. Severity is Grype's (Critical …
// Low as named, Negligible info); Unknown takes the highest CVSS base score
// of the match and its related vulnerabilities, else info. Related
// vulnerabilities (the CVE behind a GHSA) become aliases. The first fixed
// version is the fixed version. An image source makes container findings
// with the image and layer.
func importGrype(data []byte, res *result) error {
	var rep grypeReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.Matches == nil && rep.Descriptor == nil {
		return errors.New(`no "matches" member: not a Grype JSON report`)
	}
	image := ""
	if rep.Source != nil && strings.EqualFold(rep.Source.Type, "image") {
		var t struct {
			UserInput string `json:"userInput"`
		}
		if json.Unmarshal(rep.Source.Target, &t) == nil {
			image = t.UserInput
		}
	}
	each(res, "matches", rep.Matches, func(_ int, m *grypeMatch) error {
		v, a := &m.Vulnerability, &m.Artifact
		if v.ID == "" || a.Name == "" {
			return errors.New("no vulnerability.id or artifact.name")
		}
		f := findings.Finding{
			RuleID:     v.ID,
			Category:   findings.Deps,
			Title:      fmt.Sprintf("%s in %s %s", v.ID, a.Name, a.Version),
			Message:    clip(strings.TrimSpace(v.Description), maxText),
			References: uniq(append([]string{v.DataSource}, v.URLs...)...),
			Properties: map[string]string{},
		}
		score, vector := 0.0, ""
		for _, rv := range append([]grypeVuln{*v}, m.RelatedVulnerabilities...) {
			if rv.ID != v.ID {
				f.Aliases = append(f.Aliases, rv.ID)
			}
			if f.Message == "" {
				f.Message = clip(strings.TrimSpace(rv.Description), maxText)
			}
			for _, c := range rv.CVSS {
				if s := float64(c.Metrics.BaseScore); s > score {
					score, vector = s, c.Vector
				}
			}
		}
		f.Aliases = uniq(f.Aliases...)
		f.Severity, _ = severityWord(v.Severity)
		if _, ok := severityWord(v.Severity); !ok && score > 0 {
			f.Severity = findings.FromCVSS(score)
		}
		if strings.EqualFold(v.Fix.State, "fixed") && len(v.Fix.Versions) > 0 {
			f.FixedVersion = fixFor(a.Version, v.Fix.Versions)
			setProp(f.Properties, "fixed_versions", fixedVersions(v.Fix.Versions))
			f.Fix = fmt.Sprintf("Upgrade %s to %s.", a.Name, f.FixedVersion)
		}
		l := &f.Location
		l.Package, l.Version = a.Name, a.Version
		l.Ecosystem = ecosystemOf(a.Type, rep.Distro.Name, rep.Distro.Version)
		if len(a.Locations) > 0 {
			l.Path = res.relPath(a.Locations[0].Path)
			l.Layer = a.Locations[0].LayerID
		}
		if image != "" {
			f.Category, l.Image = findings.Container, image
		}
		setProp(f.Properties, "cvss_vector", vector)
		if score > 0 {
			f.Properties["cvss_score"] = strconv.FormatFloat(score, 'f', -1, 64)
		}
		setProp(f.Properties, "purl", a.PURL)
		setProp(f.Properties, "namespace", v.Namespace)
		setProp(f.Properties, "fix_state", v.Fix.State)
		res.add(finish(f))
		return nil
	})
	return nil
}
