package store

import (
	"context"
	"time"
)

// User is a person's account on the control plane: a name and a password
// to log in with, and the grants every login session gets. Only a hash of
// the password is stored (auth.HashPassword: argon2id with its salt and
// parameters).
type User struct {
	// Name is unique: lowercase letters, digits, '.', '_' and '-'.
	Name         string
	PasswordHash string
	// Grants are role[@project[/env]] strings (auth.ParseGrant), as a
	// key's.
	Grants    []string
	CreatedBy string
	CreatedAt time.Time
	// DisabledAt is when the account was disabled; it cannot log in since.
	DisabledAt  time.Time
	LastLoginAt time.Time
}

// UserStore keeps user accounts. It is part of ControlStore: a user's
// login sessions are API keys (APIKey.User), and disabling a user or
// setting their password revokes them in the same transaction.
type UserStore interface {
	// CreateUser stores u with its audit record; a name already taken,
	// by an active or a disabled user, is ErrConflict.
	CreateUser(ctx context.Context, u *User, audit *AuditRecord) error
	// GetUser finds a user by name, disabled or not, or ErrNotFound.
	GetUser(ctx context.Context, name string) (*User, error)
	// ListUsers returns every user by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUserPassword replaces an active user's password hash and
	// revokes, at at, the keys of their login sessions, with its audit
	// record; an unknown or disabled user is ErrNotFound.
	UpdateUserPassword(ctx context.Context, name, hash string, at time.Time, audit *AuditRecord) error
	// DisableUser disables an active user at at and revokes the keys of
	// their login sessions, with its audit record; an unknown or already
	// disabled user is ErrNotFound.
	DisableUser(ctx context.Context, name string, at time.Time, audit *AuditRecord) error
	// TouchUser records a user's login.
	TouchUser(ctx context.Context, name string, at time.Time) error
}
