package sbom

// Package is one dependency a lockfile or manifest declares, as a
// filesystem scan finds it.
type Package struct {
	Name, Version string
	// Ecosystem is OSV's name: Go, npm, PyPI, Maven …
	Ecosystem string
	// Path is the lockfile, relative to the scanned root with forward
	// slashes.
	Path string
}

// PathInventory builds the inventory of a scanned folder from the
// packages its lockfiles declare, one component per distinct package,
// version and lockfile, in the order given.
// `sluice sbom PATH` feeds it with what deps.Packages parses.
func PathInventory(root string, pkgs []Package) Inventory {
	inv := Inventory{Subject: Subject{Kind: SubjectPath, Name: root}}
	type key struct{ eco, name, version, path string }
	seen := map[key]bool{}
	for _, p := range pkgs {
		k := key{p.Ecosystem, p.Name, p.Version, p.Path}
		if p.Name == "" || seen[k] {
			continue
		}
		seen[k] = true
		inv.Components = append(inv.Components, Component{
			Type: Library, Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, Path: p.Path,
		})
	}
	return inv
}
