package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/web"
	"github.com/spf13/cobra"
)

func newUpCmd(g *globals) *cobra.Command {
	var (
		addr  string
		drain time.Duration
	)
	cmd := &cobra.Command{
		Use:   "up [--addr HOST:PORT] [--data DIR]",
		Short: "Run the control plane: the web UI, the HTTP API, webhooks and the gateway",
		Long: `Run sluice as a service: the web UI at http://ADDR/ (log in as a user or with an API key),
the HTTP API (JSON, described at /api/openapi.json),
webhooks of GitHub, Gitea and GitLab that start runs at the exact commit
pushed (POST /hooks/<provider>/<project>, signature-verified, replays
refused), cron schedules of the projects' pipelines (on.schedule; one
control plane schedules at a time when several share a database), approvals,
the audit trail; and the gateway, started in the background if none runs. Every route but /healthz and /readyz needs an API
key: create the first one locally with 'sluice keys create --grant admin'.

Webhook secrets and signing keys are sealed with the server key: 64 hex
characters in SLUICE_SECRET_KEY, else DATA/secret.key (made on first start,
mode 0600). SIGINT or SIGTERM stops accepting requests, lets the runs in
progress finish for up to --drain (default 5m), cancels what is left
(recorded as cancelled; sluice run --resume continues them) and exits.`,
		Example: `  sluice keys create --grant admin --name me
  sluice up --addr 127.0.0.1:8080                 # then open http://127.0.0.1:8080/
  curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8080/api/v1/runs`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			data, err := filepath.Abs(g.dataDir(""))
			if err != nil {
				return err
			}
			st, _, err := g.openStore(ctx, data)
			if err != nil {
				return err
			}
			defer st.Close()
			key, err := server.LoadSealKey(filepath.Join(data, "secret.key"))
			if err != nil {
				return usageErr("%v", err)
			}
			self, _ := os.Executable()
			if _, err := delivery.EnsureGateway(ctx, delivery.GatewayDir(data), self); err != nil {
				fmt.Fprintf(g.s.err, "sluice: the gateway did not start: %v\n", err)
			}
			nt, err := g.loadNotifier(data, st)
			if err != nil {
				return err
			}
			defer nt.close()
			runner := &server.LocalRunner{Store: st, DataDir: data, BaseEnv: baseEnv(nil), Logger: g.logger(), Self: self,
				Hooks: nt.hooks(), Finished: nt.runEnded}
			controller := func(actor string) *release.Controller {
				return release.New(release.Options{Store: st, DataDir: data, Actor: actor, Logger: g.logger(),
					Target: delivery.LocalTarget{DataDir: data, BaseEnv: baseEnv(nil), Secrets: g.deploySecrets(st, data)},
					Router: delivery.GatewayRouter{Dir: delivery.GatewayDir(data)}, Meter: delivery.NewGatewayMeter(delivery.GatewayDir(data))})
			}
			srv := server.New(server.Options{Store: st, DataDir: data, SealKey: key, Logger: g.logger(), Runner: runner,
				GatewayDir: delivery.GatewayDir(data), Delivery: server.ReleaseDelivery{Controller: controller, Logger: g.logger()},
				Rollback: func(ctx context.Context, env, actor, reason string) error {
					ctl := controller(actor)
					if ctl.Busy(env) {
						_, err := ctl.Request(ctx, env, "abort")
						return err
					}
					_, err := ctl.Rollback(context.WithoutCancel(ctx), env, "", true)
					return err
				}})
			host, _ := os.Hostname()
			sched := &server.Scheduler{Store: st, Runner: runner, DataDir: data, Holder: fmt.Sprintf("%s:%d", host, os.Getpid()), Logger: g.logger()}
			go sched.Run(ctx)
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageErr("--addr %s: %v", addr, err)
			}
			ui := web.New(web.Options{API: srv, Logger: g.logger()})
			hs := &http.Server{Handler: web.Mount(srv, ui), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
			fmt.Fprintf(g.s.out, "sluice control plane listening on http://%s (data %s); web UI at http://%s/\n", ln.Addr(), data, ln.Addr())
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = hs.Shutdown(sctx)
			fmt.Fprintf(g.s.out, "stopping: letting runs in progress finish (up to %s)\n", drain)
			dctx, dcancel := context.WithTimeout(context.Background(), drain)
			defer dcancel()
			runner.Shutdown(dctx)
			fmt.Fprintln(g.s.out, "sluice control plane stopped")
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address of the web UI and the HTTP API")
	cmd.Flags().DurationVar(&drain, "drain", 5*time.Minute, "on SIGTERM, how long runs in progress may finish before they are cancelled")
	return cmd
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys of the control plane",
		Long: `API keys authenticate calls to the control plane's API. A key holds grants:
a role (viewer, developer, approver, admin) optionally scoped to a project
and an environment, written role, role@project or role@project/env — an
approver for staging (approver@*/staging) cannot approve production. Only a
hash of the key is stored; the key itself is printed once.

These commands work on the data folder directly (as its owner you may
create the first admin key); through the API, keys need the admin role.`,
	}
	var (
		grants  []string
		name    string
		expires time.Duration
	)
	create := &cobra.Command{
		Use:   "create --grant ROLE[@PROJECT[/ENV]] [--name NAME] [--expires 720h]",
		Short: "Create an API key and print it once",
		Example: `  sluice keys create --grant admin --name ops
  sluice keys create --grant developer@goodbooks --name ci --expires 2160h
  sluice keys create --grant approver@*/production --name release-managers`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := filepath.Abs(g.dataDir(""))
			if err != nil {
				return err
			}
			st, _, err := g.openStore(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer st.Close()
			key, err := server.LoadSealKey(filepath.Join(data, "secret.key"))
			if err != nil {
				return usageErr("%v", err)
			}
			plain, k, err := server.NewKey(time.Now(), name, grants, expires, currentUser(), key)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := st.Control().CreateKey(cmd.Context(), k, auditKey(k.ID, "key.create", strings.Join(grants, ","))); err != nil {
				return err
			}
			fmt.Fprintf(g.s.err, "created key %s (%s) with %s; it is shown only now:\n", k.ID, k.Name, strings.Join(grants, ", "))
			fmt.Fprintln(g.s.out, plain)
			return nil
		},
	}
	create.Flags().StringArrayVar(&grants, "grant", nil, "role[@project[/env]] (repeatable)")
	create.Flags().StringVar(&name, "name", "", "what the key is for")
	create.Flags().DurationVar(&expires, "expires", 0, "lifetime (0: no expiry)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys",
		Args:  argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			keys, err := st.Control().ListKeys(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tGRANTS\tCREATED\tEXPIRES\tLAST USED\tSTATE")
			for _, k := range keys {
				state := "active"
				switch {
				case !k.RevokedAt.IsZero():
					state = "revoked"
				case !k.ExpiresAt.IsZero() && time.Now().After(k.ExpiresAt):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Grants, ","), when(k.CreatedAt), when(k.ExpiresAt), when(k.LastUsedAt), state)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key",
		Args:  argsBetween(1, 1, "one key id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Control().RevokeKey(cmd.Context(), args[0], time.Now(), auditKey(args[0], "key.revoke", "")); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			fmt.Fprintf(g.s.out, "revoked key %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func newProjectCmd(g *globals) *cobra.Command {
	var repo, pipeline, secretEnv string
	cmd := &cobra.Command{
		Use:   "project add NAME --repo URL|PATH [--pipeline sluice.yaml] [--webhook-secret-env VAR]",
		Short: "Register a repository the control plane builds on webhooks",
		Example: `  WEBHOOK_SECRET=$(openssl rand -hex 32) sluice project add goodbooks --repo https://git.example/goodbooks.git --webhook-secret-env WEBHOOK_SECRET
  # then point the forge's webhook at http://HOST:8080/hooks/github/goodbooks with that secret`,
		Args: argsBetween(2, 2, "add NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] != "add" {
				return usageErr("sluice project add NAME ...")
			}
			data, err := filepath.Abs(g.dataDir(""))
			if err != nil {
				return err
			}
			st, _, err := g.openStore(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer st.Close()
			key, err := server.LoadSealKey(filepath.Join(data, "secret.key"))
			if err != nil {
				return usageErr("%v", err)
			}
			secret := ""
			if secretEnv != "" {
				if secret = os.Getenv(secretEnv); secret == "" {
					return usageErr("--webhook-secret-env %s: the variable is empty", secretEnv)
				}
			}
			p, err := server.NewProject(args[1], repo, pipeline, secret, key)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := st.Control().PutProject(cmd.Context(), p, auditKey("", "project.put", p.Name)); err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "project %s: %s (%s)\n", p.Name, p.Repo, p.Pipeline)
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "git URL or local path of the repository")
	cmd.Flags().StringVar(&pipeline, "pipeline", "sluice.yaml", "pipeline file in the repository")
	cmd.Flags().StringVar(&secretEnv, "webhook-secret-env", "", "environment variable holding the webhook secret")
	return cmd
}

func auditKey(id, action, detail string) *store.AuditRecord {
	subject := "key/" + id
	if action == "project.put" {
		subject = "project/" + detail
	}
	return &store.AuditRecord{Time: time.Now(), Actor: currentUser(), Action: action, Subject: subject, Data: map[string]string{"detail": detail}}
}
