// Package secrets is sluice's built-in secrets scanner: credentials of
// cloud and SaaS providers by their token formats, private keys, passwords
// in URLs, and high-entropy values assigned to secret-sounding names.
//
// It is built for speed: one pass of a keyword automaton over each file
// finds where a rule could match, and a rule's regular expression runs only
// on the lines (or, on long lines, the stretch) around its keywords. Files
// are scanned concurrently.
//
// A secret is never stored or printed in clear: findings carry the line
// with the secret redacted to its first four characters (*** when short),
// and its SHA-256 in Properties["secret_sha256"], which is also what makes
// the finding's fingerprint survive unrelated edits. Locations are 1-based
// lines and columns, columns counting characters (code points); EndCol is
// the column just after the secret, like SARIF's endColumn. A private key
// spans its BEGIN to END lines.
//
// A secret on a line with `sluice:ignore` (optionally narrowed:
// `sluice:ignore secrets`, `sluice:ignore generic-secret`) or
// `gitleaks:allow` is still reported, marked InlineIgnored, so reports
// show it and the gate's policy decides whether the marker counts.
//
// What is not reported:
//   - files matching Options.AllowPaths (gitignore-style patterns), and
//     secrets matching one of Options.AllowValues;
//   - placeholders: templates and variables (${X}, {{ .x }}, $(cmd),
//     os.Getenv…), <your-token>, changeme, example values, xxxx…;
//   - binary files (a NUL byte in the first 8 KiB): counted in the
//     health's Reason, not errors;
//   - files over Options.MaxFileSize (10 MiB by default): an input error
//     each, so a skipped file is never silent.
package secrets

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

const scannerName = "secrets"

// Options tunes the scanner. The zero value scans with every rule.
type Options struct {
	// AllowPaths are gitignore-style patterns of files not to scan for
	// secrets (test fixtures, say): "**/testdata/**", "*.snap".
	AllowPaths []string
	// AllowValues are expressions matched against each secret found; a
	// match drops it. Use them for known fake credentials of a test suite.
	AllowValues []*regexp.Regexp
	// Disable lists rule ids not to run (see Rules).
	Disable []string
	// MaxFileSize is the size over which a file is skipped, with an input
	// error; 0 means scan.DefaultMaxFileSize.
	MaxFileSize int64
	// Workers is how many files are scanned at once; 0 means GOMAXPROCS.
	Workers int
}

// New returns the secrets scanner. A malformed allow pattern or an unknown
// rule id in Disable makes Scan fail, with the reason in the health.
func New(opts Options) scan.Scanner {
	s := &scanner{opts: opts}
	disabled := map[string]bool{}
	for _, id := range opts.Disable {
		disabled[id] = true
	}
	var rules []*rule
	for _, r := range defaultRules {
		if disabled[r.id] {
			delete(disabled, r.id)
			continue
		}
		rules = append(rules, r)
	}
	for id := range disabled {
		s.err = fmt.Errorf("secrets: cannot disable rule %q: no such rule", id)
		return s
	}
	var err error
	if s.det, err = newDetector(rules, opts.AllowValues); err != nil {
		s.err = fmt.Errorf("secrets: %w", err)
		return s
	}
	if s.allow, err = scan.CompilePatterns(opts.AllowPaths); err != nil {
		s.err = fmt.Errorf("secrets: allow paths: %w", err)
	}
	return s
}

type scanner struct {
	opts  Options
	det   *detector
	allow *scan.Patterns
	err   error
}

var _ scan.Scanner = (*scanner)(nil)

// Name returns "secrets".
func (s *scanner) Name() string { return scannerName }

// Category returns findings.Secrets.
func (s *scanner) Category() findings.Category { return findings.Secrets }

// Applies says yes whenever there is a file to look at.
func (s *scanner) Applies(_ context.Context, t *scan.Target) (bool, string) {
	if len(t.Files) == 0 {
		return false, "no files to scan"
	}
	return true, ""
}

// stats is what the workers count, under mu.
type stats struct {
	mu                  sync.Mutex
	files, binary, skip int
	bytes               int64
	findings            int
	errs                []scan.InputError
}

// Scan reads every file of t (concurrently) and reports the secrets in
// them. Health.Files counts the text files scanned; Reason says how much
// was read and how many files were binary or allowlisted.
func (s *scanner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	began := time.Now()
	h := scan.Health{Scanner: scannerName, Status: scan.Ran}
	if s.err != nil {
		h.Status, h.Reason = scan.Failed, s.err.Error()
		return h, s.err
	}
	workers := s.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var st stats
	paths := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // reused: findings never point into it
			for rel := range paths {
				buf = s.scanFile(t.Root, rel, buf, &st, report)
			}
		}()
	}
	var err error
feed:
	for _, rel := range t.Files {
		if s.allow.Excludes(rel) {
			st.skip++
			continue
		}
		select {
		case paths <- rel:
		case <-ctx.Done():
			err = fmt.Errorf("secrets scan: %w", ctx.Err())
			break feed
		}
	}
	close(paths)
	wg.Wait()

	h.Files, h.Findings, h.Errors = st.files, st.findings, st.errs
	h.Partial = len(st.errs) > 0
	h.Reason = fmt.Sprintf("scanned %d files (%s)", st.files, scan.FormatSize(st.bytes))
	if st.binary > 0 {
		h.Reason += fmt.Sprintf("; skipped %d binary files", st.binary)
	}
	if st.skip > 0 {
		h.Reason += fmt.Sprintf("; skipped %d allowlisted files", st.skip)
	}
	h.Duration = time.Since(began)
	if err != nil {
		h.Status, h.Reason, h.Partial = scan.Failed, err.Error(), true
		return h, err
	}
	return h, nil
}

// scanFile scans one file, reading it into buf, and records what happened
// in st. It returns the buffer to reuse.
func (s *scanner) scanFile(root, rel string, buf []byte, st *stats, report func(findings.Finding)) []byte {
	data, binary, err := scan.ReadTextBuf(filepath.Join(root, filepath.FromSlash(rel)), s.opts.MaxFileSize, buf)
	if err != nil {
		st.mu.Lock()
		st.errs = append(st.errs, scan.NewInputError(rel, err))
		st.mu.Unlock()
		return buf
	}
	if binary {
		st.mu.Lock()
		st.binary++
		st.mu.Unlock()
		return buf
	}
	found := s.scanContent(rel, data)
	for _, f := range found {
		report(f)
	}
	st.mu.Lock()
	st.files++
	st.bytes += int64(len(data))
	st.findings += len(found)
	st.mu.Unlock()
	if cap(data) > 1<<20 {
		return nil // do not hold on to a big file's memory
	}
	return data
}

// scanContent returns the findings in one file's content; path is relative
// to the scanned root, with forward slashes.
func (s *scanner) scanContent(path string, content []byte) []findings.Finding {
	f := &file{path: path, content: content, config: isConfigFile(path)}
	cands := s.det.detect(f)
	if len(cands) == 0 {
		return nil
	}
	return toFindings(f, cands)
}
