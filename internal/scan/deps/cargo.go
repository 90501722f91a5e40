package deps

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// parseCargoLock reads Cargo.lock's [[package]] tables. Crates without a
// source are the workspace's own; crates from git or another registry are
// not crates.io releases: both are skipped, the latter with a note.
func parseCargoLock(data []byte) (parsed, error) {
	var lock struct {
		Package []struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
			Source  string `toml:"source"`
		} `toml:"package"`
	}
	if err := toml.Unmarshal(data, &lock); err != nil {
		return parsed{}, err
	}
	lines := tomlPackageLines(data)
	var out parsed
	for i, p := range lock.Package {
		if p.Name == "" || p.Version == "" {
			return parsed{}, fmt.Errorf("package %d has no name or version", i+1)
		}
		switch {
		case p.Source == "":
			continue
		case strings.HasPrefix(p.Source, "registry+") || strings.HasPrefix(p.Source, "sparse+"):
			if !strings.Contains(p.Source, "crates.io") {
				out.skipped = append(out.skipped, fmt.Sprintf("%s (from registry %s)", p.Name, p.Source))
				continue
			}
		default:
			out.skipped = append(out.skipped, fmt.Sprintf("%s (from %s)", p.Name, p.Source))
			continue
		}
		out.pkgs = append(out.pkgs, pkg(ecoCrates, p.Name, p.Version, lineAt(lines, i)))
	}
	return out, nil
}
