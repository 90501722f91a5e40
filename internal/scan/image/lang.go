package image

import (
	"encoding/json"
	"fmt"
	"path"
	"runtime/debug"
	"strings"

	"github.com/sluice-ci/sluice/internal/osv"
	"github.com/sluice-ci/sluice/internal/sbom"
)

// parsePythonMetadata reads an installed Python distribution's METADATA
// (or an egg's PKG-INFO).
func parsePythonMetadata(data []byte) (pkg, error) {
	head, _, _ := strings.Cut(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n\n")
	f := rfc822Fields(strings.Split(head, "\n"))
	name, version := f["Name"], f["Version"]
	if name == "" || version == "" {
		return pkg{}, fmt.Errorf("no Name or Version field")
	}
	p := pkg{name: name, version: version, ecosystem: osv.PyPI, typ: sbom.Library}
	switch l := f["License-Expression"]; {
	case l != "":
		p.licenses = []string{l}
	case f["License"] != "" && !strings.Contains(f["License"], "\n") && len(f["License"]) <= 100 && f["License"] != "UNKNOWN":
		p.licenses = []string{f["License"]}
	}
	p.purl = sbom.PURLFor(osv.PyPI, name, version)
	return p, nil
}

// parseNpmManifest reads an installed package's package.json.
func parseNpmManifest(data []byte) (pkg, error) {
	var m struct {
		Name     string          `json:"name"`
		Version  string          `json:"version"`
		License  json.RawMessage `json:"license"`
		Licenses []struct {
			Type string `json:"type"`
		} `json:"licenses"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return pkg{}, fmt.Errorf("malformed package.json: %w", err)
	}
	if m.Name == "" || m.Version == "" {
		return pkg{}, fmt.Errorf("no name or version")
	}
	p := pkg{name: m.Name, version: m.Version, ecosystem: osv.Npm, typ: sbom.Library}
	var s string
	var obj struct {
		Type string `json:"type"`
	}
	switch {
	case json.Unmarshal(m.License, &s) == nil && s != "":
		p.licenses = []string{s}
	case json.Unmarshal(m.License, &obj) == nil && obj.Type != "":
		p.licenses = []string{obj.Type}
	default:
		for _, l := range m.Licenses {
			if l.Type != "" {
				p.licenses = append(p.licenses, l.Type)
			}
		}
	}
	p.purl = sbom.PURLFor(osv.Npm, m.Name, m.Version)
	return p, nil
}

// goPackages lists what a Go program is built from: the program itself
// (an application), the standard library of the Go version that built
// it, and every module it links, replacements applied. The program
// depends on all the others.
func goPackages(filePath string, bin *goBinary) []pkg {
	info := bin.info
	app := pkg{name: info.Main.Path, version: info.Main.Version, typ: sbom.Application,
		hashes: []sbom.Hash{{Algorithm: sbom.SHA256, Value: bin.sha256}}, props: goSettings(info)}
	if app.name == "" {
		app.name = info.Path
	}
	if app.name == "" {
		app.name = path.Base(filePath)
	}
	if isModuleVersion(app.version) && info.Main.Path != "" {
		app.ecosystem = osv.Go
		app.purl = sbom.PURLFor(osv.Go, app.name, app.version)
	} else {
		app.version = ""
		app.purl = sbom.PackageURL("generic", "", path.Base(filePath), "", map[string]string{"checksum": "sha256:" + bin.sha256})
	}
	out := []pkg{app}
	if v := goStdlibVersion(info.GoVersion); v != "" {
		out = append(out, pkg{name: "stdlib", version: v, ecosystem: osv.Go, typ: sbom.Library,
			purl: sbom.PURLFor(osv.Go, "stdlib", v)})
	}
	for _, m := range info.Deps {
		mod := m
		if m.Replace != nil {
			mod = m.Replace
		}
		p := pkg{name: mod.Path, version: mod.Version, typ: sbom.Library}
		if isModuleVersion(mod.Version) {
			p.ecosystem = osv.Go
		}
		if m.Replace != nil && m.Replace.Path != m.Path {
			p.props = map[string]string{"replaces": m.Path}
		}
		if mod.Sum != "" {
			p.props = withProp(p.props, "go_sum", mod.Sum)
		}
		p.purl = sbom.PURLFor(osv.Go, p.name, p.version)
		out = append(out, p)
	}
	for i := 1; i < len(out); i++ {
		out[0].deps = append(out[0].deps, i)
	}
	return out
}

// isModuleVersion says whether v is a module version advisories can
// name: "v1.2.3", not "(devel)" or a local replacement's empty version.
func isModuleVersion(v string) bool {
	return strings.HasPrefix(v, "v") && len(v) > 1 && v[1] >= '0' && v[1] <= '9'
}

// goStdlibVersion turns a toolchain version into the one advisories for
// the Go standard library name: "go1.22.1" → "1.22.1", "go1.21" →
// "1.21.0", "go1.23rc1" → "1.23.0-rc.1"; "" for a development build.
func goStdlibVersion(v string) string {
	v, _, _ = strings.Cut(v, " ") // "go1.22.1 X:boringcrypto"
	v = strings.TrimPrefix(v, "go")
	if v == "" || v[0] < '0' || v[0] > '9' || strings.Contains(v, "devel") {
		return ""
	}
	pre := ""
	for _, tag := range []string{"rc", "beta"} {
		if i := strings.Index(v, tag); i > 0 {
			v, pre = v[:i], "-"+tag+"."+v[i+len(tag):]
			break
		}
	}
	if strings.Count(v, ".") == 1 {
		v += ".0"
	}
	v, _, _ = strings.Cut(v, "-") // "1.22.1-1234" vendor suffixes
	return v + pre
}

func withProp(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// goSettings are the build settings that say how a program was built,
// kept for the SBOM.
func goSettings(info *debug.BuildInfo) map[string]string {
	m := map[string]string{}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.time", "GOOS", "GOARCH", "CGO_ENABLED":
			m["go_"+strings.ReplaceAll(s.Key, ".", "_")] = s.Value
		}
	}
	return m
}
