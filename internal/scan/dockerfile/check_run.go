package dockerfile

import (
	"path"
	"regexp"
	"strings"
)

// runFacts gathers what one RUN does across its commands, for the rules
// that look at the RUN as a whole.
type runFacts struct {
	aptUpdate       bool
	aptListsRemoved bool
	apkNoCache      bool // an apk add without --no-cache
	apkCacheRemoved bool
	pipCache        bool // a pip install without --no-cache-dir
}

// checkRun checks a RUN instruction's commands.
func (a *analyzer) checkRun(in *instruction, s *state, inImage bool) {
	pipes, pipefail, posix := runPipelines(in, s.shell)
	var facts runFacts
	for _, p := range pipes {
		if len(p) > 1 && !pipefail && posix {
			a.report(in, rulePipefail, "the pipe into "+p[len(p)-1].name+" hides a failure of "+p[0].name+": the shell does not set -o pipefail")
		}
		a.checkRemoteScript(in, p)
		for _, c := range p {
			if c.sudo {
				a.report(in, ruleSudo, "sudo in RUN: build steps already run as the current USER, and sudo in an image widens privilege")
			}
			switch {
			case c.name == "set" && setsPipefail(c.args):
				pipefail = true
			case c.name == "cd":
				a.report(in, ruleCdInRun, "cd in RUN; WORKDIR states the directory once for every later instruction")
			case c.name == "chmod":
				if mode, ok := worldWritable(c.args); ok {
					a.report(in, ruleWorldWritable, "chmod "+mode+" makes files writable by every user of the container")
				}
			case c.name == "rm":
				for _, arg := range c.args {
					facts.aptListsRemoved = facts.aptListsRemoved || strings.HasPrefix(arg, "/var/lib/apt/lists")
					facts.apkCacheRemoved = facts.apkCacheRemoved || strings.HasPrefix(arg, "/var/cache/apk")
				}
			default:
				a.checkPackages(in, c, &facts)
			}
		}
	}
	if facts.aptUpdate && !facts.aptListsRemoved && inImage && !cacheMount(in, "/var/lib/apt") {
		a.report(in, ruleAptLists, "apt-get update leaves the package lists in the image layer")
	}
	if facts.apkNoCache && !facts.apkCacheRemoved && !cacheMount(in, "/var/cache/apk") && !cacheMount(in, "/etc/apk/cache") {
		a.report(in, ruleApkCache, "apk add without --no-cache keeps the package index in the image layer")
	}
	if facts.pipCache && s.env["PIP_NO_CACHE_DIR"] == "" && !cacheMount(in, ".cache/pip") {
		a.report(in, rulePipCache, "pip install without --no-cache-dir keeps downloaded packages in the image layer")
	}
}

// runPipelines returns the pipelines a RUN executes, whether pipefail is
// on from the start (set by SHELL or the exec form's shell flags), and
// whether the shell is a POSIX one.
func runPipelines(in *instruction, shellArgs []string) (pipes []pipeline, pipefail, posix bool) {
	if in.json {
		args := in.args
		if len(args) >= 3 && isPosixShell(args[0]) {
			for i := 1; i+1 < len(args); i++ {
				if isShellFlag(args[i]) && strings.Contains(args[i], "c") {
					return splitScript(args[i+1]), setsPipefail(args[1 : i+1]), true
				}
			}
		}
		if c, ok := newCommand(args); ok {
			return []pipeline{{c}}, false, false
		}
		return nil, false, false
	}
	posix = len(shellArgs) > 0 && isPosixShell(shellArgs[0])
	pipefail = posix && setsPipefail(shellArgs[1:])
	pipes = splitScript(strings.Join(in.args, " "))
	if len(in.heredocs) > 0 && (len(pipes) == 0 || isPosixShell(pipes[0][0].name) && shellReadsStdin(pipes[0][0])) {
		for _, h := range in.heredocs {
			if shebang, ok := strings.CutPrefix(h.Content, "#!"); ok {
				// A script with its own interpreter: only shells are read.
				fields := strings.Fields(strings.SplitN(shebang, "\n", 2)[0])
				if len(fields) > 1 && path.Base(fields[0]) == "env" {
					fields = fields[1:]
				}
				if len(fields) == 0 || !isPosixShell(fields[0]) {
					continue
				}
			}
			pipes = append(pipes, splitScript(h.Content)...)
		}
	}
	return pipes, pipefail, posix
}

var posixShells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true}

// isPosixShell reports whether a program (path or name) is a POSIX-like
// shell that understands set -o pipefail.
func isPosixShell(prog string) bool { return posixShells[path.Base(prog)] }

// isShellFlag reports whether w is a cluster of single-letter shell
// options (-e, -eux, -c …).
func isShellFlag(w string) bool {
	return len(w) > 1 && w[0] == '-' && w[1] != '-'
}

// setsPipefail reports whether shell or set arguments turn on pipefail:
// -o pipefail, alone or at the end of a cluster (-euo pipefail).
func setsPipefail(args []string) bool {
	for i := 0; i+1 < len(args); i++ {
		if isShellFlag(args[i]) && strings.HasSuffix(args[i], "o") && args[i+1] == "pipefail" {
			return true
		}
	}
	return false
}

var (
	interpreters = map[string]bool{"python": true, "python2": true, "python3": true, "perl": true, "ruby": true, "node": true, "php": true}
	pythonN      = regexp.MustCompile(`^python\d(\.\d+)?$`)
	substitution = regexp.MustCompile("(\\$\\(|<\\(|`)\\s*(curl|wget)\\b")
)

// checkRemoteScript reports a download piped into a shell or interpreter
// (curl … | sh) and a shell running a downloaded script through a
// substitution (sh -c "$(curl …)", bash <(curl …)).
func (a *analyzer) checkRemoteScript(in *instruction, p pipeline) {
	downloaded := ""
	for _, c := range p {
		runsStdin := (isPosixShell(c.name) || interpreters[c.name] || pythonN.MatchString(c.name)) && shellReadsStdin(c)
		if downloaded != "" && runsStdin {
			a.report(in, ruleCurlPipeShell, downloaded+" output is piped into "+c.name+": the build runs whatever the server sends")
			return
		}
		if c.name == "curl" || c.name == "wget" {
			downloaded = c.name
		}
		if isPosixShell(c.name) || c.name == "source" || c.name == "." {
			for _, arg := range c.args {
				if m := substitution.FindStringSubmatch(arg); m != nil {
					a.report(in, ruleCurlPipeShell, c.name+" runs a script downloaded by "+m[2]+": the build runs whatever the server sends")
					return
				}
			}
		}
	}
}

// shellReadsStdin reports whether a shell or interpreter command reads its
// program from standard input: no -c/-e/-m program argument and no script
// file operand before "-" or "--".
func shellReadsStdin(c shellCmd) bool {
	shellLike := isPosixShell(c.name)
	for i := 0; i < len(c.args); i++ {
		arg := c.args[i]
		switch {
		case arg == "-" || arg == "--":
			return true
		case arg == "-o" || arg == "+o":
			i++
		case shellLike && isShellFlag(arg):
			if strings.Contains(arg, "c") {
				return false
			}
		case strings.HasPrefix(arg, "-"):
			switch arg {
			case "-c", "-e", "-E", "-m", "-r", "-p":
				return false
			}
		default:
			return false // a script file
		}
	}
	return true
}

// worldWritable reports whether chmod arguments grant write permission to
// others (777, 666, o+w, a=rwx …), returning the mode. A mode with the
// sticky bit (1777, +t), the usual one for /tmp, is not reported.
func worldWritable(args []string) (string, bool) {
	if hasFlag(args, "--reference") {
		return "", false // the mode comes from a file
	}
	for _, arg := range args {
		if strings.HasPrefix(arg, "-") && !strings.ContainsAny(arg, "=+") || strings.HasPrefix(arg, "--") {
			continue // an option (-R, -v, --reference=…)
		}
		if strings.Trim(arg, "01234567") == "" && len(arg) >= 3 && len(arg) <= 4 {
			others := arg[len(arg)-1] - '0'
			sticky := len(arg) == 4 && (arg[0]-'0')&1 != 0
			return arg, others&2 != 0 && !sticky
		}
		if strings.Contains(arg, "t") {
			return arg, false
		}
		for _, clause := range strings.Split(arg, ",") {
			op := strings.IndexAny(clause, "+=")
			if op < 0 {
				continue
			}
			who, perms := clause[:op], clause[op+1:]
			if strings.ContainsAny(who, "oa") && strings.Contains(perms, "w") {
				return arg, true
			}
		}
		return arg, false // the first operand is the mode
	}
	return "", false
}

// cacheMount reports whether a RUN mounts a build cache at a target
// containing dir.
func cacheMount(in *instruction, dir string) bool {
	for _, f := range in.flags {
		if strings.HasPrefix(f, "--mount=") && strings.Contains(f, "type=cache") && strings.Contains(f, dir) {
			return true
		}
	}
	return false
}
