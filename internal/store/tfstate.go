package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLocked is returned when a Terraform state is locked by someone else.
// The error is a *TFLockError saying by whom.
var ErrLocked = errors.New("locked")

// TFState is one Terraform state kept by sluice's http backend: where its
// current version stands and who holds its lock. A state is named within
// a project ("" for the states of no project).
type TFState struct {
	Project string
	Name    string
	// Version is the number of the current version, 0 while the state has
	// none (a lock was taken before the first write, or it was deleted).
	Version int64
	Serial  int64
	Lineage string
	// SHA256 is the lowercase hex SHA-256 of the current version's
	// content; Size its length in bytes.
	SHA256    string
	Size      int64
	UpdatedBy string
	UpdatedAt time.Time
	// Lock is the lock held on the state, nil when none.
	Lock *TFLock
}

// TFStateVersion is one stored version of a state. Versions are numbered
// from 1 per state and never changed or removed once stored (a restore of
// an earlier one is a new version), except to seal them with a new
// server key.
type TFStateVersion struct {
	Project string
	Name    string
	Version int64
	// Serial and Lineage are Terraform's, read from the content.
	Serial  int64
	Lineage string
	// SHA256 is the lowercase hex SHA-256 of the content; Size its length.
	SHA256 string
	Size   int64
	// Sealed is the content encrypted with the server key (the caller
	// seals and opens it). Lists leave it nil.
	Sealed []byte
	Actor  string
	// RestoredFrom is the version this one is a restore of, 0 for a write.
	RestoredFrom int64
	CreatedAt    time.Time
}

// TFLock is the lock of a state: Terraform's lock info as the client sent
// it (JSON with ID, Operation, Who, Version, Created, Info, Path).
type TFLock struct {
	Project string
	Name    string
	ID      string
	Info    []byte
	// Actor is the sluice principal that took the lock.
	Actor     string
	CreatedAt time.Time
}

// TFLockError is a write, delete or unlock refused because of the state's
// lock. It matches ErrLocked with errors.Is.
type TFLockError struct {
	// Held is the lock held on the state, nil when there is none (Given
	// names a lock that is not held any more).
	Held *TFLock
	// Given is the lock id the caller presented ("" for none).
	Given string
}

func (e *TFLockError) Error() string {
	switch {
	case e.Held == nil:
		return fmt.Sprintf("lock %s is not held on this state (was it force-unlocked?)", e.Given)
	case e.Given == "":
		return fmt.Sprintf("the state is locked (lock %s, taken by %s at %s)", e.Held.ID, e.Held.Actor, e.Held.CreatedAt.Format(time.RFC3339))
	default:
		return fmt.Sprintf("lock id %s does not match the lock held on the state (lock %s, taken by %s at %s)",
			e.Given, e.Held.ID, e.Held.Actor, e.Held.CreatedAt.Format(time.RFC3339))
	}
}

// Is makes errors.Is(err, ErrLocked) hold.
func (e *TFLockError) Is(target error) bool { return target == ErrLocked }

// TFStaleError is a write refused because it would replace newer state or
// state of another lineage. It matches ErrConflict with errors.Is.
type TFStaleError struct{ Reason string }

func (e *TFStaleError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrConflict) hold.
func (e *TFStaleError) Is(target error) bool { return target == ErrConflict }

// CheckTFWrite says whether v may follow cur (the current version, nil
// when there is none): the same lineage (unless v is a restore), and a
// higher serial, or the same serial with the same content (then stored is
// false: nothing changes). Both stores apply it inside the writing
// transaction.
func CheckTFWrite(cur, v *TFStateVersion) (stored bool, err error) {
	if cur == nil {
		return true, nil
	}
	if v.RestoredFrom == 0 && v.Lineage != cur.Lineage {
		return false, &TFStaleError{Reason: fmt.Sprintf("lineage mismatch: the stored state's lineage is %q, this write's is %q (a different state; delete it first to replace it)",
			cur.Lineage, v.Lineage)}
	}
	switch {
	case v.Serial < cur.Serial:
		return false, &TFStaleError{Reason: fmt.Sprintf("stale state: serial %d < stored %d (version %d, by %s); refresh and plan again",
			v.Serial, cur.Serial, cur.Version, cur.Actor)}
	case v.Serial == cur.Serial && v.SHA256 != cur.SHA256:
		return false, &TFStaleError{Reason: fmt.Sprintf("stale state: serial %d is stored already with different content (version %d, by %s)",
			v.Serial, cur.Version, cur.Actor)}
	case v.Serial == cur.Serial:
		return false, nil
	}
	return true, nil
}

// TFStateStore keeps Terraform states, every version of each, and their
// locks. Locks are a unique row per state, taken in a transaction, so two
// processes sharing the database cannot both hold one; every change is
// serialised per state and carries its audit record in the same
// transaction.
type TFStateStore interface {
	// GetTFState returns a state's record with its lock, or ErrNotFound
	// for a state never written nor locked.
	GetTFState(ctx context.Context, project, name string) (*TFState, error)
	// ListTFStates returns every state by project and name.
	ListTFStates(ctx context.Context) ([]*TFState, error)
	// GetTFStateVersion returns one version with its sealed content;
	// version 0 is the current one (ErrNotFound when the state has none).
	GetTFStateVersion(ctx context.Context, project, name string, version int64) (*TFStateVersion, error)
	// ListTFStateVersions returns a state's versions, oldest first,
	// without their content.
	ListTFStateVersions(ctx context.Context, project, name string) ([]*TFStateVersion, error)
	// PutTFStateVersion stores v as the state's next version when
	// CheckTFWrite allows it, and appends audit (its Data["version"] set
	// to the new version's number), in one transaction; it
	// sets v.Version and v.CreatedAt (when zero). A write the lock forbids
	// — the state is locked and lockID is not the lock's id, or lockID is
	// given and no lock is held — is a *TFLockError; a stale one a
	// *TFStaleError. When the content is the current version's, nothing is
	// stored (stored false, no audit record) and v.Version is the current
	// version.
	PutTFStateVersion(ctx context.Context, v *TFStateVersion, lockID string, audit *AuditRecord) (stored bool, err error)
	// DeleteTFState drops the state's current version (its versions are
	// kept; the next write may start a new lineage), with its audit
	// record. A locked state is a *TFLockError; a state without a
	// current version ErrNotFound.
	DeleteTFState(ctx context.Context, project, name string, audit *AuditRecord) error
	// LockTFState takes the state's lock for l (setting l.CreatedAt when
	// zero), with its audit record. A lock held with another id is a
	// *TFLockError naming it; the same id again succeeds, changing nothing
	// (no audit record).
	LockTFState(ctx context.Context, l *TFLock, audit *AuditRecord) error
	// UnlockTFState releases the state's lock when id is its id, or
	// whatever lock is held when id is "" (force), with its audit record
	// (its Data["lock"] set to the released lock's id), and returns the
	// lock it released. Another lock's id is a
	// *TFLockError; no lock held is ErrNotFound.
	UnlockTFState(ctx context.Context, project, name, id string, audit *AuditRecord) (*TFLock, error)
	// ResealTFStateVersion replaces a version's sealed content (server key
	// rotation); nothing else of it changes.
	ResealTFStateVersion(ctx context.Context, project, name string, version int64, sealed []byte) error
}
