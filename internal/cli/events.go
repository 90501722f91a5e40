package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/gateway"
)

// eventFilter selects security events.
type eventFilter struct {
	env, release, layer, rule, client string
	since                             time.Time
	enforced                          bool
}

func (f eventFilter) match(ev *gateway.SecurityEvent) bool {
	return (f.env == "" || ev.Env == f.env) && (f.release == "" || ev.Release == f.release) &&
		(f.layer == "" || ev.Layer == f.layer) && (f.rule == "" || ev.Rule == f.rule) &&
		(f.client == "" || ev.ClientIP == f.client) && (f.since.IsZero() || !ev.Time.Before(f.since)) &&
		(!f.enforced || ev.Enforced)
}

func newEventsCmd(g *globals) *cobra.Command {
	var (
		file, since, dir string
		f                eventFilter
		limit            int
		follow, asJSON   bool
		summary          bool
	)
	cmd := &cobra.Command{
		Use:   "events [--env NAME] [--since 1h] [--follow]",
		Short: "Show the gateway's security events: what the WAF, rate limit, geo and API-key layers matched",
		Long: `Every request the edge protection of an environment matched — refused in
enforce mode, only counted in detect and monitor mode — is written by the
gateway to its security event log (security-events.jsonl in the gateway
folder, rotated by size, three old files kept). This command reads it,
oldest first, with filters; --follow keeps printing new events.

Each event names the environment, the release the request was routed to,
the layer (rate, geo, auth, openapi, waf), the rule (a CRS rule id such as
942100 for the WAF), the mode, the status sent, the request id (the same as
the X-Request-Id the client got), the client address, method and path.
--summary counts the events by environment, layer and rule instead.
--json prints one JSON object per line, as stored.`,
		Example: `  sluice events --env production --since 1h
  sluice events --layer waf --enforced --summary
  sluice events --follow --json | jq .rule`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return usageErr("--since: %v", err)
				}
				f.since = t
			}
			if follow && summary {
				return usageErr("--follow and --summary do not go together")
			}
			if dir == "" {
				p := file
				if p == "" {
					p, _ = findPipelineFile("")
				}
				dir = delivery.GatewayDir(g.dataDir(p))
			}
			path := filepath.Join(dir, gateway.EventLogFile)
			var evs []gateway.SecurityEvent
			emit := func(ev gateway.SecurityEvent) error {
				evs = append(evs, ev)
				return nil
			}
			if asJSON || follow {
				enc := json.NewEncoder(g.s.out)
				enc.SetEscapeHTML(false)
				tw := newEventTable(g.s.out)
				emit = func(ev gateway.SecurityEvent) error {
					if asJSON {
						return enc.Encode(ev)
					}
					tw.row(ev)
					return tw.flush()
				}
			}
			n, err := gateway.ReadEvents(path, f.match, emit)
			if err != nil {
				return err
			}
			if follow {
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return followEvents(ctx, path, f, emit)
			}
			if limit > 0 && len(evs) > limit {
				evs = evs[len(evs)-limit:]
			}
			switch {
			case summary:
				printEventSummary(g.s.out, evs)
			case !asJSON:
				if n == 0 {
					fmt.Fprintf(g.s.err, "no security events in %s\n", path)
					return nil
				}
				tw := newEventTable(g.s.out)
				for _, ev := range evs {
					tw.row(ev)
				}
				return tw.flush()
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml); locates the data folder")
	cmd.Flags().StringVar(&dir, "dir", "", "gateway folder (default: gateway/ in the data folder)")
	cmd.Flags().StringVar(&f.env, "env", "", "only this environment")
	cmd.Flags().StringVar(&f.release, "release", "", "only requests routed to this release id")
	cmd.Flags().StringVar(&f.layer, "layer", "", "only this layer: rate, geo, auth, openapi, waf")
	cmd.Flags().StringVar(&f.rule, "rule", "", "only this rule (e.g. 942100)")
	cmd.Flags().StringVar(&f.client, "client", "", "only this client address")
	cmd.Flags().BoolVar(&f.enforced, "enforced", false, "only refused requests (not detect/monitor matches)")
	cmd.Flags().StringVar(&since, "since", "", "only events at or after this time: a duration back from now (90m, 2d) or RFC 3339")
	cmd.Flags().IntVarP(&limit, "limit", "n", 0, "only the newest N events (0: all)")
	cmd.Flags().BoolVar(&follow, "follow", false, "keep printing new events until Ctrl-C")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	cmd.Flags().BoolVar(&summary, "summary", false, "count events by environment, layer and rule")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	_ = cmd.RegisterFlagCompletionFunc("layer", cobra.FixedCompletions([]string{"rate", "geo", "auth", "openapi", "waf"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// parseSince reads "90m", "2d" (back from now) or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither a duration (90m, 2d) nor an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}

// followEvents prints events appended to path until ctx ends, reopening
// the file when the gateway rotates it.
func followEvents(ctx context.Context, path string, f eventFilter, emit func(gateway.SecurityEvent) error) error {
	var off int64
	var ino os.FileInfo
	if fi, err := os.Stat(path); err == nil {
		off, ino = fi.Size(), fi
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
		fi, err := os.Stat(path)
		if err != nil {
			continue
		}
		if ino == nil || !os.SameFile(ino, fi) || fi.Size() < off {
			off, ino = 0, fi // rotated or recreated: read the new file from the start
		}
		if fi.Size() == off {
			continue
		}
		fh, err := os.Open(path)
		if err != nil {
			continue
		}
		if _, err := fh.Seek(off, io.SeekStart); err == nil {
			used, err := gateway.ScanEvents(fh, f.match, emit)
			off += used
			if err != nil {
				fh.Close()
				return err
			}
		}
		fh.Close()
	}
}

type eventTable struct {
	tw     *tabwriter.Writer
	header bool
}

func newEventTable(w io.Writer) *eventTable {
	return &eventTable{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (t *eventTable) row(ev gateway.SecurityEvent) {
	if !t.header {
		fmt.Fprintln(t.tw, "TIME\tENV\tRELEASE\tLAYER\tRULE\tACTION\tCLIENT\tREQUEST\tREQUEST ID")
		t.header = true
	}
	action := ev.Mode
	if ev.Enforced {
		action = "refused " + strconv.Itoa(ev.Status)
	}
	// Paths carry attack payloads: escape control characters so that
	// none reaches the terminal.
	target := ev.Path
	if ev.Query != "" {
		target += "?" + ev.Query
	}
	req := strconv.QuoteToGraphic(ev.Method + " " + target)
	req = req[1 : len(req)-1]
	if len(req) > 80 {
		req = req[:77] + "..."
	}
	fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.Local().Format("2006-01-02 15:04:05"), ev.Env, dash(ev.Release),
		ev.Layer, ev.Rule, action, dash(ev.ClientIP), req, ev.RequestID)
}

func (t *eventTable) flush() error { return t.tw.Flush() }

func printEventSummary(w io.Writer, evs []gateway.SecurityEvent) {
	type key struct{ env, layer, rule string }
	type tally struct {
		refused, matched int
		last             time.Time
		message          string
	}
	by := map[key]*tally{}
	for _, ev := range evs {
		k := key{ev.Env, ev.Layer, ev.Rule}
		t := by[k]
		if t == nil {
			t = &tally{}
			by[k] = t
		}
		if ev.Enforced {
			t.refused++
		} else {
			t.matched++
		}
		if ev.Time.After(t.last) {
			t.last, t.message = ev.Time, ev.Message
		}
	}
	keys := make([]key, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := by[keys[i]], by[keys[j]]
		if a.refused+a.matched != b.refused+b.matched {
			return a.refused+a.matched > b.refused+b.matched
		}
		return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j])
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENV\tLAYER\tRULE\tREFUSED\tMATCHED (NOT ENFORCED)\tLAST\tMESSAGE")
	for _, k := range keys {
		t := by[k]
		msg := strconv.QuoteToGraphic(t.message)
		msg = msg[1 : len(msg)-1]
		if len(msg) > 60 {
			msg = msg[:57] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", k.env, k.layer, k.rule, t.refused, t.matched, t.last.Local().Format("2006-01-02 15:04:05"), msg)
	}
	_ = tw.Flush()
}
