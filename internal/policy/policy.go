// Package policy runs custom gate policies written in Rego, the way conftest
// does: every package of the loaded files may define deny, violation and
// warn rules over an input document that describes the findings, the
// scanners' health, the environment's gate settings and the run. Their
// messages become gate.PolicyResults, which the gate turns into reasons:
// deny and violation block (or warn, in warn mode), warn warns.
//
// Policies are sandboxed: they cannot reach the network (http.send,
// net.lookup_ip_addr) or read sluice's environment (opa.runtime), and every
// evaluation is bounded in time. A policy that uses a refused built-in fails
// to load, with file:line:col. See docs/policies.md for users.
package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// DefaultTimeout bounds one Eval when its context allows longer.
const DefaultTimeout = 10 * time.Second

// Set is a loaded, compiled set of policy files, ready to evaluate. It is
// safe for concurrent use. A nil *Set holds no policy: Eval returns no
// results and Digest returns "".
type Set struct {
	files   []source
	targets []*target
	timeout time.Duration
}

// source is one policy file: its name relative to the base folder (with
// forward slashes), as shown in messages, and its content.
type source struct {
	name string
	src  []byte
}

// target is one rule to evaluate: deny, violation or warn (or one of their
// conftest-style variants, deny_name …) of one package.
type target struct {
	// source names the rule for results: file:package.rule.
	source string
	// deny is true for deny and violation rules.
	deny  bool
	query rego.PreparedEvalQuery
}

// Files returns the names of the loaded files, relative to the base folder,
// sorted.
func (s *Set) Files() []string {
	if s == nil {
		return nil
	}
	names := make([]string, len(s.files))
	for i, f := range s.files {
		names[i] = f.name
	}
	return names
}

// Rules returns the sources of the rules Eval evaluates, sorted, like
// "policies/deps.rego:sluice.deps.deny".
func (s *Set) Rules() []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.targets))
	for i, t := range s.targets {
		out[i] = t.source
	}
	return out
}

// Digest identifies the policy that judged: a SHA-256 over every loaded
// file's name and content, in name order, as "sha256:<hex>". It is ""
// for an empty set.
func (s *Set) Digest() string {
	if s == nil || len(s.files) == 0 {
		return ""
	}
	h := sha256.New()
	for _, f := range s.files {
		// Lengths make the encoding unambiguous: no two different sets of
		// files hash the same bytes.
		h.Write([]byte(strconv.Itoa(len(f.name)) + ":" + f.name + "\n"))
		h.Write([]byte(strconv.Itoa(len(f.src)) + ":"))
		h.Write(f.src)
		h.Write([]byte("\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// refusedBuiltins are left out of the capabilities policies compile against,
// each with the reason shown to the author.
var refusedBuiltins = map[string]string{
	"http.send":          "a gate policy may not reach the network",
	"net.lookup_ip_addr": "a gate policy may not reach the network",
	"opa.runtime":        "a gate policy may not read sluice's environment or configuration",
}

// capabilities are OPA's for this version without the refused built-ins and
// with no network access at all.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if _, refused := refusedBuiltins[b.Name]; !refused {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}
