// Package iac holds sluice's infrastructure-as-code scanners: terraform
// (HCL configuration and `terraform show -json` plans) and kubernetes
// (YAML manifests). Their checks are Rego policies evaluated with OPA,
// embedded in the binary and compiled once; users add their own with
// Options.PolicyDirs, following the conventions of policies/README.md.
//
// Each Terraform block (resource, data source, provider, variable,
// module) and each Kubernetes object is one policy input. A finding is
// reported at the line of the attribute the policy blames, else at the
// block or object, and names the resource (aws_s3_bucket.logs,
// Deployment/web) and the ids of the same check in Checkov, tfsec/Trivy
// and kube-linter.
//
// Inline markers turn a check off for a block or line: "# sluice:ignore
// <rule-id>" (or a Checkov/AVD id), "#checkov:skip=CKV_…" and
// "#tfsec:ignore:…" on or right above the line or the block; Kubernetes
// objects also honour kube-linter's ignore-check.kube-linter.io/<check>
// annotations. A finding turned off this way is still reported, marked
// InlineIgnored, so reports show it and the gate's policy decides whether
// the marker counts.
package iac

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Options configure the IaC scanners. The zero value runs the built-in
// checks only.
type Options struct {
	// PolicyDirs are folders of extra .rego policies, loaded recursively
	// (files ending in _test.rego are left out) and compiled with the
	// built-in ones. Packages under sluice.terraform.* add Terraform
	// checks, under sluice.kubernetes.* Kubernetes checks.
	PolicyDirs []string
	// MaxFileSize is the largest file read (scan.DefaultMaxFileSize when
	// 0); a bigger one is an input error.
	MaxFileSize int64
	// Workers is how many files or modules are checked at once
	// (GOMAXPROCS when 0).
	Workers int
}

// Scanner names.
const (
	TerraformName  = "terraform"
	KubernetesName = "kubernetes"
)

// NewTerraform returns the Terraform scanner: *.tf files (one module per
// folder, so a check sees the resources that refer to the one it checks)
// and plan JSON files (*.tfplan.json, or any JSON file with
// planned_values or resource_changes). Folders named .terraform, where
// terraform init copies modules, are left out.
func NewTerraform(o Options) scan.Scanner {
	return &scanner{name: TerraformName, target: targetTerraform, opts: o, kind: terraformKind{}}
}

// NewKubernetes returns the Kubernetes scanner: every object with an
// apiVersion and a kind in *.yaml and *.yml files (multi-document files
// and List objects included). Templated files (Helm charts: "{{") cannot
// be read before rendering and are counted as skipped.
func NewKubernetes(o Options) scan.Scanner {
	return &scanner{name: KubernetesName, target: targetKubernetes, opts: o, kind: kubernetesKind{}}
}

// kind is what differs between the two scanners: which files they read
// and how a unit of work becomes policy inputs.
type kind interface {
	// units groups the target's files into units of work.
	units(files []string) []unit
	// applies says whether a unit of the target holds anything to check,
	// reading files if it must.
	applies(root string, files []string, maxSize int64) (bool, string)
	// load reads one unit into documents. Problems with single files are
	// errs; skipped counts files that are not of the format (a JSON file
	// that is no plan) or cannot be read before rendering (templates).
	load(root string, u unit, maxSize int64) (docs []*document, files, skipped int, errs []scan.InputError)
}

// unit is a module folder's .tf files, or one plan or manifest file.
type unit struct {
	files []string
}

type scanner struct {
	name, target string
	opts         Options
	kind         kind
	once         sync.Once
	set          *policySet
	err          error
}

var _ scan.Scanner = (*scanner)(nil)

// Name returns "terraform" or "kubernetes".
func (s *scanner) Name() string { return s.name }

// Category returns findings.IaC.
func (s *scanner) Category() findings.Category { return findings.IaC }

// builtinSets compiles the built-in policies of each target once per
// process: scanners without PolicyDirs share them.
var builtinSets = map[string]func() (*policySet, error){
	targetTerraform: sync.OnceValues(func() (*policySet, error) {
		return loadPolicies(context.Background(), targetTerraform, nil)
	}),
	targetKubernetes: sync.OnceValues(func() (*policySet, error) {
		return loadPolicies(context.Background(), targetKubernetes, nil)
	}),
}

// policies compiles the scanner's policies on first use.
func (s *scanner) policies(ctx context.Context) (*policySet, error) {
	s.once.Do(func() {
		if len(s.opts.PolicyDirs) == 0 {
			s.set, s.err = builtinSets[s.target]()
		} else {
			s.set, s.err = loadPolicies(ctx, s.target, s.opts.PolicyDirs)
		}
		if s.err != nil {
			s.err = fmt.Errorf("%s policies: %w", s.name, s.err)
		}
	})
	return s.set, s.err
}

// targetFiles lists the target's files, walking its root when the list
// is empty.
func targetFiles(ctx context.Context, t *scan.Target) ([]string, []scan.InputError, error) {
	if len(t.Files) > 0 {
		return t.Files, nil, nil
	}
	files, errs, err := scan.Walk(ctx, t.Root, scan.WalkOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list files: %w", err)
	}
	return files, errs, nil
}

// Applies says whether t holds Terraform files or plans (terraform), or
// Kubernetes manifests (kubernetes).
func (s *scanner) Applies(ctx context.Context, t *scan.Target) (bool, string) {
	files, _, err := targetFiles(ctx, t)
	if err != nil {
		return true, "" // let Scan report why the target cannot be listed
	}
	return s.kind.applies(t.Root, files, s.opts.MaxFileSize)
}

// result is what one unit produced.
type result struct {
	found       []findings.Finding
	files, docs int
	skipped     int
	errs        []scan.InputError
}

// Scan checks every unit of t, several at once, and reports findings as
// each unit is done. Files that cannot be read or parsed, and checks that
// fail at run time on an input, are input errors; the rest is still
// scanned.
func (s *scanner) Scan(ctx context.Context, t *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	began := time.Now()
	h := scan.Health{Scanner: s.name, Status: scan.Ran}
	set, err := s.policies(ctx)
	if err != nil {
		h.Status, h.Reason, h.Duration = scan.Failed, err.Error(), time.Since(began)
		return h, err
	}
	files, walkErrs, err := targetFiles(ctx, t)
	if err != nil {
		h.Status, h.Reason, h.Duration = scan.Failed, err.Error(), time.Since(began)
		return h, err
	}
	h.Errors = append(h.Errors, walkErrs...)
	units := s.kind.units(files)
	workers := s.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// One goroutine cancels every policy evaluation when ctx ends, instead
	// of one per evaluation.
	cancel := topdown.NewCancel()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			cancel.Cancel()
		case <-stop:
		}
	}()
	work := make(chan unit)
	results := make(chan result)
	var wg sync.WaitGroup
	for range min(workers, max(len(units), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				results <- s.scanUnit(ctx, set, t.Root, u, cancel)
			}
		}()
	}
	go func() {
		defer close(work)
		for _, u := range units {
			select {
			case work <- u:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var docs, skipped int
	for r := range results {
		for _, f := range r.found {
			report(f)
		}
		h.Findings += len(r.found)
		h.Files += r.files
		docs += r.docs
		skipped += r.skipped
		h.Errors = append(h.Errors, r.errs...)
	}
	slices.SortStableFunc(h.Errors, func(a, b scan.InputError) int { return strings.Compare(a.Path, b.Path) })
	h.Partial = len(h.Errors) > 0
	h.Reason = s.reason(h.Files, docs, skipped)
	h.Duration = time.Since(began)
	if err := ctx.Err(); err != nil {
		h.Status, h.Reason, h.Partial = scan.Failed, fmt.Sprintf("%s scan: %v", s.name, err), true
		return h, fmt.Errorf("%s scan: %w", s.name, err)
	}
	return h, nil
}

// reason says what the scanner looked at.
func (s *scanner) reason(files, docs, skipped int) string {
	what := "resources and blocks"
	if s.target == targetKubernetes {
		what = "objects"
	}
	r := fmt.Sprintf("checked %d %s in %d files", docs, what, files)
	if skipped > 0 && s.target == targetKubernetes {
		r += fmt.Sprintf("; skipped %d templated YAML files (render them first, e.g. helm template)", skipped)
	}
	return r
}

// scanUnit loads and checks one unit. A panic becomes an input error of
// the unit's files, so one odd input cannot stop the scan.
func (s *scanner) scanUnit(ctx context.Context, set *policySet, root string, u unit, cancel topdown.Cancel) (res result) {
	defer func() {
		if p := recover(); p != nil {
			res.found = nil
			for _, f := range u.files {
				res.errs = append(res.errs, scan.InputError{Path: f, Err: fmt.Sprintf("internal error checking this file: %v", p)})
			}
		}
	}()
	docs, files, skipped, errs := s.kind.load(root, u, s.opts.MaxFileSize)
	res.files, res.skipped, res.errs, res.docs = files, skipped, errs, len(docs)
	failed := map[string]bool{}
	for _, d := range docs {
		if ctx.Err() != nil {
			return res
		}
		found, perrs := set.evaluate(ctx, s.name, d, cancel)
		res.found = append(res.found, found...)
		for _, e := range perrs {
			if key := d.file.path + "\x00" + e.Error(); !failed[key] {
				failed[key] = true
				res.errs = append(res.errs, scan.InputError{Path: d.file.path, Err: fmt.Sprintf("%s: %v", d.resource, e)})
			}
		}
	}
	return res
}
