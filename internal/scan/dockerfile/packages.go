package dockerfile

import (
	"regexp"
	"slices"
	"strings"
)

// Options of each package manager that take a value, so the value is not
// taken for a package name.
var (
	aptValueFlags = set("-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release")
	apkValueFlags = set("-t", "--virtual", "-X", "--repository", "-p", "--root", "--keys-dir",
		"--repositories-file", "--arch", "--cache-dir", "--cache-max-age", "--timeout")
	pipValueFlags = set("-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
		"--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--src",
		"--trusted-host", "--platform", "--python-version", "--implementation", "--abi",
		"--upgrade-strategy", "--progress-bar", "--cache-dir", "--log", "--proxy", "--retries",
		"--timeout", "--exists-action", "--cert", "--client-cert", "--global-option", "-C",
		"--config-settings", "--no-binary", "--only-binary", "--report", "--python", "--keyring-provider")
	npmValueFlags = set("--prefix", "--registry", "--tag", "--omit", "--include", "--cache", "-w",
		"--workspace", "--install-strategy", "--loglevel", "--userconfig")
	npmInstall = set("install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall")
	pipName    = regexp.MustCompile(`^pip\d?(\.\d+)?$`)
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// operands returns the arguments that are not options or option values.
func operands(args []string, valueFlags map[string]bool) []string {
	var ops []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return append(ops, args[i+1:]...)
		case valueFlags[a]:
			i++
		case strings.HasPrefix(a, "-") && len(a) > 1:
		default:
			ops = append(ops, a)
		}
	}
	return ops
}

// checkPackages runs the package manager rules on one command.
func (a *analyzer) checkPackages(in *instruction, c shellCmd, facts *runFacts) {
	switch {
	case c.name == "apt-get" || c.name == "apt" || c.name == "aptitude":
		a.checkApt(in, c, facts)
	case c.name == "apk":
		ops := operands(c.args, apkValueFlags)
		if len(ops) == 0 || ops[0] != "add" {
			return
		}
		if bad := unpinned(ops[1:], func(p string) bool { return strings.ContainsAny(p, "=~<>") || strings.HasSuffix(p, ".apk") }); len(bad) > 0 {
			a.report(in, ruleApkUnpinned, "apk add without versions: "+list(bad))
		}
		if !slices.Contains(c.args, "--no-cache") {
			facts.apkNoCache = true
		}
	case pipName.MatchString(c.name) || pythonN.MatchString(c.name) || c.name == "python":
		args := c.args
		if !pipName.MatchString(c.name) {
			i := slices.Index(args, "-m")
			if i < 0 || i+1 >= len(args) || args[i+1] != "pip" {
				return
			}
			args = args[i+2:]
		}
		ops := operands(args, pipValueFlags)
		if len(ops) == 0 || ops[0] != "install" {
			return
		}
		if bad := unpinned(ops[1:], pipPinned); len(bad) > 0 {
			a.report(in, rulePipUnpinned, "pip install without versions: "+list(bad))
		}
		if !hasFlag(args, "--no-cache-dir") {
			facts.pipCache = true
		}
	case c.name == "npm":
		ops := operands(c.args, npmValueFlags)
		if len(ops) == 0 || !npmInstall[ops[0]] {
			return
		}
		if bad := unpinned(ops[1:], npmPinned); len(bad) > 0 {
			a.report(in, ruleNpmUnpinned, "npm install without versions: "+list(bad))
		}
	}
}

// checkApt runs the apt-get rules on one command.
func (a *analyzer) checkApt(in *instruction, c shellCmd, facts *runFacts) {
	ops := operands(c.args, aptValueFlags)
	if len(ops) == 0 {
		return
	}
	switch ops[0] {
	case "update":
		facts.aptUpdate = true
	case "upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade":
		a.report(in, ruleAptUpgrade, c.name+" "+ops[0]+" makes the build depend on the day it runs")
	case "install":
		if bad := unpinned(ops[1:], func(p string) bool { return strings.Contains(p, "=") || strings.HasSuffix(p, ".deb") }); len(bad) > 0 {
			a.report(in, ruleAptUnpinned, c.name+" install without versions: "+list(bad))
		}
		if c.name != "aptitude" && !noRecommends(c.args) {
			a.report(in, ruleAptRecommends, c.name+" install without --no-install-recommends pulls in recommended packages too")
		}
	}
}

// noRecommends reports whether apt arguments turn recommended packages
// off.
func noRecommends(args []string) bool {
	for _, a := range args {
		if a == "--no-install-recommends" {
			return true
		}
		if k, v, ok := strings.Cut(a, "="); ok && strings.HasSuffix(k, "Install-Recommends") {
			v = strings.Trim(strings.ToLower(v), `"'`)
			return v == "false" || v == "0" || v == "no"
		}
	}
	return false
}

// unpinned returns the package operands that name no version: not pinned
// by pinned, and not a path, URL or variable (whose content is unknown).
func unpinned(pkgs []string, pinned func(string) bool) []string {
	var bad []string
	for _, p := range pkgs {
		switch {
		case p == "" || strings.ContainsAny(p, "$`*") || strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/") ||
			strings.HasPrefix(p, "~") || strings.Contains(p, "://"):
		case !pinned(p):
			bad = append(bad, p)
		}
	}
	return bad
}

// pipPinned reports whether a pip requirement names a version, a direct
// reference or a local archive.
func pipPinned(p string) bool {
	return strings.ContainsAny(p, "=<>~!@/") || strings.HasPrefix(p, "git+") ||
		strings.HasSuffix(p, ".whl") || strings.HasSuffix(p, ".zip") || strings.HasSuffix(p, ".tar.gz")
}

// npmPinned reports whether an npm package spec names a version (not the
// latest tag), or is a git, file or tarball reference.
func npmPinned(p string) bool {
	if strings.HasPrefix(p, "git+") || strings.HasPrefix(p, "git:") || strings.HasPrefix(p, "git@") || strings.HasPrefix(p, "file:") || strings.HasPrefix(p, "github:") ||
		strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz") {
		return true
	}
	at := strings.LastIndexByte(p, '@')
	if at <= 0 {
		return false // no version, or only the @ of a scope
	}
	return p[at+1:] != "" && p[at+1:] != "latest"
}

// hasFlag reports whether args hold flag, alone or as flag=value.
func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// list joins names for a message, shortened when long.
func list(names []string) string {
	const maxNames = 8
	if len(names) > maxNames {
		return strings.Join(names[:maxNames], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}
