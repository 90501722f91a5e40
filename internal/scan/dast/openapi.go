package dast

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxSpecSize bounds the OpenAPI document read.
const maxSpecSize = 8 << 20

// methods an OpenAPI path item may hold, in the order endpoints are listed.
var specMethods = []string{"get", "post", "put", "patch", "delete", "head", "options"}

// loadOpenAPI reads an OpenAPI 3 or Swagger 2 document (JSON or YAML,
// from a file or an http(s) URL) and returns its operations as endpoints
// under the base URL's origin. Only what the scan needs is read: paths,
// methods, query and path parameters with an example value, and whether
// security is declared.
func loadOpenAPI(ctx context.Context, s *state, src string) ([]*endpoint, error) {
	data, err := readSpec(ctx, s, src)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse OpenAPI document %s: %w", src, err)
	}
	if doc == nil {
		return nil, fmt.Errorf("OpenAPI document %s is empty", src)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("OpenAPI document %s has no paths object; is it an OpenAPI 3 or Swagger 2 document?", src)
	}
	prefix := specPrefix(doc, s.base)
	global := secured(doc["security"], false)
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	slices.Sort(names)
	var eps []*endpoint
	for _, p := range names {
		item, _ := paths[p].(map[string]any)
		if item == nil || !strings.HasPrefix(p, "/") {
			continue
		}
		shared := specParams(doc, item["parameters"])
		for _, m := range specMethods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			u := &url.URL{Scheme: s.base.Scheme, Host: s.base.Host, Path: path.Join(prefix, p)}
			if strings.HasSuffix(p, "/") && !strings.HasSuffix(u.Path, "/") {
				u.Path += "/"
			}
			e := &endpoint{Method: strings.ToUpper(m), URL: u, Source: "openapi", Secured: global}
			if sec, ok := op["security"]; ok {
				e.Secured = secured(sec, global)
			}
			e.Params = overrideParams(shared, specParams(doc, op["parameters"]))
			eps = append(eps, e)
		}
	}
	return eps, nil
}

// readSpec reads the document from a file or URL.
func readSpec(ctx context.Context, s *state, src string) ([]byte, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		req, err := http.NewRequest(http.MethodGet, src, nil)
		if err != nil {
			return nil, fmt.Errorf("OpenAPI URL %s: %w", src, err)
		}
		r, err := s.client.send(ctx, req, true)
		if err != nil {
			return nil, fmt.Errorf("fetch OpenAPI document: %w", err)
		}
		if r.Status != http.StatusOK {
			return nil, fmt.Errorf("fetch OpenAPI document %s: status %d", src, r.Status)
		}
		return r.Body, nil
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}
	if st.Size() > maxSpecSize {
		return nil, fmt.Errorf("OpenAPI document %s is %d bytes, more than the %d read", src, st.Size(), maxSpecSize)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}
	return data, nil
}

// specPrefix is the path operations are under: the path of the first
// server (OpenAPI 3) or basePath (Swagger 2), else the base URL's path.
func specPrefix(doc map[string]any, base *url.URL) string {
	if servers, ok := doc["servers"].([]any); ok && len(servers) > 0 {
		if sv, ok := servers[0].(map[string]any); ok {
			if raw, ok := sv["url"].(string); ok {
				if u, err := url.Parse(raw); err == nil && !strings.Contains(raw, "{") {
					return "/" + strings.Trim(u.Path, "/")
				}
			}
		}
	}
	if bp, ok := doc["basePath"].(string); ok {
		return "/" + strings.Trim(bp, "/")
	}
	return "/" + strings.Trim(base.Path, "/")
}

// secured reads a security requirement list: secured when it holds at
// least one requirement and none is empty ({} means "no credentials is
// also fine"). A value that is not a list keeps def.
func secured(v any, def bool) bool {
	list, ok := v.([]any)
	if !ok {
		return def
	}
	if len(list) == 0 {
		return false
	}
	for _, r := range list {
		if m, ok := r.(map[string]any); !ok || len(m) == 0 {
			return false
		}
	}
	return true
}

// specParams reads query and path parameters, following local $refs.
func specParams(doc map[string]any, v any) []param {
	list, _ := v.([]any)
	var out []param
	for _, raw := range list {
		p, _ := raw.(map[string]any)
		if ref, ok := p["$ref"].(string); ok {
			p, _ = lookupRef(doc, ref).(map[string]any)
		}
		if p == nil {
			continue
		}
		name, _ := p["name"].(string)
		in, _ := p["in"].(string)
		if name == "" || (in != inQuery && in != inPath) {
			continue
		}
		out = append(out, param{Name: name, In: in, Value: exampleValue(doc, name, p)})
	}
	return out
}

// overrideParams joins path-level and operation-level parameters; the
// operation's win on the same name and place.
func overrideParams(shared, own []param) []param {
	out := slices.Clone(own)
	for _, p := range shared {
		if !slices.ContainsFunc(own, func(o param) bool { return o.Name == p.Name && o.In == p.In }) {
			out = append(out, p)
		}
	}
	return out
}

// exampleValue picks a value for a parameter: its example, its schema's
// example, default or first enum value, else a sample for its type.
func exampleValue(doc map[string]any, name string, p map[string]any) string {
	schema, _ := p["schema"].(map[string]any)
	if ref, ok := schema["$ref"].(string); ok {
		schema, _ = lookupRef(doc, ref).(map[string]any)
	}
	for _, m := range []map[string]any{p, schema} {
		if m == nil {
			continue
		}
		for _, k := range []string{"example", "default"} {
			if v, ok := m[k]; ok && scalar(v) {
				return fmt.Sprint(v)
			}
		}
		if e, ok := m["enum"].([]any); ok && len(e) > 0 && scalar(e[0]) {
			return fmt.Sprint(e[0])
		}
	}
	typ, _ := p["type"].(string)
	if t, ok := schema["type"].(string); ok {
		typ = t
	}
	return sampleValue(name, typ)
}

// scalar reports whether v is a string, number or boolean.
func scalar(v any) bool {
	switch v.(type) {
	case string, int, int64, uint64, float64, bool:
		return true
	}
	return false
}

// lookupRef follows a local JSON pointer ("#/components/parameters/x").
func lookupRef(doc map[string]any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
