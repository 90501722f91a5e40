package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// checker runs the smoke checks against one server.
type checker struct {
	client *http.Client
	base   string
	out    io.Writer
}

// book mirrors the API's book object.
type book struct {
	ID     int64  `json:"id,omitempty"` // set by the server, never sent
	Title  string `json:"title"`
	Author string `json:"author"`
	Year   int    `json:"year,omitempty"`
}

// waitHealthy polls GET /healthz until it answers 200 with status ok.
func (c *checker) waitHealthy(ctx context.Context) error {
	var last error
	for {
		var h struct{ Status, Version string }
		status, _, err := c.do(ctx, http.MethodGet, "/healthz", nil, &h)
		switch {
		case err != nil:
			last = err
		case status != http.StatusOK || h.Status != "ok":
			last = fmt.Errorf("GET /healthz: status %d, body status %q", status, h.Status)
		default:
			fmt.Fprintf(c.out, "ok   GET /healthz (version %s)\n", h.Version)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not healthy: %w (last: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// crud creates a book, reads it back, deletes it and checks that it is gone,
// and that an invalid book is refused.
func (c *checker) crud(ctx context.Context) error {
	want := book{Title: "The Dispossessed", Author: "Ursula K. Le Guin", Year: 1974}
	var created book
	status, hdr, err := c.do(ctx, http.MethodPost, "/books", want, &created)
	if err := expect("POST /books", status, http.StatusCreated, err); err != nil {
		return err
	}
	loc := hdr.Get("Location")
	if loc != fmt.Sprintf("/books/%d", created.ID) || created.ID == 0 {
		return fmt.Errorf("POST /books: Location %q does not match id %d", loc, created.ID)
	}
	fmt.Fprintf(c.out, "ok   POST /books -> %s\n", loc)

	var got book
	status, _, err = c.do(ctx, http.MethodGet, loc, nil, &got)
	if err := expect("GET "+loc, status, http.StatusOK, err); err != nil {
		return err
	}
	want.ID = created.ID
	if got != want {
		return fmt.Errorf("GET %s: got %+v, want %+v", loc, got, want)
	}
	fmt.Fprintf(c.out, "ok   GET %s\n", loc)

	status, _, err = c.do(ctx, http.MethodDelete, loc, nil, nil)
	if err := expect("DELETE "+loc, status, http.StatusNoContent, err); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "ok   DELETE %s\n", loc)

	status, _, err = c.do(ctx, http.MethodGet, loc, nil, nil)
	if err := expect("GET deleted "+loc, status, http.StatusNotFound, err); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "ok   GET %s after delete -> 404\n", loc)

	status, _, err = c.do(ctx, http.MethodPost, "/books", map[string]string{"title": ""}, nil)
	if err := expect("POST invalid book", status, http.StatusBadRequest, err); err != nil {
		return err
	}
	fmt.Fprintln(c.out, "ok   POST invalid book -> 400")
	return nil
}

// expect turns a transport error or an unexpected status into an error.
func expect(what string, status, want int, err error) error {
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s: status %d, want %d", what, status, want)
	}
	return nil
}

// do sends body (if any) as JSON and decodes a JSON reply into out (if any).
func (c *checker) do(ctx context.Context, method, path string, body, out any) (int, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: decode reply: %w", method, path, err)
		}
	}
	return resp.StatusCode, resp.Header, nil
}
