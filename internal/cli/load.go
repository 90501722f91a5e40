package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery/load"
	"github.com/spf13/cobra"
)

// newLoadCmd is a small steady-load generator for trying deployments by
// hand and for the benchmarks (loopback targets, bounded runs).
func newLoadCmd(g *globals) *cobra.Command {
	var (
		dur     time.Duration
		workers int
		pause   time.Duration
	)
	cmd := &cobra.Command{
		Use:    "load URL [--for 30s] [--workers 8]",
		Short:  "Send steady GET load to a URL and count failures per release",
		Hidden: true,
		Args:   argsBetween(1, 1, "one URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			gen := load.Start(ctx, load.Options{URL: args[0], Workers: workers, Pause: pause})
			ctx, cancel := context.WithTimeout(ctx, dur)
			defer cancel()
			<-ctx.Done()
			c := gen.Stop()
			if err := writeJSON(g, c); err != nil {
				return err
			}
			if c.Failed > 0 {
				fmt.Fprintf(g.s.err, "%d of %d requests failed\n", c.Failed, c.Requests)
				return failed()
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&dur, "for", 30*time.Second, "how long to send load")
	cmd.Flags().IntVar(&workers, "workers", 8, "concurrent clients")
	cmd.Flags().DurationVar(&pause, "pause", 0, "pause of each client between requests")
	return cmd
}
