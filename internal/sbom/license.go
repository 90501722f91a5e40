package sbom

import (
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// spdxIDs are common SPDX license identifiers by lowercase spelling. A
// license string matching one is written as a CycloneDX license id (which
// the schema checks against the SPDX list); anything else is written as a
// name, so an unknown spelling never makes the SBOM invalid.
var spdxIDs = func() map[string]string {
	m := map[string]string{}
	for _, id := range []string{
		"0BSD", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0",
		"Artistic-2.0", "Beerware", "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause",
		"BSL-1.0", "bzip2-1.0.6", "CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "curl",
		"EPL-2.0", "FTL", "GFDL-1.3-or-later", "GPL-2.0", "GPL-2.0+", "GPL-2.0-only",
		"GPL-2.0-or-later", "GPL-3.0", "GPL-3.0+", "GPL-3.0-only", "GPL-3.0-or-later",
		"HPND", "IJG", "ISC", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1",
		"LGPL-2.1+", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
		"LGPL-3.0-or-later", "Libpng", "MIT", "MIT-0", "MPL-2.0", "OFL-1.1", "OpenSSL",
		"PHP-3.01", "PSF-2.0", "Python-2.0", "Ruby", "Sleepycat", "Unicode-DFS-2016",
		"Unlicense", "Vim", "WTFPL", "X11", "Zlib",
	} {
		m[strings.ToLower(id)] = id
	}
	return m
}()

// spdxExceptions are license exceptions that may follow WITH.
var spdxExceptions = map[string]string{
	"classpath-exception-2.0": "Classpath-exception-2.0",
	"llvm-exception":          "LLVM-exception",
}

// licenses converts license strings: known SPDX ids become ids, a single
// SPDX expression of known ids becomes an expression (CycloneDX allows
// one expression or a list of licenses, not both), anything else a name.
func licenses(in []string) cdx.Licenses {
	var out cdx.Licenses
	seen := map[string]bool{}
	var kept []string
	for _, l := range in {
		l = strings.TrimSpace(l)
		if l != "" && !seen[l] {
			seen[l] = true
			kept = append(kept, l)
		}
	}
	if len(kept) == 1 {
		if expr, ok := spdxExpression(kept[0]); ok {
			return cdx.Licenses{{Expression: expr}}
		}
	}
	for _, l := range kept {
		if id, ok := spdxIDs[strings.ToLower(l)]; ok {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: id}})
		} else {
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l}})
		}
	}
	return out
}

// spdxExpression canonicalizes s when it is an SPDX expression that
// combines known ids with AND, OR, WITH and parentheses; false for a
// single id or anything else.
func spdxExpression(s string) (string, bool) {
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	fields := strings.Fields(s)
	ops := 0
	var parts []string
	for i, f := range fields {
		switch f {
		case "AND", "OR", "WITH", "(", ")":
			if f != "(" && f != ")" {
				ops++
			}
			parts = append(parts, f)
			continue
		}
		if i > 0 && fields[i-1] == "WITH" {
			exc, ok := spdxExceptions[strings.ToLower(f)]
			if !ok {
				return "", false
			}
			parts = append(parts, exc)
			continue
		}
		id, ok := spdxIDs[strings.ToLower(f)]
		if !ok {
			return "", false
		}
		parts = append(parts, id)
	}
	if ops == 0 {
		return "", false
	}
	return strings.ReplaceAll(strings.ReplaceAll(strings.Join(parts, " "), "( ", "("), " )", ")"), true
}
