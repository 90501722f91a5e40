package books

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes bounds the size of a request body.
const MaxBodyBytes = 64 << 10

// Health is the body of GET /healthz.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error   string   `json:"error"`
	Details []string `json:"details,omitempty"`
}

// Handler returns the goodbooks HTTP API backed by s. version is reported by
// GET /healthz. Unknown paths and wrong methods get JSON 404 and 405 bodies.
func Handler(s *Store, version string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /books", handleList(s))
	mux.HandleFunc("GET /books/{id}", handleGet(s))
	mux.HandleFunc("POST /books", handleCreate(s, time.Now))
	mux.HandleFunc("DELETE /books/{id}", handleDelete(s))
	mux.HandleFunc("GET /healthz", handleHealth(version))
	return jsonErrors(mux)
}

func handleHealth(version string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, Health{Status: "ok", Version: version})
	}
}

// MaxLimit is the largest page GET /books returns.
const MaxLimit = 1000

// handleList lists the books, oldest first: those whose title or author
// contains q (any case) when q is given, at most limit of them.
func handleList(s *Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit := MaxLimit
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be an integer from 1 to %d", MaxLimit))
				return
			}
			limit = n
		}
		q := strings.ToLower(r.URL.Query().Get("q"))
		out := []Book{}
		for _, b := range s.List() {
			if len(out) == limit {
				break
			}
			if q == "" || strings.Contains(strings.ToLower(b.Title), q) || strings.Contains(strings.ToLower(b.Author), q) {
				out = append(out, b)
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func handleGet(s *Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		b, err := s.Get(id)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	}
}

func handleCreate(s *Store, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "content type must be application/json")
				return
			}
		}
		in, status, err := decodeInput(w, r)
		if err != nil {
			writeError(w, status, err.Error())
			return
		}
		if err := in.Validate(now()); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				writeJSON(w, http.StatusBadRequest, ErrorBody{Error: "invalid book", Details: ve.Problems})
				return
			}
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		b := s.Create(in)
		w.Header().Set("Location", "/books/"+strconv.FormatInt(b.ID, 10))
		writeJSON(w, http.StatusCreated, b)
	}
}

// decodeInput reads exactly one JSON object of at most MaxBodyBytes from the
// body, rejecting unknown fields. On error it also returns the status to send.
func decodeInput(w http.ResponseWriter, r *http.Request) (Input, int, error) {
	var in Input
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return in, http.StatusRequestEntityTooLarge, fmt.Errorf("body is larger than %d bytes", tooBig.Limit)
		}
		if errors.Is(err, io.EOF) {
			return in, http.StatusBadRequest, errors.New("body is empty; send a JSON object")
		}
		return in, http.StatusBadRequest, fmt.Errorf("malformed JSON: %w", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return in, http.StatusBadRequest, errors.New("body must hold a single JSON object")
	}
	return in, 0, nil
}

func handleDelete(s *Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		if err := s.Delete(id); err != nil {
			writeStoreError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// pathID parses the {id} path value; on failure it writes a 400 and returns false.
func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "book id must be a positive integer")
		return 0, false
	}
	return id, true
}

// writeStoreError maps store errors to HTTP statuses, in this one place.
func writeStoreError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, ErrNotFound.Error())
		return
	}
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

// writeJSON sends v as the JSON body. An encoding error means the client went
// away mid-response; there is nobody left to tell, so it is dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
