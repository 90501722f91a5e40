package external

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

type safety3Results struct {
	Files    []json.RawMessage `json:"files"`
	Projects []struct {
		Location string            `json:"location"`
		Files    []json.RawMessage `json:"files"`
	} `json:"projects"`
}

type safety3File struct {
	Location string `json:"location"`
	Type     string `json:"type"`
	Results  struct {
		Dependencies []struct {
			Name           string `json:"name"`
			Specifications []struct {
				Raw             string `json:"raw"`
				Vulnerabilities struct {
					Known []struct {
						ID             text   `json:"id"`
						VulnerableSpec string `json:"vulnerable_spec"`
						Ignored        any    `json:"ignored"`
					} `json:"known_vulnerabilities"`
					Remediation *struct {
						Recommended string `json:"recommended"`
					} `json:"remediation"`
				} `json:"vulnerabilities"`
			} `json:"specifications"`
		} `json:"dependencies"`
	} `json:"results"`
}

// importSafety3 reads the scan_results of `safety scan --output json`:
// projects, their files, each file's dependencies with their
// specifications ("django==2.2.0") and known vulnerabilities. Files are
// relative to their project's location.
func importSafety3(raw json.RawMessage, res *result) error {
	var sr safety3Results
	if err := json.Unmarshal(raw, &sr); err != nil {
		return errors.New("scan_results: " + describe(err))
	}
	read := func(where, base string, files []json.RawMessage) {
		each(res, where, files, func(_ int, f *safety3File) error {
			file := f.Location
			if base != "" && !strings.HasPrefix(file, "/") {
				file = strings.TrimSuffix(base, "/") + "/" + file
			}
			return safety3Findings(res, res.relPath(file), f)
		})
	}
	read("scan_results.files", "", sr.Files)
	for i, p := range sr.Projects {
		read(fmt.Sprintf("scan_results.projects[%d].files", i), p.Location, p.Files)
	}
	return nil
}

func safety3Findings(res *result, path string, file *safety3File) error {
	for _, d := range file.Results.Dependencies {
		for _, spec := range d.Specifications {
			version := pinnedVersion(spec.Raw)
			for _, k := range spec.Vulnerabilities.Known {
				id := strings.TrimSpace(string(k.ID))
				if id == "" || d.Name == "" {
					return errors.New("a known vulnerability has no id or its dependency no name")
				}
				f := safetyFinding(d.Name, version, id, k.VulnerableSpec)
				f.Location.Path = path
				setProp(f.Properties, "specification", spec.Raw)
				if r := spec.Vulnerabilities.Remediation; r != nil && r.Recommended != "" {
					f.FixedVersion = r.Recommended
					f.Fix = fmt.Sprintf("Upgrade %s to %s.", d.Name, r.Recommended)
				}
				if ignored(k.Ignored) {
					f.Properties["suppressed"] = "external"
				}
				res.add(finish(f))
			}
		}
	}
	return nil
}

// pinnedVersion returns the version of an exact requirement
// ("django==2.2.0", "flask===1.0"), "" for ranges.
func pinnedVersion(raw string) string {
	raw, _, _ = strings.Cut(raw, ";")
	if _, v, ok := strings.Cut(raw, "=="); ok {
		return strings.TrimSpace(strings.TrimPrefix(v, "="))
	}
	return ""
}
