package dast

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLinksAndForms(t *testing.T) {
	page, _ := url.Parse("http://app.test/shop/list?page=2")
	body := []byte(`<A HREF="item?id=7">7</A> <a href='/about#team'>about</a>
<a href="mailto:x@y.z">m</a> <a href="javascript:void(0)">j</a> <img src="/logo.png">
<a href="/static/site.css">css</a> <iframe src="https://other.test/embed"></iframe>
<a href="?page=3&amp;sort=asc">next</a>
<form method="POST" action="/shop/cart"><input type="hidden" name="csrf" value="tok">
<input name="qty" value="1"><textarea name="note"></textarea><input type="file" name="up">
<input type="submit" value="Add"></form>
<form><select name="sort"><option>asc</option></select></form>`)
	var got []string
	for _, u := range links(page, body) {
		got = append(got, u.String())
	}
	want := []string{"http://app.test/shop/item?id=7", "http://app.test/about", "https://other.test/embed",
		"http://app.test/shop/list?page=3&sort=asc"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("links (-want +got):\n%s", d)
	}
	fs := forms(page, body)
	if len(fs) != 2 {
		t.Fatalf("forms = %d, want 2", len(fs))
	}
	if fs[0].Method != "POST" || fs[0].Action.String() != "http://app.test/shop/cart" {
		t.Errorf("form 0 = %s %s", fs[0].Method, fs[0].Action)
	}
	wantFields := []param{{"csrf", inForm, "tok"}, {"qty", inForm, "1"}, {"note", inForm, "sluice"}}
	if d := cmp.Diff(wantFields, fs[0].Fields); d != "" {
		t.Errorf("form 0 fields (-want +got):\n%s", d)
	}
	if fs[1].Method != "GET" || fs[1].Action != page || len(fs[1].Fields) != 1 || fs[1].Fields[0].In != inQuery {
		t.Errorf("form 1 = %+v", fs[1])
	}
}

func TestLoadOpenAPI(t *testing.T) {
	doc := `{
  "openapi": "3.1.0",
  "servers": [{"url": "https://api.test/v1"}],
  "security": [{"bearer": []}],
  "components": {"parameters": {"lim": {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}}}},
  "paths": {
    "/pets/{petId}": {
      "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "string", "example": "rex"}}],
      "get": {"parameters": [{"$ref": "#/components/parameters/lim"}, {"name": "X-Trace", "in": "header"}]},
      "delete": {}
    },
    "/public": {"get": {"security": []}},
    "/optional": {"get": {"security": [{}, {"bearer": []}]}}
  }
}`
	p := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1:8080/")
	s := &state{base: base, origin: originOf(base)}
	eps, err := loadOpenAPI(context.Background(), s, p)
	if err != nil {
		t.Fatal(err)
	}
	type op struct {
		Method, URL string
		Secured     bool
		Params      []param
	}
	var got []op
	for _, e := range eps {
		got = append(got, op{e.Method, e.display(), e.Secured, e.Params})
	}
	want := []op{
		{"GET", "http://127.0.0.1:8080/v1/optional", false, nil},
		{"DELETE", "http://127.0.0.1:8080/v1/pets/{petId}", true, []param{{"petId", inPath, "rex"}}},
		{"GET", "http://127.0.0.1:8080/v1/pets/{petId}?limit=", true, []param{{"limit", inQuery, "20"}, {"petId", inPath, "rex"}}},
		{"GET", "http://127.0.0.1:8080/v1/public", false, nil},
	}
	byURL := func(a, b op) int { return strings.Compare(a.URL+a.Method, b.URL+b.Method) }
	slices.SortFunc(got, byURL)
	slices.SortFunc(want, byURL)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("operations (-want +got):\n%s", d)
	}
	i := slices.IndexFunc(eps, func(e *endpoint) bool { return e.Method == "GET" && len(e.Params) == 2 })
	req, err := eps[i].request("petId", "../x y")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/v1/pets/..%2Fx%20y?limit=20"; req.URL.RequestURI() != want {
		t.Errorf("request URI = %s, want %s", req.URL.RequestURI(), want)
	}
	for _, bad := range []string{"{", `{"openapi": "3.0.0"}`, filepath.Join(t.TempDir(), "missing.yaml")} {
		p := bad
		if bad[0] == '{' {
			p = filepath.Join(t.TempDir(), "bad.json")
			os.WriteFile(p, []byte(bad), 0o600)
		}
		if _, err := loadOpenAPI(context.Background(), s, p); err == nil {
			t.Errorf("loadOpenAPI(%q) succeeded", bad)
		}
	}
}
