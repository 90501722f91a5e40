package store

import (
	"context"
	"strconv"
	"time"
)

// Suppression is a risk acceptance kept in the store: a person allowed to
// suppress findings (findings:suppress) accepted the findings it selects in
// one project, with a reason, an owner who answers for it and an expiry.
// It selects findings as an entry of .sluice/ignore.yaml does: by
// Fingerprint, by Rule and a Path glob, or by Advisory and Package. A
// suppression is never deleted: revoking it records who and when.
type Suppression struct {
	// ID is assigned by the store, increasing.
	ID int64
	// Project is the control plane's project ("" for the runs of a
	// workspace's own data folder).
	Project     string
	Fingerprint string
	Rule        string
	Path        string
	Advisory    string
	Package     string
	Reason      string
	Owner       string
	// Expires is when it stops suppressing; required.
	Expires   time.Time
	CreatedBy string
	CreatedAt time.Time
	// RevokedAt is zero while the suppression stands.
	RevokedAt time.Time
	RevokedBy string
}

// Active reports whether s suppresses at now: not revoked, not expired.
func (s *Suppression) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.Expires)
}

// SuppressionSubject is the audit subject of suppression id.
func SuppressionSubject(id int64) string {
	return "suppression/" + strconv.FormatInt(id, 10)
}

// SuppressionStore keeps the suppressions of projects. Every change
// carries an audit record written in the same transaction.
type SuppressionStore interface {
	// CreateSuppression stores s, setting s.ID (and s.CreatedAt when
	// zero), and appends audit (when not nil) in the same transaction,
	// with its Subject set to SuppressionSubject(s.ID). Reason, Owner and
	// Expires are required.
	CreateSuppression(ctx context.Context, s *Suppression, audit *AuditRecord) error
	// GetSuppression returns suppression id, revoked or not, or ErrNotFound.
	GetSuppression(ctx context.Context, id int64) (*Suppression, error)
	// ListSuppressions returns project's suppressions, revoked and expired
	// ones too, by ID.
	ListSuppressions(ctx context.Context, project string) ([]*Suppression, error)
	// RevokeSuppression marks suppression id revoked by by at at, with its
	// audit record; ErrNotFound when there is no such suppression or it
	// was revoked before.
	RevokeSuppression(ctx context.Context, id int64, by string, at time.Time, audit *AuditRecord) error
}
