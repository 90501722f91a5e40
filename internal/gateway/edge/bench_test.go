package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchmarkWrap measures Wrap on a benign GET and a benign JSON POST,
// in process (no network), so the figure is the edge's own cost.
// With getOnly the POST is left out (higher paranoia levels refuse its
// plain-text JSON values).
func benchmarkWrap(b *testing.B, cfg Config, getOnly ...bool) {
	e, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	h := e.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id":1,"title":"The Hunger Games"}]`))
	}))
	body := `{"title":"The Hunger Games","authors":"Suzanne Collins","isbn":"439023483","average_rating":4.34}`
	for _, c := range []struct {
		name, method, body string
	}{{"GET", http.MethodGet, ""}, {"POST-JSON", http.MethodPost, body}} {
		if c.method == http.MethodPost && len(getOnly) > 0 && getOnly[0] {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var rd io.Reader = http.NoBody
				if c.body != "" {
					rd = strings.NewReader(c.body)
				}
				req := httptest.NewRequest(c.method, "http://shop.example/books?author=Collins&page=2", rd)
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
				req.Header.Set("Accept", "application/json")
				if c.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code >= 400 {
					b.Fatalf("benign request refused: %d %s", w.Code, w.Body)
				}
			}
		})
	}
}

func BenchmarkWrapWAFOff(b *testing.B) { benchmarkWrap(b, Config{}) }

func BenchmarkWrapWAFDetect(b *testing.B) {
	benchmarkWrap(b, Config{WAF: WAFConfig{Mode: ModeDetect}})
}

func BenchmarkWrapWAFEnforce(b *testing.B) {
	benchmarkWrap(b, Config{WAF: WAFConfig{Mode: ModeEnforce}})
}

func BenchmarkWrapWAFEnforcePL4(b *testing.B) {
	benchmarkWrap(b, Config{WAF: WAFConfig{Mode: ModeEnforce, ParanoiaLevel: 4}}, true)
}

func BenchmarkWrapAllLayers(b *testing.B) {
	benchmarkWrap(b, Config{
		WAF:       WAFConfig{Mode: ModeEnforce},
		RateLimit: RateLimitConfig{Mode: ModeEnforce, Limit: 1 << 30},
	})
}

// benchAPI is an OpenAPI document that accepts benchmarkWrap's requests.
const benchAPI = `{
  "openapi": "3.0.3",
  "info": {"title": "goodbooks", "version": "1"},
  "paths": {"/books": {
    "get": {
      "parameters": [
        {"name": "author", "in": "query", "schema": {"type": "string", "maxLength": 200}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
      ],
      "responses": {"200": {"description": "books"}}
    },
    "post": {
      "requestBody": {"required": true, "content": {"application/json": {"schema": {
        "type": "object", "required": ["title"],
        "properties": {
          "title": {"type": "string", "minLength": 1},
          "authors": {"type": "string"},
          "isbn": {"type": "string", "pattern": "^[0-9X]{9,13}$"},
          "average_rating": {"type": "number", "minimum": 0, "maximum": 5}
        }
      }}}},
      "responses": {"201": {"description": "created"}}
    }
  }}
}`

func BenchmarkWrapOpenAPI(b *testing.B) {
	benchmarkWrap(b, Config{OpenAPI: OpenAPIConfig{Mode: ModeEnforce, Document: benchAPI}})
}
