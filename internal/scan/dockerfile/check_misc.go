package dockerfile

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// checkAdd checks ADD: remote sources need a checksum, and local files
// and folders (not archives, which ADD extracts) should use COPY.
func (a *analyzer) checkAdd(in *instruction) {
	if len(in.args) < 2 || len(in.heredocs) > 0 {
		return
	}
	checksum := hasFlag(in.flags, "--checksum")
	var local []string
	for _, src := range in.args[:len(in.args)-1] {
		src = strings.Trim(src, `"'`)
		switch {
		case strings.Contains(src, "$"):
		case isRemote(src):
			if !checksum {
				a.report(in, ruleAddURL, "ADD "+src+" downloads a file whose content is not verified")
			}
		case !isArchive(src):
			local = append(local, src)
		}
	}
	if len(local) > 0 {
		a.report(in, ruleAddLocal, "ADD of local files: "+list(local))
	}
}

// isRemote reports whether an ADD source is a URL or a git remote.
func isRemote(src string) bool {
	s := strings.ToLower(src)
	for _, prefix := range []string{"http://", "https://", "git://", "ssh://", "git@"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// archiveSuffixes are the local files ADD extracts (tar, compressed or
// not), for which ADD rather than COPY is right.
var archiveSuffixes = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz",
	".tar.zst", ".tzst", ".gz", ".bz2", ".xz", ".zst"}

func isArchive(src string) bool {
	s := strings.ToLower(src)
	for _, suffix := range archiveSuffixes {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

// checkEnv checks ENV for secrets and records the values in s. The parser
// gives each pair as three words: name, value, separator.
func (a *analyzer) checkEnv(in *instruction, s *state) {
	var names, raws []string
	for i := 0; i+1 < len(in.args); i += 3 {
		name, raw := in.args[i], in.args[i+1]
		value, literal := a.literal(raw, s.env)
		s.env[name] = value
		if literal && secretName(name) && secretValue(value) {
			names, raws = append(names, name), append(raws, raw)
		}
	}
	a.reportSecrets(in, "ENV", names, raws)
}

// checkArgs checks ARG defaults for secrets.
func (a *analyzer) checkArgs(in *instruction) {
	var names, raws []string
	for _, arg := range in.args {
		name, raw, ok := strings.Cut(arg, "=")
		if !ok {
			continue
		}
		if value, literal := a.literal(raw, nil); literal && secretName(name) && secretValue(value) {
			names, raws = append(names, name), append(raws, raw)
		}
	}
	a.reportSecrets(in, "ARG", names, raws)
}

// literal removes the quotes of a raw value and substitutes env; literal
// is false when the value refers to any variable.
func (a *analyzer) literal(raw string, env map[string]string) (value string, literal bool) {
	vars := make([]string, 0, len(env))
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	res, err := a.lex.ProcessWordWithMatches(raw, shell.EnvsFromSlice(vars))
	if err != nil {
		return raw, false
	}
	return res.Result, len(res.Matched) == 0 && len(res.Unmatched) == 0
}

// reportSecrets reports literal secrets in one ENV or ARG, never showing
// their values: the snippet has them masked, and only a SHA-256 of the
// first is kept.
func (a *analyzer) reportSecrets(in *instruction, kind string, names, raws []string) {
	if len(names) == 0 {
		return
	}
	before := len(a.out)
	a.report(in, ruleSecretEnv, kind+" "+list(names)+" set to a literal value, which stays in the image for anyone who pulls it")
	if len(a.out) == before {
		return
	}
	f := &a.out[len(a.out)-1]
	for _, raw := range raws {
		f.Snippet = strings.ReplaceAll(f.Snippet, raw, "****")
	}
	sum := sha256.Sum256([]byte(strings.Trim(raws[0], `"'`)))
	if f.Properties == nil {
		f.Properties = map[string]string{}
	}
	f.Properties["secret_sha256"] = hex.EncodeToString(sum[:])
}

// secretWords end a name part that names a secret (DB_PASSWORD,
// GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, APIKEY).
var secretWords = []string{"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "CREDENTIALS", "CREDENTIAL"}

// secretPairs are two consecutive name parts that name a secret.
var secretPairs = [][2]string{{"API", "KEY"}, {"ACCESS", "KEY"}, {"PRIVATE", "KEY"}, {"SECRET", "KEY"}, {"AUTH", "KEY"}, {"DB", "PASS"}}

// notSecretSuffixes end names that point at a secret or describe it
// (PASSWORD_FILE, TOKEN_URL, SECRET_NAME) rather than hold it.
var notSecretSuffixes = map[string]bool{
	"FILE": true, "PATH": true, "DIR": true, "URL": true, "NAME": true, "LENGTH": true, "LEN": true,
	"ID": true, "TYPE": true, "HEADER": true, "ENABLED": true, "MODE": true, "ENDPOINT": true,
	"HOST": true, "PORT": true, "USER": true, "USERNAME": true, "REF": true, "REGION": true,
	"VERSION": true, "TTL": true, "EXPIRY": true, "POLICY": true, "FORMAT": true, "PREFIX": true,
}

var nameParts = regexp.MustCompile(`[^A-Z0-9]+`)

// secretName reports whether a variable name says it holds a secret.
func secretName(name string) bool {
	parts := nameParts.Split(strings.ToUpper(name), -1)
	if len(parts) == 0 || notSecretSuffixes[parts[len(parts)-1]] {
		return false
	}
	for i, p := range parts {
		for _, w := range secretWords {
			if strings.HasSuffix(p, w) {
				return true
			}
		}
		if p == "PASS" || (p == "PWD" && i > 0) {
			return true
		}
		for _, pair := range secretPairs {
			if i+1 < len(parts) && p == pair[0] && parts[i+1] == pair[1] {
				return true
			}
		}
	}
	return false
}

// secretValue reports whether a literal value can be a secret: not empty
// and not a switch (true, off, 0 …).
func secretValue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil":
		return false
	}
	return true
}

// checkExpose checks the ports of EXPOSE: in range, and not SSH.
func (a *analyzer) checkExpose(in *instruction, s *state) {
	for _, arg := range in.args {
		port, _, _ := strings.Cut(a.expand(arg, s), "/")
		if i := strings.LastIndexByte(port, ':'); i >= 0 {
			port = port[i+1:]
		}
		loText, hiText, isRange := strings.Cut(port, "-")
		lo, err1 := strconv.Atoi(loText)
		hi, err2 := strconv.Atoi(hiText)
		if !isRange {
			hi, err2 = lo, err1
		}
		if err1 != nil || err2 != nil {
			continue
		}
		if lo > 65535 || hi > 65535 || lo < 0 || hi < 0 {
			a.report(in, ruleInvalidPort, "EXPOSE "+arg+": ports range from 0 to 65535")
			continue
		}
		if lo <= 22 && 22 <= hi {
			a.report(in, ruleExposeSSH, "EXPOSE "+arg+" opens the SSH port")
		}
	}
}

var windowsPath = regexp.MustCompile(`^([A-Za-z]:)?[\\/]`)

// checkWorkdir checks that WORKDIR is absolute.
func (a *analyzer) checkWorkdir(in *instruction) {
	if len(in.args) == 0 {
		return
	}
	dir := strings.Trim(strings.TrimSpace(in.args[0]), `"'`)
	if dir == "" || strings.HasPrefix(dir, "$") || windowsPath.MatchString(dir) {
		return
	}
	a.report(in, ruleRelativeWorkdir, "WORKDIR "+dir+" is relative to the previous WORKDIR, which depends on the base image")
}
