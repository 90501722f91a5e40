package dast

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// probeOrigin is the Origin header crawl requests carry, so a response
// that reflects any origin into Access-Control-Allow-Origin shows it.
const probeOrigin = "https://sluice-cors-probe.invalid"

// visit is one page to fetch.
type visit struct {
	req   *http.Request
	depth int
}

// crawl fetches the base URL and what it links to, breadth first, up to
// MaxDepth and MaxPages, plus the GET operations of the OpenAPI document,
// running the passive checks on each response. It returns the endpoints
// with parameters it met: links with a query and forms. It fails only
// when the base URL cannot be fetched at all.
func (s *state) crawl(ctx context.Context, api []*endpoint) ([]*endpoint, error) {
	first, err := http.NewRequest(http.MethodGet, s.base.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("base URL %s: %w", s.base, err)
	}
	first.Header.Set("Origin", probeOrigin)
	resp, err := s.client.send(ctx, first, true)
	if err != nil {
		return nil, fmt.Errorf("fetch base URL: %w (is the application running and reachable from here?)", err)
	}
	s.passive(resp)
	eps, level := s.extract(resp, 0)
	visited := map[string]bool{shapeKey(http.MethodGet, s.base): true}
	for _, e := range api {
		if e.Method != http.MethodGet {
			continue
		}
		if req, err := e.request("", ""); err == nil {
			level = append(level, visit{req: req, depth: 1})
		}
	}
	var mu sync.Mutex
	pages := 1
	for len(level) > 0 && ctx.Err() == nil && pages < s.opts.MaxPages {
		var next []visit
		var wg sync.WaitGroup
		for _, v := range level {
			k := shapeKey(v.req.Method, v.req.URL)
			if visited[k] {
				continue
			}
			visited[k] = true
			if pages >= s.opts.MaxPages {
				break
			}
			pages++
			wg.Add(1)
			go func() {
				defer wg.Done()
				v.req.Header.Set("Origin", probeOrigin)
				resp, err := s.client.send(ctx, v.req, true)
				if err != nil {
					s.fail(v.req.URL.String(), err)
					return
				}
				s.passive(resp)
				found, more := s.extract(resp, v.depth)
				mu.Lock()
				defer mu.Unlock()
				eps = append(eps, found...)
				next = append(next, more...)
			}()
		}
		wg.Wait()
		level = next
	}
	return mergeEndpoints(eps), nil
}

// extract returns the endpoints a response shows (its own URL when it has
// a query, its forms) and the pages to visit next.
func (s *state) extract(resp *response, depth int) ([]*endpoint, []visit) {
	var eps []*endpoint
	if e := linkEndpoint(resp.URL); e != nil && resp.Method == http.MethodGet {
		eps = append(eps, e)
	}
	var next []visit
	add := func(u *url.URL) {
		if u == nil || originOf(u) != s.origin || depth+1 > s.opts.MaxDepth || avoid(u) {
			return
		}
		if req, err := http.NewRequest(http.MethodGet, u.String(), nil); err == nil {
			next = append(next, visit{req: req, depth: depth + 1})
		}
	}
	if resp.Status >= 300 && resp.Status < 400 {
		if loc := resp.Header.Get("Location"); loc != "" {
			add(resolve(resp.URL, loc))
		}
	}
	if !resp.isHTML() {
		return eps, next
	}
	for _, u := range links(resp.URL, resp.Body) {
		add(u)
	}
	for _, f := range forms(resp.URL, resp.Body) {
		if originOf(f.Action) != s.origin || avoid(f.Action) {
			continue
		}
		action := *f.Action
		action.RawQuery = ""
		e := &endpoint{Method: f.Method, URL: &action, Params: f.Fields, Source: "form"}
		if len(e.Params) > 0 {
			eps = append(eps, e)
		}
		if f.Method == http.MethodGet {
			// Submitting a GET form with its defaults is only a read.
			if req, err := e.request("", ""); err == nil && depth+1 <= s.opts.MaxDepth {
				next = append(next, visit{req: req, depth: depth + 1})
			}
		}
	}
	return eps, next
}

// linkEndpoint makes a GET endpoint of a URL with a query; nil without one.
func linkEndpoint(u *url.URL) *endpoint {
	q := u.Query()
	if len(q) == 0 {
		return nil
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	base := *u
	base.RawQuery = ""
	e := &endpoint{Method: http.MethodGet, URL: &base, Source: "link"}
	for _, n := range names {
		e.Params = append(e.Params, param{Name: n, In: inQuery, Value: q.Get(n)})
	}
	return e
}

// avoid reports URLs the crawler leaves alone so as not to end the
// session it was given.
func avoid(u *url.URL) bool {
	p := strings.ToLower(u.Path)
	for _, w := range []string{"logout", "log-out", "signout", "sign-out", "logoff"} {
		if strings.Contains(p, w) {
			return true
		}
	}
	return false
}

// shapeKey identifies a page for the crawl: method, path and the names of
// its query parameters, so ?page=1 … ?page=1000 is one page.
func shapeKey(method string, u *url.URL) string {
	q := u.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	return method + " " + u.Host + u.EscapedPath() + "?" + strings.Join(names, "&")
}
