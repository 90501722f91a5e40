package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/notify"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

// deliveryEnv is what the delivery commands share: the pipeline, its data
// folder, the store and a controller.
type deliveryEnv struct {
	file, dir, data string
	st              store.Store
	ctl             *release.Controller
	nt              *notifier
}

// close delivers queued notifications and closes the store.
func (d *deliveryEnv) close() {
	d.nt.close()
	d.st.Close()
}

func (g *globals) delivery(ctx context.Context, file string, quiet bool) (*deliveryEnv, error) {
	path, err := findPipelineFile(file)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := filepath.Abs(g.dataDir(path))
	if err != nil {
		return nil, err
	}
	st, _, err := g.openStore(ctx, data)
	if err != nil {
		return nil, err
	}
	gw := delivery.GatewayDir(data)
	o := release.Options{
		Store: st, DataDir: data, Actor: currentUser(), Logger: g.logger(),
		Target: delivery.LocalTarget{DataDir: data, BaseEnv: baseEnv(nil), Secrets: g.deploySecrets(st, data)},
		Router: delivery.GatewayRouter{Dir: gw},
		Meter:  delivery.NewGatewayMeter(gw),
	}
	nt, err := g.loadNotifier(data, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	o.Observer = func(e release.Event) {
		if !quiet {
			fmt.Fprintf(g.s.out, "%s %s %s (%s) %s: %s\n", e.Time.Format("15:04:05.000"), e.Env, e.Version, e.Release, e.State, e.Message)
		}
		switch e.State {
		case store.ReleaseLive:
			nt.send(notify.Event{Kind: notify.KindReleaseDeployed, Env: e.Env, Release: e.Release, Version: e.Version,
				Title: e.Version + " is live in " + e.Env, Text: e.Message})
		case store.ReleaseRolledBack:
			nt.send(notify.Event{Kind: notify.KindReleaseRolledBack, Env: e.Env, Release: e.Release, Version: e.Version,
				Title: e.Version + " was rolled back in " + e.Env, Text: e.Message})
		}
	}
	return &deliveryEnv{file: path, dir: filepath.Dir(abs), data: data, st: st, ctl: release.New(o), nt: nt}, nil
}

// ensureGateway starts the gateway for the data folder when none runs.
func (d *deliveryEnv) ensureGateway(ctx context.Context, g *globals) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	started, err := delivery.EnsureGateway(ctx, delivery.GatewayDir(d.data), self)
	if err != nil {
		return err
	}
	if started {
		fmt.Fprintf(g.s.err, "started the gateway (logs: %s)\n", filepath.Join(delivery.GatewayDir(d.data), "gateway.log"))
	}
	return nil
}

// deliveryResult maps a controller error to an exit status.
func deliveryResult(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, release.ErrBusy):
		return &exitError{code: ExitFailed, err: err}
	case errors.Is(err, release.ErrRolledBack), errors.Is(err, release.ErrQuarantined), errors.Is(err, release.ErrNotPromoted):
		return &exitError{code: ExitFailed, err: err}
	case errors.Is(err, context.Canceled):
		return &exitError{code: ExitCanceled, err: fmt.Errorf("interrupted: the gateway keeps serving its last routing; run 'sluice deploy --resume --env ENV' to continue, or 'sluice abort --env ENV'")}
	}
	return &exitError{code: ExitFailed, err: err}
}

func newDeployCmd(g *globals) *cobra.Command {
	var (
		file, env, artifact, version string
		override, resume             bool
	)
	cmd := &cobra.Command{
		Use:   "deploy --env NAME --artifact PATH [--version LABEL]",
		Short: "Roll an artifact out to an environment (blue-green, canary or rolling)",
		Long: `Deploy an artifact (a built file or folder, identified by its sha256) to an
environment with the environment's strategy: blue-green, canary or rolling.
The app is started from the pipeline's deploy: section (run with ${PORT},
${ARTIFACT} and ${VERSION}, env, replicas, health), smoke-tested against its
own address, then given traffic through sluice's gateway: all at once
(blue-green), in weighted steps judged by analysis (canary), or a batch of
replicas at a time (rolling). After the switch the monitor window watches
it; a breach, a failed analysis or a crashed replica rolls back to the
previous release, which is kept warm. A rolled-back or aborted artifact is
quarantined in that environment: deploying it again needs --override. An
environment with after: [staging] takes only an artifact that was live in
staging (by digest), unless --override.

The gateway (the data plane) is started in the background when it does not
run, and keeps serving when this command stops. If this command is killed
mid-rollout, 'sluice deploy --resume --env NAME' continues the release or
rolls it back, whichever is consistent.

Exit status: 0 the release is live, 1 it failed or was rolled back, 2 usage
or configuration error, 130 interrupted.`,
		Example: `  sluice deploy --env staging --artifact dist/goodbooks --version 1.4.0
  sluice deploy --env production --artifact dist/goodbooks
  sluice deploy --env production --resume`,
		Args: argsBetween(0, 0, "no arguments (use --env and --artifact)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("--env is required")
			}
			if artifact == "" && !resume {
				return usageErr("--artifact is required (or --resume)")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			d, err := g.delivery(ctx, file, false)
			if err != nil {
				return err
			}
			defer d.close()
			if err := d.ensureGateway(ctx, g); err != nil {
				return err
			}
			if resume {
				return deliveryResult(d.ctl.Resume(ctx, env))
			}
			p, _, err := loadPipeline(g, d.file)
			if err != nil {
				return err
			}
			cfg, err := resolveRelease(p, env, d.dir)
			if err != nil {
				return usageErr("%v", err)
			}
			if _, err := os.Stat(artifact); err != nil {
				return usageErr("--artifact %s: %v", artifact, err)
			}
			// In a pipeline step, the run that built the artifact is known:
			// the DORA lead time counts from it.
			rel, err := d.ctl.Deploy(ctx, release.DeployRequest{Env: env, Config: cfg, Artifact: artifact, Version: version,
				After: p.Environment(env).After, Override: override, RunID: os.Getenv("SLUICE_RUN_ID")})
			if err != nil {
				return deliveryResult(err)
			}
			fmt.Fprintf(g.s.out, "%s is live in %s at http://%s\n", rel.Version, env, cfg.Listen)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	fl.StringVar(&env, "env", "", "environment to deploy to")
	fl.StringVar(&artifact, "artifact", "", "the built file or folder to deploy")
	fl.StringVar(&version, "version", "", "version label (default: the start of the artifact's sha256)")
	fl.BoolVar(&override, "override", false, "deploy an artifact quarantined in this environment")
	fl.BoolVar(&resume, "resume", false, "continue or roll back a rollout whose controller stopped")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

func newRequestCmd(g *globals, what string) *cobra.Command {
	var file, env string
	short := map[string]string{
		"promote": "Promote the canary in progress to all traffic now",
		"abort":   "Abort the rollout in progress and return to the live release",
	}[what]
	cmd := &cobra.Command{
		Use:   what + " --env NAME",
		Short: short,
		Long: short + `. The deploying process acts on it within a second;
when none runs (it was stopped), this command finishes the job itself.`,
		Example: "  sluice " + what + " --env production",
		Args:    argsBetween(0, 0, "no arguments (use --env)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("--env is required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			d, err := g.delivery(ctx, file, false)
			if err != nil {
				return err
			}
			defer d.close()
			rel, err := d.ctl.Request(ctx, env, what)
			if err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(g.s.out, "asked to %s %s (%s) in %s\n", what, rel.Version, rel.ID, env)
			if d.ctl.Busy(env) {
				return nil
			}
			if err := d.ensureGateway(ctx, g); err != nil {
				return err
			}
			err = d.ctl.Resume(ctx, env)
			if what == "abort" && errors.Is(err, release.ErrRolledBack) {
				return nil
			}
			return deliveryResult(err)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&env, "env", "", "environment")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

func newRollbackCmd(g *globals) *cobra.Command {
	var (
		file, env, to string
		override      bool
	)
	cmd := &cobra.Command{
		Use:   "rollback --env NAME [--to VERSION]",
		Short: "Put an environment back on its previous release (or on VERSION)",
		Long: `Route all traffic of an environment back to its previous release — at once
when it is still warm, else after starting it again from its stored
artifact — or to the release of --to VERSION. The release taken out is
marked rolled back and its artifact quarantined in the environment.`,
		Example: `  sluice rollback --env production
  sluice rollback --env production --to 1.3.2`,
		Args: argsBetween(0, 0, "no arguments (use --env)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("--env is required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			d, err := g.delivery(ctx, file, false)
			if err != nil {
				return err
			}
			defer d.close()
			if err := d.ensureGateway(ctx, g); err != nil {
				return err
			}
			rel, err := d.ctl.Rollback(ctx, env, to, override)
			if err != nil {
				return deliveryResult(err)
			}
			fmt.Fprintf(g.s.out, "%s is live in %s again\n", rel.Version, env)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&env, "env", "", "environment")
	cmd.Flags().StringVar(&to, "to", "", "version (or release id) to go back to")
	cmd.Flags().BoolVar(&override, "override", false, "go back to a release that was rolled back or aborted")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

func newGatewayCmd(g *globals) *cobra.Command {
	var dir, admin string
	cmd := &cobra.Command{
		Use:   "gateway [--dir DIR] [--admin ADDR]",
		Short: "Run the gateway: the data plane serving each environment's releases",
		Long: `Run the gateway in the foreground: one listener per environment, routing
requests to the releases' replicas with the weights of the routing table
that sluice deploy writes (routes.json in DIR), counting requests, status
classes and latency per release (GET /v1/stats and /metrics on the admin
address, with the bearer token in DIR/admin.token). It keeps serving its last
table when the control plane is down. sluice deploy starts one in the
background when none runs; run it yourself under a service manager to
control its lifetime.`,
		Example: `  sluice gateway
  sluice gateway --dir .sluice/gateway --admin 127.0.0.1:9090`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				dir = delivery.GatewayDir(g.dataDir(""))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return gateway.Run(ctx, gateway.Options{Dir: dir, AdminAddr: admin, Logger: g.logger()})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "gateway folder (default: gateway/ in the data folder)")
	cmd.Flags().StringVar(&admin, "admin", "", "admin API address (default 127.0.0.1, any free port)")
	return cmd
}

func newDownCmd(g *globals) *cobra.Command {
	var file, env string
	var keepGateway bool
	cmd := &cobra.Command{
		Use:   "down [--env NAME]",
		Short: "Stop the releases of an environment (default: all) and the gateway",
		Long: `Stop every replica of every release of an environment — or of every
environment of the pipeline — and take it out of the gateway's routing; then
stop the gateway itself unless --keep-gateway. The store keeps the history;
the next deploy starts from scratch.`,
		Example: `  sluice down
  sluice down --env staging --keep-gateway`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := g.delivery(ctx, file, true)
			if err != nil {
				return err
			}
			defer d.close()
			envs := []string{env}
			if env == "" {
				p, err := readPipelineQuiet(d.file)
				if err != nil {
					return usageErr("%v", err)
				}
				envs = envs[:0]
				for _, e := range p.Environments {
					envs = append(envs, e.Name)
				}
			}
			for _, e := range envs {
				if _, err := d.st.Releases().GetEnv(ctx, e); errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err := d.ctl.Down(ctx, e); err != nil {
					return deliveryResult(err)
				}
				fmt.Fprintf(g.s.out, "stopped %s\n", e)
			}
			if env == "" && !keepGateway {
				stopped, err := delivery.StopGateway(ctx, delivery.GatewayDir(d.data))
				if err != nil {
					return err
				}
				if stopped {
					fmt.Fprintln(g.s.out, "stopped the gateway")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "pipeline file (default sluice.yaml)")
	cmd.Flags().StringVar(&env, "env", "", "environment (default: every one, and the gateway)")
	cmd.Flags().BoolVar(&keepGateway, "keep-gateway", false, "leave the gateway running")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs(&file))
	return cmd
}

// resolveRelease resolves a release's configuration for env, with the
// environment's edge protection for the gateway.
func resolveRelease(p *spec.Pipeline, env, dir string) (*release.Config, error) {
	cfg, err := release.Resolve(p, env, dir)
	if err != nil {
		return nil, err
	}
	if cfg.Edge, err = delivery.EdgeConfig(p.Environment(env), dir); err != nil {
		return nil, err
	}
	return cfg, nil
}
