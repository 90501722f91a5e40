package books

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// do sends one request to a fresh server seeded with Seed() and returns the
// response with its body read.
func do(t *testing.T, srv *httptest.Server, method, path, contentType, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, strings.TrimSpace(string(b))
}

func TestHandler(t *testing.T) {
	const jsonCT = "application/json"
	tests := []struct {
		name, method, path, ct, body string
		wantStatus                   int
		wantBody                     string
		wantHeader                   map[string]string
	}{
		{
			name: "health", method: "GET", path: "/healthz",
			wantStatus: 200, wantBody: `{"status":"ok","version":"1.2.3"}`,
		},
		{
			name: "list", method: "GET", path: "/books",
			wantStatus: 200,
			wantBody: `[{"id":1,"title":"The Left Hand of Darkness","author":"Ursula K. Le Guin","year":1969},` +
				`{"id":2,"title":"Things Fall Apart","author":"Chinua Achebe","year":1958},` +
				`{"id":3,"title":"The Master and Margarita","author":"Mikhail Bulgakov","year":1967},` +
				`{"id":4,"title":"Beloved","author":"Toni Morrison","year":1987}]`,
		},
		{
			name: "search", method: "GET", path: "/books?q=the",
			wantStatus: 200,
			wantBody: `[{"id":1,"title":"The Left Hand of Darkness","author":"Ursula K. Le Guin","year":1969},` +
				`{"id":3,"title":"The Master and Margarita","author":"Mikhail Bulgakov","year":1967}]`,
		},
		{
			name: "search by author, limited", method: "GET", path: "/books?q=MORRISON&limit=1",
			wantStatus: 200, wantBody: `[{"id":4,"title":"Beloved","author":"Toni Morrison","year":1987}]`,
		},
		{
			name: "search nothing", method: "GET", path: "/books?q=zzz",
			wantStatus: 200, wantBody: `[]`,
		},
		{
			name: "bad limit", method: "GET", path: "/books?limit=abc",
			wantStatus: 400, wantBody: `{"error":"limit must be an integer from 1 to 1000"}`,
		},
		{
			name: "get", method: "GET", path: "/books/2",
			wantStatus: 200, wantBody: `{"id":2,"title":"Things Fall Apart","author":"Chinua Achebe","year":1958}`,
		},
		{
			name: "get missing", method: "GET", path: "/books/99",
			wantStatus: 404, wantBody: `{"error":"book not found"}`,
		},
		{
			name: "get bad id", method: "GET", path: "/books/abc",
			wantStatus: 400, wantBody: `{"error":"book id must be a positive integer"}`,
		},
		{
			name: "create", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"title":"Kindred","author":"Octavia E. Butler","year":1979}`,
			wantStatus: 201, wantBody: `{"id":5,"title":"Kindred","author":"Octavia E. Butler","year":1979}`,
			wantHeader: map[string]string{"Location": "/books/5"},
		},
		{
			name: "create without content type", method: "POST", path: "/books",
			body:       `{"title":"Kindred","author":"Octavia E. Butler"}`,
			wantStatus: 201, wantBody: `{"id":5,"title":"Kindred","author":"Octavia E. Butler"}`,
		},
		{
			name: "create missing fields", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"year":1979}`,
			wantStatus: 400, wantBody: `{"error":"invalid book","details":["title is required","author is required"]}`,
		},
		{
			name: "create bad year", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"title":"T","author":"A","year":99999}`,
			wantStatus: 400,
		},
		{
			name: "create malformed", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"title":`,
			wantStatus: 400, wantBody: `{"error":"malformed JSON: unexpected EOF"}`,
		},
		{
			name: "create unknown field", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"title":"T","author":"A","isbn":"x"}`,
			wantStatus: 400, wantBody: `{"error":"malformed JSON: json: unknown field \"isbn\""}`,
		},
		{
			name: "create empty", method: "POST", path: "/books", ct: jsonCT,
			wantStatus: 400, wantBody: `{"error":"body is empty; send a JSON object"}`,
		},
		{
			name: "create two objects", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"title":"T","author":"A"}{}`,
			wantStatus: 400, wantBody: `{"error":"body must hold a single JSON object"}`,
		},
		{
			name: "create too large", method: "POST", path: "/books", ct: jsonCT,
			body:       `{"title":"` + strings.Repeat("x", MaxBodyBytes) + `","author":"A"}`,
			wantStatus: 413, wantBody: `{"error":"body is larger than 65536 bytes"}`,
		},
		{
			name: "create wrong content type", method: "POST", path: "/books", ct: "text/plain",
			body:       `{"title":"T","author":"A"}`,
			wantStatus: 415, wantBody: `{"error":"content type must be application/json"}`,
		},
		{
			name: "delete", method: "DELETE", path: "/books/1",
			wantStatus: 204, wantBody: ``,
		},
		{
			name: "delete missing", method: "DELETE", path: "/books/99",
			wantStatus: 404, wantBody: `{"error":"book not found"}`,
		},
		{
			name: "delete bad id", method: "DELETE", path: "/books/0",
			wantStatus: 400, wantBody: `{"error":"book id must be a positive integer"}`,
		},
		{
			name: "method not allowed", method: "PUT", path: "/books",
			wantStatus: 405, wantBody: `{"error":"Method Not Allowed"}`,
			wantHeader: map[string]string{"Allow": "GET, HEAD, POST", "Content-Type": jsonCT},
		},
		{
			name: "unknown path", method: "GET", path: "/nope",
			wantStatus: 404, wantBody: `{"error":"Not Found"}`,
			wantHeader: map[string]string{"Content-Type": jsonCT},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(Handler(NewStore(Seed()...), "1.2.3"))
			defer srv.Close()
			resp, body := do(t, srv, tt.method, tt.path, tt.ct, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantBody != "" || tt.wantStatus == http.StatusNoContent {
				if body != tt.wantBody {
					t.Errorf("body = %s\nwant   %s", body, tt.wantBody)
				}
			}
			if tt.wantStatus != http.StatusNoContent {
				if ct := resp.Header.Get("Content-Type"); ct != jsonCT {
					t.Errorf("Content-Type = %q, want %q", ct, jsonCT)
				}
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestDeleteThenGet checks that the routes share one store.
func TestDeleteThenGet(t *testing.T) {
	srv := httptest.NewServer(Handler(NewStore(Seed()...), "dev"))
	defer srv.Close()
	if resp, _ := do(t, srv, "DELETE", "/books/3", "", ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE status = %d", resp.StatusCode)
	}
	if resp, _ := do(t, srv, "GET", "/books/3", "", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET after DELETE status = %d, want 404", resp.StatusCode)
	}
	resp, _ := do(t, srv, "POST", "/books", "application/json", `{"title":"T","author":"A"}`)
	if loc := resp.Header.Get("Location"); loc != "/books/5" {
		t.Fatalf("Location = %q, want /books/5", loc)
	}
	if resp, body := do(t, srv, "GET", "/books/5", "", ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"title":"T"`) {
		t.Fatalf("GET created book = %d %s", resp.StatusCode, body)
	}
}
