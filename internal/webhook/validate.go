package webhook

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on names taken from payloads. They are far above what the providers
// allow and only keep hostile input from reaching logs and the store whole.
const (
	maxRefLen      = 1024
	maxRepoLen     = 1024
	maxURLLen      = 2048
	maxDeliveryLen = 128
	maxActorLen    = 255
	maxRepoDepth   = 21 // GitLab nests groups up to 20 deep
)

// zeroSHA reports whether s is the all-zero SHA that marks a created or
// deleted ref.
func zeroSHA(s string) bool {
	return (len(s) == 40 || len(s) == 64) && strings.Trim(s, "0") == ""
}

// normCommit checks that s is a full commit SHA (40 hex digits for SHA-1, 64
// for SHA-256) and not the zero SHA, and returns it in lowercase.
func normCommit(field, s string) (string, error) {
	if len(s) != 40 && len(s) != 64 {
		return "", fmt.Errorf("%w: %s %q is not a full commit SHA (40 or 64 hex digits)", ErrInvalidPayload, field, clip(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", fmt.Errorf("%w: %s %q is not hexadecimal", ErrInvalidPayload, field, clip(s))
		}
	}
	if zeroSHA(s) {
		return "", fmt.Errorf("%w: %s is the zero SHA, which names no commit", ErrInvalidPayload, field)
	}
	return strings.ToLower(s), nil
}

// checkRef checks a full ref name ("refs/...") against git's
// check-ref-format rules, and also refuses a component starting with '-', so
// that a ref can never be mistaken for a command-line option.
func checkRef(field, ref string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s %q is not a valid git ref: %s", ErrInvalidPayload, field, clip(ref), why)
	}
	switch {
	case len(ref) > maxRefLen:
		return bad(fmt.Sprintf("longer than %d bytes", maxRefLen))
	case !strings.HasPrefix(ref, "refs/"):
		return bad(`does not start with "refs/"`)
	case !utf8.ValidString(ref):
		return bad("not UTF-8")
	case strings.Contains(ref, ".."), strings.Contains(ref, "@{"):
		return bad(`contains ".." or "@{"`)
	case strings.HasSuffix(ref, "."):
		return bad(`ends with "."`)
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return bad(fmt.Sprintf("contains %q", r))
		}
	}
	for _, c := range strings.Split(ref, "/") {
		switch {
		case c == "":
			return bad("has an empty component")
		case c[0] == '.', c[0] == '-':
			return bad(`a component starts with "." or "-"`)
		case strings.HasSuffix(c, ".lock"):
			return bad(`a component ends with ".lock"`)
		}
	}
	return nil
}

// checkBranch checks a short branch name by checking refs/heads/<name>.
func checkBranch(field, name string) error {
	if name == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidPayload, field)
	}
	return checkRef(field, "refs/heads/"+name)
}

// checkRepo checks a repository full name: two or more components of
// letters, digits, '.', '_' and '-', none "." or ".." or starting with '-'.
func checkRepo(field, name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s %q is not a repository full name (owner/name): %s", ErrInvalidPayload, field, clip(name), why)
	}
	if name == "" {
		return bad("empty")
	}
	if len(name) > maxRepoLen {
		return bad(fmt.Sprintf("longer than %d bytes", maxRepoLen))
	}
	parts := strings.Split(name, "/")
	if len(parts) < 2 || len(parts) > maxRepoDepth {
		return bad(fmt.Sprintf("has %d components", len(parts)))
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || p[0] == '-' {
			return bad(fmt.Sprintf("component %q", clip(p)))
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return bad(fmt.Sprintf("contains %q", c))
			}
		}
	}
	return nil
}

// checkCloneURL checks that s is an absolute http(s) URL with a host and no
// credentials: a webhook must never point a build at file://, ext:: or a
// local path.
func checkCloneURL(field, s string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s %q is not an http(s) clone URL: %s", ErrInvalidPayload, field, clip(s), why)
	}
	if s == "" {
		return bad("empty")
	}
	if len(s) > maxURLLen {
		return bad(fmt.Sprintf("longer than %d bytes", maxURLLen))
	}
	for _, r := range s {
		if r <= 0x20 || r == 0x7f {
			return bad("contains a space or control character")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("does not parse")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("scheme is not http or https")
	case u.Host == "", u.Hostname() == "":
		return bad("no host")
	case u.User != nil:
		return bad("carries credentials")
	case u.RawQuery != "" || u.Fragment != "":
		return bad("has a query or fragment")
	}
	return nil
}

// checkDeliveryID checks a delivery id header: 1 to 128 characters of
// letters, digits, '-', '_', '.' and ':' (GUIDs, UUIDs, request ids).
func checkDeliveryID(header, id string) error {
	if id == "" {
		return fmt.Errorf("%w: no %s header: a delivery id is needed to refuse replays", ErrInvalidPayload, header)
	}
	if len(id) > maxDeliveryLen {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidPayload, header, maxDeliveryLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return fmt.Errorf("%w: %s %q contains %q", ErrInvalidPayload, header, clip(id), c)
		}
	}
	return nil
}

// checkActor checks a login: free text, but short and printable, since it
// reaches logs and the audit trail.
func checkActor(field, s string) error {
	if len(s) > maxActorLen {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidPayload, field, maxActorLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: %s %q contains the unprintable %U", ErrInvalidPayload, field, clip(s), r)
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return s[:n] + "…"
}
