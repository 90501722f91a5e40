package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify and export the tamper-evident audit trail",
		Long: `Every action sluice takes — runs, gate decisions, deploy steps, rollbacks,
approvals — is an audit record chained to the one before it by a SHA-256
hash. 'verify' walks the whole chain and names the first record that was
edited, removed, inserted or reordered; 'export' streams the records.`,
	}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit trail's hash chain",
		Long: `Walk the audit trail from its first record and check each record's hash and
its link to the one before. Exit status 0 when the chain holds, 1 when it is
broken (the first bad record is named), 2 usage error.`,
		Example: `  sluice audit verify
  sluice audit verify --data /var/lib/sluice`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			n, last, err := store.VerifyTrail(cmd.Context(), st.Audit(), 0)
			var ce *store.AuditChainError
			if errors.As(err, &ce) {
				fmt.Fprintf(g.s.out, "audit trail BROKEN after %d good records: %v\n", n, err)
				return failed()
			}
			if err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintln(g.s.out, "audit trail is empty")
				return nil
			}
			fmt.Fprintf(g.s.out, "audit trail verified: %d records, chain intact, head %s\n", n, last)
			return nil
		},
	}
	var format string
	var since string
	export := &cobra.Command{
		Use:   "export [--format jsonl] [--since TIME]",
		Short: "Stream the audit records as JSON lines",
		Example: `  sluice audit export > audit.jsonl
  sluice audit export --since 2026-11-01T00:00:00Z`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "jsonl" {
				return usageErr("--format %q: only jsonl", format)
			}
			var from time.Time
			if since != "" {
				t, err := time.Parse(time.RFC3339, since)
				if err != nil {
					return usageErr("--since %q: want an RFC 3339 time like 2026-11-01T00:00:00Z", since)
				}
				from = t
			}
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			enc := json.NewEncoder(g.s.out)
			var after int64
			for {
				page, err := st.Audit().ListAudit(cmd.Context(), store.AuditQuery{AfterSeq: after, Limit: 1000})
				if err != nil {
					return err
				}
				if len(page) == 0 {
					return nil
				}
				for _, r := range page {
					if !from.IsZero() && r.Time.Before(from) {
						continue
					}
					if err := enc.Encode(auditJSON{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Action: r.Action, Subject: r.Subject,
						Data: r.Data, PrevHash: r.PrevHash, Hash: r.Hash}); err != nil {
						return err
					}
				}
				after = page[len(page)-1].Seq
			}
		},
	}
	export.Flags().StringVar(&format, "format", "jsonl", "output format: jsonl")
	export.Flags().StringVar(&since, "since", "", "only records at or after this time (RFC 3339)")
	cmd.AddCommand(verify, export, newAuditForwardCmd(g))
	return cmd
}

type auditJSON struct {
	Seq      int64             `json:"seq"`
	Time     time.Time         `json:"time"`
	Actor    string            `json:"actor"`
	Action   string            `json:"action"`
	Subject  string            `json:"subject"`
	Data     map[string]string `json:"data,omitempty"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// verifyAudit walks the chain from the first record up to seq upTo (0:
// the end) and returns how many records verified and the last good hash;
// a broken chain is a *store.AuditChainError.
