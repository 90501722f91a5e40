package deps

import (
	"encoding/json"
	"fmt"
	"strings"
)

// lockEntry is a package in a v1 package-lock.json's nested
// "dependencies".
type lockEntry struct {
	Version      string               `json:"version"`
	Dependencies map[string]lockEntry `json:"dependencies"`
}

// lockPackage is a package in a v2/v3 package-lock.json's "packages".
type lockPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Link    bool   `json:"link"`
}

// parsePackageLock reads package-lock.json or npm-shrinkwrap.json. Lockfile
// v2 and v3 list every installed package under "packages" by its
// node_modules path; v1 nests them under "dependencies". Linked workspace
// packages and non-registry versions (git, file, URLs) are skipped.
func parsePackageLock(data []byte) (parsed, error) {
	var lock struct {
		LockfileVersion int                    `json:"lockfileVersion"`
		Packages        map[string]lockPackage `json:"packages"`
		Dependencies    json.RawMessage        `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return parsed{}, err
	}
	var out parsed
	switch {
	case lock.Packages != nil:
		lines := keyLines(data, func(p []string) bool { return len(p) == 2 && p[0] == "packages" })
		for _, key := range sortedKeys(lock.Packages) {
			e := lock.Packages[key]
			i := strings.LastIndex(key, "node_modules/")
			if i < 0 || e.Link {
				continue // the root project, a workspace folder, or a link to one
			}
			name := key[i+len("node_modules/"):]
			if e.Name != "" {
				name = e.Name // an aliased install ("alias": "npm:real@1.0.0")
			}
			addNpm(&out, name, e.Version, lines[joinPath("packages", key)])
		}
	case lock.Dependencies != nil:
		var deps map[string]lockEntry
		if err := json.Unmarshal(lock.Dependencies, &deps); err != nil {
			return parsed{}, fmt.Errorf("dependencies: %w", err)
		}
		lines := keyLines(data, func(p []string) bool { return len(p)%2 == 0 && p[len(p)-2] == "dependencies" })
		walkLockV1(&out, deps, []string{"dependencies"}, lines)
	default:
		if lock.LockfileVersion == 0 {
			return parsed{}, fmt.Errorf("no lockfileVersion, packages or dependencies: not a package-lock.json")
		}
	}
	return out, nil
}

func walkLockV1(out *parsed, deps map[string]lockEntry, at []string, lines map[string]int) {
	for _, name := range sortedKeys(deps) {
		e := deps[name]
		p := append(append([]string{}, at...), name)
		addNpm(out, name, e.Version, lines[joinPath(p...)])
		if len(e.Dependencies) > 0 {
			walkLockV1(out, e.Dependencies, append(p, "dependencies"), lines)
		}
	}
}

// addNpm adds a package unless its version is not a registry version;
// "npm:real@1.2.3" (an alias) is checked as the real package.
func addNpm(out *parsed, name, version string, line int) {
	if real, ok := strings.CutPrefix(version, "npm:"); ok {
		if i := strings.LastIndex(real, "@"); i > 0 {
			name, version = real[:i], real[i+1:]
		}
	}
	if !isVersion(version) {
		if version != "" {
			out.skipped = append(out.skipped, fmt.Sprintf("%s (not a registry version: %s)", name, version))
		}
		return
	}
	out.pkgs = append(out.pkgs, pkg(ecoNpm, name, version, line))
}
