package policy

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/sluice-ci/sluice/internal/gate"
)

// Eval evaluates every deny, violation and warn rule of the set against in
// and returns their messages, sorted by source, deny first, then message.
// Deny and violation results have Deny set.
//
// A rule may give strings, or objects {"msg": "…", "fingerprints": [...]}
// ("fingerprint": "…" for one); a boolean rule that is true gives one
// result saying so. Any other value, or a runtime error (conflicting
// values, a built-in failing), is an error naming the rule's file, and then
// no results are returned: the caller should treat that as a blocking
// policy failure. Evaluation stops when ctx ends or after DefaultTimeout.
func (s *Set) Eval(ctx context.Context, in Input) ([]gate.PolicyResult, error) {
	if s == nil || len(s.targets) == 0 {
		return nil, nil
	}
	timeout := s.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	val, err := in.value()
	if err != nil {
		return nil, err
	}
	opts := []rego.EvalOption{rego.EvalParsedInput(val)}
	if !in.Now.IsZero() {
		opts = append(opts, rego.EvalTime(in.Now))
	}
	var out []gate.PolicyResult
	var errs []error
	for _, t := range s.targets {
		rs, err := t.query.Eval(ctx, opts...)
		if err != nil {
			if ctx.Err() != nil {
				return nil, stopped(ctx, t, timeout)
			}
			errs = append(errs, fmt.Errorf("policy %s: %s", t.source, evalError(err)))
			continue
		}
		res, err := t.results(rs)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %s: %w", t.source, err))
			continue
		}
		out = append(out, res...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(out, compareResults)
	return slices.CompactFunc(out, func(a, b gate.PolicyResult) bool { return compareResults(a, b) == 0 }), nil
}

// stopped explains an evaluation that ctx ended while t was running.
func stopped(ctx context.Context, t *target, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("policy %s: evaluation did not finish in time (policies get at most %s, less when the caller's deadline is sooner); make the rule cheaper, for example iterate over input.findings instead of building large collections: %w",
			t.source, timeout, ctx.Err())
	}
	return fmt.Errorf("policy %s: evaluation cancelled: %w", t.source, ctx.Err())
}

// evalError renders an OPA runtime error as file:line:col: code: message.
func evalError(err error) string {
	var te *topdown.Error
	if !errors.As(err, &te) {
		return err.Error()
	}
	msg := te.Code + ": " + te.Message
	if loc := te.Location; loc != nil {
		msg = fmt.Sprintf("%s:%d:%d: %s", loc.File, loc.Row, loc.Col, msg)
	}
	return msg
}

func compareResults(a, b gate.PolicyResult) int {
	return cmp.Or(
		cmp.Compare(a.Source, b.Source),
		cmp.Compare(deny(b), deny(a)), // deny first
		cmp.Compare(a.Message, b.Message),
		slices.Compare(a.Fingerprints, b.Fingerprints),
	)
}

func deny(r gate.PolicyResult) int {
	if r.Deny {
		return 1
	}
	return 0
}

// results reads the value of t's rule.
func (t *target) results(rs rego.ResultSet) ([]gate.PolicyResult, error) {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil // undefined: the rule says nothing
	}
	switch v := rs[0].Expressions[0].Value.(type) {
	case nil:
		return nil, nil
	case bool:
		if !v {
			return nil, nil
		}
		name := t.source[strings.LastIndexByte(t.source, '.')+1:]
		return []gate.PolicyResult{{Source: t.source, Deny: t.deny,
			Message: fmt.Sprintf("rule %s is true (it gives no message; write `%s contains msg if { ... }` to say why)", name, name)}}, nil
	case []any: // a set or an array of messages
		out := make([]gate.PolicyResult, 0, len(v))
		for _, e := range v {
			r, err := t.result(e)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	default: // one message
		r, err := t.result(v)
		if err != nil {
			return nil, err
		}
		return []gate.PolicyResult{r}, nil
	}
}

// result reads one message: a string, or an object with msg and
// fingerprints.
func (t *target) result(v any) (gate.PolicyResult, error) {
	r := gate.PolicyResult{Source: t.source, Deny: t.deny}
	switch m := v.(type) {
	case string:
		r.Message = m
	case map[string]any:
		msg, ok := m["msg"].(string)
		if !ok {
			return r, fmt.Errorf("a result object needs a string msg; got %s", show(v))
		}
		r.Message = msg
		if fp, found := m["fingerprint"]; found {
			s, ok := fp.(string)
			if !ok {
				return r, fmt.Errorf("fingerprint must be a string; got %s in %s", show(fp), show(v))
			}
			r.Fingerprints = append(r.Fingerprints, s)
		}
		if fps, found := m["fingerprints"]; found {
			list, ok := fps.([]any)
			if !ok {
				return r, fmt.Errorf("fingerprints must be a list of strings; got %s in %s", show(fps), show(v))
			}
			for _, fp := range list {
				s, ok := fp.(string)
				if !ok {
					return r, fmt.Errorf("fingerprints must be a list of strings; got %s in %s", show(fp), show(v))
				}
				r.Fingerprints = append(r.Fingerprints, s)
			}
		}
	default:
		return r, fmt.Errorf("a result must be a string or an object {\"msg\": ..., \"fingerprints\": [...]}; got %s", show(v))
	}
	if strings.TrimSpace(r.Message) == "" {
		r.Message = "(empty message)"
	}
	r.Fingerprints = slices.DeleteFunc(r.Fingerprints, func(s string) bool { return s == "" })
	slices.Sort(r.Fingerprints)
	r.Fingerprints = slices.Compact(r.Fingerprints)
	if len(r.Fingerprints) == 0 {
		r.Fingerprints = nil
	}
	return r, nil
}

// show renders a value for an error message, shortened.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	const max = 120
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
