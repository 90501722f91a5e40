package iac

import (
	"bytes"
	"strings"

	"github.com/sluice-ci/sluice/internal/scan"
)

// suppressed says whether a finding of r at line in d is turned off by
// the source itself; such a finding is still reported, marked
// InlineIgnored, and the gate's policy decides whether it counts:
//
//   - by an annotation of the document (Kubernetes; see annotationSkips);
//   - by a marker on the finding's line, or in the comment lines right
//     above it (no blank line between);
//   - by a marker on the first line of the block or document, or in the
//     comment lines right above it;
//   - by a Checkov skip comment anywhere inside the block, as Checkov
//     reads them.
//
// Markers: "sluice:ignore" (bare, or naming the scanner, the rule id or
// any of its aliases: CKV_AWS_20, AVD-AWS-0092 …), "checkov:skip=CKV_…",
// "tfsec:ignore:<tfsec id or AVD id>" and "trivy:ignore:<AVD id>".
func suppressed(scanner string, r *rule, d *document, line int) bool {
	if d.skip["*"] || d.skip[r.id] {
		return true
	}
	for _, a := range r.aliases() {
		if d.skip[a] {
			return true
		}
	}
	f := d.file
	if f.style == noComments || !f.hasMarkers() {
		return false
	}
	for _, at := range []int{line, d.span.start} {
		if lineMarked(f.line(at), scanner, r) {
			return true
		}
		for n := at - 1; n >= 1 && f.isComment(n); n-- {
			if lineMarked(f.line(n), scanner, r) {
				return true
			}
		}
	}
	if len(r.checkov) > 0 {
		for n := d.span.start; n <= d.span.end; n++ {
			if checkovSkipped(f.line(n), r) {
				return true
			}
		}
	}
	return false
}

// lineMarked says whether one line carries a marker for r.
func lineMarked(l []byte, scanner string, r *rule) bool {
	if len(l) == 0 {
		return false
	}
	if bytes.Contains(l, []byte(scan.IgnoreMarker)) {
		if scan.InlineIgnored(l, scanner, r.id) {
			return true
		}
		for _, a := range r.aliases() {
			if scan.InlineIgnored(l, scanner, a) {
				return true
			}
		}
	}
	if checkovSkipped(l, r) {
		return true
	}
	for _, m := range []string{"tfsec:ignore:", "trivy:ignore:"} {
		for rest := l; ; {
			i := bytes.Index(rest, []byte(m))
			if i < 0 {
				break
			}
			rest = rest[i+len(m):]
			id := markerWord(rest)
			// tfsec allows an expiry: tfsec:ignore:<id>:exp:2025-01-01.
			id, _, _ = strings.Cut(id, ":exp:")
			if matchesAny(id, r.tfsec, r.avd) {
				return true
			}
		}
	}
	return false
}

// checkovSkipped says whether a line holds checkov:skip=<id> for one of
// r's Checkov ids.
func checkovSkipped(l []byte, r *rule) bool {
	const m = "checkov:skip="
	for rest := l; ; {
		i := bytes.Index(rest, []byte(m))
		if i < 0 {
			return false
		}
		rest = rest[i+len(m):]
		id, _, _ := strings.Cut(markerWord(rest), ":")
		id = strings.TrimRight(id, ",")
		if matchesAny(id, r.checkov) {
			return true
		}
	}
}

// markerWord returns the text up to the next blank.
func markerWord(b []byte) string {
	if i := bytes.IndexAny(b, " \t"); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func matchesAny(id string, lists ...[]string) bool {
	if id == "" {
		return false
	}
	for _, l := range lists {
		for _, x := range l {
			if strings.EqualFold(id, x) {
				return true
			}
		}
	}
	return false
}
