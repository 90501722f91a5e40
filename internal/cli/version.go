package cli

import (
	"encoding/json"
	"fmt"

	"github.com/sluice-ci/sluice/internal/version"
	"github.com/spf13/cobra"
)

func newVersionCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print sluice's version",
		Example: `  sluice version
  sluice version --json`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			info := version.Get()
			if asJSON {
				enc := json.NewEncoder(g.s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprintln(g.s.out, info.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
