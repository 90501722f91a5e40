package dockerfile

import (
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/sluice-ci/sluice/internal/findings"
)

// defaultShell is what RUN uses until a SHELL instruction changes it.
var defaultShell = []string{"/bin/sh", "-c"}

// state is what an instruction sees of the stage built so far; a stage
// that builds FROM an earlier one starts with that stage's final state.
type state struct {
	user        string
	userAt      *instruction // the USER that set user; nil when none
	healthcheck bool
	shell       []string
	env         map[string]string
}

func (s state) clone() state {
	s.env = maps.Clone(s.env)
	s.shell = slices.Clone(s.shell)
	return s
}

// analyzer checks one parsed Dockerfile and collects its findings.
type analyzer struct {
	df   *dockerfile
	path string
	lex  *shell.Lex
	out  []findings.Finding
	// seen keeps each rule to one finding per instruction.
	seen map[*instruction]map[string]bool
}

// analyze parses data and runs every rule on it. path is the file's name
// in findings. The error is a parse error (a malformed Dockerfile).
func analyze(path string, data []byte) ([]findings.Finding, error) {
	df, err := parse(data)
	if err != nil {
		return nil, err
	}
	a := &analyzer{df: df, path: path, lex: shell.NewLex(df.escape), seen: map[*instruction]map[string]bool{}}
	for _, in := range df.preamble {
		a.checkArgs(in)
	}
	inImage := df.imageStages()
	finals := map[*stage]state{}
	for _, st := range df.stages {
		s := state{shell: defaultShell, env: map[string]string{}}
		if st.parent != nil {
			s = finals[st.parent].clone()
		}
		a.checkFrom(st)
		for _, in := range st.instrs {
			a.check(in, &s, inImage[st])
		}
		finals[st] = s
	}
	a.checkFinal(df.final(), finals[df.final()])
	return a.out, nil
}

// imageStages returns the stages whose layers end up in the final image:
// the final stage and the stages it builds FROM, transitively.
func (df *dockerfile) imageStages() map[*stage]bool {
	m := map[*stage]bool{}
	for st := df.final(); st != nil && !m[st]; st = st.parent {
		m[st] = true
	}
	return m
}

// report records a finding of rule id at in, once per instruction.
func (a *analyzer) report(in *instruction, id, message string) {
	if a.seen[in] == nil {
		a.seen[in] = map[string]bool{}
	}
	if a.seen[in][id] {
		return
	}
	a.seen[in][id] = true
	if f, ok := a.df.finding(a.path, in, id, message); ok {
		a.out = append(a.out, f)
	}
}

// check runs the rules of one instruction and updates s.
func (a *analyzer) check(in *instruction, s *state, inImage bool) {
	switch in.cmd {
	case command.Run:
		a.checkRun(in, s, inImage)
	case command.Add:
		a.checkAdd(in)
	case command.User:
		if len(in.args) > 0 {
			s.user, s.userAt = a.expand(in.args[0], s), in
		}
	case command.Healthcheck:
		s.healthcheck = true
	case command.Shell:
		if in.json && len(in.args) > 0 {
			s.shell = in.args
		}
	case command.Env:
		a.checkEnv(in, s)
	case command.Arg:
		a.checkArgs(in)
	case command.Expose:
		a.checkExpose(in, s)
	case command.Workdir:
		a.checkWorkdir(in)
	case command.Cmd, command.Entrypoint:
		if !in.json && len(in.args) > 0 && strings.TrimSpace(in.args[0]) != "" {
			a.report(in, ruleShellFormCmd, strings.ToUpper(in.cmd)+" in shell form runs under /bin/sh -c, which does not pass signals to the program")
		}
	}
}

// expand substitutes the stage's ENV values in word and removes quotes;
// variables it cannot resolve are left empty.
func (a *analyzer) expand(word string, s *state) string {
	env := make([]string, 0, len(s.env))
	for k, v := range s.env {
		env = append(env, k+"="+v)
	}
	out, _, err := a.lex.ProcessWord(word, shell.EnvsFromSlice(env))
	if err != nil {
		return word
	}
	return out
}

// checkFinal runs the rules about the image the final stage produces.
func (a *analyzer) checkFinal(st *stage, s state) {
	switch {
	case s.userAt != nil && isRoot(s.user):
		a.report(s.userAt, ruleRootUser, "the last USER of the final stage is "+s.user+": the container runs as root")
	case s.userAt == nil && !nonRootImage(st.image):
		a.report(st.from, ruleRootUser, "the final stage sets no USER: the container runs as root")
	}
	if !s.healthcheck {
		a.report(st.from, ruleNoHealthcheck, "the final stage has no HEALTHCHECK, so a hung process is not noticed")
	}
}

// isRoot reports whether a USER value names root (by name or uid, with or
// without a group).
func isRoot(user string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(user), ":")
	return name == "root" || name == "0"
}

// nonRootImage reports whether an image is known to set a non-root user
// itself (distroless and similar ":nonroot" variants).
func nonRootImage(image string) bool {
	return strings.Contains(strings.ToLower(image), "nonroot")
}
