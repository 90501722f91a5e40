package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/diag"
)

// headerPattern is an HTTP header name (an RFC 9110 token).
var headerPattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// sha256Hint says how to get the value of an API key's sha256 without
// writing the key anywhere.
const sha256Hint = "write the sha256 of the key, e.g. printf %s KEY | sha256sum; never the key itself"

// plaintextKeys are names under which a key itself might be written into
// an API key entry. They get their own error: the file is committed, so
// the key has leaked and must be replaced.
var plaintextKeys = []string{"key", "api_key", "apikey", "secret", "token", "value", "password", "plaintext"}

// auth reads auth: API keys and request signatures per route.
func (d *decoder) auth(v val) *Auth {
	es, ok := d.object(v, "auth")
	if !ok {
		return nil
	}
	a := &Auth{}
	for _, e := range es {
		switch e.key {
		case "mode":
			a.Mode = d.enum(e.val, "auth mode", EdgeModes)
		case "routes":
			if isEmptyList(e.n) {
				d.errorf(e.pos, e.path, routesHint, "routes is empty")
			}
			a.Routes = d.authRoutes(e.val)
		case "nonce_cache_size":
			a.NonceCacheSize = d.intHint(e.val, 1, maxCount, "the number of nonces remembered against replays, e.g. 100000 (the default)")
		}
	}
	d.need(v, es, "auth", "mode", modeHint)
	if edgeOn(a.Mode) {
		d.need(v, es, "auth", "routes", routesHint)
	}
	return a
}

const routesHint = "add routes: [{ path_prefix: /api/, keys: [{ id: ci, sha256: ... }] }]"

func (d *decoder) authRoutes(v val) []AuthRoute {
	items, _ := d.list(v)
	out := make([]AuthRoute, 0, len(items))
	seen := map[string]diag.Pos{}
	for _, it := range items {
		es, ok := d.object(it, "auth_route")
		if !ok {
			continue
		}
		var r AuthRoute
		for _, e := range es {
			switch e.key {
			case "path_prefix":
				r.PathPrefix = d.routePrefix(e.val, seen)
			case "header":
				r.Header = d.str(e.val)
				if !headerPattern.MatchString(r.Header) {
					d.errorf(e.pos, e.path, "write a header name like X-Api-Key", "invalid header name %q", r.Header)
				}
			case "keys":
				if isEmptyList(e.n) {
					d.errorf(e.pos, e.path, "list the accepted keys: [{ id: ci, sha256: ... }]", "keys is empty")
				}
				r.Keys = d.apiKeys(e.val)
			case "require_signature":
				r.RequireSignature = d.boolean(e.val)
			case "window":
				r.Window = d.window(e.val, false)
			case "max_body_bytes":
				r.MaxBodyBytes = int64(d.intHint(e.val, 1, maxBodyLimit, "a number of bytes, e.g. 1048576 (1 MiB, the default)"))
			}
		}
		d.need(it, es, "route", "path_prefix", "add path_prefix: /api/")
		d.need(it, es, "route", "keys", "add keys: [{ id: ci, sha256: ... }]")
		out = append(out, r)
	}
	return out
}

// apiKeys reads the keys of a route: an id and the key's SHA-256 each.
func (d *decoder) apiKeys(v val) []APIKey {
	items, _ := d.list(v)
	out := make([]APIKey, 0, len(items))
	ids := map[string]diag.Pos{}
	for _, it := range items {
		es, ok := d.entries(it, "key")
		if !ok {
			continue
		}
		// A key written in the clear is reported (without its value) before
		// the unknown-key check, which would only suggest a spelling.
		es = slices.DeleteFunc(es, func(e entry) bool {
			if !slices.Contains(plaintextKeys, strings.ToLower(e.key)) {
				return false
			}
			d.errorf(e.keyPos, e.path, "write only sha256: the key's SHA-256 (printf %s KEY | sha256sum); replace the key, it is in the file's history",
				"API keys are never written in sluice.yaml")
			return true
		})
		es = d.known(es, "api_key")
		var k APIKey
		for _, e := range es {
			switch e.key {
			case "id":
				k.ID = d.str(e.val)
				if k.ID == "" {
					d.errorf(e.pos, e.path, "name the key, e.g. ci or partner-acme", "id is empty")
				} else if first, dup := ids[k.ID]; dup {
					d.errorf(e.pos, e.path, fmt.Sprintf("first used at line %d", first.Line), "key id %q is used twice", k.ID)
				} else {
					ids[k.ID] = e.pos
				}
			case "sha256":
				k.SHA256 = d.keyHash(e.val)
			}
		}
		d.need(it, es, "key", "id", "add id: a name for the key in logs, e.g. ci")
		d.need(it, es, "key", "sha256", "add sha256: the sha256 of the key, e.g. printf %s KEY | sha256sum")
		out = append(out, k)
	}
	return out
}

// keyHash reads the SHA-256 of an API key: 64 lowercase hex characters.
// The value is never quoted in a message: it may be the key itself.
func (d *decoder) keyHash(v val) string {
	s, ok := scalarText(v.n)
	if !ok {
		d.errorf(v.pos, v.path, sha256Hint, "expected a string, got %s", kindOf(v.n))
		return ""
	}
	switch {
	case len(s) == 64 && isHex(s) && strings.ToLower(s) == s:
		return s
	case len(s) == 64 && isHex(s):
		d.errorf(v.pos, v.path, "write it in lower case", "sha256 is not lower case")
	case s == "":
		d.errorf(v.pos, v.path, sha256Hint, "sha256 is empty")
	default:
		d.errorf(v.pos, v.path, sha256Hint, "sha256 must be 64 lowercase hex characters (got %d characters)", len([]rune(s)))
	}
	return ""
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
