package sarif

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// severityOf applies the precedence documented on ReadSARIF.
func severityOf(res *inResult, ru *inRule, tags []string) findings.Severity {
	for _, props := range []map[string]any{res.Properties, ru.Properties} {
		if s, ok := scoreSeverity(props["security-severity"]); ok {
			return s
		}
		for _, k := range []string{"severity", "issue_severity", "problem.severity"} {
			if s, ok := wordSeverity(str(props[k])); ok {
				return s
			}
		}
	}
	for _, t := range tags {
		switch strings.ToLower(t) {
		case "critical", "high", "medium", "low":
			s, _ := findings.ParseSeverity(t)
			return s
		}
	}
	level := firstNonEmpty(res.Level, ru.DefaultConfiguration.Level, "warning")
	var s findings.Severity
	switch strings.ToLower(level) {
	case "error":
		s = findings.High
	case "warning":
		s = findings.Medium
	case "note":
		s = findings.Low
	default:
		s = findings.Info
	}
	precision := strings.ToLower(firstNonEmpty(str(res.Properties["precision"]), str(ru.Properties["precision"])))
	if precision == "low" && s > findings.Info {
		s--
	}
	return s
}

// scoreSeverity reads a CVSS-like score given as a number or a numeric
// string.
func scoreSeverity(v any) (findings.Severity, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if f < 0 || f > 10 || f != f {
		return 0, false
	}
	return findings.FromCVSS(f), true
}

// wordSeverity reads a severity word, with CodeQL's "recommendation" as
// low.
func wordSeverity(s string) (findings.Severity, bool) {
	if strings.EqualFold(strings.TrimSpace(s), "recommendation") {
		return findings.Low, true
	}
	if s == "" {
		return 0, false
	}
	v, err := findings.ParseSeverity(s)
	return v, err == nil
}

// cweRe finds a CWE id in a tag or property text: "CWE-79",
// "external/cwe/cwe-079", "CWE-89: Improper Neutralization …".
var cweRe = regexp.MustCompile(`(?i)\bcwe[-_: ]?0*([1-9][0-9]{0,5})\b`)

// cwesOf collects the CWE ids of a result from tags, properties whose name
// mentions CWE, and relationships or taxa in a CWE taxonomy.
func cwesOf(res *inResult, ru *inRule, tags []string) []int {
	set := map[int]bool{}
	for _, t := range tags {
		addCWEText(set, t)
	}
	for _, props := range []map[string]any{ru.Properties, res.Properties} {
		for k, v := range props {
			if strings.Contains(strings.ToLower(k), "cwe") {
				collectCWE(set, v, 0)
			}
		}
	}
	refs := append([]inTaxonRef{}, res.Taxa...)
	for _, rel := range ru.Relationships {
		refs = append(refs, rel.Target)
	}
	for _, t := range refs {
		if strings.EqualFold(t.ToolComponent.Name, "CWE") {
			if n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(t.ID), "CWE-")); err == nil && n > 0 {
				set[n] = true
			}
		}
	}
	var out []int
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func addCWEText(set map[int]bool, s string) {
	for _, m := range cweRe.FindAllStringSubmatch(s, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			set[n] = true
		}
	}
}

// collectCWE takes CWE ids from a property value known to be about CWEs:
// text, bare numbers, and lists or objects of them (Bandit's
// {"id": 78, "link": …}), to a small depth.
func collectCWE(set map[int]bool, v any, depth int) {
	if depth > 4 {
		return
	}
	switch x := v.(type) {
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil && n > 0 {
			set[n] = true
			return
		}
		addCWEText(set, x)
	case float64:
		if x >= 1 && x < 1e6 && x == float64(int(x)) {
			set[int(x)] = true
		}
	case []any:
		for _, e := range x {
			collectCWE(set, e, depth+1)
		}
	case map[string]any:
		for k, e := range x {
			if k == "id" || strings.Contains(strings.ToLower(k), "cwe") {
				collectCWE(set, e, depth+1)
			}
		}
	}
}

// owaspRe finds an OWASP Top 10 2021 or 2025 id: "A03:2021",
// "OWASP-A03:2021 - Injection".
var owaspRe = regexp.MustCompile(`(?i)\bA(0[1-9]|10):(2021|2025)\b`)

// owaspOf takes OWASP categories the tool named itself.
func owaspOf(lists ...[]string) (o21, o25 []string) {
	for _, l := range lists {
		for _, s := range l {
			for _, m := range owaspRe.FindAllStringSubmatch(s, -1) {
				id := "A" + m[1] + ":" + m[2]
				if m[2] == "2021" {
					o21 = append(o21, id)
				} else {
					o25 = append(o25, id)
				}
			}
		}
	}
	return o21, o25
}

// tagCategories maps tags to the category they mark.
var tagCategories = map[string]findings.Category{
	"secret": findings.Secrets, "secrets": findings.Secrets, "secret-detection": findings.Secrets,
	"vulnerability": findings.Deps, "dependency": findings.Deps, "dependencies": findings.Deps,
	"sca": findings.Deps, "supply-chain": findings.Deps,
	"misconfiguration": findings.IaC, "iac": findings.IaC, "terraform": findings.IaC,
	"kubernetes": findings.IaC, "dockerfile": findings.IaC, "cloudformation": findings.IaC,
	"dast": findings.DAST, "container": findings.Container, "container-image": findings.Container,
}

// toolCategories maps tool names to the category of what they report.
var toolCategories = map[string]findings.Category{
	"gitleaks": findings.Secrets, "trufflehog": findings.Secrets, "detect-secrets": findings.Secrets,
	"ggshield": findings.Secrets, "secretlint": findings.Secrets, "noseyparker": findings.Secrets,
	"grype": findings.Deps, "osv-scanner": findings.Deps, "dependency-check": findings.Deps,
	"owasp-dependency-check": findings.Deps, "pip-audit": findings.Deps, "safety": findings.Deps,
	"npm-audit": findings.Deps, "govulncheck": findings.Deps, "snyk": findings.Deps,
	"snyk-open-source": findings.Deps, "cargo-audit": findings.Deps, "bundler-audit": findings.Deps,
	"checkov": findings.IaC, "tfsec": findings.IaC, "terrascan": findings.IaC, "kics": findings.IaC,
	"hadolint": findings.IaC, "kube-linter": findings.IaC, "kubesec": findings.IaC,
	"conftest": findings.IaC, "tflint": findings.IaC, "cfn-lint": findings.IaC, "kube-score": findings.IaC,
	"zap": findings.DAST, "owasp-zap": findings.DAST, "zaproxy": findings.DAST, "nuclei": findings.DAST,
	"nikto": findings.DAST, "burp": findings.DAST, "dockle": findings.Container,
}

// categoryOf guesses a result's category: stated in properties, marked by
// a tag, implied by the tool's name, else sast.
func categoryOf(res *inResult, ru *inRule, tags []string, scanner string) findings.Category {
	for _, v := range []string{str(res.Properties["category"]), str(ru.Properties["category"])} {
		if c := findings.Category(strings.ToLower(v)); slices.Contains(findings.Categories, c) {
			return c
		}
	}
	for _, t := range tags {
		if c, ok := tagCategories[strings.ToLower(t)]; ok {
			return c
		}
	}
	if c, ok := toolCategories[scanner]; ok {
		return c
	}
	return findings.SAST
}

// location fills f.Location from the first location of the result, and
// package facts from the message when a tool (Trivy) puts them there.
func (rr *runReader) location(f *findings.Finding, res *inResult) {
	l := &f.Location
	if len(res.Locations) > 0 {
		loc := res.Locations[0]
		if pl := loc.PhysicalLocation; pl != nil {
			rr.artifact(l, pl.ArtifactLocation.URI, pl.ArtifactLocation.URIBaseID)
			if rg := pl.Region; rg != nil {
				l.StartLine, l.EndLine = max(rg.StartLine, 0), max(rg.EndLine, 0)
				l.StartCol, l.EndCol = max(rg.StartColumn, 0), max(rg.EndColumn, 0)
				if l.EndLine < l.StartLine {
					l.EndLine = l.StartLine
				}
				f.Snippet = trimSnippet(rg.Snippet.Text, l.StartLine, l.EndLine)
			}
		}
		for _, ll := range loc.LogicalLocations {
			name := firstNonEmpty(ll.FullyQualifiedName, ll.Name)
			switch {
			case name == "":
			case ll.Kind == "module" && (f.Category == findings.Deps || f.Category == findings.Container) && l.Package == "":
				l.Package, l.Version = splitPackage(name)
			case ll.Kind == "module" && l.Image == "" && f.Category == findings.Container:
				l.Image = name
			case ll.Kind == "resource" || f.Category == findings.IaC:
				if l.Resource == "" && !strings.Contains(name, "://") {
					l.Resource = name
				} else if l.URL == "" && strings.Contains(name, "://") {
					l.URL = name
				}
			}
		}
	}
	if f.Category == findings.Deps || f.Category == findings.Container {
		for _, line := range strings.Split(f.Message, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "package":
				if l.Package == "" {
					l.Package = v
				}
			case "installed version":
				if l.Version == "" {
					l.Version = v
				}
			case "fixed version":
				if f.FixedVersion == "" {
					f.FixedVersion = v
				}
			}
		}
	}
}

// artifact sets the path or URL of a location from an artifact URI,
// relative to the scanned folder when the log says where that was.
func (rr *runReader) artifact(l *findings.Location, uri, base string) {
	uri = strings.TrimSpace(uri)
	if uri == "" {
		return
	}
	u, err := url.Parse(uri)
	if err != nil {
		l.Path = cleanRel(uri)
		return
	}
	switch u.Scheme {
	case "http", "https":
		l.URL = uri
		return
	case "file":
		l.Path = rr.relative(u.Path)
		return
	case "":
		p := u.Path
		if b, ok := rr.bases[base]; ok {
			if bu, err := url.Parse(b); err == nil && bu.Scheme == "" && bu.Path != "" {
				p = path.Join(bu.Path, p)
			}
		}
		l.Path = rr.relative(p)
		return
	}
	l.Path = uri
}

// relative makes an absolute path relative to the root given to Read or
// to a file root named in originalUriBaseIds, when it is under one.
func (rr *runReader) relative(p string) string {
	if !strings.HasPrefix(p, "/") && !(len(p) > 2 && p[1] == ':') {
		return cleanRel(p)
	}
	roots := []string{strings.ReplaceAll(rr.root, "\\", "/")}
	keys := make([]string, 0, len(rr.bases))
	for k := range rr.bases {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if bu, err := url.Parse(rr.bases[k]); err == nil && bu.Scheme == "file" {
			roots = append(roots, bu.Path)
		}
	}
	for _, root := range roots {
		if root == "" {
			continue
		}
		root = strings.TrimSuffix(root, "/") + "/"
		if rel, ok := strings.CutPrefix(p, root); ok {
			return cleanRel(rel)
		}
	}
	return cleanRel(p)
}

// numbered matches a snippet line that starts with its line number, the
// way gosec writes them ("12: \th := md5.New()").
var numbered = regexp.MustCompile(`^\s*([0-9]+): ?(.*)$`)

// trimSnippet returns the snippet without trailing newlines. When every
// line carries its line number, only the lines of the region are kept and
// the numbers dropped, so the snippet (and the fingerprint made from it)
// does not change when lines shift.
func trimSnippet(s string, start, end int) string {
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	var kept []string
	for _, line := range lines {
		m := numbered.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			return s
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return s
		}
		if start == 0 || n >= start && n <= max(end, start) {
			kept = append(kept, m[2])
		}
	}
	if len(kept) == 0 {
		return s
	}
	return strings.Join(kept, "\n")
}

// cleanRel cleans a slash path and drops a leading "./".
func cleanRel(p string) string {
	if p == "" {
		return ""
	}
	return strings.TrimPrefix(path.Clean(strings.ReplaceAll(p, "\\", "/")), "./")
}

// splitPackage splits "name@version" at the last "@" that is not the
// first character (npm scopes start with one).
func splitPackage(s string) (name, version string) {
	if i := strings.LastIndex(s, "@"); i > 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// ownProperties reads what a result's property bag and fingerprints add:
// sluice's own members when the log is one sluice wrote, the tool's
// fingerprints, precision and suppression.
func ownProperties(f *findings.Finding, res *inResult, ru *inRule) {
	p := res.Properties
	props := map[string]string{}
	for k, v := range res.PartialFingerprints {
		if k == findings.FingerprintKey {
			f.Fingerprint = v
			continue
		}
		props[findings.PropToolFingerprint+k] = v
	}
	for k, v := range res.Fingerprints {
		if _, ok := props[findings.PropToolFingerprint+k]; !ok {
			props[findings.PropToolFingerprint+k] = v
		}
	}
	if v := firstNonEmpty(str(p["precision"]), str(ru.Properties["precision"])); v != "" {
		props["precision"] = v
	}
	suppressions(f, res, props)
	if d, ok := p["details"].(map[string]any); ok {
		for k, v := range d {
			if s := str(v); s != "" {
				props[k] = s
			}
		}
	}
	if len(props) > 0 {
		f.Properties = props
	}
	f.FixedVersion = firstNonEmpty(str(p["fixed_version"]), f.FixedVersion)
	f.Aliases = append(f.Aliases, strs(p["aliases"])...)
	l := &f.Location
	l.Ecosystem = firstNonEmpty(str(p["ecosystem"]), l.Ecosystem)
	l.Image = firstNonEmpty(str(p["image"]), l.Image)
	l.Layer = firstNonEmpty(str(p["layer"]), l.Layer)
	l.Method = firstNonEmpty(str(p["method"]), l.Method)
	if raw, ok := p["sources"]; ok {
		b, err := json.Marshal(raw)
		var ss []findings.Source
		if err == nil && json.Unmarshal(b, &ss) == nil {
			for _, s := range ss {
				if s.Scanner != "" {
					f.Sources = append(f.Sources, s)
				}
			}
		}
	}
}

// suppressions reads a result's suppressions. As SARIF has it
// (§3.27.23), a result is suppressed when it has suppressions and none of
// them is under review or rejected. Then:
//
//   - an inSource suppression (a marker in the source: nosemgrep, #nosec,
//     eslint-disable, sluice:ignore …) marks the finding InlineIgnored,
//     the same fact sluice's own scanners record, which the gate honours
//     or not by the environment's policy;
//   - any other kind (external: a dismissal in another tool's database,
//     a baseline file) leaves the finding open, with the kind in the
//     PropSuppressed property: sluice cannot see or audit that decision,
//     and honouring it would let a dismissal elsewhere pass the gate;
//     accepted risks belong in sluice's own suppressions file, with a
//     reason and an owner.
//
// The first justification given is kept in PropJustification, except
// InlineIgnoreJustification on an inSource suppression, which only says
// what InlineIgnored already does.
func suppressions(f *findings.Finding, res *inResult, props map[string]string) {
	if len(res.Suppressions) == 0 {
		return
	}
	for _, s := range res.Suppressions {
		if strings.EqualFold(s.Status, "underReview") || strings.EqualFold(s.Status, "rejected") {
			return
		}
	}
	for _, s := range res.Suppressions {
		inSource := strings.EqualFold(s.Kind, "inSource")
		if inSource {
			f.InlineIgnored = true
		} else if _, ok := props[PropSuppressed]; !ok {
			props[PropSuppressed] = firstNonEmpty(s.Kind, "true")
		}
		if _, ok := props[PropJustification]; !ok && s.Justification != "" &&
			(!inSource || s.Justification != InlineIgnoreJustification) {
			props[PropJustification] = s.Justification
		}
	}
}

// str returns v when it is a string, a number in decimal, else "".
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return fmt.Sprint(x)
	}
	return ""
}

// strs returns the strings of a list (or a single string as a list).
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s := str(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
