package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/spf13/cobra"
)

// defaultEcosystems are the ecosystems the built-in scanners produce packages in.
var defaultEcosystems = []string{osv.Go, osv.PyPI, osv.Npm, osv.Maven, osv.CratesIO, osv.RubyGems, osv.Packagist, osv.Debian, osv.Alpine}

func newDBCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline vulnerability database (OSV)",
		Long: `The dependency scanner matches lockfiles against an offline copy of the OSV
database (osv.dev): a folder of OSV JSON records and/or the per-ecosystem
all.zip archives OSV publishes. Its place is --vuln-db, or SLUICE_VULN_DB,
or sluice's folder in your cache directory.`,
		Example: `  sluice db update                       # download every supported ecosystem
  sluice db update --ecosystems Go,PyPI
  sluice db import ~/Downloads/npm-all.zip
  sluice db status`,
	}
	cmd.PersistentFlags().StringVar(&dir, "vuln-db", os.Getenv("SLUICE_VULN_DB"), "folder of the database (env SLUICE_VULN_DB; default: your cache folder)")
	where := func() string {
		if dir != "" {
			return dir
		}
		return defaultVulnDB()
	}

	var baseURL string
	var ecosystems []string
	update := &cobra.Command{
		Use:   "update [--ecosystems A,B] [--url BASE]",
		Short: "Download the latest OSV archives",
		Long: `Download <url>/<ecosystem>/all.zip for each ecosystem, as OSV publishes
them, replacing the local copy only when the new archive is complete. An
archive that has not changed is not downloaded again.`,
		Example: `  sluice db update
  sluice db update --ecosystems Go,npm --vuln-db ./osv
  sluice db update --url http://mirror.internal/osv   # a mirror with OSV's layout`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d := where()
			fmt.Fprintf(g.s.err, "updating %s from %s (%s)\n", d, baseURL, strings.Join(ecosystems, ", "))
			if err := osv.Update(cmd.Context(), baseURL, d, ecosystems); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			return printDBStatus(g, d)
		},
	}
	update.Flags().StringVar(&baseURL, "url", osv.DefaultBaseURL, "base URL of the OSV archives")
	update.Flags().StringSliceVar(&ecosystems, "ecosystems", defaultEcosystems, "ecosystems to download")

	imp := &cobra.Command{
		Use:   "import FILE|DIR",
		Short: "Add OSV records (zip or folder) or a known-exploited catalog",
		Long: `Add OSV records from a zip archive, a JSON record or a folder of them to the
vulnerability database, for offline machines. A known-exploited
vulnerabilities catalog (CISA's KEV JSON feed) is recognised by its content
and replaces the database's catalog; the deps scanner then marks advisories
it lists with known_exploited, which gates can block at any severity
(gates.known_exploited: block).`,
		Example: `  sluice db import Go-all.zip
  sluice db import ./advisories/      # a folder of OSV JSON records
  sluice db import known_exploited_vulnerabilities.json`,
		Args: argsBetween(1, 1, "one FILE or DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(args[0]); err != nil {
				return usageErr("%v", err)
			}
			if err := osv.Import(args[0], where()); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			return printDBStatus(g, where())
		},
	}

	status := &cobra.Command{
		Use:     "status",
		Short:   "Show what the database holds and how old it is",
		Example: `  sluice db status --vuln-db ./osv`,
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(where()); err != nil {
				return usageErr("no vulnerability database at %s (run 'sluice db update' or 'sluice db import')", where())
			}
			return printDBStatus(g, where())
		},
	}
	cmd.AddCommand(update, imp, status)
	return cmd
}

func printDBStatus(g *globals, dir string) error {
	db, err := osv.Open(dir)
	if err != nil {
		return &exitError{code: ExitFailed, err: err}
	}
	defer db.Close()
	fmt.Fprintf(g.s.out, "vulnerability database %s: %d records\n", dir, db.Count())
	if n := db.KEVCount(); n > 0 {
		fmt.Fprintf(g.s.out, "known-exploited catalog: %d CVEs\n", n)
	}
	tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tUPDATED\tAGE")
	for _, e := range db.Ecosystems() {
		u := db.Updated(e)
		age := "-"
		if !u.IsZero() {
			age = fmtDuration(time.Since(u).Truncate(time.Minute))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e, when(u), age)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range db.Errors() {
		fmt.Fprintf(g.s.err, "warning: %v\n", e)
	}
	return nil
}
