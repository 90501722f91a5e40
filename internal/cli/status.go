package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/delivery/analysis"
	"github.com/sluice-ci/sluice/internal/delivery/route"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

// envStatus is what sluice status shows of one environment (and its JSON).
type envStatus struct {
	Env       string           `json:"env"`
	URL       string           `json:"url,omitempty"`
	Gateway   string           `json:"gateway"`
	Live      *releaseStatus   `json:"live,omitempty"`
	Previous  *releaseStatus   `json:"previous,omitempty"`
	Candidate *releaseStatus   `json:"candidate,omitempty"`
	Stalled   bool             `json:"stalled,omitempty"`
	Traffic   []releaseTraffic `json:"traffic,omitempty"`
	// Edge counts what the edge protection matched since the gateway
	// started, by "layer rule mode" (security event log: sluice events).
	Edge map[string]int64 `json:"edge,omitempty"`
}

type releaseStatus struct {
	ID        string    `json:"id"`
	Version   string    `json:"version"`
	State     string    `json:"state"`
	Strategy  string    `json:"strategy"`
	Weight    int       `json:"weight"`
	Step      int       `json:"step"`
	Message   string    `json:"message,omitempty"`
	Replicas  int       `json:"replicas"`
	Running   int       `json:"running"`
	UpdatedAt time.Time `json:"updated_at"`
}

type releaseTraffic struct {
	Release  string  `json:"release"`
	Version  string  `json:"version"`
	Weight   int     `json:"weight"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	ErrRate  float64 `json:"error_rate"`
	P50      string  `json:"p50"`
	P99      string  `json:"p99"`
	InFlight int64   `json:"in_flight"`
	// Refused counts requests to the release the edge protection refused:
	// never counted in Requests or Errors.
	Refused int64 `json:"refused,omitempty"`
}

func newStatusCmd(g *globals) *cobra.Command {
	var (
		file, env   string
		watch, asJS bool
	)
	cmd := &cobra.Command{
		Use:   "status [--env NAME] [--watch]",
		Short: "Show each environment's live, previous and candidate releases and traffic",
		Long: `Show where an environment stands: its live release, the previous one kept
warm for rollback, the candidate being rolled out (strategy, step, traffic
weight, why), how many replicas run, and the traffic the gateway counted per
release (requests, errors, p50 and p99 latency, in flight). Without --env,
every environment that has been deployed to. --watch redraws every second.`,
		Example: `  sluice status
  sluice status --env production --watch
  sluice status --env staging --json`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			d, err := g.delivery(ctx, file, true)
			if err != nil {
				return err
			}
			defer d.close()
			for {
				sts, err := d.status(ctx, env)
				if err != nil {
					return err
				}
				if asJS {
					if err := writeJSON(g, sts); err != nil {
						return err
					}
				} else {
					if watch && isTerminal(g.s.out) {
						fmt.Fprint(g.s.out, "\033[H\033[2J")
					}
					printStatus(g, sts)
				}
				if !watch {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
			}
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&env, "env", "", "environment (default: all deployed to)")
	cmd.Flags().BoolVar(&watch, "watch", false, "redraw every second until Ctrl-C")
	cmd.Flags().BoolVar(&asJS, "json", false, "print JSON")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

func (d *deliveryEnv) status(ctx context.Context, only string) ([]envStatus, error) {
	var envs []string
	if only != "" {
		envs = []string{only}
	} else if p, err := readPipelineQuiet(d.file); err == nil {
		for _, e := range p.Environments {
			envs = append(envs, e.Name)
		}
	}
	gw := delivery.GatewayDir(d.data)
	stats, statsErr := gateway.FetchStats(ctx, gw)
	health := &gateway.Health{}
	if statsErr == nil {
		if h, err := gateway.FetchHealth(ctx, gw); err == nil {
			health = h
		}
	}
	table, _ := route.Load(gw)
	var out []envStatus
	for _, name := range envs {
		es, err := d.st.Releases().GetEnv(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			if only != "" {
				out = append(out, envStatus{Env: name, Gateway: "never deployed to"})
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		s := envStatus{Env: name, URL: "http://" + es.Listen, Gateway: "up"}
		if statsErr != nil {
			s.Gateway = "down: " + statsErr.Error()
		} else if l, ok := health.Listeners[name]; ok && l.Error != "" {
			s.Gateway = "up, but not serving this environment: " + l.Error
		}
		for _, ref := range []struct {
			id  string
			dst **releaseStatus
		}{{es.Live, &s.Live}, {es.Previous, &s.Previous}, {es.Candidate, &s.Candidate}} {
			if ref.id == "" {
				continue
			}
			rs, err := d.releaseStatus(ctx, ref.id)
			if err != nil {
				return nil, err
			}
			*ref.dst = rs
		}
		s.Stalled = es.Candidate != "" && !d.ctl.Busy(name)
		if table != nil && table.Environments[name] != nil && stats != nil && stats.Environments[name] != nil {
			window := stats.Time.Sub(stats.Started)
			for _, r := range table.Environments[name].Releases {
				m := analysis.FromStats(nil, stats.Environments[name].Releases[r.ID], window)
				var inflight, refused int64
				if rs := stats.Environments[name].Releases[r.ID]; rs != nil {
					inflight, refused = rs.InFlight, rs.Excluded
				}
				s.Traffic = append(s.Traffic, releaseTraffic{Release: r.ID, Version: r.Version, Weight: r.Weight, Requests: m.Requests,
					Errors: m.Errors, ErrRate: m.ErrorRate, P50: m.P50.Round(100 * time.Microsecond).String(),
					P99: m.P99.Round(100 * time.Microsecond).String(), InFlight: inflight, Refused: refused})
			}
			s.Edge = stats.Environments[name].Blocked
		}
		out = append(out, s)
	}
	return out, nil
}

func (d *deliveryEnv) releaseStatus(ctx context.Context, id string) (*releaseStatus, error) {
	r, err := d.st.Releases().GetRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	rs := &releaseStatus{ID: r.ID, Version: r.Version, State: r.State, Strategy: r.Strategy, Weight: r.Weight, Step: r.Step,
		Message: r.Message, UpdatedAt: r.UpdatedAt}
	ins, err := d.st.Releases().ListInstances(ctx, id)
	if err != nil {
		return nil, err
	}
	target := delivery.LocalTarget{DataDir: d.data}
	for _, in := range ins {
		rs.Replicas++
		if in.State != "stopped" && target.Alive(in) {
			rs.Running++
		}
	}
	return rs, nil
}

func printStatus(g *globals, sts []envStatus) {
	out := g.s.out
	if len(sts) == 0 {
		fmt.Fprintln(out, "no environment has been deployed to yet (sluice deploy --env NAME --artifact PATH)")
	}
	for i, s := range sts {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "environment %s  %s  (gateway %s)\n", s.Env, s.URL, s.Gateway)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, r := range []struct {
			role string
			rs   *releaseStatus
		}{{"live", s.Live}, {"candidate", s.Candidate}, {"previous", s.Previous}} {
			if r.rs == nil {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s (%s)\t%s\t%d%%\t%d/%d running\t%s\n", r.role, r.rs.Version, r.rs.ID, r.rs.State,
				r.rs.Weight, r.rs.Running, r.rs.Replicas, r.rs.Message)
		}
		_ = tw.Flush()
		if s.Stalled {
			fmt.Fprintf(out, "  the rollout's controller stopped: run 'sluice deploy --resume --env %s' to continue it, or 'sluice abort --env %s'\n", s.Env, s.Env)
		}
		if len(s.Traffic) > 0 {
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  RELEASE\tWEIGHT\tREQUESTS\tERRORS\tERROR%\tP50\tP99\tIN FLIGHT\tREFUSED")
			for _, t := range s.Traffic {
				fmt.Fprintf(tw, "  %s (%s)\t%d%%\t%d\t%d\t%.2f\t%s\t%s\t%d\t%d\n", t.Version, t.Release, t.Weight, t.Requests, t.Errors,
					100*t.ErrRate, t.P50, t.P99, t.InFlight, t.Refused)
			}
			_ = tw.Flush()
		}
		if len(s.Edge) > 0 {
			fmt.Fprintf(out, "  edge protection: %s (details: sluice events --env %s)\n", edgeSummary(s.Edge), s.Env)
		}
	}
}

func newHistoryCmd(g *globals) *cobra.Command {
	var (
		file, env string
		limit     int
		asJS      bool
	)
	cmd := &cobra.Command{
		Use:     "history --env NAME",
		Short:   "List an environment's releases, newest first",
		Example: "  sluice history --env production --limit 20",
		Args:    argsBetween(0, 0, "no arguments (use --env)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("--env is required")
			}
			d, err := g.delivery(cmd.Context(), file, true)
			if err != nil {
				return err
			}
			defer d.close()
			rels, err := d.st.Releases().ListReleases(cmd.Context(), env, limit)
			if err != nil {
				return err
			}
			if asJS {
				return writeJSON(g, rels)
			}
			if len(rels) == 0 {
				fmt.Fprintf(g.s.out, "no releases in %s yet\n", env)
				return nil
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RELEASE\tVERSION\tSTATE\tSTRATEGY\tDEPLOYED\tTOOK\tDIGEST\tWHY")
			for _, r := range rels {
				took := r.UpdatedAt.Sub(r.CreatedAt).Round(100 * time.Millisecond)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Version, r.State, r.Strategy,
					r.CreatedAt.Local().Format("2006-01-02 15:04:05"), took, shortDigest(r.Digest), truncate(r.Message, 80))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&env, "env", "", "environment")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many releases (0: all)")
	cmd.Flags().BoolVar(&asJS, "json", false, "print JSON")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

// readPipelineQuiet parses the pipeline file without printing problems.
func readPipelineQuiet(file string) (*spec.Pipeline, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p, ds := spec.Parse(file, src)
	if ds.HasErrors() {
		return nil, ds.Err()
	}
	return p, nil
}

// edgeSummary reads counts by "layer rule mode" as "layer: n refused, m
// counted" per layer.
func edgeSummary(counts map[string]int64) string {
	type tally struct{ refused, counted int64 }
	by := map[string]*tally{}
	for k, n := range counts {
		f := strings.Fields(k)
		if len(f) != 3 {
			continue
		}
		t := by[f[0]]
		if t == nil {
			t = &tally{}
			by[f[0]] = t
		}
		if f[2] == "enforce" {
			t.refused += n
		} else {
			t.counted += n
		}
	}
	layers := make([]string, 0, len(by))
	for l := range by {
		layers = append(layers, l)
	}
	sort.Strings(layers)
	var parts []string
	for _, l := range layers {
		t := by[l]
		var p []string
		if t.refused > 0 {
			p = append(p, fmt.Sprintf("%d refused", t.refused))
		}
		if t.counted > 0 {
			p = append(p, fmt.Sprintf("%d matched, not enforced", t.counted))
		}
		parts = append(parts, l+" "+strings.Join(p, ", "))
	}
	return strings.Join(parts, "; ")
}
