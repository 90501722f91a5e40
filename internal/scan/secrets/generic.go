package secrets

import (
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/sluice-ci/sluice/internal/findings"
)

const genericID = "generic-secret"

// genericMinEntropy is the least entropy (bits per byte) of a value the
// generic rule reports. Random keys of 16 characters or more score 3.5 to
// 5; words, identifiers and repeated characters score less.
const genericMinEntropy = 3.0

// genericMinLen is the shortest value the generic rule reports.
const genericMinLen = 8

// genericRule finds string literals assigned to secret-sounding names in
// YAML, JSON, .env, shell, Go, Python, JavaScript, Ruby, PHP and HCL:
//
//	password: "…"   "api_key": "…"   API_TOKEN=…   clientSecret := "…"
//	secret_key = '…'   :password => "…"   db.password=…   cfg["token"] = "…"
//
// Unquoted values count only in configuration files, where they are
// literals; in code they are variables. The keywords are common words, so
// the rule parses the text around each of them by hand (see assignment)
// rather than with a regular expression.
func genericRule() *rule {
	return &rule{
		id: genericID, title: "Generic secret", severity: findings.Medium,
		cwe: []int{cweHardcodedCredentials},
		keywords: []string{"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key", "api.key",
			"access_key", "accesskey", "access-key", "access.key", "private_key", "privatekey", "private-key", "private.key", "auth"},
		minEntropy: genericMinEntropy,
		priority:   prioGeneric,
		lowInTests: true,
		fix: "Remove the secret from the code and the git history, rotate it, and load it at run time " +
			"from the environment or a secret store.",
		matchAt: matchAssignment,
	}
}

// maxValueLen bounds a generic value.
const maxValueLen = 300

// matchAssignment reads `name <sep> value` around the keyword at [ks, ke):
// the name is the run of name characters around the keyword, sep one of
// = := => :, value a quoted string on the line or, in configuration files,
// a bare word.
func matchAssignment(f *file, r *rule, ks, ke int) (candidate, int, bool) {
	b := f.content
	ns, ne := ks, ke
	for ns > 0 && isNameByte(b[ns-1]) {
		ns--
	}
	for ne < len(b) && isNameByte(b[ne]) {
		ne++
	}
	c := candidate{}
	if ne-ns > 80 {
		return c, ne, false
	}
	i := ne
	// Closing quotes and brackets of keys: "password": or ["password"] =
	for k := 0; k < 2 && i < len(b) && (b[i] == '"' || b[i] == '\'' || b[i] == ']'); k++ {
		i++
	}
	i = skipBlanks(b, i)
	switch {
	case hasPrefixAt(b, i, ":="), hasPrefixAt(b, i, "=>"):
		i += 2
	case hasPrefixAt(b, i, "=="), hasPrefixAt(b, i, "=~"), hasPrefixAt(b, i, "::"):
		return c, ne, false
	case i < len(b) && (b[i] == '=' || b[i] == ':'):
		i++
	default:
		return c, ne, false
	}
	i = skipBlanks(b, i)
	if i >= len(b) {
		return c, ne, false
	}
	var vs, ve int
	switch q := b[i]; q {
	case '"', '\'', '`':
		vs = i + 1
		ve = vs
		for ve < len(b) && b[ve] != q {
			if b[ve] == '\\' || b[ve] == '\n' || b[ve] == '\r' || ve-vs > maxValueLen {
				return c, ne, false
			}
			ve++
		}
		if ve >= len(b) {
			return c, ne, false
		}
	default:
		if !f.config || strings.IndexByte("*&[{|>(#;,", q) >= 0 {
			return c, ne, false // YAML aliases, anchors, flow and block values; calls; comments
		}
		vs = i
		ve = vs
		for ve < len(b) && !isBlankOrEnd(b[ve]) && strings.IndexByte("\"'`,;#()", b[ve]) < 0 {
			ve++
		}
		if ve-vs > maxValueLen {
			return c, ne, false
		}
	}
	name, value := string(b[ns:ne]), string(b[vs:ve])
	if !secretName(name) || !plausibleValue(value) || strings.EqualFold(strings.Trim(name, "._-"), value) {
		return c, ne, false
	}
	c = candidate{rule: r, start: vs, end: ve, severity: r.severity}
	c.setProp("name", name)
	return c, ve, true
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

func isBlankOrEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func hasPrefixAt(b []byte, i int, p string) bool {
	return i+len(p) <= len(b) && string(b[i:i+len(p)]) == p
}

// secretNouns are the words a secret's name ends with.
var secretNouns = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "pw": true, "passphrase": true, "passcode": true,
	"secret": true, "token": true, "key": true, "auth": true, "credential": true, "credentials": true, "pat": true,
	"apikey": true, "accesskey": true, "privatekey": true, "secretkey": true, "authkey": true, "authtoken": true,
	"accesstoken": true, "apitoken": true, "clientsecret": true, "apisecret": true, "refreshtoken": true,
}

// nameQualifiers are trailing words of a name that do not change what it
// holds: DB_PASSWORD_PROD is still a password.
var nameQualifiers = map[string]bool{
	"prod": true, "production": true, "dev": true, "development": true, "stage": true, "staging": true,
	"test": true, "qa": true, "live": true, "local": true, "old": true, "new": true, "default": true,
	"value": true, "val": true, "str": true, "b64": true, "base64": true, "encoded": true, "raw": true,
	"plain": true, "plaintext": true, "env": true, "override": true, "primary": true, "secondary": true,
	"main": true, "backup": true, "v1": true, "v2": true, "v3": true,
}

// secretName says whether an assigned name holds a secret: its last word
// (after qualifiers like _PROD) is a secret noun. secretName, tokenizer,
// password_hash, auth_url and author are not.
func secretName(name string) bool {
	words := splitName(name)
	for _, w := range words {
		if w == "public" {
			return false
		}
	}
	for len(words) > 1 && (nameQualifiers[words[len(words)-1]] || isDigits(words[len(words)-1])) {
		words = words[:len(words)-1]
	}
	return len(words) > 0 && secretNouns[words[len(words)-1]]
}

// splitName splits snake_case, kebab-case, dotted and camelCase names
// into lowercase words: "dbPassword" → db, password; "APIKey" → api, key.
func splitName(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.':
			flush()
			continue
		case unicode.IsUpper(r) && i > 0:
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

var (
	// identifierLike matches names rather than secrets: dotted, kebab or
	// snake words (auth.errors.expired, X-Amz-Security-Token, DB_PASSWORD)
	// and CamelCase words (Ec2MetadataSecretKey, mockSessionToken).
	identifierLike = regexp.MustCompile(`^[A-Za-z][a-z0-9]*(?:[-_.][A-Za-z][a-z0-9]*)+$|^[A-Z0-9]+(?:_[A-Z0-9]+)+$|` +
		`^[A-Za-z_]+(?:\.[A-Za-z_]+)+$|^[A-Z]?[a-z0-9]+(?:[A-Z][a-z0-9]+){2,}$`)
	// oneCase matches letters of one case only: words, not keys.
	oneCase     = regexp.MustCompile(`^(?:[a-z._\-]+|[A-Z._\-]+)$`)
	lettersOnly = regexp.MustCompile(`^[A-Za-z._\-]+$`)
	windowsPath = regexp.MustCompile(`^[A-Za-z]:\\`)
)

// fileExts end values that name a file rather than hold a secret.
var fileExts = map[string]bool{
	".pem": true, ".key": true, ".crt": true, ".cer": true, ".json": true, ".txt": true, ".yaml": true,
	".yml": true, ".p12": true, ".pfx": true, ".jks": true, ".env": true, ".cfg": true, ".conf": true,
	".ini": true, ".gpg": true, ".asc": true, ".pub": true,
}

// plausibleValue rejects values of secret-named variables that are not
// secrets: too short, sentences, URLs, paths, numbers, identifiers.
// Placeholders and entropy are checked for every rule (see accept).
func plausibleValue(v string) bool {
	switch {
	case len(v) < genericMinLen,
		strings.ContainsAny(v, " \t"),
		strings.Contains(v, "://"),
		strings.HasPrefix(v, "/"), strings.HasPrefix(v, "./"), strings.HasPrefix(v, "../"), strings.HasPrefix(v, "~/"),
		windowsPath.MatchString(v),
		fileExts[strings.ToLower(path.Ext(v))],
		isDigits(v),
		identifierLike.MatchString(v),
		oneCase.MatchString(v),
		lettersOnly.MatchString(v) && len(v) < 20:
		return false
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// configExts are files where an unquoted value is a literal.
var configExts = map[string]bool{
	".yaml": true, ".yml": true, ".env": true, ".properties": true, ".ini": true, ".cfg": true, ".conf": true,
	".sh": true, ".bash": true, ".zsh": true, ".envrc": true,
}

// isConfigFile says whether path is a configuration file (see configExts),
// a dotenv file (.env, .env.local …) or a Dockerfile.
func isConfigFile(p string) bool {
	base := path.Base(p)
	switch {
	case configExts[strings.ToLower(path.Ext(base))],
		base == ".env" || strings.HasPrefix(base, ".env."),
		base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".Dockerfile"):
		return true
	}
	return false
}

// testDirs are folder names that hold tests and their data.
var testDirs = map[string]bool{
	"test": true, "tests": true, "testdata": true, "__tests__": true, "spec": true, "specs": true,
	"fixtures": true, "__fixtures__": true, "__mocks__": true, "mocks": true, "testing": true,
}

// isTestPath says whether a file is test code or test data: in a test
// folder, or named like a test in Go, Python, JavaScript, TypeScript, Ruby
// or Java.
func isTestPath(p string) bool {
	dir, base := path.Split(p)
	for _, d := range strings.Split(strings.Trim(dir, "/"), "/") {
		if testDirs[strings.ToLower(d)] {
			return true
		}
	}
	stem := strings.TrimSuffix(base, path.Ext(base))
	return strings.HasSuffix(stem, "_test") || strings.HasPrefix(stem, "test_") ||
		strings.HasSuffix(stem, ".test") || strings.HasSuffix(stem, ".spec") || strings.HasSuffix(stem, "_spec") ||
		strings.HasSuffix(stem, "Test") || strings.HasSuffix(stem, "Tests")
}
