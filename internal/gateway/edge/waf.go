package edge

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
)

// Defaults of WAFConfig.
const (
	DefaultParanoiaLevel     = 1
	DefaultInboundThreshold  = 5
	DefaultOutboundThreshold = 4
	DefaultRequestBodyLimit  = 128 << 10
	DefaultResponseBodyLimit = 512 << 10
)

// Oversize-body actions of WAFConfig.RequestBodyOversize.
const (
	// OversizeInspectPrefix inspects the first RequestBodyLimit bytes and
	// passes the rest uninspected.
	OversizeInspectPrefix = "inspect-prefix"
	// OversizeReject refuses bodies over RequestBodyLimit with 413 (in
	// enforce mode).
	OversizeReject = "reject"
)

// WAFConfig configures the web application firewall: Coraza running the
// OWASP Core Rule Set v4 (embedded, with the CRS's recommended setup) in
// anomaly-scoring mode.
type WAFConfig struct {
	// Mode: off (default), detect, monitor or enforce. In detect and
	// monitor modes every rule is evaluated exactly as in enforce mode and
	// the would-be refusal is reported, but the request passes.
	Mode Mode `json:"mode,omitempty"`
	// ParanoiaLevel 1 to 4 (default 1): higher levels enable more rules,
	// and more false positives.
	ParanoiaLevel int `json:"paranoia_level,omitempty"`
	// InboundAnomalyThreshold is the request anomaly score that refuses
	// (default 5: one critical rule match).
	InboundAnomalyThreshold int `json:"inbound_anomaly_threshold,omitempty"`
	// OutboundAnomalyThreshold is the response anomaly score that refuses
	// (default 4), when InspectResponseBody is on.
	OutboundAnomalyThreshold int `json:"outbound_anomaly_threshold,omitempty"`
	// RemoveRules turns CRS rules off everywhere: ids ("942100") or
	// inclusive ranges ("942100-942199").
	RemoveRules []string `json:"remove_rules,omitempty"`
	// PathExclusions turn rules off under a path prefix only.
	PathExclusions []PathExclusion `json:"path_exclusions,omitempty"`
	// InspectRequestBody is on unless set to false.
	InspectRequestBody *bool `json:"inspect_request_body,omitempty"`
	// RequestBodyLimit is the number of request body bytes inspected
	// (default 131072).
	RequestBodyLimit int `json:"request_body_limit,omitempty"`
	// RequestBodyOversize is what happens to a longer body:
	// "inspect-prefix" (default) or "reject".
	RequestBodyOversize string `json:"request_body_oversize,omitempty"`
	// InspectResponseBody turns on response inspection (default off): the
	// response is held back, up to ResponseBodyLimit bytes, until the
	// outbound rules ran. A longer or flushed response is passed on
	// uninspected from that point.
	InspectResponseBody bool `json:"inspect_response_body,omitempty"`
	// ResponseBodyLimit is the number of response bytes held and
	// inspected (default 524288).
	ResponseBodyLimit int `json:"response_body_limit,omitempty"`
	// ResponseMIMETypes are the response content types inspected
	// (default text/plain, text/html, text/xml, application/json).
	ResponseMIMETypes []string `json:"response_mime_types,omitempty"`
	// AllowedMethods are the HTTP methods CRS rule 911100 lets through
	// (default GET HEAD POST OPTIONS PUT PATCH DELETE, for JSON APIs; the
	// CRS's own default leaves out PUT, PATCH and DELETE).
	AllowedMethods []string `json:"allowed_methods,omitempty"`
}

// DefaultAllowedMethods are the methods allowed when
// WAFConfig.AllowedMethods is empty.
var DefaultAllowedMethods = []string{"GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"}

// PathExclusion removes rules for requests whose path starts with
// PathPrefix.
type PathExclusion struct {
	// PathPrefix is compared with the request path (without the query),
	// e.g. "/api/search".
	PathPrefix string `json:"path_prefix"`
	// RuleIDs are ids or inclusive ranges, as in WAFConfig.RemoveRules.
	RuleIDs []string `json:"rule_ids"`
}

var (
	ruleIDPattern = regexp.MustCompile(`^[0-9]{1,9}(-[0-9]{1,9})?$`)
	// Path prefixes are written inside a quoted operator argument; refuse
	// anything that could end the quote or the line.
	pathPrefixPattern = regexp.MustCompile(`^/[A-Za-z0-9/._~%!$&'()*+,;=:@-]*$`)
	mimePattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
	methodPattern     = regexp.MustCompile(`^[A-Z]{1,20}$`)
)

// firstExclusionRuleID numbers the rules generated for PathExclusions.
const firstExclusionRuleID = 10000

// directives returns the SecLang configuration for c, or every problem
// found.
func (c WAFConfig) directives() (string, []error) {
	var errs []error
	pl := c.ParanoiaLevel
	if pl == 0 {
		pl = DefaultParanoiaLevel
	}
	if pl < 1 || pl > 4 {
		errs = append(errs, fmt.Errorf("paranoia_level %d: use 1 to 4", c.ParanoiaLevel))
	}
	in, out := c.InboundAnomalyThreshold, c.OutboundAnomalyThreshold
	if in == 0 {
		in = DefaultInboundThreshold
	}
	if out == 0 {
		out = DefaultOutboundThreshold
	}
	if in < 1 || out < 1 {
		errs = append(errs, fmt.Errorf("anomaly thresholds must be positive (inbound %d, outbound %d)", in, out))
	}
	reqLimit := c.RequestBodyLimit
	if reqLimit == 0 {
		reqLimit = DefaultRequestBodyLimit
	}
	respLimit := c.ResponseBodyLimit
	if respLimit == 0 {
		respLimit = DefaultResponseBodyLimit
	}
	if reqLimit < 1 || respLimit < 1 {
		errs = append(errs, fmt.Errorf("body limits must be positive (request %d, response %d)", reqLimit, respLimit))
	}
	switch c.RequestBodyOversize {
	case "", OversizeInspectPrefix, OversizeReject:
	default:
		errs = append(errs, fmt.Errorf("request_body_oversize %q: use inspect-prefix or reject", c.RequestBodyOversize))
	}
	mimes := c.ResponseMIMETypes
	if len(mimes) == 0 {
		mimes = []string{"text/plain", "text/html", "text/xml", "application/json"}
	}
	for _, m := range mimes {
		if !mimePattern.MatchString(m) {
			errs = append(errs, fmt.Errorf("response_mime_types: %q is not a lower-case type/subtype", m))
		}
	}
	methods := c.AllowedMethods
	if len(methods) == 0 {
		methods = DefaultAllowedMethods
	}
	for _, m := range methods {
		if !methodPattern.MatchString(m) {
			errs = append(errs, fmt.Errorf("allowed_methods: %q is not an upper-case HTTP method", m))
		}
	}
	for _, id := range c.RemoveRules {
		if !ruleIDPattern.MatchString(id) {
			errs = append(errs, fmt.Errorf("remove_rules: %q is not a rule id or range such as 942100 or 942100-942199", id))
		}
	}
	for i, x := range c.PathExclusions {
		if !pathPrefixPattern.MatchString(x.PathPrefix) {
			errs = append(errs, fmt.Errorf("path_exclusions[%d]: path_prefix %q must start with / and hold only URL path characters", i, x.PathPrefix))
		}
		if len(x.RuleIDs) == 0 {
			errs = append(errs, fmt.Errorf("path_exclusions[%d]: list the rule_ids to remove under %s", i, x.PathPrefix))
		}
		for _, id := range x.RuleIDs {
			if !ruleIDPattern.MatchString(id) {
				errs = append(errs, fmt.Errorf("path_exclusions[%d]: %q is not a rule id or range such as 942100 or 942100-942199", i, id))
			}
		}
	}
	if len(errs) > 0 {
		return "", errs
	}

	onOff := func(b bool) string {
		if b {
			return "On"
		}
		return "Off"
	}
	var d strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&d, format+"\n", args...) }
	line("Include @coraza.conf-recommended")
	line("Include @crs-setup.conf.example")
	// The gateway decides what to do with an interruption; the engine
	// always runs as if enforcing, so detect mode sees what enforce would.
	line("SecRuleEngine On")
	line("SecAuditEngine Off")
	line("SecRequestBodyAccess %s", onOff(c.InspectRequestBody == nil || *c.InspectRequestBody))
	// Wrap hands Coraza at most limit+1 bytes: exactly limit+1 means the
	// body was longer than the limit, which sets INBOUND_DATA_ERROR. Only
	// the first limit bytes are inspected. Reject is decided by Wrap.
	line("SecRequestBodyLimit %d", reqLimit+1)
	line("SecRequestBodyInMemoryLimit %d", reqLimit+1)
	line("SecRequestBodyLimitAction ProcessPartial")
	// A body cut at the limit does not parse; refuse parse errors only
	// for bodies that were whole.
	line("SecRuleRemoveById 200002")
	line(`SecRule REQBODY_ERROR "!@eq 0" "id:200102,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%%{reqbody_error_msg}',severity:2,chain"`)
	line(`SecRule INBOUND_DATA_ERROR "!@eq 1" "t:none"`)
	line("SecResponseBodyAccess %s", onOff(c.InspectResponseBody))
	line("SecResponseBodyLimit %d", respLimit)
	line("SecResponseBodyLimitAction ProcessPartial")
	line("SecResponseBodyMimeType %s", strings.Join(mimes, " "))
	line(`SecAction "id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=%d,setvar:tx.detection_paranoia_level=%d"`, pl, pl)
	line(`SecAction "id:900200,phase:1,pass,nolog,setvar:'tx.allowed_methods=%s'"`, strings.Join(methods, " "))
	line(`SecAction "id:900110,phase:1,pass,nolog,setvar:tx.inbound_anomaly_score_threshold=%d,setvar:tx.outbound_anomaly_score_threshold=%d"`, in, out)
	for i, x := range c.PathExclusions {
		ctls := make([]string, len(x.RuleIDs))
		for j, id := range x.RuleIDs {
			ctls[j] = "ctl:ruleRemoveById=" + id
		}
		line(`SecRule REQUEST_FILENAME "@beginsWith %s" "id:%d,phase:1,pass,nolog,t:none,%s"`, x.PathPrefix, firstExclusionRuleID+i, strings.Join(ctls, ","))
	}
	line("Include @owasp_crs/*.conf")
	for _, id := range c.RemoveRules {
		line("SecRuleRemoveById %s", id)
	}
	return d.String(), nil
}

// wafLayer is a built WAF, shared by every request.
type wafLayer struct {
	mode      Mode
	waf       coraza.WAF
	bodyLimit int64
	reject    bool
	inspect   bool // request body
	response  bool
	respLimit int
}

func newWAFLayer(c WAFConfig) (*wafLayer, error) {
	if err := c.Mode.validate(); err != nil {
		return nil, err
	}
	if !c.Mode.on() {
		return nil, nil
	}
	d, errs := c.directives()
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	w, err := coraza.NewWAF(coraza.NewWAFConfig().WithRootFS(coreruleset.FS).WithDirectives(d))
	if err != nil {
		return nil, fmt.Errorf("build the Core Rule Set: %w", err)
	}
	l := &wafLayer{
		mode: c.Mode, waf: w,
		bodyLimit: int64(c.RequestBodyLimit), reject: c.RequestBodyOversize == OversizeReject,
		inspect:  c.InspectRequestBody == nil || *c.InspectRequestBody,
		response: c.InspectResponseBody, respLimit: c.ResponseBodyLimit,
	}
	if l.bodyLimit == 0 {
		l.bodyLimit = DefaultRequestBodyLimit
	}
	if l.respLimit == 0 {
		l.respLimit = DefaultResponseBodyLimit
	}
	return l, nil
}

func joinErrors(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// isEvaluationRule says whether id is one of the CRS's bookkeeping rules
// (initialisation, anomaly-score evaluation, correlation) rather than a
// detection rule.
func isEvaluationRule(id int) bool {
	switch id / 1000 {
	case 901, 905, 949, 959, 980:
		return true
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
