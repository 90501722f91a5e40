package dockerfile

import (
	"path"
	"strings"
)

// shellCmd is one simple shell command: its words with quotes removed,
// redirections dropped and leading assignments, keywords and wrappers
// (env, exec, nohup, sudo …) stripped. name is the base name of the first
// word; sudo says whether sudo wrapped it.
type shellCmd struct {
	name  string
	args  []string
	sudo  bool
	words []string // all words after the name, as written (unquoted)
}

// pipeline is a list of commands joined by | (a single command when there
// is no pipe).
type pipeline []shellCmd

// splitScript splits a POSIX shell script into pipelines, in order. It is
// a linter's tokenizer, not a shell: it understands quotes, escapes,
// comments, command and process substitutions (kept inside their word),
// the control operators && || ; & | |& ( ) and newlines, and drops
// redirections with their targets. It never fails: unterminated quotes run
// to the end of the script.
func splitScript(script string) []pipeline {
	t := &tokenizer{src: script}
	t.run()
	var out []pipeline
	for _, raw := range t.pipelines {
		var p pipeline
		for _, words := range raw {
			if c, ok := newCommand(words); ok {
				p = append(p, c)
			}
		}
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// tokenizer holds the state of splitScript.
type tokenizer struct {
	src       string
	i         int
	word      strings.Builder
	inWord    bool
	dropNext  bool // the next word is a redirection target
	cmd       []string
	pipe      [][]string
	pipelines [][][]string
}

func (t *tokenizer) run() {
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			t.endWord()
			t.i++
		case c == '\n':
			t.endPipeline()
			t.i++
		case c == '#' && !t.inWord:
			for t.i < len(t.src) && t.src[t.i] != '\n' {
				t.i++
			}
		case c == '\'':
			t.inWord = true
			end := strings.IndexByte(t.src[t.i+1:], '\'')
			if end < 0 {
				t.word.WriteString(t.src[t.i+1:])
				t.i = len(t.src)
			} else {
				t.word.WriteString(t.src[t.i+1 : t.i+1+end])
				t.i += end + 2
			}
		case c == '"':
			t.inWord = true
			t.i++
			t.doubleQuoted()
		case c == '\\':
			t.i++
			if t.i < len(t.src) {
				if t.src[t.i] != '\n' { // backslash-newline continues the line
					t.inWord = true
					t.word.WriteByte(t.src[t.i])
				}
				t.i++
			}
		case c == '`':
			t.inWord = true
			t.word.WriteString(t.balanced('`', '`'))
		case c == '$' && t.peek(1) == '(':
			t.inWord = true
			t.word.WriteByte('$')
			t.i++
			t.word.WriteString(t.balanced('(', ')'))
		case c == '$' && t.peek(1) == '{':
			t.inWord = true
			t.word.WriteByte('$')
			t.i++
			t.word.WriteString(t.balanced('{', '}'))
		case (c == '<' || c == '>') && t.peek(1) == '(':
			t.inWord = true
			t.word.WriteByte(c)
			t.i++
			t.word.WriteString(t.balanced('(', ')'))
		case c == '<' || c == '>':
			t.redirect()
		case c == '&' && t.peek(1) == '>':
			t.i++
			t.redirect()
		case c == '|':
			t.endCommand()
			t.i++
			if t.peek(0) == '|' { // ||
				t.endPipeline()
				t.i++
			} else if t.peek(0) == '&' { // |&
				t.i++
			}
		case c == '&' || c == ';' || c == '(' || c == ')':
			t.endPipeline()
			t.i++
		default:
			t.inWord = true
			t.word.WriteByte(c)
			t.i++
		}
	}
	t.endPipeline()
}

// peek returns the byte at offset n from the current position, or 0.
func (t *tokenizer) peek(n int) byte {
	if t.i+n < len(t.src) {
		return t.src[t.i+n]
	}
	return 0
}

// doubleQuoted reads up to the closing double quote (t.i is just past the
// opening one).
func (t *tokenizer) doubleQuoted() {
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch {
		case c == '"':
			t.i++
			return
		case c == '\\' && t.i+1 < len(t.src):
			n := t.src[t.i+1]
			switch n {
			case '"', '\\', '$', '`':
				t.word.WriteByte(n)
			case '\n':
			default:
				t.word.WriteByte('\\')
				t.word.WriteByte(n)
			}
			t.i += 2
		case c == '$' && t.peek(1) == '(':
			t.word.WriteByte('$')
			t.i++
			t.word.WriteString(t.balanced('(', ')'))
		case c == '`':
			t.word.WriteString(t.balanced('`', '`'))
		default:
			t.word.WriteByte(c)
			t.i++
		}
	}
}

// balanced returns the text from the current position (an opening
// delimiter) through its matching close, skipping escaped and quoted
// characters, and moves past it. Unterminated text runs to the end.
func (t *tokenizer) balanced(open, close byte) string {
	start := t.i
	t.i++
	depth := 1
	for t.i < len(t.src) {
		c := t.src[t.i]
		switch {
		case c == '\\':
			t.i++
		case open == close:
			if c == close {
				t.i++
				return t.src[start:t.i]
			}
		case c == '\'':
			if end := strings.IndexByte(t.src[t.i+1:], '\''); end >= 0 {
				t.i += end + 1
			} else {
				t.i = len(t.src)
			}
		case c == open:
			depth++
		case c == close:
			depth--
			if depth == 0 {
				t.i++
				return t.src[start:t.i]
			}
		}
		t.i++
	}
	t.i = len(t.src)
	return t.src[start:]
}

// redirect handles a redirection operator at the current position: a
// pending all-digit word is its file descriptor and is dropped, and so is
// the word that follows (the target).
func (t *tokenizer) redirect() {
	if t.inWord {
		if w := t.word.String(); w != "" && strings.Trim(w, "0123456789") == "" {
			t.word.Reset()
			t.inWord = false
		} else {
			t.endWord()
		}
	}
	for t.i < len(t.src) && strings.IndexByte("<>&|-", t.src[t.i]) >= 0 {
		if t.src[t.i] == '&' && t.i+1 < len(t.src) && t.src[t.i+1] >= '0' && t.src[t.i+1] <= '9' {
			// >&2: the target is the descriptor that follows.
			t.i++
			break
		}
		t.i++
	}
	t.dropNext = true
}

func (t *tokenizer) endWord() {
	if !t.inWord {
		return
	}
	w := t.word.String()
	t.word.Reset()
	t.inWord = false
	if t.dropNext {
		t.dropNext = false
		return
	}
	t.cmd = append(t.cmd, w)
}

func (t *tokenizer) endCommand() {
	t.endWord()
	t.dropNext = false
	if len(t.cmd) > 0 {
		t.pipe = append(t.pipe, t.cmd)
		t.cmd = nil
	}
}

func (t *tokenizer) endPipeline() {
	t.endCommand()
	if len(t.pipe) > 0 {
		t.pipelines = append(t.pipelines, t.pipe)
		t.pipe = nil
	}
}

// keywords are shell reserved words that may start a command list; they
// are stripped so the command after them is seen.
var keywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "do": true,
	"while": true, "until": true, "!": true, "{": true, "time": true,
}

// closers are reserved words that end a compound command; a command of
// only closers is dropped.
var closers = map[string]bool{"fi": true, "done": true, "esac": true, "}": true}

// sudoValueFlags are sudo options that take a value.
var sudoValueFlags = map[string]bool{
	"-u": true, "-g": true, "-C": true, "-D": true, "-h": true, "-p": true,
	"-r": true, "-t": true, "-T": true, "-U": true,
	"--user": true, "--group": true, "--chdir": true, "--host": true,
	"--prompt": true, "--role": true, "--type": true, "--other-user": true,
}

// newCommand normalizes the words of one simple command.
func newCommand(words []string) (shellCmd, bool) {
	var c shellCmd
	for len(words) > 0 {
		w := words[0]
		switch {
		case keywords[w] || closers[w] || isAssignment(w):
			words = words[1:]
		case w == "sudo":
			c.sudo = true
			words = skipOptions(words[1:], sudoValueFlags)
		case w == "env":
			words = skipOptions(words[1:], map[string]bool{"-u": true, "--unset": true, "-C": true, "--chdir": true, "-S": true})
		case w == "exec" || w == "nohup" || w == "command" || w == "builtin" || w == "nice":
			words = skipOptions(words[1:], map[string]bool{"-n": true})
		default:
			c.name = path.Base(w)
			c.args = words[1:]
			c.words = words[1:]
			return c, true
		}
	}
	return c, c.sudo
}

// skipOptions drops leading options (and the values of those in
// valueFlags) up to the first operand or "--".
func skipOptions(words []string, valueFlags map[string]bool) []string {
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "--":
			return words[1:]
		case valueFlags[w]:
			words = words[min(2, len(words)):]
		case strings.HasPrefix(w, "-") && len(w) > 1:
			words = words[1:]
		default:
			return words
		}
	}
	return words
}

// isAssignment reports whether w is a shell variable assignment (NAME=…).
func isAssignment(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	for i := 0; i < eq; i++ {
		c := w[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
