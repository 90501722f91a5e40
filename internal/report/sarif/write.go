package sarif

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// ToolInfo describes the program writing the log.
type ToolInfo struct {
	// Name prefixes each run's driver name: "sluice" gives "sluice/secrets".
	Name           string
	Version        string
	InformationURI string
	// SourceRoot, when set, is the absolute folder the scan looked at; it
	// becomes the %SRCROOT% base of every relative path.
	SourceRoot string
}

// securitySeverity is the score GitHub code scanning reads from a rule's
// "security-severity" property to rank alerts (over 9.0 critical, 7.0 to
// 8.9 high, 4.0 to 6.9 medium, under 4.0 low).
var securitySeverity = map[findings.Severity]string{
	findings.Critical: "9.5",
	findings.High:     "8.0",
	findings.Medium:   "5.5",
	findings.Low:      "2.0",
}

// InlineIgnoreJustification is the justification of the inSource
// suppression written for a finding an inline marker (sluice:ignore, or
// another tool's marker a scanner honours) turned off, when the finding
// carries none of its own. Read back, it adds nothing to the finding.
const InlineIgnoreJustification = "sluice:ignore marker"

// PropJustification is the finding property holding a suppression's
// justification, read from SARIF and written back to it.
const PropJustification = "suppression_justification"

// PropSuppressed is the finding property holding the kind of a
// suppression sluice does not honour itself ("external"), read from SARIF.
const PropSuppressed = "suppressed"

// Level is the SARIF level of a severity: error for critical and high,
// warning for medium, note below.
func Level(s findings.Severity) string {
	switch {
	case s >= findings.High:
		return "error"
	case s == findings.Medium:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes fs and the scanners' health as one SARIF 2.1.0 log.
//
// There is one run per scanner, named "<tool.Name>/<scanner>" and with
// automationDetails id "<tool.Name>/<scanner>/", so GitHub code scanning
// keeps each scanner's alerts apart and accepts them in one upload. A
// finding goes to the run of its Scanner; its other sources are listed in
// its properties. Each run describes its rules (descriptions, help, tags
// with CWE and OWASP ids, security-severity, default level) and, when the
// scanner's health is known, carries one invocation saying whether it ran,
// was skipped or failed and which inputs it could not read.
//
// Paths are relative to %SRCROOT%; a dependency finding also names its
// package@version as a logical location, an IaC finding its resource, and
// a DAST finding its URL. Findings are written in the order given (Merge
// output is sorted). Every result carries partialFingerprints with the
// "sluice/v1" fingerprint and any fingerprint the reporting tool gave.
//
// A finding marked InlineIgnored is written like any other, with one
// suppression of kind inSource (SARIF §3.27.23, §3.35), justified by its
// "suppression_justification" property or else by
// InlineIgnoreJustification; code scanning then shows it as suppressed.
// Suppressions sluice does not honour itself (another tool's external
// ones, kept as a "suppressed" property) are not written as SARIF
// suppressions: such a result stays open, as it is to sluice's gate.
func WriteSARIF(w io.Writer, fs []findings.Finding, health []scan.Health, tool ToolInfo) error {
	if tool.Name == "" {
		tool.Name = "sluice"
	}
	runs := map[string]*runBuilder{}
	get := func(scanner string) *runBuilder {
		if scanner == "" {
			scanner = "unknown"
		}
		rb := runs[scanner]
		if rb == nil {
			rb = newRun(tool, scanner)
			runs[scanner] = rb
		}
		return rb
	}
	for _, h := range health {
		rb := get(h.Scanner)
		rb.run.Invocations = append(rb.run.Invocations, invocationOf(h))
	}
	for i := range fs {
		get(fs[i].Scanner).add(&fs[i])
	}
	names := make([]string, 0, len(runs))
	for n := range runs {
		names = append(names, n)
	}
	slices.Sort(names)
	log := sarifLog{Schema: SchemaURI, Version: Version, Runs: make([]run, 0, len(names))}
	for _, n := range names {
		log.Runs = append(log.Runs, runs[n].finish())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write SARIF: %w", err)
	}
	return nil
}

// runBuilder collects one scanner's rules and results.
type runBuilder struct {
	run   run
	index map[string]int
	// worst is the highest severity seen per rule, and tags its tag set.
	worst []findings.Severity
	tags  []map[string]bool
}

func newRun(t ToolInfo, scanner string) *runBuilder {
	name := t.Name + "/" + scanner
	rb := &runBuilder{index: map[string]int{}}
	rb.run = run{
		Tool: tool{Driver: component{Name: name, FullName: t.Name + " " + scanner + " scanner",
			Version: t.Version, InformationURI: absoluteURL(t.InformationURI)}},
		AutomationDetails: &automationDetails{ID: name + "/"},
		Results:           []result{},
	}
	if t.SourceRoot != "" {
		root := filepath.ToSlash(t.SourceRoot)
		if !strings.HasSuffix(root, "/") {
			root += "/"
		}
		if !strings.HasPrefix(root, "/") {
			root = "/" + root // a Windows drive path
		}
		rb.run.OriginalURIBaseIDs = map[string]artifactLocation{
			SrcRoot: {URI: (&url.URL{Scheme: "file", Path: root}).String()},
		}
	}
	return rb
}

// add appends f as a result, describing its rule on first sight.
func (rb *runBuilder) add(f *findings.Finding) {
	id := f.RuleID
	if id == "" {
		id = "unknown"
	}
	i, ok := rb.index[id]
	if !ok {
		i = len(rb.run.Tool.Driver.Rules)
		rb.index[id] = i
		rb.run.Tool.Driver.Rules = append(rb.run.Tool.Driver.Rules, ruleOf(id, f))
		rb.worst = append(rb.worst, f.Severity)
		rb.tags = append(rb.tags, map[string]bool{})
	}
	rb.worst[i] = max(rb.worst[i], f.Severity)
	for _, t := range tagsOf(f) {
		rb.tags[i][t] = true
	}
	rb.run.Results = append(rb.run.Results, resultOf(id, i, f))
}

// finish fills in what depends on every finding of a rule: its tags,
// security-severity and default level.
func (rb *runBuilder) finish() run {
	for i := range rb.run.Tool.Driver.Rules {
		r := &rb.run.Tool.Driver.Rules[i]
		tags := make([]string, 0, len(rb.tags[i]))
		for t := range rb.tags[i] {
			tags = append(tags, t)
		}
		slices.Sort(tags)
		r.Properties = map[string]any{"tags": tags}
		if s, ok := securitySeverity[rb.worst[i]]; ok {
			r.Properties["security-severity"] = s
		}
		r.DefaultConfiguration = &configuration{Level: Level(rb.worst[i])}
	}
	return rb.run
}

// ruleOf describes a rule from the first finding reported under it.
func ruleOf(id string, f *findings.Finding) rule {
	short := firstNonEmpty(f.Title, f.RuleName, id)
	full := firstNonEmpty(f.Properties[findings.PropDescription], f.Title, f.RuleName, id)
	r := rule{ID: id, Name: f.RuleName, ShortDescription: &text{Text: short}, FullDescription: &text{Text: full}}
	for _, ref := range f.References {
		if u := absoluteURL(ref); u != "" {
			r.HelpURI = u
			break
		}
	}
	help := text{Text: firstNonEmpty(f.Fix, full)}
	var md strings.Builder
	md.WriteString(help.Text)
	if len(f.References) > 0 {
		md.WriteString("\n\nReferences:\n")
		for _, ref := range f.References {
			fmt.Fprintf(&md, "- %s\n", ref)
		}
	}
	help.Markdown = strings.TrimRight(md.String(), "\n")
	r.Help = &help
	return r
}

// tagsOf returns the rule tags a finding contributes: "security", its
// category, its CWEs (both as CWE-79 and as GitHub's external/cwe/cwe-079)
// and OWASP categories.
func tagsOf(f *findings.Finding) []string {
	tags := []string{"security"}
	if f.Category != "" {
		tags = append(tags, string(f.Category))
	}
	for _, c := range f.CWE {
		tags = append(tags, fmt.Sprintf("CWE-%d", c), fmt.Sprintf("external/cwe/cwe-%03d", c))
	}
	tags = append(tags, f.OWASP2021...)
	return append(tags, f.OWASP2025...)
}

// resultOf turns a finding into a result of rule id at index i.
func resultOf(id string, i int, f *findings.Finding) result {
	msg := firstNonEmpty(f.Message, f.Title, f.RuleName, id)
	res := result{RuleID: id, RuleIndex: i, Level: Level(f.Severity), Message: text{Text: msg},
		PartialFingerprints: map[string]string{}, Properties: propertiesOf(f)}
	fp := f.Fingerprint
	if fp == "" {
		fp = findings.Fingerprint(f)
	}
	res.PartialFingerprints[findings.FingerprintKey] = fp
	for k, v := range f.Properties {
		if name, ok := strings.CutPrefix(k, findings.PropToolFingerprint); ok && name != "" && name != findings.FingerprintKey {
			res.PartialFingerprints[name] = v
		}
	}
	if loc, ok := locationOf(f); ok {
		res.Locations = []location{loc}
	}
	if f.InlineIgnored {
		res.Suppressions = []suppression{{Kind: "inSource",
			Justification: firstNonEmpty(f.Properties[PropJustification], InlineIgnoreJustification)}}
	}
	return res
}

// propertiesOf is a result's property bag: the finding's facts that SARIF
// has no member for, under stable names.
func propertiesOf(f *findings.Finding) map[string]any {
	p := map[string]any{"category": string(f.Category), "severity": f.Severity.String()}
	set := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	setList := func(k string, v []string) {
		if len(v) > 0 {
			p[k] = v
		}
	}
	set("title", f.Title)
	set("fix", f.Fix)
	set("fixed_version", f.FixedVersion)
	setList("aliases", f.Aliases)
	setList("references", f.References)
	var cwe []string
	for _, c := range f.CWE {
		cwe = append(cwe, "CWE-"+strconv.Itoa(c))
	}
	setList("cwe", cwe)
	setList("owasp", append(slices.Clone(f.OWASP2021), f.OWASP2025...))
	set("ecosystem", f.Location.Ecosystem)
	set("image", f.Location.Image)
	set("layer", f.Location.Layer)
	set("method", f.Location.Method)
	if len(f.Sources) > 0 {
		p["sources"] = f.Sources
	}
	details := map[string]string{}
	for k, v := range f.Properties {
		if !strings.HasPrefix(k, findings.PropToolFingerprint) {
			details[k] = v
		}
	}
	if len(details) > 0 {
		p["details"] = details
	}
	return p
}

// locationOf places a finding: a file region, a URL, and logical
// locations for a package and an IaC resource. ok is false when the
// finding has no location at all.
func locationOf(f *findings.Finding) (location, bool) {
	var loc location
	l := f.Location
	switch {
	case l.Path != "":
		al := artifactLocation{URI: pathURI(l.Path)}
		if !strings.HasPrefix(al.URI, "file:") && l.Image == "" {
			// A path inside a container image is not under the source root.
			al.URIBaseID = SrcRoot
		}
		loc.PhysicalLocation = &physicalLocation{ArtifactLocation: al, Region: regionOf(l, f.Snippet)}
	case l.URL != "":
		if u := absoluteURL(l.URL); u != "" {
			loc.PhysicalLocation = &physicalLocation{ArtifactLocation: artifactLocation{URI: u}}
		} else {
			loc.LogicalLocations = append(loc.LogicalLocations, logicalLocation{FullyQualifiedName: l.URL, Kind: "resource"})
		}
	}
	if l.Package != "" {
		fqn := l.Package
		if l.Version != "" {
			fqn += "@" + l.Version
		}
		loc.LogicalLocations = append(loc.LogicalLocations, logicalLocation{Name: l.Package, FullyQualifiedName: fqn, Kind: "module"})
	}
	if l.Resource != "" {
		loc.LogicalLocations = append(loc.LogicalLocations, logicalLocation{Name: l.Resource, FullyQualifiedName: l.Resource, Kind: "resource"})
	}
	if l.Image != "" && l.Path == "" && l.Package == "" {
		loc.LogicalLocations = append(loc.LogicalLocations, logicalLocation{Name: l.Image, FullyQualifiedName: l.Image, Kind: "module"})
	}
	return loc, loc.PhysicalLocation != nil || len(loc.LogicalLocations) > 0
}

// regionOf is the region of a file location; nil without a start line,
// since SARIF regions need one to be meaningful to code scanning.
func regionOf(l findings.Location, snippet string) *region {
	if l.StartLine <= 0 {
		return nil
	}
	r := &region{StartLine: l.StartLine, EndLine: max(l.EndLine, l.StartLine)}
	if l.StartCol > 0 {
		r.StartColumn = l.StartCol
		if l.EndCol > 0 && (r.EndLine > r.StartLine || l.EndCol >= l.StartCol) {
			r.EndColumn = l.EndCol
		}
	}
	if snippet != "" {
		r.Snippet = &text{Text: snippet}
	}
	return r
}

// pathURI turns a relative slash path into a URI reference, escaping what
// URIs cannot hold; an absolute path becomes a file URI.
func pathURI(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}

// absoluteURL returns s when it is an absolute http(s) URL, else "".
func absoluteURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// invocationOf reports a scanner's health as a SARIF invocation.
func invocationOf(h scan.Health) invocation {
	inv := invocation{ExecutionSuccessful: h.Status != scan.Failed}
	props := map[string]any{"status": string(h.Status), "files": h.Files, "findings": h.Findings,
		"duration_ms": h.Duration.Milliseconds()}
	if h.Packages > 0 {
		props["packages"] = h.Packages
	}
	if h.Reason != "" {
		props["reason"] = h.Reason
	}
	if !h.DBUpdated.IsZero() {
		props["db_updated"] = h.DBUpdated.UTC().Format(time.RFC3339)
	}
	if h.Partial {
		props["partial"] = true
	}
	inv.Properties = props
	switch h.Status {
	case scan.Skipped:
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Descriptor: &descriptorRef{ID: "skipped"}, Level: "note",
			Message: text{Text: "skipped: " + firstNonEmpty(h.Reason, "no reason given")}})
	case scan.Failed:
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Descriptor: &descriptorRef{ID: "failed"}, Level: "error",
			Message: text{Text: "failed: " + firstNonEmpty(h.Reason, "no reason given")}})
	}
	for _, e := range h.Errors {
		n := notification{Descriptor: &descriptorRef{ID: "input-error"}, Level: "warning",
			Message: text{Text: firstNonEmpty(e.Path, "input") + ": " + e.Err}}
		if e.Path != "" {
			al := artifactLocation{URI: pathURI(e.Path)}
			if !strings.HasPrefix(al.URI, "file:") {
				al.URIBaseID = SrcRoot
			}
			n.Locations = []location{{PhysicalLocation: &physicalLocation{ArtifactLocation: al}}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	return inv
}

// firstNonEmpty returns the first of ss that is not blank.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
