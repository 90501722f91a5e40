package dast

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"time"
)

// redirectHost is the external host open-redirect payloads point to; the
// .invalid top-level domain never resolves, and redirects are never
// followed anyway.
const redirectHost = "sluice-redirect.invalid"

// checkXSS sends a unique tag and reports it coming back unescaped in an
// HTML page.
func (s *state) checkXSS(ctx context.Context, pr *probe) {
	tag := "<sluice" + marker() + ">"
	payload := `'"` + tag
	r, err := s.sendParam(ctx, pr.e, pr.p.Name, payload)
	if err != nil || !r.isHTML() || !bytes.Contains(r.Body, []byte(tag)) {
		return
	}
	s.reportProbe(pr, RuleXSS, payload, r, excerpt(r.Body, tag),
		"Parameter "+pr.p.Name+" is written into the HTML page without escaping: a script in it runs in the victim's browser.")
}

// checkSQLError sends quotes and reports database errors the benign
// request did not show.
func (s *state) checkSQLError(ctx context.Context, pr *probe) bool {
	if name, _ := findSignature(sqlErrors, pr.baseline.Body); name != "" {
		return false // the page shows SQL errors anyway; no proof either way
	}
	for _, suffix := range []string{"'", `"`, "')"} {
		payload := pr.p.Value + suffix
		r, err := s.sendParam(ctx, pr.e, pr.p.Name, payload)
		if err != nil {
			return false
		}
		if name, m := findSignature(sqlErrors, r.Body); name != "" {
			s.reportProbe(pr, RuleSQLiError, payload, r, excerpt(r.Body, m),
				"A quote in parameter "+pr.p.Name+" makes the response show a "+name+" syntax error: the value is pasted into SQL.")
			return true
		}
	}
	return false
}

// rePasswd matches the first line of a Unix passwd file.
var rePasswd = regexp.MustCompile(`root:[^:\n]*:0:0:`)

// checkTraversal asks for /etc/passwd through ../ sequences and reports
// its content coming back.
func (s *state) checkTraversal(ctx context.Context, pr *probe) {
	if rePasswd.Match(pr.baseline.Body) {
		return
	}
	for _, payload := range []string{
		strings.Repeat("../", 10) + "etc/passwd",
		strings.Repeat("....//", 10) + "etc/passwd",
		strings.Repeat("..%2f", 10) + "etc%2fpasswd",
		"/etc/passwd",
	} {
		r, err := s.sendParam(ctx, pr.e, pr.p.Name, payload)
		if err != nil {
			return
		}
		if m := rePasswd.Find(r.Body); m != nil {
			s.reportProbe(pr, RulePathTraversal, payload, r, excerpt(r.Body, string(m)),
				"Parameter "+pr.p.Name+" reads files outside the folder it is meant for: /etc/passwd came back.")
			return
		}
	}
}

// checkRedirect sends external URLs and reports a redirect to them.
func (s *state) checkRedirect(ctx context.Context, pr *probe) {
	mk := marker()
	for _, payload := range []string{"https://" + redirectHost + "/" + mk, "//" + redirectHost + "/" + mk} {
		r, err := s.sendParam(ctx, pr.e, pr.p.Name, payload)
		if err != nil {
			return
		}
		loc := r.Header.Get("Location")
		if r.Status < 300 || r.Status >= 400 || loc == "" {
			continue
		}
		if u, err := r.URL.Parse(loc); err == nil && strings.EqualFold(u.Hostname(), redirectHost) {
			s.reportProbe(pr, RuleOpenRedirect, payload, r, "Location: "+clip(loc, 200),
				"Parameter "+pr.p.Name+" redirects the browser to any site it names.")
			return
		}
	}
}

// checkCommandEcho appends shell commands that print a marker, split by
// an empty quoted string so only a shell (not a mere echo of the input)
// produces the marker whole.
func (s *state) checkCommandEcho(ctx context.Context, pr *probe) bool {
	mk := marker()
	want := "sl" + mk
	split := "sl" + mk[:5] + "''" + mk[5:]
	for _, cmd := range []string{";echo " + split, "|echo " + split, "$(echo " + split + ")"} {
		payload := pr.p.Value + cmd
		r, err := s.sendParam(ctx, pr.e, pr.p.Name, payload)
		if err != nil {
			return false
		}
		if bytes.Contains(r.Body, []byte(want)) {
			s.reportProbe(pr, RuleCommandInjection, payload, r, excerpt(r.Body, want),
				"Parameter "+pr.p.Name+" reaches a shell: an echo command in it ran and printed its output.")
			return true
		}
	}
	return false
}

// checkSSRF sends the callback listener's URL and reports the target
// fetching it.
func (s *state) checkSSRF(ctx context.Context, pr *probe) {
	if s.callback == nil {
		return
	}
	mk := marker()
	payload := s.callback.url(mk)
	r, err := s.sendParam(ctx, pr.e, pr.p.Name, payload)
	if err != nil {
		return
	}
	if got, ok := s.callback.wait(ctx, mk, time.Second); ok {
		s.reportProbe(pr, RuleSSRF, payload, r, "callback received "+got,
			"Parameter "+pr.p.Name+" makes the server fetch any URL it names: it requested the scanner's callback listener.")
	}
}
