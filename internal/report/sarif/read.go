package sarif

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// The SARIF shapes the reader accepts: only the members it uses, with
// property bags kept loose. Runs, rules and results are decoded one by one
// so a malformed one costs only itself.
type inLog struct {
	Version *string           `json:"version"`
	Runs    []json.RawMessage `json:"runs"`
}

type inRun struct {
	Tool struct {
		Driver     inComponent   `json:"driver"`
		Extensions []inComponent `json:"extensions"`
	} `json:"tool"`
	OriginalURIBaseIDs map[string]struct {
		URI string `json:"uri"`
	} `json:"originalUriBaseIds"`
	Results []json.RawMessage `json:"results"`
}

type inComponent struct {
	Name     string            `json:"name"`
	FullName string            `json:"fullName"`
	Rules    []json.RawMessage `json:"rules"`
}

type inText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
	ID       string `json:"id"`
}

type inRule struct {
	ID                   string                 `json:"id"`
	Name                 string                 `json:"name"`
	ShortDescription     inText                 `json:"shortDescription"`
	FullDescription      inText                 `json:"fullDescription"`
	Help                 inText                 `json:"help"`
	HelpURI              string                 `json:"helpUri"`
	MessageStrings       map[string]inText      `json:"messageStrings"`
	DefaultConfiguration struct{ Level string } `json:"defaultConfiguration"`
	Properties           map[string]any         `json:"properties"`
	Relationships        []inRelationship       `json:"relationships"`
}

type inRelationship struct {
	Target inTaxonRef `json:"target"`
}

type inTaxonRef struct {
	ID            string `json:"id"`
	ToolComponent struct {
		Name string `json:"name"`
	} `json:"toolComponent"`
}

type inResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID            string `json:"id"`
		Index         *int   `json:"index"`
		ToolComponent *struct {
			Index *int `json:"index"`
		} `json:"toolComponent"`
	} `json:"rule"`
	Kind    string `json:"kind"`
	Level   string `json:"level"`
	Message struct {
		inText
		Arguments []string `json:"arguments"`
	} `json:"message"`
	Locations           []inLocation      `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fingerprints        map[string]string `json:"fingerprints"`
	BaselineState       string            `json:"baselineState"`
	Suppressions        []struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification"`
	} `json:"suppressions"`
	Taxa  []inTaxonRef `json:"taxa"`
	Fixes []struct {
		Description inText `json:"description"`
	} `json:"fixes"`
	Properties map[string]any `json:"properties"`
}

type inLocation struct {
	PhysicalLocation *struct {
		ArtifactLocation struct {
			URI       string `json:"uri"`
			URIBaseID string `json:"uriBaseId"`
		} `json:"artifactLocation"`
		Region *struct {
			StartLine   int    `json:"startLine"`
			StartColumn int    `json:"startColumn"`
			EndLine     int    `json:"endLine"`
			EndColumn   int    `json:"endColumn"`
			Snippet     inText `json:"snippet"`
		} `json:"region"`
	} `json:"physicalLocation"`
	LogicalLocations []struct {
		Name               string `json:"name"`
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	} `json:"logicalLocations"`
}

// MalformedError lists the parts of a SARIF log that could not be read
// (runs, rules or results of the wrong shape). ReadSARIF returns it with
// the findings it could read from the rest.
type MalformedError struct {
	// Problems names each bad part: "runs[0].results[3]: …".
	Problems []string
}

// maxProblems caps the problems an error message spells out.
const maxProblems = 5

func (e *MalformedError) Error() string {
	shown := e.Problems[:min(len(e.Problems), maxProblems)]
	msg := fmt.Sprintf("SARIF: %d malformed part(s): %s", len(e.Problems), strings.Join(shown, "; "))
	if len(e.Problems) > maxProblems {
		msg += fmt.Sprintf("; and %d more", len(e.Problems)-maxProblems)
	}
	return msg
}

// ReadOptions tunes Read.
type ReadOptions struct {
	// Scanner names the scanner of every finding; see ReadSARIF.
	Scanner string
	// Root is the absolute folder the tool scanned; file URIs and absolute
	// paths under it become relative to it (ESLint, for one, writes
	// absolute file URIs). A root given by the log itself
	// (originalUriBaseIds) is used as well.
	Root string
}

// ReadSARIF reads a SARIF log with Read and no root.
func ReadSARIF(r io.Reader, scannerHint string) ([]findings.Finding, error) {
	return Read(r, ReadOptions{Scanner: scannerHint})
}

// Read reads a SARIF 2.1.0 log written by any tool (Semgrep, CodeQL,
// ESLint, gosec, Bandit, Trivy, Checkov, sluice itself …) and returns one
// finding per result, classified (Classify) and fingerprinted.
//
// opts.Scanner names the scanner of every finding ("semgrep"); when empty,
// each run's tool name is used, lowercased ("Semgrep OSS" → "semgrep").
// Severity comes from, in order: the result's security-severity or
// severity property, the rule's, a severity word among the tags, and the
// level (error high, warning medium, note low; a low "precision" lowers a
// level-based severity one step). CWEs come from tags and properties
// ("CWE-79", "external/cwe/cwe-079") and CWE taxa; the category from the
// properties, then the tags, then the tool's name, else sast. The tool's
// own fingerprints are kept as findings.PropToolFingerprint properties;
// a "sluice/v1" fingerprint is taken as the finding's.
//
// Results of kind pass or notApplicable, and absent ones of a baseline
// comparison, are not findings and are dropped; suppressed results are
// kept with a "suppressed" property.
//
// Input that is not a SARIF 2.1.0 log is an error. When only some runs,
// rules or results are malformed, ReadSARIF returns the findings of the
// others together with a *MalformedError.
func Read(r io.Reader, opts ReadOptions) ([]findings.Finding, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read SARIF: %w", err)
	}
	var lg inLog
	if err := json.Unmarshal(data, &lg); err != nil {
		return nil, fmt.Errorf("read SARIF: not a SARIF JSON document: %w", err)
	}
	switch {
	case lg.Version == nil:
		return nil, errors.New(`read SARIF: no "version" member: not a SARIF log`)
	case *lg.Version != Version:
		return nil, fmt.Errorf("read SARIF: version %q is not supported (want %s)", *lg.Version, Version)
	case lg.Runs == nil:
		return nil, errors.New(`read SARIF: no "runs" member`)
	}
	out := []findings.Finding{}
	var bad MalformedError
	for i, raw := range lg.Runs {
		var rn inRun
		if err := json.Unmarshal(raw, &rn); err != nil {
			bad.Problems = append(bad.Problems, fmt.Sprintf("runs[%d]: %v", i, err))
			continue
		}
		rr := newRunReader(&rn, fmt.Sprintf("runs[%d]", i), opts, &bad)
		for j, rawRes := range rn.Results {
			f, ok, err := rr.result(rawRes)
			if err != nil {
				bad.Problems = append(bad.Problems, fmt.Sprintf("runs[%d].results[%d]: %v", i, j, err))
				continue
			}
			if ok {
				out = append(out, f)
			}
		}
	}
	if len(bad.Problems) > 0 {
		return out, &bad
	}
	return out, nil
}

// runReader turns the results of one run into findings.
type runReader struct {
	scanner string
	// components holds the driver's rules (index 0) and each extension's.
	components [][]*inRule
	byID       map[string]*inRule
	bases      map[string]string
	root       string
}

func newRunReader(rn *inRun, where string, opts ReadOptions, bad *MalformedError) *runReader {
	rr := &runReader{scanner: strings.TrimSpace(opts.Scanner), byID: map[string]*inRule{}, bases: map[string]string{},
		root: opts.Root}
	if rr.scanner == "" {
		rr.scanner = scannerName(firstNonEmpty(rn.Tool.Driver.Name, rn.Tool.Driver.FullName))
	}
	comps := append([]inComponent{rn.Tool.Driver}, rn.Tool.Extensions...)
	for ci, c := range comps {
		rules := make([]*inRule, len(c.Rules))
		for ri, raw := range c.Rules {
			var r inRule
			if err := json.Unmarshal(raw, &r); err != nil {
				bad.Problems = append(bad.Problems, fmt.Sprintf("%s.tool.%s.rules[%d]: %v", where, componentName(ci), ri, err))
				continue
			}
			rules[ri] = &r
			if _, dup := rr.byID[r.ID]; !dup && r.ID != "" {
				rr.byID[r.ID] = &r
			}
		}
		rr.components = append(rr.components, rules)
	}
	for k, v := range rn.OriginalURIBaseIDs {
		rr.bases[k] = v.URI
	}
	return rr
}

func componentName(i int) string {
	if i == 0 {
		return "driver"
	}
	return fmt.Sprintf("extensions[%d]", i-1)
}

// rule finds the rule a result refers to: by tool component and index,
// by index into the driver's rules, else by id. nil when unknown.
func (rr *runReader) rule(res *inResult) *inRule {
	comp, idx := 0, -1
	if res.RuleIndex != nil {
		idx = *res.RuleIndex
	}
	if res.Rule != nil {
		if res.Rule.Index != nil {
			idx = *res.Rule.Index
		}
		if tc := res.Rule.ToolComponent; tc != nil && tc.Index != nil {
			comp = *tc.Index + 1
		}
	}
	if comp >= 0 && comp < len(rr.components) && idx >= 0 && idx < len(rr.components[comp]) {
		if r := rr.components[comp][idx]; r != nil {
			return r
		}
	}
	id := res.RuleID
	if id == "" && res.Rule != nil {
		id = res.Rule.ID
	}
	return rr.byID[id]
}

// result turns one result into a finding; ok is false for results that
// are not findings.
func (rr *runReader) result(raw json.RawMessage) (findings.Finding, bool, error) {
	var res inResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return findings.Finding{}, false, err
	}
	switch strings.ToLower(res.Kind) {
	case "pass", "notapplicable":
		return findings.Finding{}, false, nil
	}
	if strings.EqualFold(res.BaselineState, "absent") {
		return findings.Finding{}, false, nil
	}
	ru := rr.rule(&res)
	if ru == nil {
		ru = &inRule{}
	}
	f := findings.Finding{Scanner: rr.scanner, RuleID: firstNonEmpty(res.RuleID, ru.ID), RuleName: ru.Name}
	if f.RuleID == "" && res.Rule != nil {
		f.RuleID = res.Rule.ID
	}
	if f.RuleID == "" {
		f.RuleID = "unknown"
	}
	f.Message = messageText(&res, ru)
	short := firstNonEmpty(ru.ShortDescription.Text, ru.ShortDescription.Markdown)
	if f.RuleID != "unknown" && strings.Contains(short, f.RuleID) {
		// "Semgrep Finding: <rule id>" says nothing the id does not.
		short = firstNonEmpty(ru.FullDescription.Text, short)
	}
	f.Title = firstNonEmpty(str(res.Properties["title"]), short, ru.FullDescription.Text, firstLine(f.Message), ru.Name, f.RuleID)
	if f.Message == f.Title {
		f.Message = ""
	}
	f.Fix = firstNonEmpty(str(res.Properties["fix"]), fixText(&res), helpFix(firstNonEmpty(ru.Help.Text, ru.Help.Markdown), f.Title, f.RuleID))
	if f.Fix == f.Title {
		f.Fix = ""
	}
	// References sluice wrote keep their order; another tool's help URI
	// comes first.
	f.References = strs(res.Properties["references"])
	if u := absoluteURL(ru.HelpURI); u != "" && !slices.Contains(f.References, u) {
		f.References = append([]string{u}, f.References...)
	}
	if len(f.References) == 0 {
		f.References = nil
	}
	tags := append(strs(ru.Properties["tags"]), strs(res.Properties["tags"])...)
	f.Severity = severityOf(&res, ru, tags)
	f.CWE = cwesOf(&res, ru, tags)
	f.OWASP2021, f.OWASP2025 = owaspOf(tags, strs(res.Properties["owasp"]))
	f.Category = categoryOf(&res, ru, tags, rr.scanner)
	rr.location(&f, &res)
	ownProperties(&f, &res, ru)
	if len(f.Sources) == 0 {
		f.Sources = []findings.Source{{Scanner: f.Scanner, RuleID: f.RuleID}}
	}
	findings.Classify(&f)
	if f.Fingerprint == "" {
		f.Fingerprint = findings.Fingerprint(&f)
	}
	return f, true, nil
}

// messageText is the result's message, from its text or from the rule's
// message strings with {0}-style arguments filled in.
func messageText(res *inResult, ru *inRule) string {
	m := firstNonEmpty(res.Message.Text, res.Message.Markdown)
	if m == "" && res.Message.ID != "" {
		ms := ru.MessageStrings[res.Message.ID]
		m = firstNonEmpty(ms.Text, ms.Markdown)
	}
	for i, a := range res.Message.Arguments {
		m = strings.ReplaceAll(m, "{"+strconv.Itoa(i)+"}", a)
	}
	return strings.TrimSpace(m)
}

// fixText is the description of the result's first proposed fix.
func fixText(res *inResult) string {
	for _, fx := range res.Fixes {
		if t := firstNonEmpty(fx.Description.Text, fx.Description.Markdown); t != "" {
			return t
		}
	}
	return ""
}

// metaLine matches a "Key: value" line of the kind tools put in help
// texts (Severity: HIGH, Fixed Version: 1.2.3).
var metaLine = regexp.MustCompile(`^[A-Z][A-Za-z ]{0,24}: \S`)

// helpFix keeps what a rule's help says beyond restating the rule: a
// first line naming the title or the rule id is dropped, and so is help
// made only of "Key: value" lines.
func helpFix(help, title, ruleID string) string {
	lines := strings.Split(strings.TrimSpace(help), "\n")
	if first := strings.TrimSpace(strings.TrimLeft(lines[0], "# ")); first != "" &&
		(strings.Contains(first, title) || strings.Contains(first, ruleID)) {
		lines = lines[1:]
	}
	meta := true
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !metaLine.MatchString(l) {
			meta = false
		}
	}
	if meta {
		return ""
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// scannerName turns a SARIF tool name into a scanner id: lowercase, dashes
// for spaces, edition suffixes dropped; sluice's own "sluice/<scanner>"
// runs give back the scanner.
func scannerName(tool string) string {
	n := strings.ToLower(strings.TrimSpace(tool))
	if s, ok := strings.CutPrefix(n, "sluice/"); ok && s != "" {
		return s
	}
	n = strings.Join(strings.Fields(n), "-")
	for _, suffix := range []string{"-oss", "-pro", "-cli", "-community"} {
		n = strings.TrimSuffix(n, suffix)
	}
	if n == "" {
		return "sarif"
	}
	return n
}
