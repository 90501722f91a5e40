package image

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// distro is the operating system an image is built on.
type distro struct {
	// id and versionID are os-release's ID and VERSION_ID.
	id, versionID string
	// prettyName is os-release's PRETTY_NAME.
	prettyName string
	// ecosystem is OSV's ecosystem for the OS packages ("Debian:12");
	// "" when OSV has none sluice can name.
	ecosystem string
	// note says why ecosystem is empty or imprecise.
	note string
}

// parseOSRelease reads an os-release file (shell-style KEY=value lines).
func parseOSRelease(data []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `"'`)
		}
		m[strings.TrimSpace(k)] = v
	}
	return m
}

// newDistro maps os-release fields to OSV's ecosystem names: Debian:12,
// Ubuntu:22.04:LTS, Alpine:v3.19, AlmaLinux:9, Rocky Linux:9, Wolfi,
// Chainguard.
func newDistro(osr map[string]string) distro {
	d := distro{id: strings.ToLower(osr["ID"]), versionID: osr["VERSION_ID"], prettyName: osr["PRETTY_NAME"]}
	major, _, _ := strings.Cut(d.versionID, ".")
	switch d.id {
	case "debian":
		if major == "" {
			d.ecosystem = "Debian"
			d.note = "Debian release unknown (testing or unstable): packages matched against advisories of every release"
		} else {
			d.ecosystem = "Debian:" + major
		}
	case "ubuntu":
		d.ecosystem = "Ubuntu:" + d.versionID
		if strings.Contains(osr["VERSION"], "LTS") {
			d.ecosystem += ":LTS"
		}
	case "alpine":
		parts := strings.SplitN(d.versionID, ".", 3)
		if len(parts) >= 2 {
			d.ecosystem = "Alpine:v" + parts[0] + "." + parts[1]
		} else {
			d.ecosystem = "Alpine"
			d.note = "Alpine release unknown: packages matched against advisories of every release"
		}
	case "wolfi":
		d.ecosystem = "Wolfi"
	case "chainguard":
		d.ecosystem = "Chainguard"
	case "almalinux":
		d.ecosystem = "AlmaLinux:" + major
	case "rocky":
		d.ecosystem = "Rocky Linux:" + major
	case "":
		d.note = "no /etc/os-release: the operating system is unknown"
	default:
		d.note = "no OSV advisories sluice can match for " + d.name() + ": its OS packages are listed, not checked"
	}
	return d
}

// name is a short human name: "debian 12".
func (d distro) name() string {
	if d.prettyName != "" {
		return d.prettyName
	}
	return strings.TrimSpace(d.id + " " + d.versionID)
}
