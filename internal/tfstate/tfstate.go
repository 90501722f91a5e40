// Package tfstate is sluice as a Terraform state backend: the rules of
// Terraform's http backend protocol on top of the store — states sealed
// with the server key, every version kept, serial and lineage checked,
// locks with Terraform's lock info, restore of an earlier version, and an
// audit record for every read and change (never the state's content).
// The HTTP routes (internal/server) and sluice tf state (internal/cli)
// both go through a Backend.
package tfstate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

// MaxStateSize bounds one state's content: Terraform states of large
// estates run to megabytes, far above the API's usual body limit.
const MaxStateSize = 32 << 20

// MaxLockInfoSize bounds the lock info a client sends.
const MaxLockInfoSize = 64 << 10

var (
	nameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
	projectRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
)

// ErrBadInput reports a name, state or lock info that cannot be accepted
// (the client's mistake, HTTP 400). Errors matching it say what is wrong
// without a prefix.
var ErrBadInput = errors.New("bad input")

// inputError is an ErrBadInput with its message.
type inputError struct{ msg string }

func (e *inputError) Error() string        { return e.msg }
func (e *inputError) Is(target error) bool { return target == ErrBadInput }

func badInput(format string, a ...any) error { return &inputError{msg: fmt.Sprintf(format, a...)} }

// Ref names a state: a name within a project ("" for no project).
type Ref struct {
	Project string
	Name    string
}

// NewRef checks project ("" allowed) and name: a name is 1 to 100
// characters of a-z, 0-9, '.', '_' and '-', starting with a letter or a
// digit; a project is a project name.
func NewRef(project, name string) (Ref, error) {
	if !nameRe.MatchString(name) {
		return Ref{}, badInput("state name %q: 1 to 100 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", name)
	}
	if project != "" && !projectRe.MatchString(project) {
		return Ref{}, badInput("project %q: lowercase letters, digits, '.', '_' and '-', at most 63", project)
	}
	return Ref{Project: project, Name: name}, nil
}

// String is project/name, or name for a state of no project.
func (r Ref) String() string {
	if r.Project == "" {
		return r.Name
	}
	return r.Project + "/" + r.Name
}

// Subject is the state's audit subject.
func (r Ref) Subject() string { return "tfstate/" + r.String() }

// Meta is what sluice reads from a state's content.
type Meta struct {
	// Format is the state format's version (4 since Terraform 0.12).
	Format           int    `json:"version"`
	TerraformVersion string `json:"terraform_version"`
	Serial           int64  `json:"serial"`
	Lineage          string `json:"lineage"`
}

// ParseMeta reads the serial and lineage of a state and checks that it is
// one: a JSON object with a format version, a lineage and a serial.
func ParseMeta(content []byte) (Meta, error) {
	var m struct {
		Format           int    `json:"version"`
		TerraformVersion string `json:"terraform_version"`
		Serial           *int64 `json:"serial"`
		Lineage          string `json:"lineage"`
	}
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&m); err != nil {
		return Meta{}, badInput("not a Terraform state (JSON): %v", err)
	}
	if dec.More() {
		return Meta{}, badInput("not a Terraform state: more than one JSON value")
	}
	switch {
	case m.Format < 3:
		return Meta{}, badInput("not a Terraform state: its \"version\" (format) is %d, want 3 or later", m.Format)
	case m.Lineage == "":
		return Meta{}, badInput("not a Terraform state: no \"lineage\"")
	case m.Serial == nil || *m.Serial < 0:
		return Meta{}, badInput("not a Terraform state: no \"serial\", or a negative one")
	}
	return Meta{Format: m.Format, TerraformVersion: m.TerraformVersion, Serial: *m.Serial, Lineage: m.Lineage}, nil
}

// LockInfo is Terraform's lock info, as its http backend sends it with
// LOCK and expects back (HTTP 423) when someone else holds the lock.
type LockInfo struct {
	ID        string `json:"ID"`
	Operation string `json:"Operation"`
	Info      string `json:"Info"`
	Who       string `json:"Who"`
	Version   string `json:"Version"`
	Created   string `json:"Created"`
	Path      string `json:"Path"`
}

// ParseLockInfo reads lock info: a JSON object with an ID.
func ParseLockInfo(body []byte) (LockInfo, error) {
	var li LockInfo
	if len(body) > MaxLockInfoSize {
		return li, badInput("lock info larger than %d bytes", MaxLockInfoSize)
	}
	if err := json.Unmarshal(body, &li); err != nil {
		return li, badInput("lock info is not Terraform's JSON lock info: %v", err)
	}
	if li.ID == "" || len(li.ID) > 200 {
		return li, badInput("lock info needs an \"ID\" of 1 to 200 characters")
	}
	return li, nil
}

// Backend keeps Terraform states in a store, sealed with the server key.
// Its methods audit what they do with actor as the actor.
type Backend struct {
	Store store.Store
	// Key is the server key (32 bytes) states are sealed with.
	Key []byte
	Now func() time.Time
}

func (b *Backend) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}

// place is the authenticated data a version's content is sealed with: a
// sealed content copied onto another state, or onto a version with
// another digest, does not open.
func place(r Ref, sum string) string { return r.Subject() + "@" + sum }

func digest(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:])
}

// open decrypts a version's content and checks its digest.
func (b *Backend) open(r Ref, v *store.TFStateVersion) ([]byte, error) {
	content, err := auth.OpenSigningKey(b.Key, place(r, v.SHA256), v.Sealed)
	if err != nil {
		return nil, fmt.Errorf("terraform state %s version %d cannot be decrypted with this server key: %w", r, v.Version, err)
	}
	if digest(content) != v.SHA256 {
		return nil, fmt.Errorf("terraform state %s version %d does not match its digest", r, v.Version)
	}
	return content, nil
}

// newVersion checks and seals content as a version of r.
func (b *Backend) newVersion(r Ref, content []byte, actor string) (*store.TFStateVersion, error) {
	if len(content) > MaxStateSize {
		return nil, badInput("the state is larger than %d bytes", MaxStateSize)
	}
	m, err := ParseMeta(content)
	if err != nil {
		return nil, err
	}
	sum := digest(content)
	sealed, err := auth.SealSigningKey(b.Key, place(r, sum), content)
	if err != nil {
		return nil, fmt.Errorf("seal terraform state %s: %w", r, err)
	}
	return &store.TFStateVersion{Project: r.Project, Name: r.Name, Serial: m.Serial, Lineage: m.Lineage, SHA256: sum,
		Size: int64(len(content)), Sealed: sealed, Actor: actor, CreatedAt: b.now()}, nil
}

func (b *Backend) audit(ctx context.Context, actor, action string, r Ref, data map[string]string) error {
	return b.Store.Audit().AppendAudit(context.WithoutCancel(ctx), &store.AuditRecord{Time: b.now(), Actor: actor, Action: action,
		Subject: r.Subject(), Data: data})
}

// Read returns the content of a version of r (0: the current one) and
// records the read; a state without one is store.ErrNotFound.
func (b *Backend) Read(ctx context.Context, r Ref, version int64, actor string) ([]byte, *store.TFStateVersion, error) {
	v, err := b.Store.TFState().GetTFStateVersion(ctx, r.Project, r.Name, version)
	if err != nil {
		return nil, nil, err
	}
	content, err := b.open(r, v)
	if err != nil {
		return nil, nil, err
	}
	if err := b.audit(ctx, actor, "tfstate.read", r, map[string]string{"version": strconv.FormatInt(v.Version, 10),
		"serial": strconv.FormatInt(v.Serial, 10)}); err != nil {
		return nil, nil, err
	}
	return content, v, nil
}

// Write stores content as r's next version when the lock (lockID: the id
// the client holds, "" for none) and CheckTFWrite allow it. A refused
// write is audited too (tfstate.write_refused, with the reason); content
// equal to the current version's is stored=false (audited as a write with
// unchanged=true).
func (b *Backend) Write(ctx context.Context, r Ref, content []byte, lockID, actor string) (v *store.TFStateVersion, stored bool, err error) {
	v, err = b.newVersion(r, content, actor)
	if err != nil {
		return nil, false, err
	}
	data := map[string]string{"serial": strconv.FormatInt(v.Serial, 10), "lineage": v.Lineage, "sha256": v.SHA256,
		"size": strconv.FormatInt(v.Size, 10)}
	if lockID != "" {
		data["lock"] = lockID
	}
	stored, err = b.Store.TFState().PutTFStateVersion(ctx, v, lockID, &store.AuditRecord{Time: b.now(), Actor: actor,
		Action: "tfstate.write", Subject: r.Subject(), Data: data})
	if err == nil && !stored {
		// Terraform wrote what is stored already: no version, but a record.
		data["version"], data["unchanged"] = strconv.FormatInt(v.Version, 10), "true"
		err = b.audit(ctx, actor, "tfstate.write", r, data)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLocked) {
		refused := map[string]string{"serial": data["serial"], "lineage": v.Lineage, "reason": err.Error()}
		if aerr := b.audit(ctx, actor, "tfstate.write_refused", r, refused); aerr != nil {
			return nil, false, errors.Join(err, aerr)
		}
	}
	return v, stored, err
}

// Delete drops r's current version (every version is kept).
func (b *Backend) Delete(ctx context.Context, r Ref, actor string) error {
	return b.Store.TFState().DeleteTFState(ctx, r.Project, r.Name, &store.AuditRecord{Time: b.now(), Actor: actor,
		Action: "tfstate.delete", Subject: r.Subject()})
}

// Lock takes r's lock with Terraform's lock info (the request body).
func (b *Backend) Lock(ctx context.Context, r Ref, body []byte, actor string) (LockInfo, error) {
	li, err := ParseLockInfo(body)
	if err != nil {
		return li, err
	}
	info, err := json.Marshal(li)
	if err != nil {
		return li, err
	}
	err = b.Store.TFState().LockTFState(ctx, &store.TFLock{Project: r.Project, Name: r.Name, ID: li.ID, Info: info, Actor: actor, CreatedAt: b.now()},
		&store.AuditRecord{Time: b.now(), Actor: actor, Action: "tfstate.lock", Subject: r.Subject(),
			Data: map[string]string{"lock": li.ID, "operation": li.Operation, "who": li.Who}})
	return li, err
}

// Unlock releases r's lock: the lock with id, or with force whatever lock
// is held (tfstate.force_unlock).
func (b *Backend) Unlock(ctx context.Context, r Ref, id string, force bool, actor string) (*store.TFLock, error) {
	action := "tfstate.unlock"
	if force {
		action, id = "tfstate.force_unlock", ""
	}
	return b.Store.TFState().UnlockTFState(ctx, r.Project, r.Name, id, &store.AuditRecord{Time: b.now(), Actor: actor,
		Action: action, Subject: r.Subject()})
}

// LockInfoOf returns a held lock's info, as Terraform reads it. A lock
// whose stored info is not lock info (never, through Lock) still gets its
// id and holder.
func LockInfoOf(l *store.TFLock) []byte {
	var li LockInfo
	if json.Unmarshal(l.Info, &li) != nil || li.ID == "" {
		li = LockInfo{ID: l.ID, Who: l.Actor, Created: l.CreatedAt.Format(time.RFC3339Nano)}
	}
	out, _ := json.Marshal(li)
	return out
}
