package edge

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
)

// refusal is the JSON body of every refused request.
type refusal struct {
	Error     string `json:"error"`
	Layer     Layer  `json:"layer"`
	RequestID string `json:"request_id"`
}

// refuse writes a refusal. retryAfter > 0 sets Retry-After (seconds).
func refuse(w http.ResponseWriter, status int, layer Layer, id, msg string, retryAfter int64) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set(RequestIDHeader, id)
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(retryAfter, 10))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(refusal{Error: msg, Layer: layer, RequestID: id})
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// validRequestID accepts 1 to 128 characters of A-Z, a-z, 0-9, '-', '_',
// '.' and ':', so a forwarded id cannot inject into logs or headers.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
