package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/command"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// instruction is one Dockerfile instruction with its exact place.
type instruction struct {
	cmd      string   // lowercase: from, run, add …
	args     []string // the parser's argument words (raw, quotes kept)
	flags    []string // --flag=value words before the arguments
	json     bool     // exec (JSON array) form
	heredocs []parser.Heredoc
	start    int // first line, 1-based
	end      int // last line, including continuations and heredocs
	ignore   ignoreSet
}

// stage is one build stage: a FROM and the instructions up to the next.
type stage struct {
	name string // the AS alias, lowercase ("" when none)
	from *instruction
	// image is the base image with global ARG defaults substituted;
	// resolved is false when a variable without a default remains.
	image    string
	resolved bool
	parent   *stage // the earlier stage FROM names, if any
	instrs   []*instruction
}

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	lines  []string
	escape rune
	// globals holds the ARGs declared before the first FROM with their
	// defaults, as NAME=value, for substitution in FROM.
	globals      []string
	preamble     []*instruction
	stages       []*stage
	globalIgnore ignoreSet
}

// ignoreSet holds rule codes (hadolint codes or sluice rule ids, upper
// case) suppressed by an inline comment; "*" suppresses every rule.
type ignoreSet map[string]bool

var (
	hadolintIgnore = regexp.MustCompile(`^#\s*hadolint\s+ignore\s*=\s*(.*)$`)
	hadolintGlobal = regexp.MustCompile(`^#\s*hadolint\s+global\s+ignore\s*=\s*(.*)$`)
	sluiceIgnore   = regexp.MustCompile(`^#\s*sluice:ignore(?:\s+(.*))?$`)
	ruleListSep    = regexp.MustCompile(`[\s,]+`)
)

// parse parses data and checks its structure: every instruction known, a
// FROM before anything but ARG, FROM with an image and an optional
// "AS name". The error names the line.
func parse(data []byte) (*dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, parseError(err)
	}
	df := &dockerfile{
		lines:        splitLines(data),
		escape:       res.EscapeToken,
		globalIgnore: ignoreSet{},
	}
	for _, l := range df.lines {
		if m := hadolintGlobal.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			df.globalIgnore.add(m[1])
		}
	}
	lex := shell.NewLex(df.escape)
	for _, node := range res.AST.Children {
		in := df.newInstruction(node)
		if _, ok := command.Commands[in.cmd]; !ok {
			return nil, fmt.Errorf("line %d: unknown instruction %s", in.start, strings.ToUpper(node.Value))
		}
		switch {
		case in.cmd == command.From:
			if err := df.addStage(in, lex); err != nil {
				return nil, err
			}
		case len(df.stages) == 0 && in.cmd == command.Arg:
			df.preamble = append(df.preamble, in)
			df.addGlobals(in, lex)
		case len(df.stages) == 0:
			return nil, fmt.Errorf("line %d: %s before the first FROM", in.start, strings.ToUpper(in.cmd))
		default:
			st := df.stages[len(df.stages)-1]
			st.instrs = append(st.instrs, in)
		}
	}
	if len(df.stages) == 0 {
		return nil, errors.New("no FROM instruction")
	}
	return df, nil
}

// parseError turns a parser error into one naming its line.
func parseError(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		if line := le.Locations[0][0].Start.Line; line > 0 {
			return fmt.Errorf("line %d: %v", line, le.Unwrap())
		}
	}
	return err
}

// splitLines splits data into lines without their line endings.
func splitLines(data []byte) []string {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// newInstruction converts a parser node, reading the ignore comments on
// the lines right above it.
func (df *dockerfile) newInstruction(node *parser.Node) *instruction {
	in := &instruction{
		cmd:      strings.ToLower(node.Value),
		flags:    node.Flags,
		json:     node.Attributes["json"],
		heredocs: node.Heredocs,
		start:    node.StartLine,
		end:      node.EndLine,
		ignore:   ignoreSet{},
	}
	for n := node.Next; n != nil; n = n.Next {
		in.args = append(in.args, n.Value)
	}
	for l := in.start - 1; l >= 1 && l <= len(df.lines); l-- {
		text := strings.TrimSpace(df.lines[l-1])
		if !strings.HasPrefix(text, "#") {
			break
		}
		if m := hadolintIgnore.FindStringSubmatch(text); m != nil {
			in.ignore.add(m[1])
		} else if m := sluiceIgnore.FindStringSubmatch(text); m != nil {
			if strings.TrimSpace(m[1]) == "" {
				in.ignore["*"] = true
			} else {
				in.ignore.add(m[1])
			}
		}
	}
	return in
}

// add adds a comma- or space-separated list of rule codes; text after a
// "#" (a trailing comment) is not part of the list.
func (s ignoreSet) add(list string) {
	list, _, _ = strings.Cut(list, "#")
	for _, code := range ruleListSep.Split(strings.TrimSpace(list), -1) {
		if code != "" {
			s[strings.ToUpper(code)] = true
		}
	}
}

// addGlobals records the ARGs of a preamble instruction, substituting
// earlier ones in their defaults.
func (df *dockerfile) addGlobals(in *instruction, lex *shell.Lex) {
	for _, a := range in.args {
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue {
			continue // declared without a default: stays unresolved
		}
		v, _, err := lex.ProcessWord(value, shell.EnvsFromSlice(df.globals))
		if err != nil {
			continue
		}
		df.globals = append(df.globals, name+"="+v)
	}
}

// addStage starts a stage at a FROM instruction.
func (df *dockerfile) addStage(in *instruction, lex *shell.Lex) error {
	switch {
	case len(in.args) == 0:
		return fmt.Errorf("line %d: FROM without an image", in.start)
	case len(in.args) == 2, len(in.args) > 3, len(in.args) == 3 && !strings.EqualFold(in.args[1], "as"):
		return fmt.Errorf("line %d: FROM takes an image and an optional \"AS name\"", in.start)
	}
	st := &stage{from: in, image: in.args[0]}
	if len(in.args) == 3 {
		st.name = strings.ToLower(in.args[2])
	}
	res, err := lex.ProcessWordWithMatches(in.args[0], shell.EnvsFromSlice(df.globals))
	if err == nil && len(res.Unmatched) == 0 {
		st.image, st.resolved = res.Result, true
	}
	if st.resolved {
		for _, prev := range df.stages {
			if prev.name != "" && prev.name == strings.ToLower(st.image) {
				st.parent = prev
				break
			}
		}
	}
	df.stages = append(df.stages, st)
	return nil
}

// final returns the last stage, the one docker build produces by default.
func (df *dockerfile) final() *stage { return df.stages[len(df.stages)-1] }

// snippet returns the source lines of in, shortened when long.
func (df *dockerfile) snippet(in *instruction) string {
	const maxLines, maxChars = 12, 2000
	from, to := in.start, min(in.end, in.start+maxLines-1)
	if from < 1 || to > len(df.lines) || from > to {
		return ""
	}
	s := strings.Join(df.lines[from-1:to], "\n")
	cut := len(s) > maxChars
	if cut {
		end := maxChars
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		s = s[:end]
	}
	if cut || to < in.end {
		s += "\n…"
	}
	return s
}
