package deps

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// pomDep is a <dependency> of a pom.xml.
type pomDep struct {
	group, artifact, version, scope string
	line, versionLine               int
	managed                         bool
}

// parsePom reads a pom.xml's <dependencies> and <dependencyManagement>
// with literal versions or ${property} versions resolved from the POM's
// own <properties> and project coordinates. Versions that depend on a
// parent POM, version ranges and imported BOMs cannot be resolved offline
// and are listed as skipped.
func parsePom(data []byte) (parsed, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	props := map[string]string{}
	var stack []string
	var text strings.Builder
	var deps []*pomDep
	var cur *pomDep
	textLine := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return parsed{}, err
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			text.Reset()
			textLine = line
			if p := strings.Join(stack, "/"); p == "project/dependencies/dependency" ||
				p == "project/dependencyManagement/dependencies/dependency" {
				cur = &pomDep{line: line, managed: strings.Contains(p, "dependencyManagement")}
				deps = append(deps, cur)
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) == 0 {
				return parsed{}, fmt.Errorf("line %d: unexpected </%s>", line, t.Name.Local)
			}
			p := strings.Join(stack, "/")
			value := strings.TrimSpace(text.String())
			switch {
			case len(stack) == 3 && stack[1] == "properties":
				props[stack[2]] = value
			case p == "project/version" || p == "project/groupId" || p == "project/artifactId":
				props["project."+stack[1]] = value
			case p == "project/parent/version" || p == "project/parent/groupId":
				props["project.parent."+stack[2]] = value
			case cur != nil && len(stack) >= 2 && stack[len(stack)-2] == "dependency":
				switch stack[len(stack)-1] {
				case "groupId":
					cur.group = value
				case "artifactId":
					cur.artifact = value
				case "version":
					cur.version, cur.versionLine = value, textLine
				case "scope":
					cur.scope = value
				}
			case stack[len(stack)-1] == "dependency":
				cur = nil
			}
			stack = stack[:len(stack)-1]
			text.Reset()
		}
	}
	if _, ok := props["project.artifactId"]; !ok {
		return parsed{}, fmt.Errorf("no <project><artifactId>: not a Maven POM")
	}
	aliases := map[string]string{"version": "project.version", "pom.version": "project.version",
		"project.parent.version": "project.parent.version", "parent.version": "project.parent.version",
		"groupId": "project.groupId", "pom.groupId": "project.groupId"}
	for alias, name := range aliases {
		if v, ok := props[name]; ok {
			if _, set := props[alias]; !set {
				props[alias] = v
			}
		}
	}
	if _, ok := props["project.version"]; !ok {
		if v, ok := props["project.parent.version"]; ok {
			props["project.version"] = v
		}
	}
	return pomPackages(deps, props), nil
}

// pomPackages resolves dependency versions: a dependency without a
// version takes the managed one.
func pomPackages(deps []*pomDep, props map[string]string) parsed {
	managed := map[string]*pomDep{}
	for _, d := range deps {
		if d.managed {
			managed[resolveProps(d.group, props)+":"+resolveProps(d.artifact, props)] = d
		}
	}
	var out parsed
	seen := map[string]bool{}
	for _, d := range deps {
		name := resolveProps(d.group, props) + ":" + resolveProps(d.artifact, props)
		if d.managed && d.scope == "import" {
			out.skipped = append(out.skipped, name+" (imported BOM)")
			continue
		}
		version, line := d.version, d.versionLine
		if version == "" {
			m, ok := managed[name]
			if !ok || m.version == "" {
				out.skipped = append(out.skipped, name+" (version managed by a parent POM or an imported BOM)")
				continue
			}
			version, line = m.version, m.versionLine
		}
		version = resolveProps(version, props)
		switch {
		case strings.Contains(version, "${"):
			out.skipped = append(out.skipped, fmt.Sprintf("%s (version %s not resolvable offline)", name, version))
		case strings.HasPrefix(version, "[") || strings.HasPrefix(version, "("):
			out.skipped = append(out.skipped, fmt.Sprintf("%s (version range %s)", name, version))
		case strings.Contains(name, "${") || !isVersion(version):
			out.skipped = append(out.skipped, fmt.Sprintf("%s (version %s)", name, version))
		case !seen[name+"@"+version]:
			seen[name+"@"+version] = true
			out.pkgs = append(out.pkgs, pkg(ecoMaven, name, version, line))
		}
	}
	return out
}

// resolveProps substitutes ${name} references, following references in
// property values up to a fixed depth (cycles stay unresolved).
func resolveProps(s string, props map[string]string) string {
	for range 10 {
		start := strings.Index(s, "${")
		if start < 0 {
			return s
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			return s
		}
		v, ok := props[s[start+2:start+end]]
		if !ok {
			return s
		}
		s = s[:start] + v + s[start+end+1:]
	}
	return s
}
