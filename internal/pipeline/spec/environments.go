package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// comparePattern is a metric condition: an operator and a number with an
// optional unit, e.g. ">= 99%", "<= 500ms", "> 2%".
var comparePattern = regexp.MustCompile(`^\s*(>=|<=|>|<|==)\s*[0-9]+(\.[0-9]+)?\s*(%|ms|s)?\s*$`)

// environments reads the environments mapping, keeping file order.
func (d *decoder) environments(v val) {
	es, _ := d.entries(v, "environment")
	for _, e := range es {
		if !ValidID(e.key) {
			d.errorf(e.keyPos, e.path, idHint, "invalid environment name %q", e.key)
		}
		d.p.Environments = append(d.p.Environments, d.environment(e))
	}
}

func (d *decoder) environment(ee entry) *Environment {
	env := &Environment{Name: ee.key}
	es, _ := d.object(ee.val, "environment")
	for _, e := range es {
		switch e.key {
		case "after":
			env.After = d.strList(e.val, true)
		case "url":
			env.URL = d.str(e.val)
		case "vars":
			env.Vars = d.stringMap(e.val, "variable", true)
		case "secrets":
			for _, it := range d.strItems(e.val, true) {
				if !ValidName(it.s) {
					d.errorf(it.pos, it.path, nameHint, "invalid secret name %q", it.s)
				}
				env.Secrets = append(env.Secrets, it.s)
			}
		case "gates":
			env.Gates = d.gates(e.val)
		case "approval":
			env.Approval = d.approval(e.val)
		case "strategy":
			env.Strategy = d.strategy(e.val)
		case "monitor":
			env.Monitor = d.monitor(e.val)
		case "waf":
			env.WAF = d.waf(e.val)
		case "rate_limit":
			env.RateLimit = d.rateLimit(e.val)
		case "geo":
			env.Geo = d.geo(e.val)
		case "auth":
			env.Auth = d.auth(e.val)
		case "openapi":
			env.OpenAPI = d.openAPI(e.val)
		case "trusted_proxies":
			env.TrustedProxies = d.trustedProxies(e.val)
		}
	}
	return env
}

func (d *decoder) genericMap(v val) map[string]any {
	if !isMapping(v.n) && !isNull(v.n) {
		d.errorf(v.pos, v.path, "", "expected a mapping, got %s", kindOf(v.n))
		return nil
	}
	m, _ := d.generic(v, 0).(map[string]any)
	return m
}

func (d *decoder) gates(v val) *Gates {
	g := &Gates{}
	es, ok := d.object(v, "gates")
	if !ok {
		return nil
	}
	for _, e := range es {
		switch e.key {
		case "mode":
			g.Mode = d.enum(e.val, "gate mode", GateModes)
		case "block":
			g.Block = d.enum(e.val, "severity", Severities)
		case "require":
			g.Require = d.strList(e.val, true)
		case "new_only":
			g.NewOnly = d.boolean(e.val)
		case "policies":
			g.Policies = d.strList(e.val, true)
		case "inline_ignores":
			g.InlineIgnores = d.boolean(e.val)
		case "fixable_only":
			g.FixableOnly = d.boolean(e.val)
		case "known_exploited":
			g.KnownExploited = d.enum(e.val, "known_exploited effect", KnownExploitedEffects)
		case "max_db_age":
			g.MaxDBAge = d.duration(e.val)
		default: // a category: sast, deps, ...
			if g.Categories == nil {
				g.Categories = map[string]GateThreshold{}
			}
			g.Categories[e.key] = d.threshold(e.val)
		}
	}
	return g
}

func (d *decoder) threshold(v val) GateThreshold {
	var t GateThreshold
	es, _ := d.object(v, "gate_threshold")
	for _, e := range es {
		switch e.key {
		case "block":
			t.Block = d.enum(e.val, "severity", Severities)
		case "max":
			n := d.integer(e.val, 0, 1<<31-1)
			t.MaxCount = &n
		}
	}
	return t
}

func (d *decoder) approval(v val) *Approval {
	a := &Approval{}
	es, ok := d.object(v, "approval")
	if !ok {
		return nil
	}
	for _, e := range es {
		switch e.key {
		case "min":
			a.Min = d.integer(e.val, 0, 100)
		case "roles":
			a.Roles = d.strList(e.val, true)
		case "not_author":
			a.NotAuthor = d.boolean(e.val)
		case "timeout":
			a.Timeout = d.duration(e.val)
		}
	}
	return a
}

// strategy reads strategy: rolling | blue-green | canary, or a mapping with
// exactly one of canary, blue-green, rolling. The sub-struct matching Kind
// is always set, empty in the short form.
func (d *decoder) strategy(v val) *Strategy {
	if _, ok := scalarText(v.n); ok && !isNull(v.n) {
		kind := d.enum(v, "strategy", StrategyKinds)
		if kind == "" {
			return nil
		}
		return newStrategy(kind)
	}
	es, ok := d.object(v, "strategy")
	if !ok {
		return nil
	}
	if len(es) == 0 {
		d.errorf(v.pos, v.path, "expected one of: canary, blue-green, rolling", "strategy is empty")
		return nil
	}
	for _, e := range es[1:] {
		d.errorf(e.keyPos, e.path, fmt.Sprintf("keep only one of %q and %q", es[0].key, e.key), "a strategy has one kind")
	}
	e := es[0]
	st := newStrategy(e.key)
	switch e.key {
	case "canary":
		st.Canary = d.canary(e.val)
	case "blue-green":
		st.BlueGreen = d.blueGreen(e.val)
	case "rolling":
		st.Rolling = d.rolling(e.val)
	}
	return st
}

func newStrategy(kind string) *Strategy {
	st := &Strategy{Kind: kind}
	switch kind {
	case "canary":
		st.Canary = &Canary{}
	case "blue-green":
		st.BlueGreen = &BlueGreen{}
	case "rolling":
		st.Rolling = &Rolling{}
	}
	return st
}

func (d *decoder) canary(v val) *Canary {
	c := &Canary{}
	es, _ := d.object(v, "canary")
	for _, e := range es {
		switch e.key {
		case "steps":
			items, _ := d.list(e.val)
			for _, it := range items {
				c.Steps = append(c.Steps, d.integer(it, 1, 100))
			}
		case "interval":
			c.Interval = d.duration(e.val)
		case "analysis":
			c.Analysis = d.metrics(e.val)
		case "sticky":
			c.Sticky = d.boolean(e.val)
		case "header":
			c.Header = d.str(e.val)
		}
	}
	return c
}

func (d *decoder) blueGreen(v val) *BlueGreen {
	b := &BlueGreen{}
	es, _ := d.object(v, "blue_green")
	for _, e := range es {
		if e.key == "scale_down_delay" {
			b.ScaleDownDelay = d.duration(e.val)
		}
	}
	return b
}

func (d *decoder) rolling(v val) *Rolling {
	r := &Rolling{}
	es, _ := d.object(v, "rolling")
	for _, e := range es {
		switch e.key {
		case "max_unavailable":
			r.MaxUnavailable = d.countOrPercent(e.val)
		case "max_surge":
			r.MaxSurge = d.countOrPercent(e.val)
		}
	}
	return r
}

// countOrPercent reads a replica count (1) or a percentage ("33%").
func (d *decoder) countOrPercent(v val) string {
	s, ok := scalarText(v.n)
	if ok && !isNull(v.n) {
		num := strings.TrimSuffix(s, "%")
		if n, err := strconv.Atoi(num); err == nil && n >= 0 && (num == s || n <= 100) {
			return s
		}
	}
	d.errorf(v.pos, v.path, `write a count like 1 or a percentage like "25%"`, "invalid count or percentage %q", s)
	return ""
}

func (d *decoder) monitor(v val) *Monitor {
	m := &Monitor{}
	es, ok := d.object(v, "monitor")
	if !ok {
		return nil
	}
	for _, e := range es {
		switch e.key {
		case "duration":
			m.Duration = d.duration(e.val)
		case "rollback_when":
			m.RollbackWhen = d.metrics(e.val)
		}
	}
	return m
}

// metrics reads metric conditions (canary analysis, monitor rollback_when):
// min_requests is a count, every other metric a comparison like ">= 99%".
func (d *decoder) metrics(v val) map[string]string {
	es, ok := d.object(v, "metrics")
	if !ok {
		return nil
	}
	m := make(map[string]string, len(es))
	for _, e := range es {
		if e.key == "min_requests" {
			m[e.key] = strconv.Itoa(d.integer(e.val, 0, 1<<31-1))
			continue
		}
		if e.key == "prometheus" || e.key == "webhook" {
			s := d.str(e.val)
			if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				d.errorf(e.pos, e.path, "write an http:// or https:// URL", "invalid %s URL %q", e.key, s)
				continue
			}
			m[e.key] = s
			continue
		}
		s := d.str(e.val)
		if _, isStr := e.n.(*ast.StringNode); !isStr || !comparePattern.MatchString(s) {
			d.errorf(e.pos, e.path, `write a comparison like ">= 99%" or "<= 500ms"`, "invalid condition %q", s)
			continue
		}
		m[e.key] = strings.TrimSpace(s)
	}
	return m
}
