package image

import (
	"fmt"
	"strings"

	"github.com/sluice-ci/sluice/internal/sbom"
)

// parseApk reads an apk installed database (/lib/apk/db/installed):
// one paragraph per package of "X:value" lines. Alpine advisories name
// the origin (source) package.
func parseApk(data []byte, d distro) ([]pkg, error) {
	var out []pkg
	var depends [][][]string
	provides := map[string]int{}
	err := stanzas(data, func(lines []string, _ int) {
		f := map[string]string{}
		for _, l := range lines {
			if len(l) >= 2 && l[1] == ':' {
				if _, dup := f[l[:1]]; !dup {
					f[l[:1]] = l[2:]
				}
			}
		}
		name, version := f["P"], f["V"]
		if name == "" || version == "" {
			return
		}
		p := pkg{name: name, version: version, ecosystem: d.ecosystem, typ: sbom.Library, srcName: f["o"]}
		if l := strings.TrimSpace(f["L"]); l != "" {
			p.licenses = []string{l}
		}
		qual := map[string]string{"arch": f["A"], "distro": d.purlDistro()}
		if p.srcName != "" && p.srcName != name {
			qual["upstream"] = p.srcName
		}
		p.purl = sbom.PackageURL("apk", vendor(d, "alpine"), name, version, qual)
		provides[name] = len(out)
		for _, pr := range strings.Fields(f["p"]) {
			if n := apkName(pr); n != "" {
				if _, ok := provides[n]; !ok {
					provides[n] = len(out)
				}
			}
		}
		var deps [][]string
		for _, dep := range strings.Fields(f["D"]) {
			if strings.HasPrefix(dep, "!") {
				continue // a conflict, not a dependency
			}
			if n := apkName(dep); n != "" {
				deps = append(deps, []string{n})
			}
		}
		depends = append(depends, deps)
		out = append(out, p)
	})
	if err != nil {
		return nil, fmt.Errorf("read apk database: %w", err)
	}
	for i, deps := range depends {
		out[i].deps = resolveDeps(deps, provides, i)
	}
	return out, nil
}

// apkName drops the version constraint of an apk dependency or provide:
// "so:libc.musl-x86_64.so.1=1" → "so:libc.musl-x86_64.so.1".
func apkName(s string) string {
	if i := strings.IndexAny(s, "<>=~"); i >= 0 {
		s = s[:i]
	}
	return s
}
