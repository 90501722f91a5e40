package clean

import (
	"context"
	"net/http"
	"os/exec"
	"time"
)

const statusURL = "https://status.example.com/health"

// Fetch requests a fixed URL.
func Fetch(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, statusURL, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// Serve listens with timeouts.
func Serve(addr string, h http.Handler) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return srv.ListenAndServe()
}

// Run runs a fixed command.
func Run(ctx context.Context) ([]byte, error) {
	return exec.CommandContext(ctx, "uname", "-a").Output()
}
