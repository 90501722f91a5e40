package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sluice-ci/sluice/internal/sbom"
	"github.com/sluice-ci/sluice/internal/scan"
	"github.com/sluice-ci/sluice/internal/scan/deps"
	"github.com/sluice-ci/sluice/internal/scan/image"
	"github.com/sluice-ci/sluice/internal/version"
	"github.com/spf13/cobra"
)

func newSBOMCmd(g *globals) *cobra.Command {
	var (
		format, output, ref, archive string
		insecure                     bool
	)
	cmd := &cobra.Command{
		Use:   "sbom [PATH | --image REF | --image-archive FILE]",
		Short: "Write a CycloneDX SBOM of a folder or a container image",
		Long: `Write a software bill of materials (CycloneDX 1.6) of what a folder's
lockfiles and manifests declare, or of what a container image holds: OS
packages (dpkg, apk, rpm), Go programs and their modules, Python and npm
packages — each with its package URL, and for images the layer it came from.`,
		Example: `  sluice sbom > sbom.json
  sluice sbom ./services/api --format cyclonedx-xml -o api.cdx.xml
  sluice sbom --image-archive api.tar
  sluice sbom --image registry.example.com/shop/api@sha256:…`,
		Args: argsBetween(0, 1, "at most one PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(sbom.Formats(), format) {
				return usageErr("--format %q: want one of %s", format, strings.Join(sbom.Formats(), ", "))
			}
			if (ref != "" || archive != "") && len(args) > 0 {
				return usageErr("give a PATH or an image, not both")
			}
			if ref != "" && archive != "" {
				return usageErr("give --image or --image-archive, not both")
			}
			var inv sbom.Inventory
			var err error
			if ref != "" || archive != "" {
				inv, err = image.Inventory(cmd.Context(), image.Options{Ref: ref, Archive: archive, Insecure: insecure,
					IsLockfile: deps.IsLockfile, ParseLockfile: deps.ParseLockfile})
				if err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
			} else {
				path := "."
				if len(args) == 1 {
					path = args[0]
				}
				inv, err = pathInventory(cmd.Context(), g, path)
				if err != nil {
					return err
				}
			}
			inv.ToolVersion = version.Get().Version
			var b bytes.Buffer
			if err := sbom.Write(&b, inv, format); err != nil {
				return err
			}
			if output != "" {
				return os.WriteFile(output, b.Bytes(), 0o644)
			}
			_, err = g.s.out.Write(b.Bytes())
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "cyclonedx-json", "output format: "+strings.Join(sbom.Formats(), ", "))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().StringVar(&ref, "image", "", "an image in a registry (name:tag or name@sha256:…)")
	cmd.Flags().StringVar(&archive, "image-archive", "", "a 'docker save' tarball or an OCI layout (folder or tar)")
	cmd.Flags().BoolVar(&insecure, "insecure-registry", false, "allow plain-HTTP registries for --image")
	return cmd
}

// pathInventory lists the packages a folder's lockfiles declare.
func pathInventory(ctx context.Context, g *globals, path string) (sbom.Inventory, error) {
	root, err := filepath.Abs(path)
	if err != nil {
		return sbom.Inventory{}, usageErr("%s: %v", path, err)
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return sbom.Inventory{}, usageErr("%s is not a folder", path)
	}
	files, _, err := scan.Walk(ctx, root, scan.WalkOptions{})
	if err != nil {
		return sbom.Inventory{}, err
	}
	found, errs, err := deps.Packages(ctx, &scan.Target{Root: root, Files: files})
	if err != nil {
		return sbom.Inventory{}, err
	}
	for _, e := range errs {
		fmt.Fprintf(g.s.err, "warning: %s: %s\n", e.Path, e.Err)
	}
	var lockfiles []string
	for f := range found {
		lockfiles = append(lockfiles, f)
	}
	sort.Strings(lockfiles)
	var pkgs []sbom.Package
	for _, f := range lockfiles {
		for _, p := range found[f] {
			pkgs = append(pkgs, sbom.Package{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, Path: f})
		}
	}
	return sbom.PathInventory(filepath.Base(root), pkgs), nil
}
