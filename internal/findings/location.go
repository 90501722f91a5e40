package findings

import (
	"strconv"
	"strings"
)

// String says where a finding is in one short line:
// "internal/db.go:12", "minimist@1.2.5 (package-lock.json:812)",
// "infra/main.tf:4 (aws_s3_bucket.logs)", "GET http://…/search",
// "openssl@3.0.7 in ghcr.io/acme/app:1.4". Empty when nothing is known.
func (l Location) String() string {
	file := l.Path
	if file != "" && l.StartLine > 0 {
		file += ":" + strconv.Itoa(l.StartLine)
	}
	var parts []string
	switch {
	case l.Package != "":
		pkg := l.Package
		if l.Version != "" {
			pkg += "@" + l.Version
		}
		parts = append(parts, pkg)
		if l.Image != "" {
			parts = append(parts, "in", l.Image)
		}
		if file != "" {
			parts = append(parts, "("+file+")")
		}
	case l.URL != "":
		if l.Method != "" {
			parts = append(parts, strings.ToUpper(l.Method))
		}
		parts = append(parts, l.URL)
	case file != "":
		parts = append(parts, file)
		if l.Resource != "" {
			parts = append(parts, "("+l.Resource+")")
		}
		if l.Image != "" {
			parts = append(parts, "in", l.Image)
		}
	case l.Resource != "":
		parts = append(parts, l.Resource)
	case l.Image != "":
		parts = append(parts, l.Image)
	}
	return strings.Join(parts, " ")
}
