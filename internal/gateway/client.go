package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

// adminClient talks to admin APIs on loopback: no proxy, short timeouts.
var adminClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second},
	Timeout:   30 * time.Second,
}

// ReadAdmin returns the admin API address and bearer token of the gateway
// serving dir, from AdminFile and TokenFile.
func ReadAdmin(dir string) (addr, token string, err error) {
	data, err := os.ReadFile(filepath.Join(dir, AdminFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("gateway admin address: %s not found; is the gateway running (sluice gateway)?", filepath.Join(dir, AdminFile))
	}
	if err != nil {
		return "", "", fmt.Errorf("gateway admin address: %w", err)
	}
	var info AdminInfo
	if err := json.Unmarshal(data, &info); err != nil || info.Addr == "" {
		return "", "", fmt.Errorf("gateway admin address: %s is not valid; restart the gateway to rewrite it", filepath.Join(dir, AdminFile))
	}
	tok, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if err != nil {
		return "", "", fmt.Errorf("gateway admin token: %w", err)
	}
	return info.Addr, strings.TrimSpace(string(tok)), nil
}

// FetchStats returns the traffic counters of the gateway serving dir.
func FetchStats(ctx context.Context, dir string) (*route.Stats, error) {
	var s route.Stats
	if err := call(ctx, dir, http.MethodGet, "/v1/stats", &s); err != nil {
		return nil, fmt.Errorf("fetch gateway stats: %w", err)
	}
	return &s, nil
}

// FetchSeries returns the time series of environment env (every
// environment when env is "") from the gateway serving dir.
func FetchSeries(ctx context.Context, dir, env string) (*Series, error) {
	var s Series
	if err := call(ctx, dir, http.MethodGet, "/v1/series?env="+url.QueryEscape(env), &s); err != nil {
		return nil, fmt.Errorf("fetch gateway series: %w", err)
	}
	return &s, nil
}

// Reload asks the gateway serving dir to load its routing table now
// instead of at its next poll. It fails when the table is invalid or older
// than the one served; the gateway then keeps its current table.
func Reload(ctx context.Context, dir string) error {
	_, err := ReloadListeners(ctx, dir)
	return err
}

// FetchHealth returns the gateway's health: its table's generation and
// each environment's listener (with why it is not open, if it is not).
func FetchHealth(ctx context.Context, dir string) (*Health, error) {
	var h Health
	if err := call(ctx, dir, http.MethodGet, "/healthz", &h); err != nil {
		return nil, fmt.Errorf("fetch gateway health: %w", err)
	}
	return &h, nil
}

// ReloadListeners is Reload, returning the state of every environment's
// listener once the table applied (an address another program holds is
// an Error there).
func ReloadListeners(ctx context.Context, dir string) (map[string]ListenerStatus, error) {
	var res reloadResult
	if err := call(ctx, dir, http.MethodPost, "/v1/reload", &res); err != nil {
		return nil, fmt.Errorf("reload gateway routing table: %w", err)
	}
	return res.Listeners, nil
}

// call sends an authenticated admin request and decodes a 200 answer into out.
func call(ctx context.Context, dir, method, path string, out any) error {
	addr, token, err := ReadAdmin(dir)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := adminClient.Do(req)
	if err != nil {
		return fmt.Errorf("gateway admin API at %s: %w; is the gateway running?", addr, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("gateway admin API at %s: %w", addr, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("gateway answered %s: %s", res.Status, e.Error)
		}
		return fmt.Errorf("gateway answered %s", res.Status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("gateway admin API at %s: decode answer: %w", addr, err)
	}
	return nil
}
