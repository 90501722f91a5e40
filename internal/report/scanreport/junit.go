package scanreport

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// The JUnit XML shapes. Field order is attribute and element order.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Items []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// NoFindingsCase names the passing test case of a scanner that ran and
// found nothing.
const NoFindingsCase = "no findings"

// WriteJUnit writes the scan as JUnit XML: one test suite per scanner
// (sorted by name), one failing test case per finding (type = severity)
// and a skipped one per finding an inline marker turned off
// (InlineIgnored), a passing case for a scanner that ran and found
// nothing, a skipped case
// for a skipped scanner, an error case for a failed one and one error case
// per input it could not read. Characters XML cannot hold are replaced by
// the encoder.
func WriteJUnit(w io.Writer, fs []findings.Finding, health []scan.Health) error {
	byScanner := map[string][]findings.Finding{}
	for _, f := range fs {
		byScanner[f.Scanner] = append(byScanner[f.Scanner], f)
	}
	hs := map[string][]scan.Health{}
	var names []string
	for _, h := range health {
		if _, ok := hs[h.Scanner]; !ok {
			names = append(names, h.Scanner)
		}
		hs[h.Scanner] = append(hs[h.Scanner], h)
	}
	for n := range byScanner {
		if _, ok := hs[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	doc := junitSuites{Name: "sluice scan"}
	var total time.Duration
	for _, n := range names {
		s := buildSuite(n, hs[n], byScanner[n])
		for _, h := range hs[n] {
			total += h.Duration
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

// buildSuite reports one scanner: its health (possibly several runs of
// it, possibly none when its findings were imported) and its findings.
func buildSuite(name string, hs []scan.Health, fs []findings.Finding) junitSuite {
	s := junitSuite{Name: name}
	var d time.Duration
	ran := len(hs) == 0
	for _, h := range hs {
		d += h.Duration
		if s.Properties == nil {
			s.Properties = &junitProperties{}
		}
		s.Properties.Items = append(s.Properties.Items, healthProperties(h)...)
		switch h.Status {
		case scan.Skipped:
			s.Cases = append(s.Cases, junitCase{Name: name, Classname: name,
				Skipped: &junitProblem{Message: "skipped: " + h.Reason}})
		case scan.Failed:
			s.Cases = append(s.Cases, junitCase{Name: name, Classname: name,
				Error: &junitProblem{Message: "failed: " + h.Reason, Type: "scanner-failed", Text: h.Reason}})
		default:
			ran = true
		}
		for _, e := range h.Errors {
			s.Cases = append(s.Cases, junitCase{Name: "input " + e.Path, Classname: name,
				Error: &junitProblem{Message: e.Err, Type: "input-error", Text: e.Path + ": " + e.Err}})
		}
	}
	s.Time = seconds(d)
	for _, f := range fs {
		s.Cases = append(s.Cases, findingCase(name, f))
	}
	if ran && len(fs) == 0 {
		s.Cases = append(s.Cases, junitCase{Name: NoFindingsCase, Classname: name, Time: s.Time})
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	return s
}

// healthProperties lists a scanner run's counters as suite properties.
func healthProperties(h scan.Health) []junitProperty {
	ps := []junitProperty{{"status", string(h.Status)}, {"files", strconv.Itoa(h.Files)},
		{"findings", strconv.Itoa(h.Findings)}}
	if h.Ignored > 0 {
		ps = append(ps, junitProperty{"ignored", strconv.Itoa(h.Ignored)})
	}
	if h.Packages > 0 {
		ps = append(ps, junitProperty{"packages", strconv.Itoa(h.Packages)})
	}
	if h.Reason != "" {
		ps = append(ps, junitProperty{"reason", h.Reason})
	}
	if !h.DBUpdated.IsZero() {
		ps = append(ps, junitProperty{"db_updated", h.DBUpdated.UTC().Format(time.RFC3339)})
	}
	return ps
}

// findingCase is the failing test case of one finding, or the skipped
// one of an inline-ignored finding.
func findingCase(scanner string, f findings.Finding) junitCase {
	name := f.RuleID
	if loc := f.Location.String(); loc != "" {
		name += " at " + loc
	}
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	line("Severity", f.Severity.String())
	line("Category", string(f.Category))
	line("Rule", f.RuleID)
	line("Location", f.Location.String())
	line("Message", f.Message)
	var cwe []string
	for _, c := range f.CWE {
		cwe = append(cwe, "CWE-"+strconv.Itoa(c))
	}
	line("CWE", strings.Join(cwe, ", "))
	line("OWASP", strings.Join(append(slices.Clone(f.OWASP2021), f.OWASP2025...), ", "))
	line("Fixed version", f.FixedVersion)
	line("Fix", f.Fix)
	line("Aliases", strings.Join(f.Aliases, ", "))
	var src []string
	for _, s := range f.Sources {
		src = append(src, s.Scanner+":"+s.RuleID)
	}
	line("Sources", strings.Join(src, ", "))
	line("Fingerprint", f.Fingerprint)
	c := junitCase{Name: name, Classname: scanner + "." + f.RuleID}
	if f.InlineIgnored {
		line("Ignored", "inline (sluice:ignore), not counted")
		c.Skipped = &junitProblem{Message: "ignored inline (sluice:ignore): " + f.Title, Text: b.String()}
	} else {
		c.Failure = &junitProblem{Message: f.Title, Type: f.Severity.String(), Text: b.String()}
	}
	return c
}

// seconds formats a duration as JUnit wants it: seconds with millisecond
// precision.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
