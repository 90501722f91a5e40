package scan

import (
	"bytes"
	"regexp"
	"strings"
)

// IgnoreMarker is the inline comment that turns findings on its line
// off. Scanners do not drop such findings: they report them marked
// InlineIgnored, and the gate's policy decides whether the marker counts.
const IgnoreMarker = "sluice:ignore"

// gitleaksMarker is gitleaks' inline marker, honoured by the secrets
// scanner so that code already annotated for gitleaks stays quiet.
const gitleaksMarker = "gitleaks:allow"

// markerScopes are the words that may follow IgnoreMarker to narrow it to
// some scanners; any other word starts a free-text comment and leaves the
// marker applying to every scanner.
var markerScopes = map[string]bool{
	"secrets": true, "deps": true, "dockerfile": true, "terraform": true, "kubernetes": true,
	"gosec": true, "sast": true, "iac": true, "image": true, "container": true,
}

// InlineIgnored says whether a line of source carries a marker that
// suppresses findings of scanner (rule ruleID) on it:
//
//	password = "…"  # sluice:ignore                 every scanner
//	password = "…"  # sluice:ignore secrets         the secrets scanner only
//	password = "…"  # sluice:ignore secrets,deps    either of them
//	password = "…"  # sluice:ignore generic-secret  one rule only
//	password = "…"  # sluice:ignore test fixture    every scanner; "test fixture" is a comment
//	password = "…"  # gitleaks:allow                the secrets scanner
//
// The word after the marker narrows it when each of its comma-separated
// parts is a scanner name or looks like a rule id (lowercase words joined
// by hyphens, like generic-secret, or letters then digits, like DL3008 or
// G101); any other word starts a free-text comment.
func InlineIgnored(line []byte, scanner, ruleID string) bool {
	if scanner == "secrets" && bytes.Contains(line, []byte(gitleaksMarker)) {
		return true
	}
	for rest := line; ; {
		i := bytes.Index(rest, []byte(IgnoreMarker))
		if i < 0 {
			return false
		}
		rest = rest[i+len(IgnoreMarker):]
		if len(rest) > 0 && isWordByte(rest[0]) {
			continue // "sluice:ignored" is not the marker
		}
		if markerApplies(rest, scanner, ruleID) {
			return true
		}
	}
}

// markerApplies reads the optional scope after a marker.
func markerApplies(rest []byte, scanner, ruleID string) bool {
	word := strings.TrimLeft(string(rest), " \t")
	if end := strings.IndexAny(word, " \t"); end >= 0 {
		word = word[:end]
	}
	if word == "" {
		return true
	}
	parts := strings.Split(word, ",")
	for _, p := range parts {
		if !markerScopes[p] && p != ruleID && !ruleIDLike.MatchString(p) {
			return true // not a scope: a comment follows the marker
		}
	}
	for _, p := range parts {
		if p == scanner || p == ruleID {
			return true
		}
	}
	return false
}

// ruleIDLike matches the rule ids of sluice's scanners and of the tools
// it adapts.
var ruleIDLike = regexp.MustCompile(`^(?:[a-z0-9]+(?:-[a-z0-9]+)+|[A-Z]{1,8}[0-9]{2,6}|CKV2?_[A-Z0-9_]+)$`)

func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}
