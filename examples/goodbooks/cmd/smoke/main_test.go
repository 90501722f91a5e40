package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-ci/sluice/examples/goodbooks/internal/books"
)

func realAPI() http.Handler { return books.Handler(books.NewStore(books.Seed()...), "test") }

func TestSmokePasses(t *testing.T) {
	srv := httptest.NewServer(realAPI())
	defer srv.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--url", srv.URL + "/"}, &out, io.Discard); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	for _, want := range []string{"ok   GET /healthz (version test)", "ok   POST /books -> /books/5", "ok   DELETE /books/5", "all checks passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSmokeAddrFile(t *testing.T) {
	srv := httptest.NewServer(realAPI())
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "addr")
	go func() {
		time.Sleep(100 * time.Millisecond)
		os.WriteFile(path, []byte(strings.TrimPrefix(srv.URL, "http://")+"\n"), 0o600)
	}()
	if err := run(context.Background(), []string{"--addr-file", path, "--timeout", "10s"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("run() = %v", err)
	}
}

// breaks wraps the real API and overrides one route with a faulty answer.
func breaks(method, path string, h http.HandlerFunc) http.Handler {
	api := realAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == method && strings.HasPrefix(r.URL.Path, path) {
			h(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

func TestSmokeFails(t *testing.T) {
	tests := []struct {
		name    string
		handler http.Handler
		wantErr string
	}{
		{"unhealthy", breaks("GET", "/healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}), "server not healthy"},
		{"create fails", breaks("POST", "/books", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}), "POST /books: status 500, want 201"},
		{"no location", breaks("POST", "/books", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":7,"title":"x","author":"y"}`)
		}), `Location "" does not match id 7`},
		{"bad json", breaks("POST", "/books", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `not json`)
		}), "decode reply"},
		{"wrong book", breaks("GET", "/books/", func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, `{"id":5,"title":"Other","author":"Someone"}`)
		}), "GET /books/5: got"},
		{"delete ignored", breaks("DELETE", "/books/", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}), "GET deleted /books/5: status 200, want 404"},
		{"delete fails", breaks("DELETE", "/books/", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		}), "DELETE /books/5: status 403, want 204"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			err := run(context.Background(), []string{"--url", srv.URL, "--timeout", "500ms"}, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSmokeAcceptsInvalidBook(t *testing.T) {
	api := realAPI()
	// A server that skips validation: it answers 201 to a book without a title.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == "POST" && strings.Contains(string(body), `"title":""`) {
			w.Header().Set("Location", "/books/99")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":99}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()
	err := run(context.Background(), []string{"--url", srv.URL}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "POST invalid book: status 201, want 400") {
		t.Fatalf("run() = %v, want invalid-book error", err)
	}
}

func TestSmokeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"neither", nil, "exactly one of"},
		{"both", []string{"--url", "http://x", "--addr-file", "f"}, "exactly one of"},
		{"unknown", []string{"--nope"}, "parse flags"},
		{"no addr file", []string{"--addr-file", "/nonexistent/addr", "--timeout", "100ms"}, "wait for address"},
		{"help", []string{"-h"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, io.Discard, io.Discard)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("run() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
