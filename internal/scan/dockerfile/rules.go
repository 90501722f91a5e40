package dockerfile

import (
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/findings"
)

// rule describes one check: its id, the hadolint (and Checkov) codes of
// the same check, severity, CWE, title and how to fix it.
type rule struct {
	id       string
	hadolint string
	checkov  string
	severity findings.Severity
	cwe      []int
	title    string
	fix      string
	// ref documents the rule when hadolint has no page for it.
	ref string
}

// Rule ids. Each is reported at most once per instruction.
const (
	ruleLatestTag       = "dockerfile-latest-tag"
	ruleUntaggedImage   = "dockerfile-untagged-image"
	ruleNoDigest        = "dockerfile-image-not-pinned"
	ruleAptUnpinned     = "dockerfile-apt-unpinned"
	ruleAptRecommends   = "dockerfile-apt-install-recommends"
	ruleAptLists        = "dockerfile-apt-lists-not-deleted"
	ruleAptUpgrade      = "dockerfile-apt-upgrade"
	ruleApkUnpinned     = "dockerfile-apk-unpinned"
	ruleApkCache        = "dockerfile-apk-cache"
	rulePipUnpinned     = "dockerfile-pip-unpinned"
	rulePipCache        = "dockerfile-pip-cache"
	ruleNpmUnpinned     = "dockerfile-npm-unpinned"
	ruleAddLocal        = "dockerfile-add-local"
	ruleAddURL          = "dockerfile-add-url"
	rulePipefail        = "dockerfile-pipefail"
	ruleCurlPipeShell   = "dockerfile-curl-pipe-shell"
	ruleSudo            = "dockerfile-sudo"
	ruleRootUser        = "dockerfile-root-user"
	ruleShellFormCmd    = "dockerfile-shell-form-cmd"
	ruleSecretEnv       = "dockerfile-secret-env"
	ruleExposeSSH       = "dockerfile-expose-ssh"
	ruleInvalidPort     = "dockerfile-invalid-port"
	ruleNoHealthcheck   = "dockerfile-missing-healthcheck"
	ruleRelativeWorkdir = "dockerfile-relative-workdir"
	ruleCdInRun         = "dockerfile-cd-in-run"
	ruleWorldWritable   = "dockerfile-world-writable"
)

// rules lists every check. DL3059 (consecutive RUN instructions) is left
// out on purpose: it fires on most well-written multi-stage files.
var rules = []rule{
	{id: ruleLatestTag, hadolint: "DL3007", checkov: "CKV_DOCKER_7", severity: findings.Medium,
		title: "Base image uses the latest tag",
		fix:   "Pin the base image to a version tag, better to a digest (image:1.2.3@sha256:…)."},
	{id: ruleUntaggedImage, hadolint: "DL3006", checkov: "CKV_DOCKER_7", severity: findings.Medium,
		title: "Base image has no tag",
		fix:   "Name a version tag, better a digest (image:1.2.3@sha256:…); without one, docker pulls latest."},
	{id: ruleNoDigest, severity: findings.Low,
		title: "Base image is not pinned by digest",
		fix:   "Add the digest (image:1.2.3@sha256:…) so a re-pushed tag cannot change the build; let a bot update it.",
		ref:   "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions"},
	{id: ruleAptUnpinned, hadolint: "DL3008", severity: findings.Low,
		title: "apt-get install without package versions",
		fix:   "Pin versions: apt-get install -y pkg=1.2.3-1."},
	{id: ruleAptRecommends, hadolint: "DL3015", severity: findings.Low,
		title: "apt-get install without --no-install-recommends",
		fix:   "Add --no-install-recommends so only the packages asked for (and their dependencies) are installed."},
	{id: ruleAptLists, hadolint: "DL3009", severity: findings.Info,
		title: "apt lists are not deleted",
		fix:   "End the RUN with && rm -rf /var/lib/apt/lists/* (or use a cache mount)."},
	{id: ruleAptUpgrade, hadolint: "DL3005", severity: findings.Low,
		title: "apt-get upgrade in a Dockerfile",
		fix:   "Use an up-to-date base image instead of upgrading every package at build time."},
	{id: ruleApkUnpinned, hadolint: "DL3018", severity: findings.Low,
		title: "apk add without package versions",
		fix:   "Pin versions: apk add pkg=1.2.3-r0."},
	{id: ruleApkCache, hadolint: "DL3019", severity: findings.Info,
		title: "apk add without --no-cache",
		fix:   "Use apk add --no-cache so the package index does not stay in the image."},
	{id: rulePipUnpinned, hadolint: "DL3013", severity: findings.Low,
		title: "pip install without package versions",
		fix:   "Pin versions (pkg==1.2.3) or install from a pinned requirements file (-r requirements.txt)."},
	{id: rulePipCache, hadolint: "DL3042", severity: findings.Info,
		title: "pip install without --no-cache-dir",
		fix:   "Add --no-cache-dir (or set ENV PIP_NO_CACHE_DIR=1) so pip's cache does not stay in the image."},
	{id: ruleNpmUnpinned, hadolint: "DL3016", severity: findings.Low,
		title: "npm install without package versions",
		fix:   "Pin versions (npm install pkg@1.2.3) or install from the lockfile (npm ci)."},
	{id: ruleAddLocal, hadolint: "DL3020", checkov: "CKV_DOCKER_4", severity: findings.Low,
		title: "ADD used for local files",
		fix:   "Use COPY for files and folders; ADD also extracts archives and fetches URLs, which is rarely meant."},
	{id: ruleAddURL, checkov: "CKV_DOCKER_4", severity: findings.Medium, cwe: []int{494},
		title: "ADD downloads a remote file without a checksum",
		fix:   "Add --checksum=sha256:… to the ADD, or download with curl and verify the checksum in the same RUN.",
		ref:   "https://docs.docker.com/reference/dockerfile/#add---checksum"},
	{id: rulePipefail, hadolint: "DL4006", severity: findings.Low,
		title: "RUN with a pipe but without pipefail",
		fix:   "Set SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] (or start the RUN with set -o pipefail) so a failing command before the pipe fails the build."},
	{id: ruleCurlPipeShell, severity: findings.High, cwe: []int{494},
		title: "Remote script piped into a shell",
		fix:   "Download the script to a file, verify its checksum or signature, then run it.",
		ref:   "https://cwe.mitre.org/data/definitions/494.html"},
	{id: ruleSudo, hadolint: "DL3004", severity: findings.Medium, cwe: []int{250},
		title: "sudo used in RUN",
		fix:   "Build steps already run as root; switch users with USER, and use gosu in entrypoints when needed."},
	{id: ruleRootUser, hadolint: "DL3002", checkov: "CKV_DOCKER_8", severity: findings.High, cwe: []int{250},
		title: "Container runs as root",
		fix:   "Create an unprivileged user and end the final stage with USER <name or uid>."},
	{id: ruleShellFormCmd, hadolint: "DL3025", severity: findings.Low,
		title: "CMD or ENTRYPOINT in shell form",
		fix:   "Use the exec (JSON) form, [\"program\", \"arg\"], so the program gets signals and runs as PID 1."},
	{id: ruleSecretEnv, severity: findings.High, cwe: []int{798},
		title: "Secret in ENV or ARG",
		fix:   "Pass secrets at build time with RUN --mount=type=secret and at run time from the environment or a secret store; never bake them into the image.",
		ref:   "https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/"},
	{id: ruleExposeSSH, checkov: "CKV_DOCKER_1", severity: findings.Medium,
		title: "SSH port 22 exposed",
		fix:   "Do not run sshd in a container; use docker exec or kubectl exec for access.",
		ref:   "https://docs.docker.com/reference/dockerfile/#expose"},
	{id: ruleInvalidPort, hadolint: "DL3011", severity: findings.Low,
		title: "EXPOSE of a port outside 0-65535",
		fix:   "Expose a valid port number."},
	{id: ruleNoHealthcheck, checkov: "CKV_DOCKER_2", severity: findings.Low,
		title: "No HEALTHCHECK in the final stage",
		fix:   "Add HEALTHCHECK CMD … (or HEALTHCHECK NONE when the orchestrator probes the container itself).",
		ref:   "https://docs.docker.com/reference/dockerfile/#healthcheck"},
	{id: ruleRelativeWorkdir, hadolint: "DL3000", severity: findings.Low,
		title: "WORKDIR is a relative path",
		fix:   "Use an absolute WORKDIR."},
	{id: ruleCdInRun, hadolint: "DL3003", severity: findings.Info,
		title: "cd in RUN",
		fix:   "Use WORKDIR to change directory."},
	{id: ruleWorldWritable, severity: findings.Medium, cwe: []int{732},
		title: "World-writable permissions (chmod 777)",
		fix:   "Grant only the permissions needed, to the user that needs them (chown the files, chmod 755 or 644).",
		ref:   "https://cwe.mitre.org/data/definitions/732.html"},
}

// rulesByID indexes rules.
var rulesByID = func() map[string]*rule {
	m := make(map[string]*rule, len(rules))
	for i := range rules {
		m[rules[i].id] = &rules[i]
	}
	return m
}()

// hadolintWiki is where hadolint documents each of its rules.
const hadolintWiki = "https://github.com/hadolint/hadolint/wiki/"

// suppressed reports whether an ignore set turns r off.
func (s ignoreSet) suppressed(r *rule) bool {
	return s["*"] || s[strings.ToUpper(r.id)] || (r.hadolint != "" && s[r.hadolint])
}

// finding builds the finding of rule id for in in the file at path; ok is
// false for an unknown rule. A finding an ignore comment turns off is
// still built, marked InlineIgnored.
func (df *dockerfile) finding(path string, in *instruction, id, message string) (findings.Finding, bool) {
	r := rulesByID[id]
	if r == nil {
		return findings.Finding{}, false
	}
	f := findings.Finding{
		Scanner:  scannerName,
		RuleID:   r.id,
		RuleName: r.title,
		Category: findings.IaC,
		Severity: r.severity,
		Title:    r.title,
		Message:  message,
		CWE:      slices.Clone(r.cwe),
		Location: findings.Location{Path: path, StartLine: in.start, EndLine: in.end},
		Snippet:  df.snippet(in),
		Fix:      r.fix,
		Sources:  []findings.Source{{Scanner: scannerName, RuleID: r.id}},
		// A comment can turn a rule off; the finding stays visible.
		InlineIgnored: in.ignore.suppressed(r) || df.globalIgnore.suppressed(r),
	}
	if r.hadolint != "" {
		f.References = append(f.References, hadolintWiki+r.hadolint)
		f.Properties = map[string]string{"hadolint": r.hadolint}
	}
	if r.ref != "" {
		f.References = append(f.References, r.ref)
	}
	if r.checkov != "" {
		if f.Properties == nil {
			f.Properties = map[string]string{}
		}
		f.Properties["checkov"] = r.checkov
	}
	return f, true
}
