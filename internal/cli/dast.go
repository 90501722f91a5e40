package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-ci/sluice/internal/scan/dast"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
)

// dastOptions resolves the application the dast scanner attacks: a URL,
// or an environment's gateway address from the store of the data folder
// (how a pipeline's scan: [dast] job finds staging).
func (g *globals) dastOptions(ctx context.Context, f *scanFlags) (dast.Options, error) {
	o := dast.Options{BaseURL: f.dastURL, OpenAPI: f.openAPI, ActiveChecks: !f.passiveOnly}
	if o.BaseURL != "" || f.dastEnv == "" {
		return o, nil
	}
	data := os.Getenv("SLUICE_DATA")
	if data == "" {
		data = g.dataDir("")
	}
	if _, err := os.Stat(filepath.Join(data, "sluice.db")); err != nil && g.database == "" { // #nosec G703 -- the operator's own data folder
		return o, usageErr("--dast-env %s: no store in %s to find the environment in", f.dastEnv, data)
	}
	st, _, err := g.openStore(ctx, data)
	if err != nil {
		return o, err
	}
	defer st.Close()
	es, err := st.Releases().GetEnv(ctx, f.dastEnv)
	if errors.Is(err, store.ErrNotFound) || err == nil && (es.Listen == "" || es.Live == "") {
		return o, usageErr("--dast-env %s: nothing is deployed there yet", f.dastEnv)
	}
	if err != nil {
		return o, err
	}
	o.BaseURL = "http://" + es.Listen
	return o, nil
}

func newDASTCmd(g *globals) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "dast URL [--openapi SPEC] [--header 'Name: value'] [--passive-only]",
		Short: "Attack a running application, safely: crawl it and check it like ZAP's baseline and active scans",
		Long: `Scan a running application (a staging or preview address, never production):
crawl its pages and forms and, with --openapi, its API; check every answer
for missing security headers, insecure cookies, version banners, stack
traces, permissive CORS, directory listings, exposed .git and .env; then
(unless --passive-only) probe parameters for reflected XSS, SQL injection
(errors and timing), path traversal, open redirects, command injection,
SSRF towards a listener of the scanner's own, and API routes answering
without the credentials they declare. Findings carry CWE and OWASP
categories, the request and the evidence; reports and exit status are the
same as sluice scan's. In a pipeline: scan: [dast] with SLUICE_DAST_ENV
(the environment to attack, at its gateway address) or SLUICE_DAST_URL.`,
		Example: `  sluice dast http://127.0.0.1:8081 --openapi api/openapi.yaml --fail-on high
  sluice dast http://127.0.0.1:8081 --passive-only --sarif dast.sarif`,
		Args: argsBetween(1, 1, "one URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !strings.HasPrefix(args[0], "http://") && !strings.HasPrefix(args[0], "https://") {
				return usageErr("URL %q: want http:// or https://", args[0])
			}
			f.dastURL = args[0]
			f.scanners = []string{"dast"}
			dir, err := os.MkdirTemp("", "sluice-dast-*")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			return runScan(cmd.Context(), g, dir, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.openAPI, "openapi", "", "the application's OpenAPI document (file or URL)")
	fl.BoolVar(&f.passiveOnly, "passive-only", false, "only look, do not send attack payloads")
	fl.StringVar(&f.format, "format", "table", "output format: table, json, sarif, junit")
	fl.StringVarP(&f.output, "output", "o", "", "write the report here instead of stdout")
	fl.StringVar(&f.sarifOut, "sarif", "", "also write a SARIF report here")
	fl.StringVar(&f.jsonOut, "json", "", "also write sluice's JSON report here")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding is at or above this severity")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines")
	return cmd
}
