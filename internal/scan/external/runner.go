package external

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// DefaultTimeout bounds one run of a tool when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Minute

// Options configure the tool runners.
type Options struct {
	// ToolsDirs are folders searched for a tool after PATH. Each may hold
	// the tool itself, or bin/, node_modules/.bin/ or eslint/node_modules/.bin/
	// with it (the layout scripts/tools.sh makes). When nil, the folder named
	// by $SLUICE_TOOLS_DIR is searched, if set.
	ToolsDirs []string
	// SemgrepRules is a local Semgrep rules file or folder. Without it
	// semgrep is skipped: its registry rules (--config auto) need the
	// network.
	SemgrepRules string
	// Timeout bounds one run of a tool; 0 means DefaultTimeout.
	Timeout time.Duration
}

// maxArgBytes bounds the file arguments of one run of a tool that takes
// files; more files are split over several runs.
const maxArgBytes = 64 << 10

// tool describes how to run one external tool and read what it writes.
type tool struct {
	name     string
	binary   string
	category findings.Category
	// format names the importer of the tool's report.
	format string
	// files selects the target's files the tool looks at; nil: any file.
	files func(rel string) bool
	// accept narrows files by what was installed (ESLint lints TypeScript
	// only with its parser); nil accepts every selected file.
	accept func(in *install, rel string) bool
	// noFiles is the skip reason when no file is selected.
	noFiles string
	// find locates the tool; nil means looking binary up.
	find func(o *Options) (*install, string)
	// check is a further condition to run ("" when met).
	check func(o *Options, t *scan.Target, in *install) string
	// perFile passes the selected files as arguments, in batches; else
	// the tool is given the root (".", run in it).
	perFile bool
	// args returns the arguments of one run.
	args func(c *call) []string
	// setup prepares a scan (ESLint writes its configuration).
	setup func(c *call) error
	// stdout says the report is written to standard output.
	stdout bool
	// okExit lists the exit statuses that mean the tool ran (with or
	// without findings).
	okExit []int
	// keep filters what the tool reported; nil keeps everything.
	keep func(f *findings.Finding) bool
	// env adds environment variables.
	env []string
}

// install is where a tool was found.
type install struct {
	bin string
	// parts are files the run needs besides the binary (ESLint's plugin).
	parts map[string]string
}

// call is one run of a tool.
type call struct {
	opts  *Options
	in    *install
	root  string
	tmp   string
	out   string
	files []string
}

// runner is the scan.Scanner of one tool.
type runner struct {
	tool *tool
	opts Options
}

var _ scan.Scanner = (*runner)(nil)

// Name returns the tool's name.
func (r *runner) Name() string { return r.tool.name }

// Category returns the category of what the tool mostly reports.
func (r *runner) Category() findings.Category { return r.tool.category }

// Applies says whether the tool is installed and has something to look at
// in t.
func (r *runner) Applies(_ context.Context, t *scan.Target) (bool, string) {
	in, why := r.locate()
	if in == nil {
		return false, why
	}
	if r.tool.check != nil {
		if why := r.tool.check(&r.opts, t, in); why != "" {
			return false, why
		}
	}
	if r.tool.files != nil && len(r.selected(t, in)) == 0 {
		return false, r.tool.noFiles
	}
	return true, ""
}

// Installed reports whether the tool can be found, so a default scan runs
// only the tools a machine has (and an explicit request for a missing one
// still says "not installed").
func (r *runner) Installed() bool {
	in, _ := r.locate()
	return in != nil
}

func (r *runner) locate() (*install, string) {
	if r.tool.find != nil {
		return r.tool.find(&r.opts)
	}
	bin := lookTool(r.tool.binary, &r.opts)
	if bin == "" {
		return nil, r.tool.binary + " not installed"
	}
	return &install{bin: bin}, ""
}

// selected returns the target's files the tool looks at, leaving out
// vendored dependencies.
func (r *runner) selected(t *scan.Target, in *install) []string {
	var out []string
	for _, f := range t.Files {
		if !vendored(f) && (r.tool.files == nil || r.tool.files(f)) &&
			(r.tool.accept == nil || r.tool.accept(in, f)) {
			out = append(out, f)
		}
	}
	return out
}

// vendoredDirs are folders of third-party code that code and config
// scanners leave alone (the built-in secrets scanner does look there).
var vendoredDirs = []string{"node_modules", "bower_components", ".venv", "venv", "site-packages", "__pycache__", ".tox"}

func vendored(rel string) bool {
	segs := strings.Split(rel, "/")
	for _, s := range segs[:len(segs)-1] {
		if slices.Contains(vendoredDirs, s) {
			return true
		}
	}
	return false
}

// Scan runs the tool over t and imports its report. A tool that exits
// with an unexpected status, is killed, times out or writes no readable
// report makes the scan fail, with the tail of its standard error in the
// error; files the tool says it could not read are input errors.
func (r *runner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	h := scan.Health{Scanner: r.tool.name}
	in, why := r.locate()
	if in == nil {
		return h, errors.New(why)
	}
	files := r.selected(t, in)
	h.Files = len(files)
	tmp, err := os.MkdirTemp("", "sluice-"+r.tool.name+"-")
	if err != nil {
		return h, fmt.Errorf("run %s: %w", r.tool.name, err)
	}
	defer os.RemoveAll(tmp)
	base := call{opts: &r.opts, in: in, root: t.Root, tmp: tmp}
	if r.tool.setup != nil {
		if err := r.tool.setup(&base); err != nil {
			return h, fmt.Errorf("prepare %s: %w", r.tool.name, err)
		}
	}
	batches := [][]string{nil}
	if r.tool.perFile {
		batches = batch(files, maxArgBytes)
	}
	for i, b := range batches {
		c := base
		c.files = b
		c.out = filepath.Join(tmp, fmt.Sprintf("report-%d.json", i))
		res, err := r.run(ctx, &c)
		if err != nil {
			return h, err
		}
		for _, f := range res.findings {
			if r.tool.keep == nil || r.tool.keep(&f) {
				report(f)
			}
		}
		h.Errors = append(h.Errors, res.notes...)
		for _, p := range res.bad {
			h.Errors = append(h.Errors, scan.InputError{Err: r.tool.name + " report: " + p})
		}
	}
	return h, nil
}

// batch splits files into lists whose arguments stay under maxBytes.
func batch(files []string, maxBytes int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, f := range files {
		if len(cur) > 0 && size+len(f)+1 > maxBytes {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, f)
		size += len(f) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
