package dast

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Time-based checks ask the target to sleep for TimeDelay. One slow
// answer proves nothing on a loaded machine, so a finding needs three
// answers in a row: the payload delayed (at least 90 % of the delay), a
// benign control prompt (at most half the delay, and shorter than the
// delayed answer by 80 % of the delay), the payload delayed again. A
// parameter that is not vulnerable costs one fast request per payload.

// timed reports whether payload (with the delay in seconds filled in)
// delays the answer, checked as above; it returns the last delayed
// response and the measured times.
func (s *state) timed(ctx context.Context, pr *probe, payload func(secs string) string) (*response, string, bool) {
	secs := delaySeconds(s.opts.TimeDelay)
	n, _ := strconv.Atoi(secs)
	d := time.Duration(n) * time.Second
	slow := d * 9 / 10
	attack := payload(secs)
	first, err := s.sendParam(ctx, pr.e, pr.p.Name, attack)
	if err != nil || first.Elapsed < slow {
		return nil, "", false
	}
	control, err := s.sendParam(ctx, pr.e, "", "")
	if err != nil || control.Elapsed > d/2 || first.Elapsed-control.Elapsed < d*8/10 {
		return nil, "", false
	}
	again, err := s.sendParam(ctx, pr.e, pr.p.Name, attack)
	if err != nil || again.Elapsed < slow {
		return nil, "", false
	}
	times := fmt.Sprintf("delayed %s, control %s, delayed again %s (asked for %ss)",
		first.Elapsed.Round(time.Millisecond), control.Elapsed.Round(time.Millisecond),
		again.Elapsed.Round(time.Millisecond), secs)
	return again, times, true
}

// checkSQLTime sends SLEEP and pg_sleep payloads that sleep once per
// query (in a derived table, never per row).
func (s *state) checkSQLTime(ctx context.Context, pr *probe) {
	v := pr.p.Value
	for _, build := range []func(string) string{
		func(n string) string { return v + "' AND (SELECT 1 FROM (SELECT SLEEP(" + n + "))x)-- -" },
		func(n string) string { return v + " AND (SELECT 1 FROM (SELECT SLEEP(" + n + "))x)" },
		func(n string) string { return v + "';SELECT pg_sleep(" + n + ")--" },
	} {
		if r, times, ok := s.timed(ctx, pr, build); ok {
			s.reportProbe(pr, RuleSQLiTime, build(delaySeconds(s.opts.TimeDelay)), r, times,
				"A sleep call in parameter "+pr.p.Name+" delays the answer by the time asked for: the value runs as SQL.")
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// checkCommandTime sends shell sleep commands.
func (s *state) checkCommandTime(ctx context.Context, pr *probe) {
	v := pr.p.Value
	for _, build := range []func(string) string{
		func(n string) string { return v + ";sleep " + n },
		func(n string) string { return v + "|sleep " + n },
		func(n string) string { return v + "$(sleep " + n + ")" },
	} {
		if r, times, ok := s.timed(ctx, pr, build); ok {
			s.reportProbe(pr, RuleCommandTime, build(delaySeconds(s.opts.TimeDelay)), r, times,
				"A sleep command in parameter "+pr.p.Name+" delays the answer by the time asked for: the value reaches a shell.")
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// delaySeconds is the whole seconds of d, at least 1.
func delaySeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
}
