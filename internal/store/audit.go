package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AuditHash is the hash that chains r to the record before it: the SHA-256
// of prev and a canonical JSON encoding of r's content (Seq, Time in UTC
// with nanoseconds, Actor, Action, Subject and Data with sorted keys). Any
// change to a stored record, or a record removed or inserted, breaks the
// chain from that point on.
func AuditHash(prev string, r *AuditRecord) string {
	data := r.Data
	if len(data) == 0 {
		data = nil // an empty map is stored, and read back, as none
	}
	content := struct {
		Prev    string            `json:"prev"`
		Seq     int64             `json:"seq"`
		Time    string            `json:"time"`
		Actor   string            `json:"actor"`
		Action  string            `json:"action"`
		Subject string            `json:"subject"`
		Data    map[string]string `json:"data"`
	}{prev, r.Seq, r.Time.UTC().Format(time.RFC3339Nano), r.Actor, r.Action, r.Subject, data}
	// encoding/json sorts map keys, so the encoding is canonical.
	b, err := json.Marshal(content)
	if err != nil { // cannot happen: strings and a string map only
		panic(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// AuditChainError says where an audit chain breaks.
type AuditChainError struct {
	Seq    int64
	Reason string
}

func (e *AuditChainError) Error() string {
	return fmt.Sprintf("audit chain broken at record %d: %s", e.Seq, e.Reason)
}

// VerifyAudit checks that recs (consecutive records by Seq, starting after
// a record whose hash is prev, or at the first record with prev "") form
// an unbroken chain. It returns nil or an *AuditChainError naming the first
// bad record.
func VerifyAudit(prev string, recs []*AuditRecord) error {
	var want int64
	if len(recs) > 0 {
		want = recs[0].Seq
		if prev == "" && want != 1 {
			return &AuditChainError{Seq: want, Reason: fmt.Sprintf("the trail starts at record %d; records before it are missing", want)}
		}
	}
	for _, r := range recs {
		switch {
		case r.Seq != want:
			return &AuditChainError{Seq: want, Reason: fmt.Sprintf("record %d is missing (next stored is %d)", want, r.Seq)}
		case r.PrevHash != prev:
			return &AuditChainError{Seq: r.Seq, Reason: "its previous-hash does not match the record before it"}
		case AuditHash(prev, r) != r.Hash:
			return &AuditChainError{Seq: r.Seq, Reason: "its content does not match its hash (edited after it was written)"}
		}
		prev = r.Hash
		want++
	}
	return nil
}

// VerifyTrail walks the stored audit trail from its first record up to
// record upTo (0: to the end) and checks it forms an unbroken chain. It
// returns how many records held and the hash of the last one that did; a
// break (an edited, removed or reordered record) is an *AuditChainError.
func VerifyTrail(ctx context.Context, a AuditStore, upTo int64) (n int, head string, err error) {
	after := int64(0)
	for {
		page, err := a.ListAudit(ctx, AuditQuery{AfterSeq: after, Limit: 5000})
		if err != nil {
			return n, head, fmt.Errorf("read the audit trail: %w", err)
		}
		if upTo > 0 {
			for len(page) > 0 && page[len(page)-1].Seq > upTo {
				page = page[:len(page)-1]
			}
		}
		if len(page) == 0 {
			return n, head, nil
		}
		if page[0].Seq != after+1 {
			return n, head, &AuditChainError{Seq: after + 1, Reason: fmt.Sprintf("record %d is missing (next stored is %d)", after+1, page[0].Seq)}
		}
		if err := VerifyAudit(head, page); err != nil {
			var ce *AuditChainError
			if errors.As(err, &ce) {
				n += int(ce.Seq - page[0].Seq)
			}
			return n, head, err
		}
		n += len(page)
		head, after = page[len(page)-1].Hash, page[len(page)-1].Seq
		if upTo > 0 && after >= upTo {
			return n, head, nil
		}
	}
}
