package expr

import "strings"

// expr-lang reads startsWith, endsWith and contains as infix operators
// (branch startsWith "release/"), so the call form users know from GitHub
// Actions (startsWith(branch, 'release/')) does not parse. rewriteCalls
// renames those calls to functions of the same length, so error columns
// still point at the user's text.
var callNames = map[string]string{
	"startsWith": "startswith",
	"endsWith":   "endswith",
	"contains":   "Contains",
}

// operatorWords are words after which an operand is expected.
var operatorWords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "matches": true,
	"contains": true, "startsWith": true, "endsWith": true,
}

// rewriteCalls renames call forms of the string operators outside string
// literals, leaving their operator forms alone.
func rewriteCalls(src string) string {
	b := []byte(src)
	afterOperand := false // the previous token ends an operand
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(b, i)
			afterOperand = true
		case isIdentStart(c):
			j := i
			for j < len(b) && isIdentChar(b[j]) {
				j++
			}
			if repl, ok := callNames[string(b[i:j])]; ok && !afterOperand && !(i > 0 && b[i-1] == '.') && nextNonSpace(b, j) == '(' {
				copy(b[i:j], repl)
				afterOperand = false
			} else {
				afterOperand = !operatorWords[string(b[i:j])]
			}
			i = j
		case c >= '0' && c <= '9':
			for i < len(b) && (isIdentChar(b[i]) || b[i] == '.') {
				i++
			}
			afterOperand = true
		case c == ')' || c == ']' || c == '}':
			afterOperand = true
			i++
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			afterOperand = false
			i++
		}
	}
	return string(b)
}

// renameCalls maps the internal function names back in messages.
func renameCalls(msg string) string {
	for user, internal := range callNames {
		msg = replaceWord(msg, internal, user)
	}
	return msg
}

func replaceWord(s, old, repl string) string {
	var out strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			out.WriteString(s)
			return out.String()
		}
		end := i + len(old)
		whole := (i == 0 || !isIdentChar(s[i-1])) && (end == len(s) || !isIdentChar(s[end]))
		out.WriteString(s[:i])
		if whole {
			out.WriteString(repl)
		} else {
			out.WriteString(old)
		}
		s = s[end:]
	}
}

// skipString returns the index just after the string literal starting at i.
func skipString(b []byte, i int) int {
	q := b[i]
	for j := i + 1; j < len(b); j++ {
		if b[j] == '\\' && q != '`' {
			j++
			continue
		}
		if b[j] == q {
			return j + 1
		}
	}
	return len(b)
}

func nextNonSpace(b []byte, i int) byte {
	for ; i < len(b); i++ {
		if b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
			return b[i]
		}
	}
	return 0
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
