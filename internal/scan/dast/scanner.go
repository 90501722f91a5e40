package dast

import (
	"context"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// New returns the DAST scanner for scan.Run. scan.Target describes files,
// not a running application, so the application comes from o; the target
// is ignored. Without o.BaseURL the scanner does not apply.
func New(o Options) scan.Scanner { return scanner{opts: o} }

type scanner struct{ opts Options }

var _ scan.Scanner = scanner{}

// Name returns "dast".
func (scanner) Name() string { return ScannerName }

// Category returns findings.DAST.
func (scanner) Category() findings.Category { return findings.DAST }

// Applies says whether a base URL was given.
func (s scanner) Applies(context.Context, *scan.Target) (bool, string) {
	if strings.TrimSpace(s.opts.BaseURL) == "" {
		return false, "no URL of a running application to scan (set the DAST base URL)"
	}
	return true, ""
}

// Scan runs Scan and reports its findings.
func (s scanner) Scan(ctx context.Context, _ *scan.Target, report func(findings.Finding)) (scan.Health, error) {
	res, err := Scan(ctx, s.opts)
	if err != nil {
		return scan.Health{Scanner: ScannerName}, err
	}
	for _, f := range res.Findings {
		report(f)
	}
	return res.Health, nil
}
