package dast

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Where a parameter goes.
const (
	inQuery = "query"
	inForm  = "form"
	inPath  = "path"
)

// param is one input of an endpoint with the benign value sent when
// another parameter is under test.
type param struct {
	Name  string
	In    string
	Value string
}

// endpoint is one operation: a method on a path with its inputs.
type endpoint struct {
	Method string
	// URL is absolute, without query; path parameters appear as {name}.
	URL    *url.URL
	Params []param
	// Source says where the endpoint came from: link, form or openapi.
	Source string
	// Secured is true when the OpenAPI document declares security for it.
	Secured bool
}

// key identifies an endpoint by method, path and parameter names.
func (e *endpoint) key() string {
	names := make([]string, 0, len(e.Params))
	for _, p := range e.Params {
		names = append(names, p.In+":"+p.Name)
	}
	slices.Sort(names)
	return e.Method + " " + e.URL.Path + "?" + strings.Join(names, "&")
}

// safe reports whether active payloads may be sent to e: GET always, POST
// only for an HTML form (whose purpose is taking input). OpenAPI's POST,
// PUT, PATCH and DELETE operations are never attacked.
func (e *endpoint) safe() bool {
	return e.Method == http.MethodGet || (e.Method == http.MethodPost && e.Source == "form")
}

// request builds the request with target set to value and every other
// parameter at its benign value. target "" sends only benign values.
func (e *endpoint) request(target, value string) (*http.Request, error) {
	u := *e.URL
	q := url.Values{}
	form := url.Values{}
	path := u.Path
	rawPath := u.EscapedPath()
	for _, p := range e.Params {
		v := p.Value
		if p.Name == target {
			v = value
		}
		switch p.In {
		case inQuery:
			q.Add(p.Name, v)
		case inForm:
			form.Add(p.Name, v)
		case inPath:
			path = strings.ReplaceAll(path, "{"+p.Name+"}", v)
			rawPath = strings.ReplaceAll(rawPath, url.PathEscape("{"+p.Name+"}"), url.PathEscape(v))
			rawPath = strings.ReplaceAll(rawPath, "{"+p.Name+"}", url.PathEscape(v))
		}
	}
	u.Path, u.RawPath = path, rawPath
	if u.Path == rawPath {
		u.RawPath = ""
	}
	u.RawQuery = q.Encode()
	if e.Method == http.MethodPost && e.Source == "form" {
		req, err := http.NewRequest(e.Method, u.String(), strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}
	return http.NewRequest(e.Method, u.String(), nil)
}

// display is the endpoint's URL for a finding: path parameters kept as
// {name}, query parameter names with the value under test elided.
func (e *endpoint) display() string {
	u := *e.URL
	q := url.Values{}
	for _, p := range e.Params {
		if p.In == inQuery {
			q.Set(p.Name, "")
		}
	}
	u.RawQuery = q.Encode()
	s := u.String()
	return strings.NewReplacer("%7B", "{", "%7D", "}").Replace(s)
}

// mergeEndpoints joins lists, dropping later duplicates (same key).
func mergeEndpoints(lists ...[]*endpoint) []*endpoint {
	seen := map[string]bool{}
	var out []*endpoint
	for _, l := range lists {
		for _, e := range l {
			if k := e.key(); !seen[k] {
				seen[k] = true
				out = append(out, e)
			}
		}
	}
	return out
}
