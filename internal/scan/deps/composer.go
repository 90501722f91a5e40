package deps

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// parseComposerLock reads composer.lock's packages and packages-dev.
// Branch versions ("dev-main") are not releases and are skipped with a
// note.
func parseComposerLock(data []byte) (parsed, error) {
	type entry struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	var lock struct {
		Packages    []entry `json:"packages"`
		PackagesDev []entry `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return parsed{}, err
	}
	if lock.Packages == nil && lock.PackagesDev == nil {
		return parsed{}, fmt.Errorf("no packages or packages-dev: not a composer.lock")
	}
	lines := keyLines(data, func(p []string) bool {
		return len(p) == 3 && (p[0] == "packages" || p[0] == "packages-dev") && p[2] == "name"
	})
	var out parsed
	for _, section := range []struct {
		name string
		list []entry
	}{{"packages", lock.Packages}, {"packages-dev", lock.PackagesDev}} {
		for i, e := range section.list {
			if e.Name == "" {
				return parsed{}, fmt.Errorf("%s[%d] has no name", section.name, i)
			}
			if !isVersion(e.Version) {
				out.skipped = append(out.skipped, fmt.Sprintf("%s (not a release: %s)", e.Name, e.Version))
				continue
			}
			out.pkgs = append(out.pkgs, pkg(ecoPackagist, e.Name, e.Version, lines[joinPath(section.name, strconv.Itoa(i), "name")]))
		}
	}
	return out, nil
}
