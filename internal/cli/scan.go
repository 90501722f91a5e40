package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/report/sarif"
	"github.com/sluice-ci/sluice/internal/report/scanreport"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/builtin"
	"github.com/sluice-ci/sluice/internal/scan/external"
	"github.com/sluice-ci/sluice/internal/scan/iac"
	"github.com/sluice-ci/sluice/internal/scan/image"
	"github.com/sluice-ci/sluice/internal/version"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type scanFlags struct {
	scanners []string
	format   string
	output   string
	sarifOut string
	jsonOut  string
	failOn   string
	vulnDB   string
	imports  []string
	noColor  bool
	quiet    bool
	// showIgnored lists inline-ignored findings in the table.
	showIgnored bool
	image       string
	dastURL     string
	dastEnv     string
	openAPI     string
	passiveOnly bool
	archive     string
	insecure    bool
	// iacPolicies are folders of the team's own Rego checks for the
	// terraform and kubernetes scanners.
	iacPolicies []string
}

func newScanCmd(g *globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH]",
		Short: "Scan a folder for secrets, vulnerable dependencies and misconfigurations",
		Long: `Scan PATH (default: the current folder) with sluice's built-in scanners and
report every finding in one model: severity, category, CWE and OWASP Top 10,
location, fix, and a fingerprint that survives unrelated edits.

Built-in scanners: ` + strings.Join(builtin.BuiltinNames(), ", ") + `.
Tool adapters (run when the tool is installed):
` + wrap(strings.Join(toolNames(), ", ")+".", 76) + `
By default every built-in scanner runs, and every tool adapter whose tool is
installed; one with nothing to look at is reported as skipped, with the
reason — "0 findings" never means "did not run".

Reports of other tools are merged into the same model with --import: any
SARIF 2.1.0 file (CodeQL, Semgrep, ESLint, gosec …) and the JSON reports of
` + wrap(strings.Join(importFormats(), ", ")+" — the format is detected.", 76) + `
The same issue reported by two tools is one finding with two sources.

The dependency scanner matches lockfiles against an offline OSV database
(--vuln-db, or SLUICE_VULN_DB; fill it with 'sluice db update' or
'sluice db import').

Files and folders listed in a .sluiceignore file at the root (gitignore
syntax) are not scanned. A line with "sluice:ignore" (or "gitleaks:allow"
for secrets, or the ignore comments of hadolint, Checkov, tfsec and Trivy)
turns findings on it off: they are still reported, marked "ignored inline"
(inline_ignored in JSON, an inSource suppression in SARIF, a skipped case
in JUnit), but do not count toward --fail-on and are left out of the table,
which counts them in one line; --show-ignored lists them. Whether a marker
counts at a gate is the environment's policy ('sluice gate').

Exit status: 0 no open finding at or above --fail-on (and every scanner that
was asked for ran), 1 open findings at or above --fail-on or a scanner
failed, 2 the command line is wrong.`,
		Example: `  # everything, as a table
  sluice scan

  # only secrets and dependencies, failing on high or critical findings
  sluice scan --scanners secrets,deps --fail-on high

  # SARIF for GitHub code scanning, and a JSON copy
  sluice scan --format sarif --output results.sarif --json results.json

  # a container image, by digest, from a registry or a docker save archive
  sluice scan --image registry.example.com/shop/api@sha256:… --scanners image
  docker save shop/api:1.4 -o api.tar && sluice scan --image-archive api.tar

  # merge another tool's report into the same findings
  semgrep --sarif -o semgrep.sarif . && sluice scan --import semgrep.sarif`,
		Args:              argsBetween(0, 1, "at most one PATH"),
		ValidArgsFunction: cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return runScan(cmd.Context(), g, path, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.scanners, "scanners", nil, "scanners to run, comma-separated (default: all built-in)")
	fl.StringVar(&f.format, "format", "table", "output format: table, json, sarif or junit")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.sarifOut, "sarif", "", "also write a SARIF 2.1.0 report to FILE")
	fl.StringVar(&f.jsonOut, "json", "", "also write a JSON report to FILE")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an open (not inline-ignored) finding is at or above this severity: critical, high, medium, low")
	fl.BoolVar(&f.showIgnored, "show-ignored", false, "list findings ignored inline (sluice:ignore) in the table, marked; JSON, SARIF and JUnit always carry them")
	fl.StringVar(&f.vulnDB, "vuln-db", os.Getenv("SLUICE_VULN_DB"), "folder of the offline OSV database (env SLUICE_VULN_DB; default: your cache folder)")
	fl.StringArrayVar(&f.imports, "import", nil, "merge another tool's SARIF report (repeatable)")
	fl.StringArrayVar(&f.iacPolicies, "iac-policies", filepath.SplitList(os.Getenv("SLUICE_IAC_POLICIES")),
		"a folder of your own Rego checks for the terraform and kubernetes scanners, beside the built-in ones (repeatable; env SLUICE_IAC_POLICIES, a path list)")
	fl.StringVar(&f.image, "image", "", "also scan this container image from a registry (REF: name:tag or name@sha256:…)")
	fl.StringVar(&f.archive, "image-archive", "", "also scan this image: a 'docker save' tarball or an OCI layout (folder or tar)")
	fl.BoolVar(&f.insecure, "insecure-registry", false, "allow plain-HTTP registries for --image")
	fl.StringVar(&f.dastURL, "dast-url", os.Getenv("SLUICE_DAST_URL"), "also attack this running application (the dast scanner; env SLUICE_DAST_URL)")
	fl.StringVar(&f.dastEnv, "dast-env", os.Getenv("SLUICE_DAST_ENV"), "attack the environment of this name, at its gateway address (env SLUICE_DAST_ENV)")
	fl.StringVar(&f.openAPI, "openapi", os.Getenv("SLUICE_DAST_OPENAPI"), "the application's OpenAPI document, for the dast scanner")
	fl.BoolVar(&f.passiveOnly, "passive-only", false, "dast: only look, do not send attack payloads")
	fl.BoolVar(&f.noColor, "no-color", false, "no colours (also NO_COLOR=1)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	_ = cmd.RegisterFlagCompletionFunc("scanners", cobra.FixedCompletions(builtin.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"table", "json", "sarif", "junit"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"critical", "high", "medium", "low"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// defaultVulnDB is where 'sluice db update' puts the database by default.
func defaultVulnDB() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "sluice", "osv")
	}
	return filepath.Join(".sluice", "osv")
}

func runScan(ctx context.Context, g *globals, path string, f *scanFlags) error {
	switch f.format {
	case "table", "json", "sarif", "junit":
	default:
		return usageErr("--format %q: want table, json, sarif or junit", f.format)
	}
	var failOn findings.Severity
	if f.failOn != "" {
		s, err := findings.ParseSeverity(f.failOn)
		if err != nil {
			return usageErr("--fail-on: %v", err)
		}
		failOn = s
	}
	root, err := filepath.Abs(path)
	if err != nil {
		return usageErr("%s: %v", path, err)
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return usageErr("%s is not a folder", path)
	}
	if f.image != "" && f.archive != "" {
		return usageErr("give --image or --image-archive, not both")
	}
	dastOpts, err := g.dastOptions(ctx, f)
	if err != nil {
		return err
	}
	opts := builtin.Options{Image: image.Options{Ref: f.image, Archive: f.archive, Insecure: f.insecure}, DAST: dastOpts,
		IaC: iac.Options{PolicyDirs: f.iacPolicies}}
	byName := map[string]scan.Scanner{}
	for _, s := range builtin.All(opts) {
		byName[s.Name()] = s
	}
	selected := builtin.Default(opts)
	if len(f.scanners) > 0 {
		selected = nil
		for _, name := range f.scanners {
			s, ok := byName[strings.TrimSpace(name)]
			if !ok {
				return usageErr("--scanners: no scanner %q%s (have: %s)", name, hintFor(name, builtin.Names()), strings.Join(builtin.Names(), ", "))
			}
			selected = append(selected, s)
		}
	}
	vulnDB := f.vulnDB
	if vulnDB == "" {
		vulnDB = defaultVulnDB()
	}
	if _, err := os.Stat(vulnDB); err != nil {
		vulnDB = "" // the deps scanner then says it was skipped, and why
	}

	files, walkErrs, err := scan.Walk(ctx, root, scan.WalkOptions{})
	if err != nil {
		return fmt.Errorf("list files of %s: %w", path, err)
	}
	t := &scan.Target{Root: root, Files: files, VulnDB: vulnDB}
	var progress scan.Progress
	if !f.quiet {
		progress = newScanProgress(g.s.err)
	}
	res := scan.Run(ctx, t, selected, progress)
	if len(walkErrs) > 0 {
		res.Health = append([]scan.Health{{Scanner: "files", Status: scan.Ran, Files: len(files), Errors: walkErrs, Partial: true}}, res.Health...)
	}
	for _, imp := range f.imports {
		fs, h := importReport(imp, root)
		res.Findings = append(res.Findings, fs...)
		res.Health = append(res.Health, h)
	}
	for i := range res.Findings {
		fd := &res.Findings[i]
		findings.Classify(fd)
		if fd.Fingerprint == "" {
			fd.Fingerprint = findings.Fingerprint(fd)
		}
		if len(fd.Sources) == 0 {
			fd.Sources = []findings.Source{{Scanner: fd.Scanner, RuleID: fd.RuleID}}
		}
	}
	merged := findings.Merge(res.Findings)

	color := !f.noColor && os.Getenv("NO_COLOR") == "" && f.output == "" && isTerminal(g.s.out)
	var out bytes.Buffer
	if err := writeScanReport(&out, f.format, merged, res.Health, root, scanreport.TableOptions{Color: color, ShowIgnored: f.showIgnored}); err != nil {
		return err
	}
	if f.output != "" {
		if err := os.WriteFile(f.output, out.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.output, err)
		}
	} else if _, err := g.s.out.Write(out.Bytes()); err != nil {
		return err
	}
	for _, extra := range []struct{ file, format string }{{f.sarifOut, "sarif"}, {f.jsonOut, "json"}} {
		if extra.file == "" {
			continue
		}
		var b bytes.Buffer
		if err := writeScanReport(&b, extra.format, merged, res.Health, root, scanreport.TableOptions{}); err != nil {
			return err
		}
		if err := os.WriteFile(extra.file, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", extra.file, err)
		}
	}

	var failedScanners []string
	for _, h := range res.Health {
		if h.Status == scan.Failed {
			failedScanners = append(failedScanners, h.Scanner)
		}
	}
	over := 0
	if f.failOn != "" {
		over = countFailing(merged, failOn)
	}
	switch {
	case len(failedScanners) > 0:
		fmt.Fprintf(g.s.err, "sluice: scanners failed: %s\n", strings.Join(failedScanners, ", "))
		return failed()
	case over > 0:
		fmt.Fprintf(g.s.err, "sluice: %d open %s at or above %s\n", over, plural(over, "finding"), failOn)
		return failed()
	}
	return nil
}

// countFailing counts the findings that fail --fail-on at s: the open
// ones at s or above. A finding an inline marker turned off never fails
// the scan; it is reported, marked, and the gate's policy decides.
func countFailing(fs []findings.Finding, s findings.Severity) int {
	n := 0
	for _, f := range fs {
		if !f.InlineIgnored && f.AtLeast(s) {
			n++
		}
	}
	return n
}

func writeScanReport(w io.Writer, format string, fs []findings.Finding, health []scan.Health, root string, table scanreport.TableOptions) error {
	switch format {
	case "json":
		return scanreport.WriteJSON(w, fs, health)
	case "sarif":
		return sarif.WriteSARIF(w, fs, health, sarif.ToolInfo{Name: "sluice", Version: version.Get().Version,
			InformationURI: "https://github.com/sluice-ci/sluice", SourceRoot: root})
	case "junit":
		return scanreport.WriteJUnit(w, fs, health)
	}
	return scanreport.WriteTableOptions(w, fs, health, table)
}

// importReport reads another tool's report (SARIF or a tool's own JSON,
// detected). A report that cannot be read is a failed "import" scanner, not
// a crash of the scan.
func importReport(file, root string) ([]findings.Finding, scan.Health) {
	h := scan.Health{Scanner: "import:" + filepath.Base(file), Status: scan.Ran, Files: 1}
	start := time.Now()
	defer func() { h.Duration = time.Since(start) }()
	tool, fs, err := external.ImportFile(file, root)
	if tool != "" {
		h.Scanner = "import:" + tool
	}
	if err != nil {
		if len(fs) == 0 {
			h.Status, h.Reason = scan.Failed, fmt.Sprintf("read %s: %v", file, err)
			return nil, h
		}
		h.Partial = true
		h.Errors = append(h.Errors, scan.InputError{Path: file, Err: err.Error()})
	}
	h.Findings = len(fs)
	for _, f := range fs {
		if f.InlineIgnored {
			h.Ignored++
		}
	}
	return fs, h
}

func toolNames() []string {
	var out []string
	for _, s := range builtin.External(builtin.Options{}) {
		out = append(out, s.Name())
	}
	return out
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if n+1+len(w) > width {
				b.WriteByte('\n')
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

func importFormats() []string {
	var out []string
	for _, f := range external.Formats() {
		if f != "sarif" {
			out = append(out, f)
		}
	}
	return out
}

func hintFor(name string, candidates []string) string {
	if s := spec.Suggest(name, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// scanProgress shows each scanner starting and finishing: a line per
// event, which reads well both on a terminal and in a CI log.
type scanProgress struct {
	mu sync.Mutex
	w  io.Writer
}

func newScanProgress(w io.Writer) *scanProgress { return &scanProgress{w: w} }

func (p *scanProgress) Started(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "scan: %s …\n", name)
}

func (p *scanProgress) Finished(h scan.Health) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch h.Status {
	case scan.Ran:
		ignored := ""
		if h.Ignored > 0 {
			ignored = fmt.Sprintf(" (%d ignored inline)", h.Ignored)
		}
		fmt.Fprintf(p.w, "scan: %s done: %d %s%s in %d files (%s)\n", h.Scanner, h.Findings, plural(h.Findings, "finding"), ignored, h.Files, fmtDuration(h.Duration))
	default:
		fmt.Fprintf(p.w, "scan: %s %s: %s\n", h.Scanner, h.Status, h.Reason)
	}
}
