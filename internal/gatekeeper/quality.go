package gatekeeper

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/store"
)

// quality turns the run's own results into quality findings, judged by
// the gate's quality threshold: a job that failed but was allowed to
// (continue_on_error: the run went on, the gate still sees it), and a
// coverage below a job's coverage.min.
func (k *Keeper) quality(ctx context.Context, run *store.Run, only []string) ([]findings.Finding, error) {
	jobs, err := k.Store.Jobs().ListJobs(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	file := filepath.Base(run.File)
	var out []findings.Finding
	for _, j := range jobs {
		if only != nil && !slices.Contains(only, j.ID) {
			continue
		}
		if j.Status == store.StatusFailed {
			out = append(out, qualityFinding("job-failed", findings.High, file, j.ID,
				fmt.Sprintf("job %s failed: %s", j.ID, j.Reason),
				"make the job pass; a job allowed to fail still counts for the gate's quality threshold"))
		}
		base := j.ID
		if i := strings.IndexByte(base, '['); i >= 0 {
			base = base[:i]
		}
		sj := k.Pipeline.Job(base)
		if sj == nil || sj.Coverage == nil || j.Status != store.StatusSucceeded {
			continue
		}
		pct, how, err := coverageOf(run.Workdir, sj.Coverage.File, j.Outputs)
		if err != nil {
			out = append(out, qualityFinding("coverage-unknown", findings.High, file, j.ID,
				fmt.Sprintf("job %s must report coverage of at least %.1f%%, but %v", j.ID, sj.Coverage.Min, err),
				"write the coverage profile named in coverage.file, or the output coverage=<percent>"))
			continue
		}
		if pct < sj.Coverage.Min {
			out = append(out, qualityFinding("coverage-below-minimum", findings.Medium, file, j.ID,
				fmt.Sprintf("job %s covers %.1f%% of statements (%s), below its minimum of %.1f%%", j.ID, pct, how, sj.Coverage.Min),
				"add tests, or lower coverage.min in the pipeline with a reason in review"))
		}
	}
	return out, nil
}

func qualityFinding(rule string, sev findings.Severity, file, job, msg, fix string) findings.Finding {
	f := findings.Finding{Scanner: "sluice", RuleID: rule, Category: findings.Quality, Severity: sev,
		Title: msg, Message: msg, Fix: fix, Location: findings.Location{Path: file, Resource: "job " + job},
		Sources: []findings.Source{{Scanner: "sluice", RuleID: rule}}}
	f.Fingerprint = findings.Fingerprint(&f)
	return f
}

// coverageOf reads the job's coverage: the Go coverage profile file (in
// the workspace) when given, else the job's output "coverage".
func coverageOf(workdir, file string, outputs map[string]string) (float64, string, error) {
	if file != "" {
		pct, err := goProfile(filepath.Join(workdir, filepath.FromSlash(file)))
		if err != nil {
			return 0, "", err
		}
		return pct, "from " + file, nil
	}
	v, ok := outputs["coverage"]
	if !ok {
		return 0, "", fmt.Errorf("it wrote neither coverage.file nor an output named coverage")
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), "%"), 64)
	if err != nil {
		return 0, "", fmt.Errorf("its output coverage=%q is not a percentage", v)
	}
	return pct, "from its coverage output", nil
}

// goProfile computes the statement coverage of a Go coverage profile
// ("mode: set" then "file:start,end statements count" lines), the figure
// `go tool cover -func` prints as total. A block listed more than once
// (several test binaries) counts as covered when any run covered it.
func goProfile(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("its coverage profile cannot be read: %w", err)
	}
	defer f.Close()
	type block struct{ stmts, count int64 }
	blocks := map[string]block{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || line == 1 && strings.HasPrefix(text, "mode:") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 3 {
			return 0, fmt.Errorf("%s:%d: not a Go coverage profile line", path, line)
		}
		stmts, err1 := strconv.ParseInt(fields[1], 10, 64)
		count, err2 := strconv.ParseInt(fields[2], 10, 64)
		if err1 != nil || err2 != nil || stmts < 0 {
			return 0, fmt.Errorf("%s:%d: not a Go coverage profile line", path, line)
		}
		b := blocks[fields[0]]
		b.stmts = stmts
		b.count += count
		blocks[fields[0]] = b
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	var total, covered int64
	for _, b := range blocks {
		total += b.stmts
		if b.count > 0 {
			covered += b.stmts
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("its coverage profile %s has no statements", path)
	}
	return 100 * float64(covered) / float64(total), nil
}
