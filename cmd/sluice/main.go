// Command sluice is a self-hosted DevSecOps delivery engine: pipelines,
// security gates and progressive delivery in one binary.
package main

import (
	"os"

	"github.com/sluice-ci/sluice/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
