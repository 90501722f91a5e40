package gateway

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files of the gateway folder besides the routing table.
const (
	// TokenFile holds the admin API's bearer token (hex, mode 0600).
	TokenFile = "admin.token"
	// AdminFile tells other processes where the admin API is (AdminInfo).
	AdminFile = "admin.json"
)

// AdminInfo is the content of AdminFile.
type AdminInfo struct {
	Addr    string    `json:"addr"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Health is the body of GET /healthz.
type Health struct {
	Status     string `json:"status"` // "ok", or "degraded" when a listener is not open
	Generation int64  `json:"generation"`
	// Loaded is false until a routing table file has been applied.
	Loaded    bool                      `json:"loaded"`
	Listeners map[string]ListenerStatus `json:"listeners"`
}

// loadOrCreateToken reads the admin token, creating a random one when the
// file does not exist.
func loadOrCreateToken(dir string) (string, error) {
	path := filepath.Join(dir, TokenFile)
	data, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(data))
		if tok == "" {
			return "", fmt.Errorf("gateway: admin token file %s is empty; delete it to have a new token made", path)
		}
		return tok, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("gateway: read admin token: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("gateway: make admin token: %w", err)
	}
	tok := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return loadOrCreateToken(dir) // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("gateway: create admin token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("gateway: write admin token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("gateway: write admin token: %w", err)
	}
	return tok, nil
}

// writeAdminFile replaces AdminFile atomically.
func writeAdminFile(dir, addr string, started time.Time) error {
	data, err := json.MarshalIndent(AdminInfo{Addr: addr, PID: os.Getpid(), Started: started}, "", "  ")
	if err != nil {
		return fmt.Errorf("gateway: write %s: %w", AdminFile, err)
	}
	tmp, err := os.CreateTemp(dir, "."+AdminFile+"-*")
	if err != nil {
		return fmt.Errorf("gateway: write %s: %w", AdminFile, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, AdminFile))
	}
	if err != nil {
		return fmt.Errorf("gateway: write %s: %w", AdminFile, err)
	}
	return nil
}

// removeAdminFile removes AdminFile at shutdown unless another gateway
// process has taken the folder over since.
func removeAdminFile(dir string) {
	path := filepath.Join(dir, AdminFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var info AdminInfo
	if json.Unmarshal(data, &info) == nil && info.PID == os.Getpid() {
		_ = os.Remove(path)
	}
}

// adminHandler routes the admin API.
func (g *Gateway) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", g.handleHealth)
	mux.Handle("GET /v1/stats", g.auth(http.HandlerFunc(g.handleStats)))
	mux.Handle("GET /v1/series", g.auth(http.HandlerFunc(g.handleSeries)))
	mux.Handle("POST /v1/reload", g.auth(http.HandlerFunc(g.handleReload)))
	mux.Handle("GET /metrics", g.auth(g.metricsHandler()))
	return mux
}

// auth refuses requests without the admin bearer token.
func (g *Gateway) auth(next http.Handler) http.Handler {
	want := []byte("Bearer " + g.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sluice gateway"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{
				"error": "admin token missing or wrong; send Authorization: Bearer <token from " + TokenFile + ">"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Health returns the gateway's health as GET /healthz reports it.
func (g *Gateway) Health() Health {
	h := Health{Status: "ok", Generation: g.Generation(), Loaded: g.loaded.Load(), Listeners: g.Listeners()}
	for _, l := range h.Listeners {
		if l.Error != "" {
			h.Status = "degraded"
		}
	}
	return h
}

func (g *Gateway) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, g.Health())
}

func (g *Gateway) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, g.Stats())
}

// handleSeries answers the time series of the environment ?env= names,
// or of every environment.
func (g *Gateway) handleSeries(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, g.Series(r.URL.Query().Get("env"), time.Now()))
}

// reloadResult is the body of POST /v1/reload.
type reloadResult struct {
	Generation int64  `json:"generation"`
	Error      string `json:"error,omitempty"`
	// Listeners are the environments' listeners once the table applied:
	// a deployer learns at once that an address is taken.
	Listeners map[string]ListenerStatus `json:"listeners,omitempty"`
}

func (g *Gateway) handleReload(w http.ResponseWriter, _ *http.Request) {
	gen, err := g.reload(true)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, reloadResult{Generation: gen, Listeners: g.Listeners()})
	case errors.Is(err, errNoTable):
		writeJSON(w, http.StatusNotFound, reloadResult{Generation: gen, Error: err.Error()})
	case errors.Is(err, errStale):
		writeJSON(w, http.StatusConflict, reloadResult{Generation: gen, Error: err.Error()})
	case errors.Is(err, errInvalid):
		writeJSON(w, http.StatusUnprocessableEntity, reloadResult{Generation: gen, Error: err.Error()})
	default:
		writeJSON(w, http.StatusInternalServerError, reloadResult{Generation: gen, Error: err.Error()})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
