package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.com:80"} {
		if err := run(context.Background(), []string{"--addr", addr}, io.Discard); err == nil {
			t.Errorf("run --addr %s succeeded, want a refusal", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("checkLoopback(%s) = %v", addr, err)
		}
	}
}

// The simulated vulnerabilities stay inside the fixture folder and never
// run anything.
func TestSimulationsAreConfined(t *testing.T) {
	dir, err := makeFixtures()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := (&app{root: root, public: filepath.Join(dir, "public"), apiKey: "k"}).routes()
	get := func(target string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/download?file=../../../../etc/passwd"); code != 200 || !strings.Contains(body, "vulnapp fixture root") {
		t.Errorf("traversal got %d %q, want the fake passwd", code, body)
	}
	if code, _ := get("/download?file=../../../../etc/hostname"); code != http.StatusNotFound {
		t.Errorf("a file outside the fixture folder answered %d, want 404", code)
	}
	if code, _ := get("/fetch?url=http://192.0.2.1/"); code != http.StatusBadRequest {
		t.Errorf("non-loopback fetch answered %d, want 400", code)
	}
	if _, body := get("/ping?host=1%3Becho%20a'b'c"); !strings.Contains(body, "abc") {
		t.Errorf("ping echo simulation: %q", body)
	}
	if _, body := get("/ping?host=1%3Btouch%20x"); strings.Count(body, "\n") != 1 {
		t.Errorf("ping printed more than its one line: %q", body)
	}
	if code, _ := get("/api/account"); code != http.StatusUnauthorized {
		t.Errorf("/api/account without key answered %d", code)
	}
}
