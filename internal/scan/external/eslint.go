package external

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// ESLint's npm packages the runner needs next to eslint; the TypeScript
// parser is optional (TypeScript files are linted only with it).
const (
	eslintPlugin    = "eslint-plugin-security"
	eslintFormatter = "@microsoft/eslint-formatter-sarif"
	eslintTSParser  = "@typescript-eslint/parser"
)

var (
	isJS = ext(".js", ".mjs", ".cjs", ".jsx")
	isTS = ext(".ts", ".mts", ".cts", ".tsx")
)

// eslintTool runs ESLint with eslint-plugin-security's recommended rules
// and nothing else, from a flat config sluice writes (the project's own
// ESLint config is not used: it may need plugins that are not installed),
// and reads its SARIF. Inline eslint-disable comments still apply.
func eslintTool() *tool {
	return &tool{
		name: "eslint", binary: "eslint", category: findings.SAST, format: "eslint",
		files: func(rel string) bool { return isJS(rel) || isTS(rel) },
		accept: func(in *install, rel string) bool {
			return isJS(rel) || in.parts[eslintTSParser] != ""
		},
		noFiles: "no JavaScript files", perFile: true,
		find: findESLint,
		check: func(_ *Options, t *scan.Target, in *install) string {
			if in.parts[eslintTSParser] != "" {
				return ""
			}
			js, ts := false, false
			for _, f := range t.Files {
				js = js || isJS(f) && !vendored(f)
				ts = ts || isTS(f) && !vendored(f)
			}
			if !js && ts {
				return "only TypeScript files, and " + eslintTSParser + " is not installed next to eslint"
			}
			return ""
		},
		setup: writeESLintConfig,
		args: func(c *call) []string {
			return append([]string{"--config", filepath.Join(c.tmp, "eslint.config.mjs"),
				"--format", c.in.parts[eslintFormatter], "--output-file", c.out,
				"--no-warn-ignored", "--no-error-on-unmatched-pattern"}, fileArgs(c.files)...)
		},
		okExit: []int{0, 1}, // 1: errors reported (parse errors count)
		// Problems with inline configuration come out as results of other
		// rules; only the security rules' results are findings.
		keep: func(f *findings.Finding) bool { return strings.HasPrefix(f.RuleID, "security/") },
	}
}

// findESLint finds eslint, then the plugin and the SARIF formatter in the
// node_modules eslint is installed in or in the tools folders.
func findESLint(o *Options) (*install, string) {
	bin := lookTool("eslint", o)
	if bin == "" {
		return nil, "eslint not installed"
	}
	var dirs []string
	if m := modulesOf(bin); m != "" {
		dirs = append(dirs, m)
	}
	for _, d := range o.ToolsDirs {
		dirs = append(dirs, filepath.Join(d, "node_modules"), filepath.Join(d, "eslint", "node_modules"))
	}
	in := &install{bin: bin, parts: map[string]string{}}
	for _, pkg := range []string{eslintPlugin, eslintFormatter, eslintTSParser} {
		if p := findModule(dirs, pkg); p != "" {
			in.parts[pkg] = p
		} else if pkg != eslintTSParser {
			return nil, fmt.Sprintf("%s not installed next to eslint (%s)", pkg, bin)
		}
	}
	return in, ""
}

// modulesOf returns the node_modules folder an npm-installed binary
// belongs to ("" when it is not in one): .bin/eslint links to
// ../eslint/bin/eslint.js.
func modulesOf(bin string) string {
	p, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return ""
	}
	for d := filepath.Dir(p); d != filepath.Dir(d); d = filepath.Dir(d) {
		if filepath.Base(d) == "node_modules" {
			return d
		}
	}
	return ""
}

// findModule returns the main file of an npm package installed in one of
// dirs, "" when there is none.
func findModule(dirs []string, pkg string) string {
	for _, d := range dirs {
		base := filepath.Join(d, filepath.FromSlash(pkg))
		main := "index.js"
		if b, err := os.ReadFile(filepath.Join(base, "package.json")); err == nil {
			var meta struct {
				Main string `json:"main"`
			}
			if json.Unmarshal(b, &meta) == nil && meta.Main != "" {
				main = meta.Main
			}
		} else {
			continue
		}
		p := filepath.Join(base, filepath.FromSlash(main))
		if filepath.Ext(p) == "" {
			p += ".js"
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// writeESLintConfig writes the flat config of a run: the security plugin's
// recommended rules on JavaScript (and TypeScript, with its parser), JSX
// allowed, unused disable directives not reported.
func writeESLintConfig(c *call) error {
	imports := []string{"import security from " + fileURL(c.in.parts[eslintPlugin]) + ";"}
	files := `["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"]`
	tsBlock := ""
	if p := c.in.parts[eslintTSParser]; p != "" {
		imports = append(imports, "import tsParser from "+fileURL(p)+";")
		files = `["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx", "**/*.ts", "**/*.mts", "**/*.cts", "**/*.tsx"]`
		tsBlock = `
  { files: ["**/*.ts", "**/*.mts", "**/*.cts", "**/*.tsx"], languageOptions: { parser: tsParser } },`
	}
	cfg := strings.Join(imports, "\n") + `
// Written by sluice for one run of ESLint with eslint-plugin-security.
export default [
  {
    files: ` + files + `,
    linterOptions: { reportUnusedDisableDirectives: "off" },
    languageOptions: { ecmaVersion: "latest", parserOptions: { ecmaFeatures: { jsx: true } } },
    plugins: { security },
    rules: security.configs.recommended.rules,
  },` + tsBlock + `
];
`
	return os.WriteFile(filepath.Join(c.tmp, "eslint.config.mjs"), []byte(cfg), 0o600)
}

// fileURL returns a JavaScript string literal of the file URL of p.
func fileURL(p string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path
	}
	b, _ := json.Marshal(u.String())
	return string(b)
}
