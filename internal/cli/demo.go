package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/examples"
	"github.com/sluice-ci/sluice/internal/delivery"
	"github.com/sluice-ci/sluice/internal/delivery/load"
	"github.com/sluice-ci/sluice/internal/delivery/release"
	"github.com/sluice-ci/sluice/internal/engine"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
	"github.com/sluice-ci/sluice/internal/gatekeeper"
	"github.com/sluice-ci/sluice/internal/gateway"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/report/compliance"
	"github.com/sluice-ci/sluice/internal/report/scanreport"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

func newDemoCmd(g *globals) *cobra.Command {
	var (
		dir  string
		keep bool
		f    runFlags
	)
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--keep]",
		Short: "Run the example project's pipeline end to end",
		Long: `Copy the example project (goodbooks, a small Go REST API that ships inside
sluice) to a temporary folder and run its pipeline end to end:

  - lint, tests with coverage, build, a smoke test of the built server, and a
    report that reads the test job's output;
  - a security scan: secrets, dependency advisories from an offline OSV
    snapshot, Dockerfile rules, Go SAST (plus an advisory check that may fail);
  - promotions to dev (rolling), staging (blue-green) and production (canary
    10 -> 25 -> 50 -> 100 % with analysis), each behind sluice's gateway and
    each after its environment's security gate (thresholds, required
    scanners, suppressions with owners and expiry, Rego policies, coverage);
    production waits for a second person's approval (the demo plays them);
  - DAST against the release in staging, through its OpenAPI document, which
    production's gate requires;
  - a dry-run publish that prints a secret sluice masks.

Then, with load on production: a good release and a bad one go through
staging and a production canary; the bad one is rolled back by analysis.
Meanwhile an attacker sends SQL injection, XSS, traversal and command
injection: production's WAF refuses them, none counts against a release, and
each is in the security event log ('sluice events'). Finally it backtests a
stricter production policy over the run and writes the compliance report.

The folder is removed afterwards unless --keep (or --dir) is given; then you
can look around with 'sluice runs', 'show', 'logs', 'status' and 'events'
inside it.

Needs the Go toolchain on PATH, since the example is a Go project.`,
		Example: `  sluice demo
  sluice demo --keep
  sluice demo --dir /tmp/goodbooks --plain`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), g, dir, keep, &f)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "copy the example here (an empty or new folder) and keep it")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary folder to explore the run afterwards")
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON event per line instead of the live view")
	cmd.Flags().BoolVar(&f.plain, "plain", false, "print plain timestamped lines even on a terminal")
	cmd.Flags().IntVarP(&f.parallel, "parallel", "p", 0, "jobs to run at once (default: number of CPUs)")
	return cmd
}

// demoSecret is the secret the demo hands to its pipeline to show masking.
const demoSecretName = "GOODBOOKS_API_TOKEN"

func runDemo(ctx context.Context, g *globals, dir string, keep bool, f *runFlags) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sluice-demo-*")
		if err != nil {
			return fmt.Errorf("create demo folder: %w", err)
		}
		dir = tmp
		if !keep {
			defer os.RemoveAll(dir)
		}
	} else {
		keep = true
		entries, err := os.ReadDir(dir)
		if err == nil && len(entries) > 0 {
			return usageErr("--dir %s is not empty", dir)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return usageErr("--dir %s: %v", dir, err)
		}
	}
	if err := copyExample(dir); err != nil {
		return err
	}
	// The demo's own words go to stderr, so --json keeps stdout to events.
	say := g.s.err
	fmt.Fprintf(say, "sluice demo: copied the example project goodbooks to %s\n\n", dir)

	// A throwaway secret shows masking: the pipeline prints it, the logs
	// show ***.
	if os.Getenv(demoSecretName) == "" {
		os.Setenv(demoSecretName, "gb_demo_"+randomHex(12))
	}
	f.file = filepath.Join(dir, "sluice.yaml")
	f.secrets = []string{demoSecretName}
	f.vars = append(f.vars, "VERSION=1.0.0-demo")
	// The infra-staging job plans and applies Terraform: only where a
	// terraform binary is at hand (the demo needs nothing beyond Go).
	if _, err := exec.LookPath("terraform"); err == nil {
		f.vars = append(f.vars, "TERRAFORM=yes")
	} else {
		fmt.Fprintln(say, "No terraform on PATH: the infra-staging job (Terraform plan, checks, apply) is skipped.")
	}
	f.event = "manual"
	f.branch = "main"
	f.commit = "demo"
	g.data = filepath.Join(dir, ".sluice")
	approverCtx, stopApprover := context.WithCancel(ctx)
	approverDone := make(chan struct{})
	go func() {
		defer close(approverDone)
		demoApprover(approverCtx, g.data, say)
	}()
	err := runPipeline(ctx, g, f)
	stopApprover()
	<-approverDone

	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		return err
	}
	st, _, serr := g.openStore(context.WithoutCancel(ctx), g.data)
	if serr == nil {
		defer st.Close()
		if runs, lerr := st.Runs().ListRuns(ctx, store.RunFilter{Limit: 1}); lerr == nil && len(runs) == 1 {
			r := runs[0]
			showScan(engine.ReportDir(g.data, r.ID), say, keep)
			showGates(ctx, st, r, say)
			showStricter(ctx, st, r, dir, say)
			showMasking(ctx, st, r, say)
			showReport(ctx, st, r, dir, keep, say)
			if r.Status == store.StatusSucceeded {
				if derr := showDelivery(ctx, g, dir, say); derr != nil {
					fmt.Fprintf(say, "\ndelivery demo: %v\n", derr)
					if err == nil {
						err = &exitError{code: ExitFailed, err: derr}
					}
				}
			}
			if keep {
				fmt.Fprintf(say, "\nstaging and production keep running behind the gateway: 'sluice status' shows them, 'sluice down' (in %s) stops them.\n", dir)
			} else {
				stopAll(ctx, g, f.file, say)
			}
			fmt.Fprintf(say, "\nThe run is stored in %s.\n", g.data)
			if keep {
				fmt.Fprintf(say, "Explore it:\n  cd %s\n  sluice runs\n  sluice show %d\n  sluice logs %d report\n", dir, r.Number, r.Number)
			} else {
				fmt.Fprintln(say, "Run 'sluice demo --keep' to keep the folder and explore the run with 'sluice show' and 'sluice logs'.")
			}
		}
	}
	return err
}

// copyExample writes the embedded example project into dir, with the go.mod
// it needs to build on its own.
func copyExample(dir string) error {
	root, err := examples.GoodbooksFS()
	if err != nil {
		return err
	}
	if err := os.CopyFS(dir, root); err != nil {
		return fmt.Errorf("copy example project: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), examples.GoModFile(), 0o644); err != nil {
		return fmt.Errorf("write go.mod: %w", err)
	}
	return nil
}

// showMasking prints what the publish job logged: the demo's secret appears
// only as ***.
func showMasking(ctx context.Context, st store.Store, r *store.Run, w io.Writer) {
	lines, err := st.Logs().ReadLogs(ctx, store.LogQuery{RunID: r.ID, JobID: "publish"})
	if err != nil || len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\nThe publish job printed the secret %s and its base64 form; the stored log reads:\n", demoSecretName)
	for _, l := range lines {
		if l.Stream != store.System {
			fmt.Fprintf(w, "  %s\n", l.Text)
		}
	}
}

// showScan summarises the security job's report in the run's report
// folder dir.
func showScan(dir string, w io.Writer, keep bool) {
	data, err := os.ReadFile(filepath.Join(dir, "security.json"))
	if err != nil {
		return
	}
	var doc scanreport.Document
	if json.Unmarshal(data, &doc) != nil {
		return
	}
	fmt.Fprintf(w, "\nThe security job scanned the project: %s.\n", doc.Summary.Summary.String())
	for _, f := range doc.Findings {
		if f.Severity >= findings.Medium {
			fmt.Fprintf(w, "  %-8s %s  %s — %s\n", f.Severity, f.RuleID, f.Location.String(), f.Title)
		}
	}
	if keep {
		fmt.Fprintf(w, "Reports: %s (SARIF for code-scanning tools, JSON).\n", filepath.Join(dir, "security.sarif"))
	}
}

// showGates prints the gate decisions the pipeline recorded.
func showGates(ctx context.Context, st store.Store, r *store.Run, w io.Writer) {
	ds, err := st.Decisions().ListDecisions(ctx, r.ID)
	if err != nil || len(ds) == 0 {
		return
	}
	fmt.Fprintln(w, "\nBefore each promotion the environment's gate judged the run's evidence:")
	for _, d := range ds {
		var dec gate.Decision
		if json.Unmarshal(d.Body, &dec) != nil {
			continue
		}
		fmt.Fprintf(w, "  %-10s %-5s %d judged, %d blocking, %d suppressed (evidence %s)\n", d.Env, strings.ToUpper(d.Outcome),
			dec.Judged, len(dec.Blocking), len(dec.Suppressed), shortDigest(d.Digests["findings"]))
		for _, j := range dec.Suppressed {
			if j.By != nil {
				fmt.Fprintf(w, "             suppressed %s by %s until %s: %s\n", j.Finding.RuleID, j.By.Owner, expiry(j.By), j.By.Reason)
			}
		}
	}
}

func expiry(s *gate.Suppression) string {
	if s.Expires.IsZero() {
		return "further notice"
	}
	return s.Expires.Format("2006-01-02")
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// showStricter backtests a stricter production policy (block from low up)
// over the run's stored evidence, the way 'sluice gate --simulate' does.
func showStricter(ctx context.Context, st store.Store, r *store.Run, dir string, w io.Writer) {
	p, diags := spec.Parse(r.File, r.Spec)
	if diags.HasErrors() || p.Environment("production") == nil || p.Environment("production").Gates == nil {
		return
	}
	strict := *p.Environment("production").Gates
	strict.Block = "low"
	strict.Categories = nil
	p.Environment("production").Gates = &strict
	jobs, err := gatekeeper.JobsFor(p, "production")
	if err != nil {
		return
	}
	ev, err := gatekeeper.RunEvidence(ctx, st, r.ID, jobs)
	if err != nil {
		return
	}
	k := &gatekeeper.Keeper{Store: st, Pipeline: p, Dir: dir, Actor: currentUser()}
	j, err := k.Judge(ctx, "production", ev, gatekeeper.Options{Run: r, Jobs: jobs})
	if err != nil {
		return
	}
	fmt.Fprintf(w, "\nBacktest: had production blocked from low severity up, this run would have been %s:\n", strings.ToUpper(string(j.Decision.Outcome)))
	for _, b := range j.Decision.Blocking {
		fmt.Fprintf(w, "  %-8s %s  %s\n", b.Finding.Severity, b.Finding.RuleID, b.Finding.Location.String())
	}
	fmt.Fprintln(w, "('sluice gate --env production --simulate --last 20 -f proposed.yaml' does this over stored runs.)")
}

// showReport builds the run's compliance report, prints its headline and,
// when the folder is kept, writes it as HTML and JSON.
func showReport(ctx context.Context, st store.Store, r *store.Run, dir string, keep bool, w io.Writer) {
	rep, err := buildReport(ctx, st, r.ID)
	if err != nil {
		fmt.Fprintf(w, "\ncompliance report: %v\n", err)
		return
	}
	tested := 0
	for _, row := range compliance.OWASPMatrix(rep, "2021") {
		if len(row.TestedBy) > 0 {
			tested++
		}
	}
	chain := "verified"
	if !rep.Audit.Verified {
		chain = "BROKEN: " + rep.Audit.VerifyError
	}
	fmt.Fprintf(w, "\nCompliance: %d of 10 OWASP Top 10 (2021) categories tested; %d gate decisions; audit chain %s (%d records checked).\n",
		tested, len(rep.Decisions), chain, rep.Audit.Checked)
	if !keep {
		return
	}
	for _, out := range []struct {
		name  string
		write func(io.Writer, *compliance.Report) error
	}{{"compliance-report.html", compliance.WriteHTML}, {"compliance-report.json", compliance.WriteJSON}} {
		path := filepath.Join(dir, out.name)
		f, err := os.Create(path)
		if err != nil {
			continue
		}
		err = out.write(f, rep)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			fmt.Fprintf(w, "Wrote %s\n", path)
		}
	}
}

// showDelivery shows progressive delivery on the production environment
// the pipeline deployed to: under steady load, a canary of a good build is
// promoted and a canary of a build that fails 30 % of its listing requests
// is rolled back by analysis; then the failed requests are counted.
func showDelivery(ctx context.Context, g *globals, dir string, w io.Writer) error {
	d, err := g.delivery(ctx, filepath.Join(dir, "sluice.yaml"), true)
	if err != nil {
		return err
	}
	defer d.close()
	es, err := d.st.Releases().GetEnv(ctx, "production")
	if err != nil || es.Live == "" {
		return nil // the pipeline did not reach production
	}
	fmt.Fprintln(w, "\nProgressive delivery: production runs behind sluice's gateway at http://"+es.Listen+".")
	fmt.Fprintln(w, "Building a second good release and a bad one (30% of GET /books fail; health and smoke checks pass) ...")
	builds := []struct{ name, ldflags string }{
		{"v2", "-X main.version=2.0.0"},
		{"bad", "-X main.version=2.1.0-bad -X main.faultRate=0.3"},
	}
	for _, b := range builds {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", b.ldflags, "-o", filepath.Join("dist", b.name, "goodbooks"), "./cmd/goodbooks")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.name, err, out)
		}
	}
	p, _, err := loadPipeline(g, d.file)
	if err != nil {
		return err
	}
	cfg, err := resolveRelease(p, "production", d.dir)
	if err != nil {
		return err
	}
	stagingCfg, err := resolveRelease(p, "staging", d.dir)
	if err != nil {
		return err
	}
	after := p.Environment("production").After
	d.ctl = release.New(release.Options{Store: d.st, DataDir: d.data, Actor: currentUser(), Logger: g.logger(),
		Target: delivery.LocalTarget{DataDir: d.data, BaseEnv: baseEnv(nil)},
		Router: delivery.GatewayRouter{Dir: delivery.GatewayDir(d.data)}, Meter: delivery.NewGatewayMeter(delivery.GatewayDir(d.data)),
		Observer: func(e release.Event) {
			fmt.Fprintf(w, "  %s %s %s: %s\n", e.Time.Format("15:04:05.000"), e.Version, e.State, e.Message)
		}})
	gen := load.Start(ctx, load.Options{URL: "http://" + es.Listen + "/books", Workers: 4, Pause: 5 * time.Millisecond})
	fmt.Fprintln(w, "Steady load on production (4 clients) from now on.")
	atk := startAttacker(ctx, "http://"+es.Listen)
	defer atk.stop()
	fmt.Fprintln(w, "An attacker sends SQL injection, XSS, path traversal and command injection to production too; its WAF enforces.")
	for _, b := range []struct{ name, version string }{{"v2", "2.0.0"}, {"bad", "2.1.0-bad"}} {
		art := filepath.Join(dir, "dist", b.name, "goodbooks")
		fmt.Fprintf(w, "\n%s to staging first (blue-green; production takes only what staging ran):\n", b.version)
		sc := *stagingCfg
		if _, err := d.ctl.Deploy(ctx, release.DeployRequest{Env: "staging", Config: &sc, Artifact: art, Version: b.version}); err != nil {
			gen.Stop()
			return err
		}
		fmt.Fprintf(w, "Canary of %s in production (10 -> 25 -> 50 -> 100 %%, analysis at each step):\n", b.version)
		pc := *cfg
		_, err = d.ctl.Deploy(ctx, release.DeployRequest{Env: "production", Config: &pc, Artifact: art, Version: b.version, After: after})
		if b.name == "v2" && err != nil {
			gen.Stop()
			return err
		}
	}
	attacks := atk.stop()
	if !errors.Is(err, release.ErrRolledBack) {
		gen.Stop()
		if err == nil {
			return fmt.Errorf("the bad canary was promoted")
		}
		return err
	}
	time.Sleep(time.Second)
	c := gen.Stop()
	var bad, badFailed int64
	for id, n := range c.ByRelease {
		if r, err := d.st.Releases().GetRelease(ctx, id); err == nil && r.Env == "production" && r.Version == "2.1.0-bad" {
			bad, badFailed = n, c.FailedByRelease[id]
		}
	}
	fmt.Fprintf(w, "\nLoad on production: %d requests, %d failed: %d of them answered by the bad canary (which served %d requests, %.1f%% of the load, before analysis rolled it back), %d by anything else.\n",
		c.Requests, c.Failed, badFailed, bad, 100*float64(bad)/float64(max(c.Requests, 1)), c.Failed-badFailed)
	fmt.Fprintln(w, "Production is on 2.0.0 again; 2.1.0-bad is quarantined there ('sluice history --env production').")
	showAttacks(ctx, d, attacks, w)
	return nil
}

// attacker sends attack payloads to a gateway address until stopped,
// counting the answers by status.
type attacker struct {
	cancel context.CancelFunc
	done   chan struct{}
	codes  map[int]int
}

func startAttacker(ctx context.Context, base string) *attacker {
	ctx, cancel := context.WithCancel(ctx)
	a := &attacker{cancel: cancel, done: make(chan struct{}), codes: map[int]int{}}
	payloads := []string{
		"/books?q=" + url.QueryEscape("1' OR '1'='1' --"),
		"/books?q=" + url.QueryEscape("<script>alert(document.cookie)</script>"),
		"/books?q=" + url.QueryEscape("../../../../etc/passwd"),
		"/books?q=" + url.QueryEscape("x; cat /etc/passwd"),
	}
	client := &http.Client{Timeout: 5 * time.Second}
	go func() {
		defer close(a.done)
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+payloads[i%len(payloads)], nil)
			if err != nil {
				return
			}
			res, err := client.Do(req)
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			a.codes[res.StatusCode]++
		}
	}()
	return a
}

func (a *attacker) stop() map[int]int {
	a.cancel()
	<-a.done
	return a.codes
}

// showAttacks reports what the attacker got and what production's
// security event log says about it, per release.
func showAttacks(ctx context.Context, d *deliveryEnv, codes map[int]int, w io.Writer) {
	total := 0
	for _, n := range codes {
		total += n
	}
	if total == 0 {
		return
	}
	byRelease := map[string]int{}
	path := filepath.Join(delivery.GatewayDir(d.data), gateway.EventLogFile)
	// The gateway writes events asynchronously; give it a moment.
	for i := 0; i < 20; i++ {
		clear(byRelease)
		n, _ := gateway.ReadEvents(path, eventFilter{env: "production", enforced: true}.match, func(ev gateway.SecurityEvent) error {
			byRelease[ev.Release]++
			return nil
		})
		if n >= codes[http.StatusForbidden] {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintf(w, "\nThe attacker sent %d requests: %d refused by production's WAF (403), %d answered otherwise. By the release each was routed to:\n",
		total, codes[http.StatusForbidden], total-codes[http.StatusForbidden])
	ids := make([]string, 0, len(byRelease))
	for id := range byRelease {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		version := id
		if r, err := d.st.Releases().GetRelease(ctx, id); err == nil {
			version = r.Version
		}
		fmt.Fprintf(w, "  %-10s %d refused\n", version, byRelease[id])
	}
	fmt.Fprintln(w, "Refused requests never count as a release's errors: the attacks on the 2.0.0 canary did not roll it back.")
	fmt.Fprintln(w, "Every refusal is in the security event log: 'sluice events --env production --summary'; DAST's probes of staging (WAF in monitor mode) are there too.")
}

// stopAll stops the demo's releases and its gateway.
func stopAll(ctx context.Context, g *globals, file string, w io.Writer) {
	d, err := g.delivery(ctx, file, true)
	if err != nil {
		return
	}
	defer d.close()
	for _, env := range []string{"dev", "staging", "production"} {
		if _, err := d.st.Releases().GetEnv(ctx, env); err == nil {
			_ = d.ctl.Down(ctx, env)
		}
	}
	if stopped, _ := delivery.StopGateway(ctx, delivery.GatewayDir(d.data)); stopped {
		fmt.Fprintln(w, "Stopped the demo's releases and gateway.")
	}
}

// demoApprover plays the second person of the four-eyes rule: when the
// production release waits for approval, the run's author tries to approve
// it (and is refused), then a colleague approves it.
func demoApprover(ctx context.Context, data string, w io.Writer) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	done := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := os.Stat(filepath.Join(data, "sluice.db")); err != nil {
			continue
		}
		st, err := sqlstore.Open(ctx, data)
		if err != nil {
			continue
		}
		reqs, err := st.Approvals().ListApprovalRequests(ctx, store.ApprovalPending)
		if err != nil || len(reqs) == 0 {
			st.Close()
			continue
		}
		for _, r := range reqs {
			run, err := st.Runs().GetRun(ctx, r.RunID)
			if err != nil || done[r.RunID+"/"+r.Env] {
				continue
			}
			done[r.RunID+"/"+r.Env] = true
			fmt.Fprintf(w, "\n[demo] run #%d waits for approval to enter %s (four-eyes: not %s).\n", run.Number, r.Env, r.Author)
			if err := gatekeeper.Decide(ctx, st, run, r.Env, r.Author, "local", gatekeeper.Approve, "", time.Now()); err != nil {
				fmt.Fprintf(w, "[demo] %s tries to approve it: refused: %v\n", r.Author, err)
			}
			if err := gatekeeper.Decide(ctx, st, run, r.Env, "demo-reviewer", "approver", gatekeeper.Approve, "canary plan and gate decision checked", time.Now()); err == nil {
				fmt.Fprintln(w, "[demo] demo-reviewer approves it (sluice approve RUN --env production).")
			}
		}
		st.Close()
	}
}
