package gatekeeper

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/store"
)

// MaxSuppressionAge is the furthest ahead a stored suppression may expire:
// a risk is accepted for a year at most, then someone looks at it again.
const MaxSuppressionAge = 365 * 24 * time.Hour

// Bounds of a stored suppression's text, in characters.
const (
	maxReason = 2000
	maxOwner  = 200
	maxField  = 500
)

// StoredSuppression is s as the gate takes it.
func StoredSuppression(s *store.Suppression) gate.Suppression {
	return gate.Suppression{Fingerprint: s.Fingerprint, Rule: s.Rule, Path: s.Path, Advisory: s.Advisory, Package: s.Package,
		Reason: s.Reason, Owner: s.Owner, Expires: s.Expires, ID: s.ID, Source: "stored suppression " + strconv.FormatInt(s.ID, 10)}
}

// StoredSuppressions returns the standing (not revoked) suppressions of
// project as the gate takes them, expired ones included: the gate says
// they expired, as it does of an expired entry of the ignore file.
func StoredSuppressions(ctx context.Context, st store.Store, project string) ([]gate.Suppression, error) {
	list, err := st.Suppressions().ListSuppressions(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("stored suppressions: %w", err)
	}
	var out []gate.Suppression
	for _, s := range list {
		if s.RevokedAt.IsZero() {
			out = append(out, StoredSuppression(s))
		}
	}
	return out, nil
}

// suppressions are the ignore file's and, when a stored run is judged,
// the standing stored suppressions of its project. The digest is the
// file's alone when no stored suppression stands (as before there were
// any), else it covers both.
func (k *Keeper) suppressions(ctx context.Context, run *store.Run) ([]gate.Suppression, string, error) {
	sups, d, err := k.fileSuppressions()
	if err != nil || k.Store == nil || run == nil {
		return sups, d, err
	}
	stored, err := StoredSuppressions(ctx, k.Store, run.Project)
	if err != nil {
		return nil, "", err
	}
	if len(stored) == 0 {
		return sups, d, nil
	}
	sd, err := jsonDigest(stored)
	if err != nil {
		return nil, "", err
	}
	return append(sups, stored...), combine([]string{d, sd}), nil
}

// SuppressionRecord is the audit record of action ("suppression.create",
// "suppression.revoke") on x by actor at at; the store sets the subject of
// a creation (the id is not known before).
func SuppressionRecord(x *store.Suppression, actor, action string, at time.Time) *store.AuditRecord {
	data := map[string]string{"project": x.Project, "reason": x.Reason, "owner": x.Owner, "expires": x.Expires.Format(time.RFC3339)}
	for _, p := range [][2]string{{"fingerprint", x.Fingerprint}, {"rule", x.Rule}, {"path", x.Path}, {"advisory", x.Advisory}, {"package", x.Package}} {
		if p[1] != "" {
			data[p[0]] = p[1]
		}
	}
	rec := &store.AuditRecord{Time: at, Actor: actor, Action: action, Data: data}
	if x.ID != 0 {
		rec.Subject = store.SuppressionSubject(x.ID)
	}
	return rec
}

// ParseExpiry reads an expiry: a date (YYYY-MM-DD, the end of that day in
// UTC) or an RFC 3339 time.
func ParseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Microsecond), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("expires %q: write a date like 2026-12-31 or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// CheckSuppression reports what makes s unfit to store at now: a selector
// the ignore file would refuse, no reason or owner, text too long, or an
// expiry that is not in the future or further than MaxSuppressionAge.
func CheckSuppression(s *store.Suppression, now time.Time) error {
	if err := StoredSuppression(s).Check(); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		most    int
	}{{"reason", s.Reason, maxReason}, {"owner", s.Owner, maxOwner}, {"fingerprint", s.Fingerprint, maxField},
		{"rule", s.Rule, maxField}, {"path", s.Path, maxField}, {"advisory", s.Advisory, maxField}, {"package", s.Package, maxField}} {
		if utf8.RuneCountInString(f.v) > f.most {
			return fmt.Errorf("%s is longer than %d characters", f.name, f.most)
		}
		if strings.ContainsFunc(f.v, func(r rune) bool { return r < 0x20 && (f.name != "reason" || r != '\n' && r != '\r' && r != '\t') }) {
			return fmt.Errorf("%s holds control characters", f.name)
		}
	}
	switch {
	case s.Expires.IsZero():
		return errors.New("a suppression needs an expiry: accept a risk for a while, then look at it again")
	case !s.Expires.After(now):
		return fmt.Errorf("expires %s is not in the future", s.Expires.UTC().Format(time.RFC3339))
	case s.Expires.Sub(now) > MaxSuppressionAge:
		return fmt.Errorf("expires %s is more than %d days ahead; suppress for %d days at most, then renew",
			s.Expires.UTC().Format(time.DateOnly), int(MaxSuppressionAge.Hours()/24), int(MaxSuppressionAge.Hours()/24))
	}
	return nil
}

// FingerprintSeen reports whether a finding with fingerprint fp is in the
// evidence of one of project's newest runs (the last 200), as the run's
// findings list shows it, so a stored suppression by fingerprint names a
// finding the project had.
func FingerprintSeen(ctx context.Context, st store.Store, project, fp string) (bool, error) {
	runs, err := st.Runs().ListRuns(ctx, store.RunFilter{})
	if err != nil {
		return false, err
	}
	n := 0
	for _, r := range runs {
		if r.Project != project {
			continue
		}
		if n++; n > 200 {
			break
		}
		ev, err := RunEvidence(ctx, st, r.ID, nil)
		if err != nil {
			return false, err
		}
		for _, f := range ev.Findings {
			if f.Fingerprint == fp {
				return true, nil
			}
		}
	}
	return false, nil
}
