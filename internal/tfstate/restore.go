package tfstate

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
)

// WithSerial returns content with its "serial" set to serial; every other
// field is kept (object keys come out sorted, indented as Terraform
// writes states).
func WithSerial(content []byte, serial int64) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(content, &m); err != nil {
		return nil, badInput("not a Terraform state (JSON): %v", err)
	}
	m["serial"] = json.RawMessage(strconv.FormatInt(serial, 10))
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Restore makes version of r the current state again: its content, with
// the serial after the current one (so no Terraform client holds a newer
// serial), stored as a new version that records what it restores. The
// restore is refused while someone holds r's lock; it may bring back
// another lineage (an earlier one, before a delete). Audited as
// tfstate.restore.
func (b *Backend) Restore(ctx context.Context, r Ref, version int64, actor string) (*store.TFStateVersion, error) {
	if version < 1 {
		return nil, badInput("version %d: versions count from 1", version)
	}
	tf := b.Store.TFState()
	old, err := tf.GetTFStateVersion(ctx, r.Project, r.Name, version)
	if err != nil {
		return nil, err
	}
	content, err := b.open(r, old)
	if err != nil {
		return nil, err
	}
	st, err := tf.GetTFState(ctx, r.Project, r.Name)
	if err != nil {
		return nil, err
	}
	if st.Version == version {
		return nil, badInput("version %d is the current version already", version)
	}
	next := max(st.Serial, old.Serial) + 1
	if st.Version == 0 {
		// Deleted: any serial will do; keep counting from the highest.
		vs, err := tf.ListTFStateVersions(ctx, r.Project, r.Name)
		if err != nil {
			return nil, err
		}
		for _, x := range vs {
			next = max(next, x.Serial+1)
		}
	}
	content, err = WithSerial(content, next)
	if err != nil {
		return nil, err
	}
	v, err := b.newVersion(r, content, actor)
	if err != nil {
		return nil, err
	}
	v.RestoredFrom = version
	_, err = tf.PutTFStateVersion(ctx, v, "", &store.AuditRecord{Time: b.now(), Actor: actor, Action: "tfstate.restore", Subject: r.Subject(),
		Data: map[string]string{"restored": strconv.FormatInt(version, 10), "serial": strconv.FormatInt(v.Serial, 10), "lineage": v.Lineage}})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Resealed is a version's content sealed with a new server key, ready to
// be stored by ApplyReseal.
type Resealed struct {
	ref     Ref
	version int64
	sealed  []byte
}

// PrepareReseal opens every version of every state with b.Key and seals
// it with fresh, changing nothing yet: a key rotation stores nothing
// unless everything opens with the current key.
func (b *Backend) PrepareReseal(ctx context.Context, fresh []byte) ([]Resealed, error) {
	states, err := b.Store.TFState().ListTFStates(ctx)
	if err != nil {
		return nil, err
	}
	var out []Resealed
	for _, st := range states {
		r := Ref{Project: st.Project, Name: st.Name}
		vs, err := b.Store.TFState().ListTFStateVersions(ctx, st.Project, st.Name)
		if err != nil {
			return nil, err
		}
		for _, x := range vs {
			v, err := b.Store.TFState().GetTFStateVersion(ctx, st.Project, st.Name, x.Version)
			if err != nil {
				return nil, err
			}
			content, err := b.open(r, v)
			if err != nil {
				return nil, err
			}
			sealed, err := auth.SealSigningKey(fresh, place(r, v.SHA256), content)
			if err != nil {
				return nil, err
			}
			out = append(out, Resealed{ref: r, version: v.Version, sealed: sealed})
		}
	}
	return out, nil
}

// ApplyReseal stores what PrepareReseal sealed.
func (b *Backend) ApplyReseal(ctx context.Context, rs []Resealed) error {
	for _, x := range rs {
		if err := b.Store.TFState().ResealTFStateVersion(ctx, x.ref.Project, x.ref.Name, x.version, x.sealed); err != nil {
			return err
		}
	}
	return nil
}
