package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// trivyReport is `trivy … --format json` (schema version 2).
type trivyReport struct {
	SchemaVersion *number `json:"SchemaVersion"`
	ArtifactName  string  `json:"ArtifactName"`
	ArtifactType  string  `json:"ArtifactType"`
	Metadata      struct {
		OS struct {
			Family string `json:"Family"`
			Name   string `json:"Name"`
		} `json:"OS"`
	} `json:"Metadata"`
	Results []json.RawMessage `json:"Results"`
}

type trivyResult struct {
	Target            string            `json:"Target"`
	Class             string            `json:"Class"`
	Type              string            `json:"Type"`
	Vulnerabilities   []json.RawMessage `json:"Vulnerabilities"`
	Misconfigurations []json.RawMessage `json:"Misconfigurations"`
	Secrets           []json.RawMessage `json:"Secrets"`
}

type trivyLayer struct {
	Digest string `json:"Digest"`
	DiffID string `json:"DiffID"`
}

type trivyCode struct {
	Lines []struct {
		Number  int    `json:"Number"`
		Content string `json:"Content"`
		IsCause bool   `json:"IsCause"`
	} `json:"Lines"`
}

// cause returns the lines Trivy marks as the cause, joined.
func (c trivyCode) cause() string {
	var out []string
	for _, l := range c.Lines {
		if l.IsCause {
			out = append(out, l.Content)
		}
	}
	return strings.Join(out, "\n")
}

// importTrivy reads Trivy's JSON report of a file system, repository or
// image: vulnerabilities (deps, or container for an image), failed
// misconfigurations (iac) and secrets. Severity is Trivy's own (CRITICAL …
// LOW as named), with UNKNOWN taken from the highest CVSS score given, else
// info. Vulnerable packages carry their OSV ecosystem (from the result
// type, or the image's OS for OS packages), the image and layer for
// images, and Trivy's fixed version. Trivy masks secrets before writing
// them: the masked match is the snippet, and the secret's hash is only
// set when a match comes unmasked (hashing that whole match).
func importTrivy(data []byte, res *result) error {
	var rep trivyReport
	if err := decode(data, &rep); err != nil {
		return err
	}
	if rep.SchemaVersion == nil && rep.Results == nil {
		return errors.New(`no "SchemaVersion" or "Results" member: not a Trivy JSON report`)
	}
	isImage := strings.EqualFold(rep.ArtifactType, "container_image")
	each(res, "Results", rep.Results, func(i int, r *trivyResult) error {
		where := fmt.Sprintf("Results[%d]", i)
		each(res, where+".Vulnerabilities", r.Vulnerabilities, func(_ int, v *trivyVuln) error {
			return trivyVulnFinding(res, &rep, r, v, isImage)
		})
		each(res, where+".Misconfigurations", r.Misconfigurations, func(_ int, m *trivyMisconf) error {
			return trivyMisconfFinding(res, &rep, r, m, isImage)
		})
		each(res, where+".Secrets", r.Secrets, func(_ int, s *trivySecret) error {
			return trivySecretFinding(res, &rep, r, s, isImage)
		})
		return nil
	})
	return nil
}

type trivyVuln struct {
	VulnerabilityID string `json:"VulnerabilityID"`
	PkgName         string `json:"PkgName"`
	PkgPath         string `json:"PkgPath"`
	PkgIdentifier   struct {
		PURL string `json:"PURL"`
	} `json:"PkgIdentifier"`
	InstalledVersion string            `json:"InstalledVersion"`
	FixedVersion     string            `json:"FixedVersion"`
	Status           string            `json:"Status"`
	Layer            trivyLayer        `json:"Layer"`
	SeveritySource   string            `json:"SeveritySource"`
	PrimaryURL       string            `json:"PrimaryURL"`
	Title            string            `json:"Title"`
	Description      string            `json:"Description"`
	Severity         string            `json:"Severity"`
	CweIDs           []string          `json:"CweIDs"`
	CVSS             map[string]cvssV3 `json:"CVSS"`
	References       []string          `json:"References"`
	PublishedDate    string            `json:"PublishedDate"`
}

type cvssV3 struct {
	V3Vector string `json:"V3Vector"`
	V3Score  number `json:"V3Score"`
	V2Score  number `json:"V2Score"`
}

func trivyVulnFinding(res *result, rep *trivyReport, r *trivyResult, v *trivyVuln, isImage bool) error {
	if v.VulnerabilityID == "" || v.PkgName == "" {
		return errors.New("no VulnerabilityID or PkgName")
	}
	f := findings.Finding{
		RuleID:       v.VulnerabilityID,
		Category:     findings.Deps,
		Title:        firstOf(v.Title, v.VulnerabilityID+" in "+v.PkgName),
		Message:      clip(strings.TrimSpace(v.Description), maxText),
		CWE:          cwes(v.CweIDs...),
		FixedVersion: fixFor(v.InstalledVersion, []string{v.FixedVersion}),
		References:   uniq(append([]string{v.PrimaryURL}, v.References...)...),
		Properties:   map[string]string{},
	}
	l := &f.Location
	l.Package, l.Version = v.PkgName, v.InstalledVersion
	l.Ecosystem = ecosystemOf(r.Type, rep.Metadata.OS.Family, rep.Metadata.OS.Name)
	if strings.EqualFold(r.Class, "os-pkgs") && l.Ecosystem == "" {
		l.Ecosystem = ecosystemOf("", r.Type, rep.Metadata.OS.Name)
	}
	if !strings.EqualFold(r.Class, "os-pkgs") {
		l.Path = res.relPath(firstOf(v.PkgPath, r.Target))
	}
	if isImage {
		f.Category = findings.Container
		l.Image = rep.ArtifactName
		l.Layer = firstOf(v.Layer.DiffID, v.Layer.Digest)
	}
	if f.FixedVersion != "" {
		f.Fix = fmt.Sprintf("Upgrade %s to %s.", v.PkgName, f.FixedVersion)
	}
	var best cvssV3
	for _, src := range sortedKeys(v.CVSS) {
		if c := v.CVSS[src]; c.V3Score > best.V3Score || best.V3Vector == "" && c.V3Vector != "" {
			best = c
		}
	}
	f.Severity, _ = severityWord(v.Severity)
	if _, ok := severityWord(v.Severity); !ok && best.V3Score > 0 {
		f.Severity = findings.FromCVSS(float64(best.V3Score))
	}
	setProp(f.Properties, "cvss_vector", best.V3Vector)
	if best.V3Score > 0 {
		f.Properties["cvss_score"] = strconv.FormatFloat(float64(best.V3Score), 'f', -1, 64)
	}
	setProp(f.Properties, "fixed_versions", fixedVersions([]string{v.FixedVersion}))
	setProp(f.Properties, "severity_source", v.SeveritySource)
	setProp(f.Properties, "purl", v.PkgIdentifier.PURL)
	setProp(f.Properties, "status", v.Status)
	setProp(f.Properties, "published", v.PublishedDate)
	res.add(finish(f))
	return nil
}

type trivyMisconf struct {
	Type          string     `json:"Type"`
	ID            string     `json:"ID"`
	AVDID         string     `json:"AVDID"`
	Title         string     `json:"Title"`
	Description   string     `json:"Description"`
	Message       string     `json:"Message"`
	Resolution    string     `json:"Resolution"`
	Severity      string     `json:"Severity"`
	PrimaryURL    string     `json:"PrimaryURL"`
	References    []string   `json:"References"`
	Status        string     `json:"Status"`
	Layer         trivyLayer `json:"Layer"`
	CauseMetadata struct {
		Provider  string    `json:"Provider"`
		Service   string    `json:"Service"`
		Resource  string    `json:"Resource"`
		StartLine int       `json:"StartLine"`
		EndLine   int       `json:"EndLine"`
		Code      trivyCode `json:"Code"`
	} `json:"CauseMetadata"`
}

func trivyMisconfFinding(res *result, rep *trivyReport, r *trivyResult, m *trivyMisconf, isImage bool) error {
	if st := strings.ToUpper(m.Status); st != "" && st != "FAIL" {
		return nil // PASS and EXCEPTION results are not findings
	}
	id := firstOf(m.ID, m.AVDID)
	if id == "" {
		return errors.New("no ID or AVDID")
	}
	cm := m.CauseMetadata
	f := findings.Finding{
		RuleID:     id,
		Category:   findings.IaC,
		Title:      firstOf(m.Title, id),
		Message:    firstOf(m.Message, m.Description),
		Fix:        strings.TrimSpace(m.Resolution),
		References: uniq(append([]string{m.PrimaryURL}, m.References...)...),
		Snippet:    clip(cm.Code.cause(), maxText),
		Properties: map[string]string{},
	}
	f.Severity, _ = severityWord(m.Severity)
	l := &f.Location
	l.Path = res.relPath(r.Target)
	l.StartLine, l.EndLine = cm.StartLine, max(cm.EndLine, cm.StartLine)
	l.Resource = cm.Resource
	if isImage {
		l.Image, l.Layer = rep.ArtifactName, firstOf(m.Layer.DiffID, m.Layer.Digest)
	}
	setProp(f.Properties, "avd_id", m.AVDID)
	setProp(f.Properties, "provider", cm.Provider)
	setProp(f.Properties, "service", cm.Service)
	res.add(finish(f))
	return nil
}

type trivySecret struct {
	RuleID    string     `json:"RuleID"`
	Category  string     `json:"Category"`
	Severity  string     `json:"Severity"`
	Title     string     `json:"Title"`
	StartLine int        `json:"StartLine"`
	EndLine   int        `json:"EndLine"`
	Match     string     `json:"Match"`
	Layer     trivyLayer `json:"Layer"`
}

func trivySecretFinding(res *result, rep *trivyReport, r *trivyResult, s *trivySecret, isImage bool) error {
	if s.RuleID == "" {
		return errors.New("no RuleID")
	}
	f := findings.Finding{
		RuleID:     s.RuleID,
		Category:   findings.Secrets,
		Title:      firstOf(s.Title, s.RuleID),
		CWE:        []int{798},
		Fix:        "Revoke the secret, remove it from the file and its history, and load it from a secret store.",
		Properties: map[string]string{},
	}
	f.Severity, _ = severityWord(s.Severity)
	match := strings.TrimSpace(s.Match)
	if match != "" && !strings.Contains(match, "****") {
		// Not masked: keep only its hash and a redacted form.
		f.Properties[findings.PropSecretSHA256] = sha256Hex(match)
		match = redactSecret(match)
	}
	f.Snippet = clip(match, maxText)
	l := &f.Location
	l.Path = res.relPath(r.Target)
	l.StartLine, l.EndLine = s.StartLine, max(s.EndLine, s.StartLine)
	if isImage {
		l.Image, l.Layer = rep.ArtifactName, firstOf(s.Layer.DiffID, s.Layer.Digest)
	}
	setProp(f.Properties, "secret_category", s.Category)
	res.add(finish(f))
	return nil
}

// setProp sets props[k] when v is not empty.
func setProp(props map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		props[k] = v
	}
}

// finish drops empty collections so findings compare and print cleanly.
func finish(f findings.Finding) findings.Finding {
	if len(f.Properties) == 0 {
		f.Properties = nil
	}
	if len(f.References) == 0 {
		f.References = nil
	}
	if len(f.Aliases) == 0 {
		f.Aliases = nil
	}
	return f
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
