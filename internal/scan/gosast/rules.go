package gosast

import (
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/issue"
	"github.com/securego/gosec/v2/rules"
)

// Rule is one gosec rule as sluice reports it.
type Rule struct {
	// ID is gosec's id: G101 …
	ID string
	// Description is gosec's one-line description, the finding's title.
	Description string
	// CWE is the weakness gosec maps the rule to, 0 when none.
	CWE int
	// Fix is sluice's short remediation hint.
	Fix string
}

// Rules lists every rule the scanner runs (gosec's AST rules and SSA
// analyzers), sorted by id.
func Rules() []Rule {
	idx := ruleIndex()
	out := make([]Rule, 0, len(idx))
	for id, desc := range idx {
		r := Rule{ID: id, Description: desc, Fix: Fix(id)}
		r.CWE = ruleCWE(id)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ruleIndex maps every rule id gosec knows to its description.
var ruleIndex = sync.OnceValue(func() map[string]string {
	idx := map[string]string{}
	for id, def := range rules.Generate(false).Rules {
		idx[id] = def.Description
	}
	for id, def := range analyzers.Generate(false).Analyzers {
		idx[id] = def.Description
	}
	return idx
})

// ruleTitle returns a rule's description, or its id when gosec reports a
// rule it does not list.
func ruleTitle(id string) string {
	if d := ruleIndex()[id]; d != "" {
		return d
	}
	return "gosec " + id
}

// rulesDoc is gosec's rule documentation; ruleDocSection names its
// section for each family of rules (G1xx … G7xx).
const rulesDoc = "https://github.com/securego/gosec/blob/master/RULES.md"

var ruleDocSection = map[byte]string{
	'1': "#g1xx-general-secure-coding",
	'2': "#g2xx-injection-patterns",
	'3': "#g3xx-filesystem-and-permissions",
	'4': "#g4xx-crypto-and-protocol-security",
	'5': "#g5xx-import-blocklist",
	'6': "#g6xx-languageruntime-safety",
	'7': "#g7xx-taint-analysis",
}

// ruleCWE returns the CWE number of a rule, 0 when it has none.
func ruleCWE(id string) int {
	if w := issue.GetCweByRule(id); w != nil {
		if n, err := strconv.Atoi(w.ID); err == nil {
			return n
		}
	}
	return missingCWE[id]
}

// missingCWE holds the CWE numbers gosec maps rules to but cannot return,
// for want of a description of the weakness in its CWE list.
var missingCWE = map[string]int{"G116": 838, "G121": 346, "G710": 601}

// References returns the CWE entry and gosec's documentation of a rule.
func References(id string) []string {
	var refs []string
	if n := ruleCWE(id); n > 0 {
		refs = append(refs, fmt.Sprintf("https://cwe.mitre.org/data/definitions/%d.html", n))
	}
	doc := rulesDoc
	if len(id) == 4 && id[0] == 'G' {
		doc += ruleDocSection[id[1]]
	}
	return append(refs, doc)
}

// Fix returns a short remediation for a rule.
func Fix(id string) string {
	if f, ok := fixes[id]; ok {
		return f
	}
	return "Review the flagged code against gosec's documentation of " + id + "; mark a reviewed false positive with a `#nosec " + id + " -- reason` comment."
}

// fixes are sluice's remediation hints, one per gosec rule.
var fixes = map[string]string{
	"G101": "Move the credential out of the code: read it from the environment or a secret store at run time, and rotate the exposed value.",
	"G102": "Bind to a specific interface (127.0.0.1 or the service address) instead of all interfaces.",
	"G103": "Avoid package unsafe; if it is required, keep it in one small, reviewed function.",
	"G104": "Handle the returned error, or assign it to _ explicitly where ignoring it is safe.",
	"G106": "Verify SSH host keys: use knownhosts.New or ssh.FixedHostKey instead of ssh.InsecureIgnoreHostKey.",
	"G107": "Build request URLs from constants or validate them against an allowlist of hosts before requesting.",
	"G108": "Do not import net/http/pprof into a public server; serve profiling on a separate, private listener.",
	"G109": "Parse with strconv.ParseInt using the target bit size instead of converting the result of strconv.Atoi.",
	"G110": "Limit what decompression may write: io.CopyN or an io.LimitReader with a maximum size.",
	"G111": "Do not serve the file system root; serve a dedicated folder (http.Dir of a fixed path, or os.Root).",
	"G112": "Set ReadHeaderTimeout (and ReadTimeout) on the http.Server.",
	"G113": "Reject requests with both Content-Length and Transfer-Encoding, and do not parse bodies with bare LF line endings.",
	"G114": "Use an http.Server with ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout instead of http.ListenAndServe/Serve.",
	"G115": "Check the value's range before converting to a smaller integer type, or parse directly into the target size.",
	"G116": "Remove bidirectional Unicode control characters from the source; they can hide what code really does.",
	"G117": "Keep secrets out of serialized structs: tag the field `json:\"-\"` (or the format's equivalent) or use a separate type.",
	"G118": "Pass the caller's context (not context.Background) to goroutines and calls, and call every cancel function.",
	"G119": "In CheckRedirect, drop Authorization, Cookie and other sensitive headers when a redirect leaves the original host.",
	"G120": "Bound request bodies with http.MaxBytesReader before ParseMultipartForm or ParseForm.",
	"G121": "Do not add bypass patterns or trusted origins to CrossOriginProtection from request data; keep them fixed and narrow.",
	"G122": "Open files relative to a trusted root (os.Root) in Walk callbacks, or re-check with Lstat, so a swapped symlink cannot redirect the access.",
	"G123": "Set VerifyConnection (which also runs on resumed sessions) or disable session tickets when using VerifyPeerCertificate.",
	"G124": "Set Secure, HttpOnly and SameSite on cookies that carry sessions or other sensitive values.",
	"G125": "Escape untrusted path elements with url.PathEscape before url.JoinPath, or validate them.",
	"G201": "Use query parameters (placeholders such as ? or $1) instead of formatting values into SQL.",
	"G202": "Use query parameters (placeholders such as ? or $1) instead of concatenating values into SQL.",
	"G203": "Do not convert untrusted data to template.HTML, template.JS or template.URL; let html/template escape it.",
	"G204": "Run a fixed program with separate, validated arguments; never pass untrusted input to a shell (sh -c).",
	"G301": "Create directories with mode 0750 or stricter.",
	"G302": "Create files and chmod them with mode 0600 or stricter.",
	"G303": "Create temporary files with os.CreateTemp (or os.MkdirTemp) instead of a fixed path in a shared folder.",
	"G304": "Open files relative to a trusted root (os.Root), or clean and check the path against an allowed folder first.",
	"G305": "Reject archive entries whose cleaned path leaves the target folder (\"..\" or absolute names) before writing them.",
	"G306": "Write files with mode 0600 or stricter.",
	"G307": "Create files with os.OpenFile and mode 0600 or stricter instead of os.Create (0666).",
	"G401": "Use SHA-256 or stronger (crypto/sha256, crypto/sha512, crypto/sha3) instead of MD5 or SHA-1.",
	"G402": "Keep certificate verification on (no InsecureSkipVerify), set MinVersion to TLS 1.2 or later and use secure cipher suites.",
	"G403": "Generate RSA keys of at least 2048 bits (3072 or more for new keys).",
	"G404": "Use crypto/rand for secrets, tokens, keys and nonces; math/rand is predictable.",
	"G405": "Replace DES and RC4 with AES-GCM or ChaCha20-Poly1305.",
	"G406": "Replace MD4 and RIPEMD-160 with SHA-256 or stronger.",
	"G407": "Generate a fresh random nonce or IV for every encryption (crypto/rand); never hard-code or reuse one.",
	"G408": "Do not keep state across ssh PublicKeyCallback calls; decide authentication from the Permissions returned with the successful key.",
	"G501": "Remove the crypto/md5 import; use crypto/sha256 or stronger.",
	"G502": "Remove the crypto/des import; use AES-GCM (crypto/aes with crypto/cipher).",
	"G503": "Remove the crypto/rc4 import; use AES-GCM or ChaCha20-Poly1305.",
	"G504": "Do not use net/http/cgi (it exposes the server to httpoxy); run the handler in-process.",
	"G505": "Remove the crypto/sha1 import; use crypto/sha256 or stronger.",
	"G506": "Remove the golang.org/x/crypto/md4 import; use SHA-256 or stronger.",
	"G507": "Remove the golang.org/x/crypto/ripemd160 import; use SHA-256 or stronger.",
	"G601": "Copy the range variable (v := v) before taking its address, or index the slice; Go 1.22+ fixes this.",
	"G602": "Check the slice's length before indexing or slicing it.",
	"G701": "Pass user input to SQL as query parameters, never inside the query text.",
	"G702": "Do not build commands from user input; run a fixed program and validate arguments against an allowlist.",
	"G703": "Resolve user-supplied paths inside a trusted root (os.Root) or reject paths that leave it.",
	"G704": "Validate user-supplied URLs against an allowlist of hosts and schemes, and block internal addresses, before requesting them.",
	"G705": "Escape user input before writing it to a response (html/template, html.EscapeString) and set the content type.",
	"G706": "Log user input as structured fields (log/slog attributes) or strip newlines from it, so it cannot forge log lines.",
	"G707": "Reject CR and LF in user input used in mail addresses or headers (net/mail parsing), or build headers with a mail library.",
	"G708": "Use html/template with fixed template text; never parse templates built from user input.",
	"G709": "Do not decode untrusted data with gob or into interface-typed values; decode into concrete types and validate them.",
	"G710": "Redirect only to relative paths or to hosts on an allowlist, never to a URL taken from the request.",
}
