package spec

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// The limits the gateway's WAF accepts (internal/gateway/edge/waf.go):
// the parser checks the same, so a file it accepts deploys.
var (
	ruleIDPattern = regexp.MustCompile(`^[0-9]{1,9}(-[0-9]{1,9})?$`)
	// A WAF path prefix is written into a rule of the WAF's own language,
	// so it holds only URL path characters.
	wafPathPattern = regexp.MustCompile(`^/[A-Za-z0-9/._~%!$&'()*+,;=:@-]*$`)
	mimePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
	methodPattern  = regexp.MustCompile(`^[A-Z]{1,20}$`)
)

const (
	maxCount      = 1<<31 - 1 // counts and thresholds
	maxBodyLimit  = 1 << 30   // body bytes held in memory: 1 GiB
	ruleIDHint    = "write a CRS rule id like 942100 or an inclusive range like 942100-942199"
	thresholdHint = "the anomaly score that refuses: 1 or more; one critical rule match scores 5"
)

// waf reads waf: enforce or a mapping of the WAF's options.
func (d *decoder) waf(v val) *WAF {
	w := &WAF{}
	if _, ok := scalarText(v.n); ok && !isNull(v.n) {
		w.Mode = d.enum(v, "WAF mode", WAFModes)
		return w
	}
	es, ok := d.object(v, "waf")
	if !ok {
		return nil
	}
	for _, e := range es {
		switch e.key {
		case "mode":
			w.Mode = d.enum(e.val, "WAF mode", WAFModes)
		case "paranoia_level":
			w.ParanoiaLevel = d.intHint(e.val, 1, 4, "use 1 (the default) to 4: each level enables more rules, and more false positives")
		case "anomaly_threshold":
			w.AnomalyInbound = d.intHint(e.val, 1, 10_000, thresholdHint)
		case "outbound_anomaly_threshold":
			w.AnomalyOutbound = d.intHint(e.val, 1, 10_000, thresholdHint)
		case "remove_rules":
			w.RemoveRules = d.ruleIDs(e.val)
		case "path_exclusions":
			w.PathExclusions = d.wafExclusions(e.val)
		case "inspect_request_body":
			b := d.boolean(e.val)
			w.InspectRequestBody = &b
		case "request_body_limit":
			w.RequestBodyLimit = d.intHint(e.val, 1, maxBodyLimit, "a number of bytes, e.g. 131072 (128 KiB, the default)")
		case "request_body_oversize":
			w.RequestBodyOversize = d.enum(e.val, "oversize action", WAFOversizeActions)
		case "inspect_response_body":
			w.InspectResponseBody = d.boolean(e.val)
		case "response_body_limit":
			w.ResponseBodyLimit = d.intHint(e.val, 1, maxBodyLimit, "a number of bytes, e.g. 524288 (512 KiB, the default)")
		case "response_mime_types":
			w.ResponseMIMETypes = d.patternList(e.val, mimePattern, "media type",
				"write a lower-case type/subtype like application/json, without parameters")
		case "allowed_methods":
			w.AllowedMethods = d.patternList(e.val, methodPattern, "HTTP method", "write an upper-case method like GET or PATCH")
		}
	}
	d.need(v, es, "waf", "mode", modeHint)
	return w
}

// modeHint is the hint for an edge protection's mapping without mode:
// the gateway would leave the protection off, which a file that
// configures it never means.
const modeHint = "add mode: enforce (or off, detect, monitor)"

// ruleIDs reads a list of CRS rule ids and ranges. Numbers are accepted
// as written (remove_rules: [920350]).
func (d *decoder) ruleIDs(v val) []string {
	var out []string
	for _, it := range d.strItems(v, true) {
		if !ruleIDPattern.MatchString(it.s) {
			d.errorf(it.pos, it.path, ruleIDHint, "invalid rule id %q", it.s)
			continue
		}
		if lo, hi, isRange := strings.Cut(it.s, "-"); isRange {
			a, _ := strconv.Atoi(lo)
			b, _ := strconv.Atoi(hi)
			if a > b {
				d.errorf(it.pos, it.path, "write the lower id first: "+hi+"-"+lo, "rule id range %q is backwards", it.s)
				continue
			}
		}
		out = append(out, it.s)
	}
	return out
}

func (d *decoder) wafExclusions(v val) []WAFExclusion {
	items, _ := d.list(v)
	out := make([]WAFExclusion, 0, len(items))
	for _, it := range items {
		es, ok := d.object(it, "waf_exclusion")
		if !ok {
			continue
		}
		var x WAFExclusion
		for _, e := range es {
			switch e.key {
			case "path_prefix":
				x.PathPrefix = d.str(e.val)
				if !wafPathPattern.MatchString(x.PathPrefix) {
					d.errorf(e.pos, e.path, "start with / and use only URL path characters (percent-encode the others)",
						"invalid path prefix %q", x.PathPrefix)
				}
			case "rule_ids":
				if isEmptyList(e.n) {
					d.errorf(e.pos, e.path, "list the CRS rule ids to turn off under this path, e.g. [942100]", "rule_ids is empty")
				}
				x.RuleIDs = d.ruleIDs(e.val)
			}
		}
		d.need(it, es, "path exclusion", "path_prefix", "add path_prefix: /api/search")
		d.need(it, es, "path exclusion", "rule_ids", "add rule_ids: [942100]")
		out = append(out, x)
	}
	return out
}

// patternList reads a list of strings that must each match re.
func (d *decoder) patternList(v val, re *regexp.Regexp, what, hint string) []string {
	var out []string
	for _, it := range d.strItems(v, true) {
		if !re.MatchString(it.s) {
			d.errorf(it.pos, it.path, hint, "invalid %s %q", what, it.s)
			continue
		}
		out = append(out, it.s)
	}
	return out
}

// need reports a mapping (what, e.g. "route") without key.
func (d *decoder) need(v val, es []entry, what, key, hint string) {
	for _, e := range es {
		if e.key == key {
			return
		}
	}
	d.errorf(v.pos, v.path, hint, "%s has no %s", what, key)
}

// isEmptyList says whether n is null or a list with no items.
func isEmptyList(n ast.Node) bool {
	seq, ok := n.(*ast.SequenceNode)
	return isNull(n) || ok && len(seq.Values) == 0
}
