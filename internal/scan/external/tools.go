package external

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

// Tools returns a scanner per runnable tool, in a fixed order: bandit,
// eslint, semgrep, gitleaks, gosec, hadolint, trivy, checkov, kube-linter,
// tfsec. Each applies only when its tool is installed (found on PATH or in
// o.ToolsDirs; "bandit not installed" otherwise) and the target holds
// files it looks at. Scan runs the tool as a subprocess (argv, never a
// shell) in the target's root with a timeout, captures its JSON or SARIF
// report in a temporary file and imports it with Import.
func Tools(o Options) []scan.Scanner {
	if o.ToolsDirs == nil {
		if d := os.Getenv("SLUICE_TOOLS_DIR"); d != "" {
			o.ToolsDirs = []string{d}
		}
	}
	if o.SemgrepRules != "" {
		// Tools run in the scanned root: a relative path would move.
		if abs, err := filepath.Abs(o.SemgrepRules); err == nil {
			o.SemgrepRules = abs
		}
	}
	defs := []*tool{banditTool(), eslintTool(), semgrepTool(), gitleaksTool(), gosecTool(),
		hadolintTool(), trivyTool(), checkovTool(), kubeLinterTool(), tfsecTool()}
	out := make([]scan.Scanner, len(defs))
	for i, d := range defs {
		out[i] = &runner{tool: d, opts: o}
	}
	return out
}

// lookTool finds an executable on PATH, then in the tools folders.
func lookTool(name string, o *Options) string {
	if p, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
		return p
	}
	for _, d := range o.ToolsDirs {
		for _, sub := range []string{"", "bin", filepath.Join("node_modules", ".bin"),
			filepath.Join(name, "node_modules", ".bin")} {
			p := filepath.Join(d, sub, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// ext returns a file selector for extensions (".py").
func ext(exts ...string) func(string) bool {
	return func(rel string) bool {
		e := strings.ToLower(path.Ext(rel))
		for _, x := range exts {
			if e == x {
				return true
			}
		}
		return false
	}
}

func banditTool() *tool {
	return &tool{
		name: "bandit", binary: "bandit", category: findings.SAST, format: "bandit",
		files: ext(".py", ".pyw"), noFiles: "no Python files", perFile: true,
		// -f json: Debian's Bandit 1.6 has no SARIF formatter.
		args: func(c *call) []string {
			return append([]string{"-f", "json", "-o", c.out, "-q"}, fileArgs(c.files)...)
		},
		okExit: []int{0, 1}, // 1: issues found
	}
}

func semgrepTool() *tool {
	return &tool{
		name: "semgrep", binary: "semgrep", category: findings.SAST, format: "semgrep",
		check: func(o *Options, _ *scan.Target, _ *install) string {
			if o.SemgrepRules == "" {
				return "semgrep needs local rules (its registry rules need the network): none configured"
			}
			return ""
		},
		args: func(c *call) []string {
			return []string{"scan", "--config", c.opts.SemgrepRules, "--json", "--output", c.out,
				"--metrics", "off", "--disable-version-check", "--quiet", "."}
		},
		okExit: []int{0, 1},
		env:    []string{"SEMGREP_SEND_METRICS=off", "SEMGREP_ENABLE_VERSION_CHECK=0"},
	}
}

func gitleaksTool() *tool {
	return &tool{
		name: "gitleaks", binary: "gitleaks", category: findings.Secrets, format: "gitleaks",
		// gitleaks 8.19 and later; --exit-code 0 so leaks are not a failure.
		args: func(c *call) []string {
			return []string{"dir", ".", "--report-format", "json", "--report-path", c.out,
				"--exit-code", "0", "--no-banner", "--log-level", "error"}
		},
		okExit: []int{0},
	}
}

func gosecTool() *tool {
	return &tool{
		name: "gosec", binary: "gosec", category: findings.SAST, format: "gosec",
		files: ext(".go"), noFiles: "no Go files",
		check: func(_ *Options, t *scan.Target, _ *install) string {
			if _, err := os.Stat(filepath.Join(t.Root, "go.mod")); err != nil {
				return "no go.mod at the root"
			}
			if _, err := exec.LookPath("go"); err != nil {
				return "gosec needs the go toolchain, which is not on PATH"
			}
			return ""
		},
		args: func(c *call) []string {
			return []string{"-fmt", "sarif", "-out", c.out, "-no-fail", "-quiet", "./..."}
		},
		okExit: []int{0, 1},
	}
}

// isDockerfile says whether a file is a Dockerfile by name.
func isDockerfile(rel string) bool {
	b := strings.ToLower(path.Base(rel))
	return b == "dockerfile" || b == "containerfile" || strings.HasPrefix(b, "dockerfile.") ||
		strings.HasSuffix(b, ".dockerfile")
}

func hadolintTool() *tool {
	return &tool{
		name: "hadolint", binary: "hadolint", category: findings.IaC, format: "hadolint",
		files: isDockerfile, noFiles: "no Dockerfile", perFile: true, stdout: true,
		args: func(c *call) []string {
			return append([]string{"--format", "json"}, fileArgs(c.files)...)
		},
		okExit: []int{0, 1}, // 1: rules violated
	}
}

func trivyTool() *tool {
	return &tool{
		name: "trivy", binary: "trivy", category: findings.Deps, format: "trivy",
		args: func(c *call) []string {
			return []string{"fs", "--offline-scan", "--format", "json", "--output", c.out, "--quiet",
				"--scanners", "vuln,misconfig,secret", "."}
		},
		okExit: []int{0},
		env:    []string{"TRIVY_NO_PROGRESS=true"},
	}
}

// isIaC says whether a file is one Checkov reads.
func isIaC(rel string) bool {
	return isDockerfile(rel) || ext(".tf", ".yaml", ".yml", ".bicep", ".template")(rel) ||
		strings.HasSuffix(strings.ToLower(rel), ".tf.json")
}

func checkovTool() *tool {
	return &tool{
		name: "checkov", binary: "checkov", category: findings.IaC, format: "checkov",
		files: isIaC, noFiles: "no Terraform, Kubernetes, CloudFormation, Bicep or Docker files", stdout: true,
		args: func(c *call) []string {
			return []string{"-d", ".", "-o", "json", "--quiet", "--compact", "--soft-fail", "--skip-download"}
		},
		okExit: []int{0, 1},
		env:    []string{"LOG_LEVEL=ERROR"},
	}
}

func kubeLinterTool() *tool {
	return &tool{
		name: "kube-linter", binary: "kube-linter", category: findings.IaC, format: "kube-linter",
		files: ext(".yaml", ".yml"), noFiles: "no Kubernetes manifests", stdout: true,
		check: func(_ *Options, t *scan.Target, _ *install) string {
			if !anyManifest(t) {
				return "no Kubernetes manifests"
			}
			return ""
		},
		args: func(c *call) []string {
			return []string{"lint", "--format", "json", "."}
		},
		okExit: []int{0, 1}, // 1: lint errors found
	}
}

func tfsecTool() *tool {
	return &tool{
		name: "tfsec", binary: "tfsec", category: findings.IaC, format: "tfsec",
		files: ext(".tf"), noFiles: "no Terraform files",
		args: func(c *call) []string {
			return []string{".", "--format", "json", "--out", c.out, "--soft-fail", "--no-color"}
		},
		okExit: []int{0, 1},
	}
}

// maxManifestProbe bounds the YAML files and bytes read to tell whether a
// target holds Kubernetes manifests.
const (
	maxManifestFiles = 200
	maxManifestBytes = 64 << 10
)

// anyManifest says whether one of the target's YAML files looks like a
// Kubernetes manifest (has both apiVersion and kind at the start of a
// line).
func anyManifest(t *scan.Target) bool {
	n := 0
	for _, rel := range t.Files {
		if !ext(".yaml", ".yml")(rel) || vendored(rel) {
			continue
		}
		if n++; n > maxManifestFiles {
			return true // too many to look at: let kube-linter decide
		}
		if looksLikeManifest(filepath.Join(t.Root, filepath.FromSlash(rel))) {
			return true
		}
	}
	return false
}

func looksLikeManifest(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var api, kind bool
	sc := bufio.NewScanner(io.LimitReader(f, maxManifestBytes))
	sc.Buffer(make([]byte, 0, 4096), maxManifestBytes)
	for sc.Scan() {
		line := sc.Text()
		api = api || strings.HasPrefix(line, "apiVersion:")
		kind = kind || strings.HasPrefix(line, "kind:")
		if api && kind {
			return true
		}
	}
	return false
}
