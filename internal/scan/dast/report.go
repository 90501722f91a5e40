package dast

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/findings"
)

// Property keys of DAST findings besides findings.PropParameter.
const (
	// PropRequest is the request line that showed the problem.
	PropRequest = "request"
	// PropPayload is the value sent in the parameter.
	PropPayload = "payload"
	// PropEvidence is a short excerpt of the response (or of headers).
	PropEvidence = "evidence"
	// PropStatus is the response's status code.
	PropStatus = "status"
)

// hit is one check's positive result.
type hit struct {
	rule    string
	method  string
	url     string
	param   string
	payload string
	request string
	status  int
	// evidence is the excerpt of the response that proves the finding.
	evidence string
	message  string
	// severity overrides the rule's when set.
	severity *findings.Severity
	extra    map[string]string
}

// report turns h into a finding and keeps it unless one with the same
// fingerprint was reported already.
func (s *state) report(h hit) {
	r, ok := rules[h.rule]
	if !ok {
		return // a typo in a rule id; tests cover every rule
	}
	sev := r.severity
	if h.severity != nil {
		sev = *h.severity
	}
	method := h.method
	if method == "" {
		method = "GET"
	}
	f := findings.Finding{
		Scanner:    ScannerName,
		RuleID:     h.rule,
		RuleName:   r.title,
		Category:   findings.DAST,
		Severity:   sev,
		Title:      r.title,
		Message:    h.message,
		CWE:        append([]int(nil), r.cwe...),
		Location:   findings.Location{URL: h.url, Method: method},
		Snippet:    h.evidence,
		Fix:        r.fix,
		Sources:    []findings.Source{{Scanner: ScannerName, RuleID: h.rule}},
		Properties: map[string]string{},
	}
	set := func(k, v string) {
		if v != "" {
			f.Properties[k] = v
		}
	}
	set(findings.PropParameter, h.param)
	set(PropPayload, h.payload)
	set(PropRequest, h.request)
	set(PropEvidence, h.evidence)
	if h.status != 0 {
		set(PropStatus, strconv.Itoa(h.status))
	}
	for k, v := range h.extra {
		set(k, v)
	}
	findings.Classify(&f)
	f.Fingerprint = findings.Fingerprint(&f)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[f.Fingerprint] {
		return
	}
	s.seen[f.Fingerprint] = true
	s.found = append(s.found, f)
}

// once reports whether key is new, marking it seen; for checks reported
// once per host.
func (s *state) once(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[key] {
		return false
	}
	s.seen[key] = true
	return true
}

// excerpt returns about 200 bytes of body around the first occurrence of
// needle, on one line, valid UTF-8.
func excerpt(body []byte, needle string) string {
	i := bytes.Index(body, []byte(needle))
	if i < 0 {
		i = 0
	}
	from := max(0, i-80)
	to := min(len(body), i+len(needle)+120)
	s := string(body[from:to])
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.Fields(s), " ")
	if from > 0 {
		s = "…" + s
	}
	if to < len(body) {
		s += "…"
	}
	if !utf8.ValidString(s) {
		return ""
	}
	return s
}
