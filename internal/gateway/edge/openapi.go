package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// OpenAPIConfig validates requests against the application's OpenAPI 3
// document before they reach it: unknown paths and methods, parameters
// and bodies that do not match their schema, and oversized bodies are
// refused (400, 404, 405 or 413) in enforce mode.
type OpenAPIConfig struct {
	// Mode is off (default), detect, monitor or enforce.
	Mode Mode `json:"mode,omitempty"`
	// Document is the OpenAPI 3 document itself (JSON or YAML); the
	// deploying side reads it from the project so that the gateway needs
	// no access to the project's files.
	Document string `json:"document,omitempty"`
	// Source names where Document came from, for messages.
	Source string `json:"source,omitempty"`
	// MaxBodyBytes bounds the request body read for validation
	// (default DefaultOpenAPIMaxBody); a larger body is refused with 413.
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// PathPrefixes limits validation to paths under these prefixes (for an
	// API mounted next to a web site); empty validates every path.
	PathPrefixes []string `json:"path_prefixes,omitempty"`
}

// DefaultOpenAPIMaxBody is the body limit of request validation.
const DefaultOpenAPIMaxBody = 1 << 20

// maxServerBases bounds the base paths one server URL's variables may
// expand to.
const maxServerBases = 64

// maxAllErrorsBody is the largest body for which a refusal lists every
// problem. Finding every problem costs a few microseconds and several
// hundred bytes per problem, and a 1 MiB array can hold half a million:
// a larger body's refusal names its first problem only.
const maxAllErrorsBody = 4 << 10

// openAPILayer is the parsed document, its router and the validation
// options, all built once in New and only read afterwards.
type openAPILayer struct {
	mode   Mode
	router routers.Router
	// firstError stops at the first problem; allErrors finds them all
	// (see validate).
	firstError, allErrors *openapi3filter.Options
	maxBody               int64
	prefixes              []string
	// perRequestCompile is true when kin-openapi compiles some schema for
	// every request that uses it (JSON Schema 2020-12 keywords of 3.1).
	perRequestCompile bool
}

// newOpenAPILayer parses and validates the document and builds its
// router; nil when the layer is off.
func newOpenAPILayer(c OpenAPIConfig) (*openAPILayer, error) {
	if err := c.Mode.validate(); err != nil {
		return nil, err
	}
	if !c.Mode.on() {
		return nil, nil
	}
	l := &openAPILayer{mode: c.Mode, maxBody: c.MaxBodyBytes, prefixes: c.PathPrefixes}
	if l.maxBody == 0 {
		l.maxBody = DefaultOpenAPIMaxBody
	}
	if l.maxBody < 0 {
		return nil, fmt.Errorf("max_body_bytes %d is negative", l.maxBody)
	}
	for i, p := range c.PathPrefixes {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("path_prefixes[%d]: %q must start with /", i, p)
		}
	}
	source := c.Source
	if source == "" {
		source = "document"
	}
	doc, err := loadDocument(c.Document, source)
	if err != nil {
		return nil, err
	}
	if err := gatewayServers(doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	// Credentials are the auth layer's and the application's business:
	// the security requirements are dropped so that the validator neither
	// checks them nor reads the body for them.
	doc.Security = nil
	none := openapi3.SecurityRequirements{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			op.Security = &none
		}
	}
	spec := doc
	if doc.IsOpenAPI31OrLater() {
		// kin-openapi validates 3.1 schemas by compiling a JSON Schema
		// 2020-12 validator on every call. Schemas without 2020-12-only
		// keywords are within what its built-in validator evaluates (its
		// own fallback for them), which compiles nothing, so the router
		// gets a 3.0 view of the document.
		if l.perRequestCompile = uses2020Keywords(doc); !l.perRequestCompile {
			view := *doc
			view.OpenAPI = "3.0.3"
			spec = &view
		}
	}
	if l.router, err = gorillamux.NewRouter(spec); err != nil {
		return nil, fmt.Errorf("%s: building the router: %w", source, err)
	}
	l.firstError = &openapi3filter.Options{
		SkipSettingDefaults: true, // the request passes on exactly as sent
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	}
	l.allErrors = &openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	}
	return l, nil
}

// loadDocument parses and validates an OpenAPI 3 document; errors name
// source.
func loadDocument(text, source string) (*openapi3.T, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%s: document is empty: give the application's OpenAPI 3 document", source)
	}
	loader := openapi3.NewLoader()
	// The document comes from the project: it must not make the gateway
	// read local files or fetch URLs.
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable OpenAPI 3 document: %w", source, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		return nil, fmt.Errorf("%s: openapi version %q: only OpenAPI 3 documents are supported (convert a Swagger 2.0 document first)", source, doc.OpenAPI)
	}
	// Examples are documentation: a wrong one does not change what a
	// request must look like, so it does not stop a deployment.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.EnableMultiError()); err != nil {
		return nil, fmt.Errorf("%s: invalid OpenAPI document: %w", source, err)
	}
	return doc, nil
}

// gatewayServers rewrites the servers of doc and of its paths to their
// base paths only. The gateway sees the path the client sent, which
// includes a server's base path ("/api/v1"), but not necessarily the
// scheme and host the document names: TLS ends in front of it, and the
// host may be an internal name.
func gatewayServers(doc *openapi3.T) error {
	rewrite := func(where string, servers openapi3.Servers) (openapi3.Servers, error) {
		var out openapi3.Servers
		seen := map[string]bool{}
		for i, s := range servers {
			bases, err := serverBases(s)
			if err != nil {
				return nil, fmt.Errorf("%sservers[%d] (%s): %w", where, i, s.URL, err)
			}
			for _, b := range bases {
				if !seen[b] {
					seen[b] = true
					out = append(out, &openapi3.Server{URL: b})
				}
			}
		}
		return out, nil
	}
	var err error
	if doc.Servers, err = rewrite("", doc.Servers); err != nil {
		return err
	}
	for path, item := range doc.Paths.Map() {
		if len(item.Servers) == 0 {
			continue
		}
		if item.Servers, err = rewrite("paths."+path+".", item.Servers); err != nil {
			return err
		}
	}
	return nil
}

// serverBases returns the base paths of s, "" for the root, with each
// variable replaced by its default and by every value of its enum.
func serverBases(s *openapi3.Server) ([]string, error) {
	urls := []string{s.URL}
	for _, name := range slices.Sorted(maps.Keys(s.Variables)) {
		v := s.Variables[name]
		values := append([]string{v.Default}, v.Enum...)
		var next []string
		for _, u := range urls {
			if !strings.Contains(u, "{"+name+"}") {
				next = append(next, u)
				continue
			}
			for _, val := range values {
				next = append(next, strings.ReplaceAll(u, "{"+name+"}", val))
			}
		}
		if len(next) > maxServerBases {
			return nil, fmt.Errorf("variables expand to more than %d URLs", maxServerBases)
		}
		urls = next
	}
	var bases []string
	for _, u := range urls {
		u, _, _ = strings.Cut(u, "?")
		u, _, _ = strings.Cut(u, "#")
		hostAt := -1
		if strings.HasPrefix(u, "//") {
			hostAt = 2
		} else if i := strings.Index(u, "://"); i > 0 && !strings.Contains(u[:i], "/") {
			hostAt = i + 3
		}
		switch {
		case hostAt >= 0:
			// scheme://host/path or //host/path: keep the path.
			if i := strings.IndexByte(u[hostAt:], '/'); i >= 0 {
				u = u[hostAt+i:]
			} else {
				u = ""
			}
		case !strings.HasPrefix(u, "/"):
			// A relative URL is relative to where the document is served,
			// taken to be the root.
			u = "/" + u
		}
		u = strings.TrimRight(u, "/")
		if strings.ContainsAny(u, "{}") {
			return nil, fmt.Errorf("base path %q still has a variable", u)
		}
		if !slices.Contains(bases, u) {
			bases = append(bases, u)
		}
	}
	return bases, nil
}

// uses2020Keywords reports whether a schema of a parameter or request
// body uses a keyword only kin-openapi's JSON Schema 2020-12 validator
// evaluates (the list of its fallback guard).
func uses2020Keywords(doc *openapi3.T) bool {
	found := errors.New("found")
	check := func(sr *openapi3.SchemaRef) bool {
		if sr == nil {
			return false
		}
		return sr.WalkSubtree(func(_ string, r *openapi3.SchemaRef) error {
			s := r.Value
			if s.Const != nil || len(s.PrefixItems) != 0 || s.Contains != nil || len(s.PatternProperties) != 0 ||
				len(s.DependentSchemas) != 0 || s.PropertyNames != nil ||
				s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil ||
				s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil ||
				s.If != nil || s.Then != nil || s.Else != nil || len(s.DependentRequired) != 0 ||
				len(s.Defs) != 0 || s.ContentSchema != nil {
				return found
			}
			return nil
		}) != nil
	}
	checkParams := func(ps openapi3.Parameters) bool {
		for _, p := range ps {
			if p.Value == nil {
				continue
			}
			if check(p.Value.Schema) {
				return true
			}
			for _, mt := range p.Value.Content {
				if check(mt.Schema) {
					return true
				}
			}
		}
		return false
	}
	for _, item := range doc.Paths.Map() {
		if checkParams(item.Parameters) {
			return true
		}
		for _, op := range item.Operations() {
			if checkParams(op.Parameters) {
				return true
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					if check(mt.Schema) {
						return true
					}
				}
			}
		}
	}
	return false
}

// covers reports whether path is validated.
func (l *openAPILayer) covers(path string) bool {
	if len(l.prefixes) == 0 {
		return true
	}
	for _, p := range l.prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// openAPIError is why a request does not match the document.
type openAPIError struct {
	rule   string // Block.Rule
	status int
	msg    string
	allow  string // the Allow header of a 405
}

// check validates r against the document. r.Body, when read, is always
// replaced by a reader over the same bytes (followed by the unread rest
// when the body was over the limit), so later layers and the application
// read what the client sent.
func (l *openAPILayer) check(r *http.Request) *openAPIError {
	route, params, err := l.router.FindRoute(r)
	if errors.Is(err, routers.ErrMethodNotAllowed) {
		switch {
		case r.Method == http.MethodHead:
			// HEAD is GET without the response body (RFC 9110 9.3.2).
			get := *r
			get.Method = http.MethodGet
			route, params, err = l.router.FindRoute(&get)
		case r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "":
			// A CORS preflight on a known path is the application's (or
			// its CORS middleware's) to answer.
			return nil
		}
	}
	if err != nil {
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			allow := l.allowed(r)
			msg := fmt.Sprintf("method %s is not allowed on this path", clip(r.Method, 20))
			if allow != "" {
				msg += " (allowed: " + allow + ")"
			}
			return &openAPIError{rule: "openapi:method", status: http.StatusMethodNotAllowed, msg: msg, allow: allow}
		}
		return &openAPIError{rule: "openapi:unknown-path", status: http.StatusNotFound, msg: "no operation of the API's OpenAPI document matches this path"}
	}

	var body []byte
	if rb := route.Operation.RequestBody; rb != nil && rb.Value != nil {
		// A compressed body cannot be checked, and an application that
		// ignores the header would read what was not validated.
		if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
			return &openAPIError{rule: "openapi:invalid-request", status: http.StatusBadRequest,
				msg: "invalid request: body: content encoding " + quote(ce) + " cannot be validated: send the body uncompressed"}
		}
		var tooLarge bool
		body, tooLarge, err = l.readBody(r)
		if tooLarge {
			return &openAPIError{rule: "openapi:body-too-large", status: http.StatusRequestEntityTooLarge,
				msg: fmt.Sprintf("request body larger than %d bytes", l.maxBody)}
		}
		if err != nil {
			return &openAPIError{rule: "openapi:invalid-request", status: http.StatusBadRequest, msg: "could not read the request body"}
		}
	}
	err = l.validate(r, route, params, body)
	if err == nil {
		return nil
	}
	msg, ok := describeRequestError(err)
	if !ok {
		return nil // nothing the document lets the gateway check (an undecodable media type)
	}
	return &openAPIError{rule: "openapi:invalid-request", status: http.StatusBadRequest, msg: msg}
}

// validate runs the validator on a shallow copy of r with body: the
// validator replaces its request's body. A valid request, the common
// case, is validated once, stopping at the first problem; an invalid one
// with a small body is validated again to find every problem.
func (l *openAPILayer) validate(r *http.Request, route *routers.Route, params map[string]string, body []byte) error {
	vr := *r
	in := &openapi3filter.RequestValidationInput{Request: &vr, PathParams: params, Route: route, Options: l.firstError}
	setBody := func() {
		vr.GetBody = nil
		vr.Body = http.NoBody
		if body != nil {
			vr.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	setBody()
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil || len(body) > maxAllErrorsBody {
		return err
	}
	setBody()
	in.Options = l.allErrors // in keeps the parsed query
	if all := openapi3filter.ValidateRequest(r.Context(), in); all != nil {
		return all
	}
	return err
}

// readBody reads r's body, at most maxBody bytes, and puts back a reader
// over what it read followed by the rest. A body whose Content-Length is
// over the limit is not read at all.
func (l *openAPILayer) readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false, nil
	}
	if r.ContentLength > l.maxBody {
		return nil, true, nil
	}
	orig := r.Body
	b, err := io.ReadAll(io.LimitReader(orig, l.maxBody+1))
	if err != nil || int64(len(b)) > l.maxBody {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), orig), orig}
		return nil, err == nil, err
	}
	_ = orig.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, false, nil
}

// allowed lists the methods of the path r matches, for a 405's Allow
// header: the router says only that the method is not one of them.
func (l *openAPILayer) allowed(r *http.Request) string {
	probe := *r
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodHead, http.MethodTrace, openapi3.MethodQuery} {
		probe.Method = m
		route, _, err := l.router.FindRoute(&probe)
		if err != nil {
			continue
		}
		var methods []string
		for m := range route.PathItem.Operations() {
			methods = append(methods, m)
		}
		if route.PathItem.Get != nil && route.PathItem.Head == nil {
			methods = append(methods, http.MethodHead)
		}
		slices.Sort(methods)
		return strings.Join(methods, ", ")
	}
	return ""
}

// checkOpenAPI validates the request against the OpenAPI document;
// false when the request was refused.
func (e *Edge) checkOpenAPI(w http.ResponseWriter, r *http.Request, rc *requestContext) bool {
	l := e.openapi
	if !l.covers(r.URL.Path) {
		return true
	}
	oerr := l.check(r)
	if oerr == nil {
		return true
	}
	e.report(r, rc, Block{Layer: LayerOpenAPI, Rule: oerr.rule, Status: oerr.status, Mode: l.mode, Enforced: l.mode == ModeEnforce, Message: oerr.msg})
	if l.mode != ModeEnforce {
		return true
	}
	if oerr.allow != "" {
		w.Header().Set("Allow", oerr.allow)
	}
	refuse(w, oerr.status, LayerOpenAPI, rc.id, oerr.msg, 0)
	return false
}

// Limits of refusal messages: the request's own values are quoted
// clipped, so a refusal never echoes a large input back.
const (
	maxProblems   = 3
	maxValueLen   = 40
	maxProblemLen = 160
)

// describeRequestError turns a validation error into a short message
// listing the first problems. ok is false when no problem is left once
// the media types the validator cannot decode are set aside.
func describeRequestError(err error) (msg string, ok bool) {
	var p problems
	p.collect(err)
	if len(p.list) == 0 {
		return "", false
	}
	msg = "invalid request: " + strings.Join(p.list, "; ")
	if p.more > 0 {
		msg += fmt.Sprintf("; and %d more", p.more)
	}
	return msg, true
}

// problems keeps the first maxProblems descriptions and counts the rest
// without describing them.
type problems struct {
	list []string
	more int
}

func (p *problems) full() bool { return len(p.list) >= maxProblems }

func (p *problems) add(s string) {
	if p.full() {
		p.more++
		return
	}
	p.list = append(p.list, clip(s, maxProblemLen))
}

func (p *problems) collect(err error) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			p.collect(x)
		}
	case *openapi3filter.RequestError:
		switch {
		case e.Parameter != nil:
			where := fmt.Sprintf("%s parameter %q", e.Parameter.In, clip(e.Parameter.Name, maxValueLen))
			p.value(where, e.Err, e.Reason)
		case e.RequestBody != nil && e.Err == nil && strings.HasPrefix(e.Reason, "header Content-Type"):
			var accepted []string
			for mt := range e.RequestBody.Content {
				accepted = append(accepted, mt)
			}
			slices.Sort(accepted)
			ct := ""
			if e.Input != nil && e.Input.Request != nil {
				ct = e.Input.Request.Header.Get("Content-Type")
			}
			msg := fmt.Sprintf("body: content type %s is not accepted (use %s)", quote(ct), strings.Join(accepted, ", "))
			if ct == "" {
				msg = fmt.Sprintf("body: no content type given (use %s)", strings.Join(accepted, ", "))
			}
			p.add(msg)
		case e.RequestBody != nil:
			var pe *openapi3filter.ParseError
			if errors.As(e.Err, &pe) {
				if innermost(pe).Kind == openapi3filter.KindUnsupportedFormat {
					return // a media type without a decoder: not checked
				}
				mt := ""
				if e.Input != nil && e.Input.Request != nil {
					mt, _, _ = strings.Cut(e.Input.Request.Header.Get("Content-Type"), ";")
				}
				p.add("body is not valid " + quote(strings.TrimSpace(mt)) + describeParseError(pe))
				return
			}
			p.value("body", e.Err, e.Reason)
		default:
			p.add(e.Error())
		}
	default:
		p.add(err.Error())
	}
}

// value describes what is wrong with a parameter or the body.
func (p *problems) value(where string, err error, reason string) {
	var pe *openapi3filter.ParseError
	switch {
	case err == nil:
		p.add(where + ": " + reason)
	case errors.Is(err, openapi3filter.ErrInvalidRequired):
		p.add(where + " is required but missing")
	case errors.Is(err, openapi3filter.ErrInvalidEmptyValue):
		p.add(where + " must not be empty")
	case errors.As(err, &pe):
		p.add(where + describeParseError(pe))
	default:
		p.schema(where, err)
	}
}

// schema lists the schema violations in err, each with the JSON
// pointer of the value.
func (p *problems) schema(where string, err error) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			p.schema(where, x)
		}
	case *openapi3.SchemaError:
		if p.full() {
			p.more++
			return
		}
		at := where
		ptr := e.JSONPointer()
		if e.SchemaField == "required" && len(ptr) > 0 {
			ptr = ptr[:len(ptr)-1] // the reason names the missing property
		}
		if len(ptr) > 0 {
			at += " /" + clip(strings.Join(ptr, "/"), maxValueLen)
		}
		reason := e.Reason
		if reason == "" {
			reason = "does not match the schema's " + e.SchemaField
		}
		p.add(at + ": " + reason)
	default:
		p.add(where + ": " + err.Error())
	}
}

// describeParseError words a value the validator could not parse. The
// cause's own message is left out: strconv's quotes the whole input.
func describeParseError(pe *openapi3filter.ParseError) string {
	in := innermost(pe)
	var b strings.Builder
	if path := pe.Path(); len(path) > 0 {
		parts := make([]string, len(path))
		for i, p := range path {
			parts[i] = fmt.Sprint(p)
		}
		b.WriteString(" /" + clip(strings.Join(parts, "/"), maxValueLen))
	}
	b.WriteString(": ")
	if in.Value != nil {
		b.WriteString("value " + quote(fmt.Sprint(in.Value)) + " ")
	}
	switch {
	case strings.HasPrefix(in.Reason, "an invalid "):
		b.WriteString("is not a valid " + strings.TrimPrefix(in.Reason, "an invalid "))
	case in.Reason != "":
		b.WriteString(in.Reason)
	case in.Cause != nil:
		b.WriteString(clip(in.Cause.Error(), maxProblemLen/2))
	default:
		b.WriteString("cannot be parsed")
	}
	return b.String()
}

func innermost(pe *openapi3filter.ParseError) *openapi3filter.ParseError {
	for {
		next, ok := pe.Cause.(*openapi3filter.ParseError)
		if !ok {
			return pe
		}
		pe = next
	}
}

// quote quotes s, clipped, with control characters escaped.
func quote(s string) string { return strconv.Quote(clip(s, maxValueLen)) }

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
