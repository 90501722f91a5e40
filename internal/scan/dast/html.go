package dast

import (
	"html"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// The crawler reads HTML with a few patterns rather than a full parser:
// it needs links and forms, and a page it misreads costs coverage, never
// safety (every URL is checked against the origin before it is fetched).
var (
	reLink  = regexp.MustCompile(`(?is)<(?:a|area|link|iframe|frame)\b[^>]*?\b(?:href|src)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	reForm  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form\s*>`)
	reInput = regexp.MustCompile(`(?is)<(input|textarea|select|button)\b([^>]*)>`)
	reAttr  = regexp.MustCompile(`(?is)([a-z_:][-a-z0-9_:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?`)
)

// skipExt are extensions of files the crawler does not fetch.
var skipExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".ico": true,
	".webp": true, ".css": true, ".woff": true, ".woff2": true, ".ttf": true, ".eot": true,
	".pdf": true, ".zip": true, ".gz": true, ".tar": true, ".mp4": true, ".mp3": true,
	".webm": true, ".map": true,
}

// form is an HTML form as found on a page.
type form struct {
	Action *url.URL
	Method string
	Fields []param
}

// unquote strips quotes from an attribute value and decodes entities.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return html.UnescapeString(strings.TrimSpace(v))
}

// attrs reads the attributes of a start tag's inside.
func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range reAttr.FindAllStringSubmatch(s, -1) {
		k := strings.ToLower(a[1])
		if _, dup := m[k]; !dup {
			m[k] = unquote(a[2])
		}
	}
	return m
}

// links returns the absolute URLs the page at page links to.
func links(page *url.URL, body []byte) []*url.URL {
	var out []*url.URL
	for _, m := range reLink.FindAllSubmatch(body, -1) {
		if u := resolve(page, unquote(string(m[1]))); u != nil {
			out = append(out, u)
		}
	}
	return out
}

// forms returns the forms of a page.
func forms(page *url.URL, body []byte) []form {
	var out []form
	for _, m := range reForm.FindAllSubmatch(body, -1) {
		a := attrs(string(m[1]))
		action := page
		if v, ok := a["action"]; ok && v != "" {
			action = resolve(page, v)
		}
		if action == nil {
			continue
		}
		method := strings.ToUpper(a["method"])
		if method != "POST" {
			method = "GET"
		}
		f := form{Action: action, Method: method}
		in := inForm
		if method == "GET" {
			in = inQuery
		}
		for _, im := range reInput.FindAllSubmatch(m[2], -1) {
			ia := attrs(string(im[2]))
			name := ia["name"]
			typ := strings.ToLower(ia["type"])
			if name == "" || typ == "file" || typ == "image" || typ == "reset" {
				continue
			}
			v := ia["value"]
			if v == "" && typ != "hidden" && typ != "submit" {
				v = sampleValue(name, "string")
			}
			f.Fields = append(f.Fields, param{Name: name, In: in, Value: v})
		}
		out = append(out, f)
	}
	return out
}

// resolve makes ref absolute against page; nil for links the crawler
// never follows (mailto:, javascript:, fragments, static files).
func resolve(page *url.URL, ref string) *url.URL {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return nil
	}
	u, err := page.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil
	}
	u.Fragment = ""
	if skipExt[strings.ToLower(path.Ext(u.Path))] {
		return nil
	}
	return u
}

// sampleValue is a benign value for an input of the given name and type.
func sampleValue(name, typ string) string {
	n := strings.ToLower(name)
	switch {
	case typ == "integer" || typ == "number":
		return "1"
	case typ == "boolean":
		return "true"
	case strings.Contains(n, "mail"):
		return "scanner@example.com"
	case strings.Contains(n, "url") || strings.Contains(n, "uri") || strings.Contains(n, "link"):
		return "https://example.com/"
	case n == "id" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "id") && len(n) > 2 && n[len(n)-3] == '-':
		return "1"
	}
	return "sluice"
}
