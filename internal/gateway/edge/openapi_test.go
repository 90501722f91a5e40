package edge

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// booksAPI is a small books API. Its server names a host the tests do
// not use and the base path /api/v1: requests match on the base path
// only. The global security requirement is left to the application.
const booksAPI = `
openapi: 3.0.3
info: {title: Books, version: "1.0"}
servers:
  - url: https://books.example.com/api/v1
security:
  - apiKey: []
paths:
  /books:
    get:
      parameters:
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 100}
      responses:
        "200": {description: the books}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewBook"}
      responses:
        "201": {description: created}
  /books/{id}:
    parameters:
      - name: id
        in: path
        required: true
        schema: {type: integer}
    get:
      responses:
        "200": {description: one book}
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: X-Api-Key}
  schemas:
    NewBook:
      type: object
      required: [title, year]
      properties:
        title: {type: string, minLength: 1}
        year: {type: integer}
`

// seen is one request as the application received it.
type seen struct {
	method, uri, body, contentType string
}

// recordingApp records every request that reaches it and answers 201 to
// a POST, 200 otherwise.
type recordingApp struct {
	mu   sync.Mutex
	reqs []seen
}

func (a *recordingApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.reqs = append(a.reqs, seen{r.Method, r.URL.RequestURI(), string(body), r.Header.Get("Content-Type")})
	a.mu.Unlock()
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
}

func (a *recordingApp) all() []seen {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]seen(nil), a.reqs...)
}

func openAPIConfig(mode Mode) Config {
	return Config{OpenAPI: OpenAPIConfig{Mode: mode, Document: booksAPI, Source: "openapi.yaml", MaxBodyBytes: 256}}
}

// serveRecorded builds an Edge from cfg in front of a recordingApp on a
// loopback server.
func serveRecorded(t *testing.T, cfg Config) (*httptest.Server, *recordingApp, *blockLog) {
	t.Helper()
	log := &blockLog{}
	e, err := New(cfg, Options{OnBlock: log.add})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	app := &recordingApp{}
	srv := httptest.NewServer(e.Wrap(app))
	t.Cleanup(func() { srv.Close(); e.Close() })
	return srv, app, log
}

// openAPICase is one request and what enforce mode does with it.
type openAPICase struct {
	name, method, path, body, contentType string
	header                                map[string]string
	status                                int
	rule, msg                             string // of a refusal
}

const validBook = `{"title":"Dune","year":1965}`

func openAPICases() []openAPICase {
	huge := strings.Repeat("x", 10000)
	return []openAPICase{
		{name: "list", method: "GET", path: "/api/v1/books", status: 200},
		{name: "list with limit", method: "GET", path: "/api/v1/books?limit=10", status: 200},
		{name: "one book", method: "GET", path: "/api/v1/books/42", status: 200},
		{name: "HEAD as GET", method: "HEAD", path: "/api/v1/books/42", status: 200},
		{name: "create", method: "POST", path: "/api/v1/books", body: validBook, contentType: "application/json", status: 201},
		{name: "create, charset", method: "POST", path: "/api/v1/books", body: validBook, contentType: "application/json; charset=utf-8", status: 201},
		{name: "CORS preflight", method: "OPTIONS", path: "/api/v1/books", header: map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}, status: 200},

		{name: "unknown path", method: "GET", path: "/api/v1/authors", status: 404, rule: "openapi:unknown-path", msg: "no operation"},
		{name: "path without the server's base", method: "GET", path: "/books", status: 404, rule: "openapi:unknown-path"},
		{name: "wrong method", method: "DELETE", path: "/api/v1/books", status: 405, rule: "openapi:method", msg: "allowed: GET, HEAD, POST"},
		{name: "query not an integer", method: "GET", path: "/api/v1/books?limit=abc", status: 400, rule: "openapi:invalid-request", msg: `query parameter "limit": value "abc" is not a valid integer`},
		{name: "query over maximum", method: "GET", path: "/api/v1/books?limit=1000", status: 400, rule: "openapi:invalid-request", msg: `query parameter "limit": number must be at most 100`},
		{name: "path parameter not an integer", method: "GET", path: "/api/v1/books/dune", status: 400, rule: "openapi:invalid-request", msg: `path parameter "id": value "dune" is not a valid integer`},
		{name: "huge value clipped", method: "GET", path: "/api/v1/books?limit=" + huge, status: 400, rule: "openapi:invalid-request", msg: `value "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" is not a valid integer`},
		{name: "missing field", method: "POST", path: "/api/v1/books", body: `{"title":"Dune"}`, contentType: "application/json", status: 400, rule: "openapi:invalid-request", msg: `body: property "year" is missing`},
		{name: "every missing field", method: "POST", path: "/api/v1/books", body: `{}`, contentType: "application/json", status: 400, rule: "openapi:invalid-request", msg: `body: property "title" is missing; body: property "year" is missing`},
		{name: "field of the wrong type", method: "POST", path: "/api/v1/books", body: `{"title":"Dune","year":"1965"}`, contentType: "application/json", status: 400, rule: "openapi:invalid-request", msg: `body /year: value must be an integer`},
		{name: "wrong content type", method: "POST", path: "/api/v1/books", body: validBook, contentType: "text/plain", status: 400, rule: "openapi:invalid-request", msg: `body: content type "text/plain" is not accepted (use application/json)`},
		{name: "no content type", method: "POST", path: "/api/v1/books", body: validBook, status: 400, rule: "openapi:invalid-request", msg: `body: no content type given (use application/json)`},
		{name: "compressed body", method: "POST", path: "/api/v1/books", body: validBook, contentType: "application/json", header: map[string]string{"Content-Encoding": "gzip"}, status: 400, rule: "openapi:invalid-request", msg: `content encoding "gzip" cannot be validated`},
		{name: "not JSON", method: "POST", path: "/api/v1/books", body: `{"title":`, contentType: "application/json", status: 400, rule: "openapi:invalid-request", msg: "body"},
		{name: "required body missing", method: "POST", path: "/api/v1/books", contentType: "application/json", status: 400, rule: "openapi:invalid-request", msg: "body is required but missing"},
		{name: "body over the limit", method: "POST", path: "/api/v1/books", body: `{"title":"` + strings.Repeat("a", 300) + `","year":1}`, contentType: "application/json", status: 413, rule: "openapi:body-too-large", msg: "larger than 256 bytes"},
	}
}

// send sends c to srv; chunked sends the body without a Content-Length.
func send(t *testing.T, srv *httptest.Server, c openAPICase, chunked bool) response {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
		if chunked {
			body = io.MultiReader(body) // unknown length
		}
	}
	req, err := http.NewRequest(c.method, srv.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func TestOpenAPIEnforce(t *testing.T) {
	srv, app, log := serveRecorded(t, openAPIConfig(ModeEnforce))
	var passed []seen
	var rules []string
	for _, c := range openAPICases() {
		r := send(t, srv, c, false)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, r.status, c.status, r.body)
			continue
		}
		if c.rule == "" {
			passed = append(passed, seen{c.method, c.path, c.body, c.contentType})
			continue
		}
		rules = append(rules, c.rule)
		f := refusalOf(t, r)
		t.Logf("%s: %d %s", c.name, r.status, f.Error)
		if f.Layer != LayerOpenAPI || !strings.Contains(f.Error, c.msg) {
			t.Errorf("%s: refusal %+v, want layer openapi and a message containing %q", c.name, f, c.msg)
		}
		if len(r.body) > 600 {
			t.Errorf("%s: refusal of %d bytes", c.name, len(r.body))
		}
		if c.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != "GET, HEAD, POST" {
			t.Errorf("%s: Allow %q", c.name, r.header.Get("Allow"))
		}
	}
	// What passed reached the application exactly as sent.
	if got := app.all(); !slices.Equal(got, passed) {
		t.Errorf("the application saw\n%v\nwant\n%v", got, passed)
	}
	var reported []string
	for _, b := range log.all() {
		reported = append(reported, b.Rule)
		if b.Layer != LayerOpenAPI || !b.Enforced || !b.Alert || b.Message == "" || b.RequestID == "" {
			t.Errorf("block %+v", b)
		}
	}
	if !slices.Equal(reported, rules) {
		t.Errorf("reported %v, want %v", reported, rules)
	}
}

func TestOpenAPIBodyLimitChunked(t *testing.T) {
	srv, app, _ := serveRecorded(t, openAPIConfig(ModeEnforce))
	for _, c := range openAPICases() {
		if c.method != http.MethodPost || c.body == "" {
			continue
		}
		if r := send(t, srv, c, true); r.status != c.status {
			t.Errorf("%s, chunked: status %d, want %d (%s)", c.name, r.status, c.status, r.body)
		}
	}
	for _, s := range app.all() {
		if s.body != validBook {
			t.Errorf("the application got body %q", s.body)
		}
	}
}

func TestOpenAPIDetectAndMonitorPassButReport(t *testing.T) {
	for _, mode := range []Mode{ModeDetect, ModeMonitor} {
		srv, app, log := serveRecorded(t, openAPIConfig(mode))
		var want []seen
		refusals := 0
		for _, c := range openAPICases() {
			for _, chunked := range []bool{false, true} {
				r := send(t, srv, c, chunked)
				if r.status >= 400 {
					t.Errorf("%s %s (chunked %v): status %d", mode, c.name, chunked, r.status)
				}
				want = append(want, seen{c.method, c.path, c.body, c.contentType})
				if c.rule != "" {
					refusals++
				}
			}
		}
		// Everything, the oversized body included, reached the
		// application intact.
		if got := app.all(); !slices.Equal(got, want) {
			t.Errorf("%s: the application saw\n%v\nwant\n%v", mode, got, want)
		}
		blocks := log.all()
		if len(blocks) != refusals {
			t.Errorf("%s: %d blocks, want %d", mode, len(blocks), refusals)
		}
		for _, b := range blocks {
			if b.Layer != LayerOpenAPI || b.Enforced || b.Alert != (mode == ModeMonitor) || b.Mode != mode || b.Status < 400 {
				t.Errorf("%s: block %+v", mode, b)
			}
		}
	}
}

// TestOpenAPILargeBodyFirstProblem checks that a body over
// maxAllErrorsBody is refused for its first problem only: finding every
// problem of a large body would cost far more than checking it.
func TestOpenAPILargeBodyFirstProblem(t *testing.T) {
	cfg := openAPIConfig(ModeEnforce)
	cfg.OpenAPI.MaxBodyBytes = 0 // the default, 1 MiB
	srv, _, _ := serveRecorded(t, cfg)
	hdr := map[string]string{"Content-Type": "application/json"}
	small := do(t, http.MethodPost, srv.URL+"/api/v1/books", `{"note":"x"}`, hdr)
	large := do(t, http.MethodPost, srv.URL+"/api/v1/books", `{"note":"`+strings.Repeat("x", maxAllErrorsBody)+`"}`, hdr)
	if f := refusalOf(t, small); small.status != 400 || !strings.Contains(f.Error, `"title" is missing; body: property "year" is missing`) {
		t.Errorf("small body: %d %s", small.status, f.Error)
	}
	if f := refusalOf(t, large); large.status != 400 || !strings.Contains(f.Error, `"title" is missing`) || strings.Contains(f.Error, "year") {
		t.Errorf("large body: %d %s", large.status, f.Error)
	}
}

func TestOpenAPIPathPrefixes(t *testing.T) {
	cfg := openAPIConfig(ModeEnforce)
	cfg.OpenAPI.PathPrefixes = []string{"/api/"}
	srv, _, log := serveRecorded(t, cfg)
	for path, want := range map[string]int{
		"/":                    200, // the web site next to the API is not validated
		"/static/app.js":       200,
		"/api/v1/books":        200,
		"/api/v1/nope":         404,
		"/api/v1/books?limit=": 400, // empty value not allowed
	} {
		if r := do(t, http.MethodGet, srv.URL+path, "", nil); r.status != want {
			t.Errorf("%s: status %d, want %d (%s)", path, r.status, want, r.body)
		}
	}
	if n := len(log.all()); n != 2 {
		t.Errorf("%d blocks, want 2", n)
	}
}

// TestOpenAPILayerOrder checks that auth refuses before validation (an
// unauthenticated client learns nothing about the API's paths), and that
// the WAF still inspects the body validation read.
func TestOpenAPILayerOrder(t *testing.T) {
	cfg := openAPIConfig(ModeEnforce)
	cfg.APIAuth = APIAuthConfig{Mode: ModeEnforce, Routes: []APIRoute{{PathPrefix: "/api/", Keys: []APIKey{{ID: "ci", SHA256: HashAPIKey(testKey)}}}}}
	cfg.WAF = WAFConfig{Mode: ModeEnforce}
	srv, app, _ := serveRecorded(t, cfg)
	key := map[string]string{"X-Api-Key": testKey, "Content-Type": "application/json"}
	if r := do(t, http.MethodGet, srv.URL+"/api/v1/nope", "", nil); r.status != 401 {
		t.Errorf("unauthenticated unknown path: %d, want 401", r.status)
	}
	if r := do(t, http.MethodGet, srv.URL+"/api/v1/nope", "", key); r.status != 404 {
		t.Errorf("authenticated unknown path: %d, want 404", r.status)
	}
	if r := do(t, http.MethodPost, srv.URL+"/api/v1/books", validBook, key); r.status != 201 {
		t.Errorf("valid book: %d, want 201 (%s)", r.status, r.body)
	}
	attack := `{"title":"1' UNION SELECT password FROM users --","year":1965}`
	r := do(t, http.MethodPost, srv.URL+"/api/v1/books", attack, key)
	if r.status != 403 || refusalOf(t, r).Layer != LayerWAF {
		t.Errorf("SQL injection in a valid body: %d %s, want the WAF's 403", r.status, r.body)
	}
	if got := app.all(); len(got) != 1 || got[0].body != validBook {
		t.Errorf("the application saw %v", got)
	}
}

func TestOpenAPIConfigErrors(t *testing.T) {
	swagger := `{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}`
	undeclared := strings.Replace(booksAPI, "    parameters:\n      - name: id\n        in: path\n        required: true\n        schema: {type: integer}\n", "", 1)
	external := strings.Replace(booksAPI, `$ref: "#/components/schemas/NewBook"`, `$ref: "/etc/passwd#/x"`, 1)
	for name, c := range map[string]struct {
		cfg  OpenAPIConfig
		want string
	}{
		"not YAML":              {OpenAPIConfig{Mode: ModeEnforce, Source: "api.yaml", Document: "openapi: [3.0"}, "openapi: api.yaml: not a readable OpenAPI 3 document"},
		"empty":                 {OpenAPIConfig{Mode: ModeEnforce, Source: "api.yaml"}, "api.yaml: document is empty"},
		"Swagger 2.0":           {OpenAPIConfig{Mode: ModeEnforce, Source: "api.json", Document: swagger}, "only OpenAPI 3 documents"},
		"undeclared path param": {OpenAPIConfig{Mode: ModeEnforce, Source: "api.yaml", Document: undeclared}, "api.yaml: invalid OpenAPI document"},
		"external ref":          {OpenAPIConfig{Mode: ModeEnforce, Source: "api.yaml", Document: external}, "api.yaml"},
		"bad mode":              {OpenAPIConfig{Mode: "block", Document: booksAPI}, `unknown mode "block"`},
		"negative limit":        {OpenAPIConfig{Mode: ModeEnforce, Document: booksAPI, MaxBodyBytes: -1}, "max_body_bytes -1"},
		"relative prefix":       {OpenAPIConfig{Mode: ModeEnforce, Document: booksAPI, PathPrefixes: []string{"api"}}, "path_prefixes[0]"},
	} {
		_, err := New(Config{OpenAPI: c.cfg}, Options{})
		t.Logf("%s: %v", name, err)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "openapi: ") {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
	// Off, nothing is parsed.
	if _, err := New(Config{OpenAPI: OpenAPIConfig{Document: "not a document"}}, Options{}); err != nil {
		t.Errorf("off: %v", err)
	}
}

func TestServerBases(t *testing.T) {
	for _, c := range []struct {
		server openapi3.Server
		want   []string
	}{
		{openapi3.Server{URL: "/api/v1"}, []string{"/api/v1"}},
		{openapi3.Server{URL: "/"}, []string{""}},
		{openapi3.Server{URL: "https://books.example.com/api/v1/"}, []string{"/api/v1"}},
		{openapi3.Server{URL: "https://books.example.com"}, []string{""}},
		{openapi3.Server{URL: "//books.example.com/v2"}, []string{"/v2"}},
		{openapi3.Server{URL: "v2"}, []string{"/v2"}},
		{openapi3.Server{URL: "{scheme}://{host}/{version}", Variables: map[string]*openapi3.ServerVariable{
			"scheme":  {Default: "https", Enum: []string{"https", "http"}},
			"host":    {Default: "books.example.com"},
			"version": {Default: "v1", Enum: []string{"v1", "v2"}},
		}}, []string{"/v1", "/v2"}},
		{openapi3.Server{URL: "{base}/books", Variables: map[string]*openapi3.ServerVariable{
			"base": {Default: "https://books.example.com/api"},
		}}, []string{"/api/books"}},
	} {
		got, err := serverBases(&c.server)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %q %v, want %q", c.server.URL, got, err, c.want)
		}
	}
}

func TestOpenAPI31(t *testing.T) {
	doc := strings.Replace(booksAPI, "openapi: 3.0.3", "openapi: 3.1.0", 1)
	doc = strings.Replace(doc, "year: {type: integer}", `year: {type: [integer, "null"]}`, 1)
	l, err := newOpenAPILayer(OpenAPIConfig{Mode: ModeEnforce, Document: doc})
	if err != nil {
		t.Fatal(err)
	}
	if l.perRequestCompile {
		t.Error("a 3.1 document without 2020-12 keywords compiles per request")
	}
	withConst := strings.Replace(doc, "title: {type: string, minLength: 1}", "title: {const: Dune}", 1)
	lc, err := newOpenAPILayer(OpenAPIConfig{Mode: ModeEnforce, Document: withConst})
	if err != nil {
		t.Fatal(err)
	}
	if !lc.perRequestCompile {
		t.Error("const not detected")
	}
	for _, c := range []struct {
		l    *openAPILayer
		body string
		want int // 0: valid
	}{
		{l, `{"title":"Dune","year":null}`, 0},
		{l, `{"title":"Dune","year":1.5}`, 400},
		{lc, `{"title":"Dune","year":1965}`, 0},
		{lc, `{"title":"Emma","year":1815}`, 400},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/books", strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		got := 0
		if oerr := c.l.check(req); oerr != nil {
			got = oerr.status
		}
		if got != c.want {
			t.Errorf("%s: %d, want %d", c.body, got, c.want)
		}
	}
}

var fuzzMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "QUERY", "BREW"}

func FuzzOpenAPIRequest(f *testing.F) {
	f.Add(uint8(0), "/api/v1/books", "limit=10", "", "")
	f.Add(uint8(0), "/api/v1/books/42", "", "", "")
	f.Add(uint8(2), "/api/v1/books", "", validBook, "application/json")
	f.Add(uint8(2), "/api/v1/books", "", `{"title":1,"year":{"a":[1,2]}}`, "application/json; charset=utf-8")
	f.Add(uint8(2), "/api/v1/books", "", "title=Dune&year=1965", "application/x-www-form-urlencoded")
	f.Add(uint8(2), "/api/v1/books", "", "--x\r\n\r\n", "multipart/form-data; boundary=x")
	f.Add(uint8(0), "/api/v1/books/%00", "limit=%ff&limit=1", "", "")
	f.Add(uint8(4), "/api/v1/../v1/books", "a[b]=c", "x", "text/plain")

	cfg := openAPIConfig(ModeEnforce)
	e, err := New(cfg, Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	var reached bool
	var got []byte
	h := e.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		got, _ = io.ReadAll(r.Body)
	}))
	f.Fuzz(func(t *testing.T, m uint8, path, query, body, contentType string) {
		reached, got = false, nil
		req := &http.Request{
			Method:     fuzzMethods[int(m)%len(fuzzMethods)],
			URL:        &url.URL{Path: path, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{"Content-Type": {contentType}},
			Body:       io.NopCloser(strings.NewReader(body)),
			Host:       "shop.example",
			RemoteAddr: "203.0.113.9:4711",
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 200 && w.Code < 300 && !reached {
			t.Fatalf("%d without reaching the application", w.Code)
		}
		if !reached {
			var f refusal
			if err := json.Unmarshal(w.Body.Bytes(), &f); err != nil || f.Layer != LayerOpenAPI || len(f.Error) > 600 {
				t.Fatalf("refusal %d %q", w.Code, w.Body)
			}
			return
		}
		if !bytes.Equal(got, []byte(body)) {
			t.Fatalf("the application got body %q, sent %q", got, body)
		}
	})
}

// TestOpenAPIConcurrent runs valid and invalid requests from many
// goroutines at once (run with -race): the router, the document and the
// options are shared and only read.
func TestOpenAPIConcurrent(t *testing.T) {
	e, err := New(openAPIConfig(ModeEnforce), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	h := e.Wrap(&recordingApp{})
	cases := openAPICases()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				c := cases[(g*7+i)%len(cases)]
				req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
				if c.body == "" {
					req.Body = http.NoBody
				}
				if c.contentType != "" {
					req.Header.Set("Content-Type", c.contentType)
				}
				for k, v := range c.header {
					req.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != c.status {
					t.Errorf("%s: %d, want %d", c.name, w.Code, c.status)
				}
			}
		})
	}
	wg.Wait()
}
