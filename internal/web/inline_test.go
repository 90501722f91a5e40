package web

import (
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	tagRE       = regexp.MustCompile(`(?is)<[a-z][^>]*>`)
	scriptTagRE = regexp.MustCompile(`(?is)^<script\b`)
	srcAttrRE   = regexp.MustCompile(`(?is)\ssrc\s*=`)
	styleTagRE  = regexp.MustCompile(`(?is)^<style\b`)
	styleAttrRE = regexp.MustCompile(`(?is)\sstyle\s*=`)
	handlerRE   = regexp.MustCompile(`(?is)\son[a-z]+\s*=`)
	jsURLRE     = regexp.MustCompile(`(?is)=\s*["']?\s*javascript:`)
)

// inlineCode returns what in html the Content-Security-Policy would block
// or what relies on 'unsafe-inline': a script element without src, a style
// element or attribute, an event handler attribute, a javascript: URL.
func inlineCode(html string) []string {
	var bad []string
	for _, tag := range tagRE.FindAllString(html, -1) {
		switch {
		case scriptTagRE.MatchString(tag) && !srcAttrRE.MatchString(tag):
			bad = append(bad, "inline script: "+tag)
		case styleTagRE.MatchString(tag):
			bad = append(bad, "style element: "+tag)
		case styleAttrRE.MatchString(tag):
			bad = append(bad, "style attribute: "+tag)
		case handlerRE.MatchString(tag):
			bad = append(bad, "event handler: "+tag)
		case jsURLRE.MatchString(tag):
			bad = append(bad, "javascript: URL: "+tag)
		}
	}
	return bad
}

func TestInlineCodeCheck(t *testing.T) {
	for _, bad := range []string{`<script>x()</script>`, `<p style="color:red">`, `<button onclick="x()">`, `<a href="javascript:x()">`,
		`<style>p{}</style>`, `<svg onload=x>`, `<SCRIPT >`} {
		if len(inlineCode(bad)) == 0 {
			t.Errorf("%s is not caught", bad)
		}
	}
	for _, ok := range []string{`<script src="/static/app.js" defer></script>`, `<p class="x">on=3 style=4</p>`, `<a href="/onion">`} {
		if got := inlineCode(ok); len(got) != 0 {
			t.Errorf("%s is caught: %v", ok, got)
		}
	}
}

// TestNoInlineCode: no template and no page the UI draws holds inline
// script, inline style or an event handler: the CSP forbids them all.
func TestNoInlineCode(t *testing.T) {
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templateFS, path)
		if err != nil {
			return err
		}
		for _, bad := range inlineCode(string(data)) {
			t.Errorf("%s: %s", path, bad)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t)
	b := fx.browser()
	pages := map[string]string{}
	p := b.get("/login")
	pages["login"] = p.body
	pages["login refused"] = b.post("/login", url.Values{"key": {"slk_nope"}, "csrf": {b.csrf(p)}}, nil).body
	b.mustLogin(fx.key("ana", "developer", "approver"))
	for _, path := range []string{"/", "/runs/" + fx.run.ID, "/runs/" + fx.done.ID, "/approvals", "/runs/999", "/nowhere"} {
		pages[path] = b.get(path).body
	}
	approvals := b.get("/approvals")
	b.post("/approvals/"+fx.run.ID+"/production",
		url.Values{"csrf": {b.csrf(approvals)}, "verdict": {"approve"}, "comment": {`<script>alert(1)</script>`}}, nil)
	pages["four-eyes refusal"] = b.get("/approvals").body
	fx.seedRollout()
	fx.seedFindings()
	a := fx.browser()
	a.mustLogin(fx.key("admin", "admin"))
	for _, path := range []string{"/runs", "/audit", "/audit?actor=nobody", "/environments/production", "/environments/staging",
		"/runs/2/findings", "/runs/2/findings?severity=low"} {
		pages["admin "+path] = a.get(path).body
	}
	env := a.get("/environments/production")
	pages["promote refused"] = a.post("/environments/production/promote", url.Values{"csrf": {a.csrf(env)}}, nil).body
	o := fx.browser()
	o.mustLogin(fx.key("outsider", "viewer@other"))
	pages["forbidden"] = o.get("/runs/" + fx.run.ID).body
	for name, body := range pages {
		if !strings.Contains(body, "</html>") {
			t.Errorf("%s: not a whole page:\n%s", name, body)
		}
		for _, bad := range inlineCode(body) {
			t.Errorf("%s: %s", name, bad)
		}
	}
}
