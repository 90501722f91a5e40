package image

import (
	"context"
	"errors"
	"maps"
	"strconv"

	"github.com/sluice-ci/sluice/internal/sbom"
	"github.com/sluice-ci/sluice/internal/version"
)

// Inventory reads the image opts name and lists what it is made of, for
// an SBOM: the operating system, its packages, language packages and Go
// programs, each with the file it was found in and the layer that wrote
// it, and the dependencies the package databases and Go programs record.
// It needs no vulnerability database (opts.DB is ignored). Problems with
// single files are left out of the inventory, not reported; Scan reports
// them.
func Inventory(ctx context.Context, opts Options) (sbom.Inventory, error) {
	if opts.Ref == "" && opts.Archive == "" {
		return sbom.Inventory{}, errors.New(ReasonNoImage)
	}
	r, err := analyze(ctx, opts)
	if err != nil {
		return sbom.Inventory{}, err
	}
	inv := sbom.Inventory{
		Subject:     sbom.Subject{Kind: sbom.SubjectImage, Name: r.name, Digest: r.digest},
		ToolVersion: version.Get().Version,
		Components:  make([]sbom.Component, len(r.pkgs)),
	}
	refs := componentRefs(r.pkgs)
	for i := range r.pkgs {
		p := &r.pkgs[i]
		c := sbom.Component{
			Ref: refs[i], Type: p.typ, Name: p.name, Version: p.version, Ecosystem: p.ecosystem,
			PURL: p.purl, Licenses: p.licenses, Hashes: p.hashes, Path: p.path, Layer: p.layer,
			Properties: p.props,
		}
		if p.srcName != "" && p.srcName != p.name {
			c.Properties = withProp(maps.Clone(p.props), "source_package", p.srcName)
		}
		for _, d := range p.deps {
			c.DependsOn = append(c.DependsOn, refs[d])
		}
		inv.Components[i] = c
	}
	return inv, nil
}

// componentRefs gives every package a unique bom-ref: its purl, with
// "#2", "#3" … for the same package found again in another file.
func componentRefs(pkgs []pkg) []string {
	refs := make([]string, len(pkgs))
	used := map[string]int{}
	for i, p := range pkgs {
		base := p.purl
		if base == "" {
			base = string(p.typ) + ":" + p.name
			if p.version != "" {
				base += "@" + p.version
			}
		}
		used[base]++
		refs[i] = base
		if n := used[base]; n > 1 {
			refs[i] = base + "#" + strconv.Itoa(n)
		}
	}
	return refs
}
