package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/notify"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

// newAuditForwardCmd streams the audit trail to a webhook sink in signed
// batches, with a checkpoint, like audit event streaming.
func newAuditForwardCmd(g *globals) *cobra.Command {
	var (
		secretEnv string
		follow    bool
		batch     int
	)
	cmd := &cobra.Command{
		Use:   "forward URL --secret-env VAR [--follow]",
		Short: "Send the audit trail to a webhook sink (a SIEM, a log store), signed, resuming where it stopped",
		Long: `POST the audit records not sent yet to URL, in batches of JSON lines, each
signed like sluice's notifications (X-Sluice-Timestamp and X-Sluice-Signature:
HMAC-SHA256 with the secret in VAR; X-Sluice-Delivery names the batch's
first and last record, so a receiver drops a batch sent twice). The last
record sent is kept in DATA/audit-forward-<hash of URL>.seq; a failed batch
is retried with backoff. --follow keeps forwarding new records every two
seconds until interrupted.`,
		Example: `  SIEM_SECRET=… sluice audit forward https://siem.example/ingest/sluice --secret-env SIEM_SECRET --follow`,
		Args:    argsBetween(1, 1, "the sink's URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := args[0]
			if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
				return usageErr("URL %q: want http:// or https://", url)
			}
			secret := os.Getenv(secretEnv)
			if secretEnv == "" || secret == "" {
				return usageErr("--secret-env: name a variable holding the sink's signing secret")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := g.existingStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sum := sha256.Sum256([]byte(url))
			state := filepath.Join(g.dataDir(""), "audit-forward-"+hex.EncodeToString(sum[:6])+".seq")
			var after int64
			if b, err := os.ReadFile(state); err == nil {
				after, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			}
			client := &http.Client{Timeout: 30 * time.Second}
			sent := 0
			for {
				recs, err := st.Audit().ListAudit(ctx, store.AuditQuery{AfterSeq: after, Limit: batch})
				if err != nil {
					return err
				}
				if len(recs) > 0 {
					if err := sendAuditBatch(ctx, client, url, []byte(secret), recs); err != nil {
						return &exitError{code: ExitFailed, err: fmt.Errorf("forward records %d-%d: %w (resume later: nothing after %d was acknowledged)",
							recs[0].Seq, recs[len(recs)-1].Seq, err, after)}
					}
					after = recs[len(recs)-1].Seq
					sent += len(recs)
					if err := os.WriteFile(state, []byte(strconv.FormatInt(after, 10)+"\n"), 0o600); err != nil {
						return err
					}
					continue
				}
				if !follow {
					fmt.Fprintf(g.s.out, "forwarded %d audit records to %s (up to record %d)\n", sent, url, after)
					return nil
				}
				select {
				case <-ctx.Done():
					fmt.Fprintf(g.s.out, "forwarded %d audit records to %s (up to record %d)\n", sent, url, after)
					return nil
				case <-time.After(2 * time.Second):
				}
			}
		},
	}
	cmd.Flags().StringVar(&secretEnv, "secret-env", "", "environment variable holding the signing secret")
	cmd.Flags().BoolVar(&follow, "follow", false, "keep forwarding new records until interrupted")
	cmd.Flags().IntVar(&batch, "batch", 500, "records per request")
	return cmd
}

// sendAuditBatch POSTs recs as JSON lines, retrying 5 times with backoff.
func sendAuditBatch(ctx context.Context, client *http.Client, url string, secret []byte, recs []*store.AuditRecord) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, r := range recs {
		if err := enc.Encode(auditJSON{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Action: r.Action, Subject: r.Subject,
			Data: r.Data, PrevHash: r.PrevHash, Hash: r.Hash}); err != nil {
			return err
		}
	}
	delivery := fmt.Sprintf("audit-%d-%d", recs[0].Seq, recs[len(recs)-1].Seq)
	var last error
	for attempt, wait := 1, time.Second; attempt <= 5; attempt, wait = attempt+1, wait*2 {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("X-Sluice-Event", "audit.batch")
		req.Header.Set("X-Sluice-Delivery", delivery)
		req.Header.Set("X-Sluice-Timestamp", ts)
		req.Header.Set("X-Sluice-Signature", notify.Sign(secret, ts, body.Bytes()))
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode/100 == 2 {
				return nil
			}
			last = fmt.Errorf("the sink answered %s", res.Status)
			if res.StatusCode/100 == 4 && res.StatusCode != 408 && res.StatusCode != 429 {
				return last
			}
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return last
}
