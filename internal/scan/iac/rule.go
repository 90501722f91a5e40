package iac

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/sluice-ci/sluice/internal/findings"
)

// rule is a check's metadata, as its package declares it.
type rule struct {
	id       string
	title    string
	severity findings.Severity
	cwe      []int
	fix      string
	refs     []string
	// Ids of the same check in other tools.
	checkov    []string
	tfsec      []string
	avd        []string
	kubeLinter []string
	// Selectors: a check only sees documents whose block, type (Terraform)
	// or kind (Kubernetes) is listed; an empty list lets every one through.
	blocks, types, kinds []string
	// keywords: when set, the check only runs on documents whose source
	// text contains one of them (a fast pre-filter, as secret scanners
	// use); for checks of explicit settings, not of missing ones.
	keywords [][]byte
}

// ruleIDPattern is what a check id must look like: lowercase words and
// digits joined by hyphens, so that inline ignore markers can name it.
var ruleIDPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)+$`)

// parseRule reads a package's metadata object.
func parseRule(meta any) (rule, error) {
	m, ok := meta.(map[string]any)
	if !ok {
		return rule{}, errors.New("metadata is not an object")
	}
	var r rule
	var err error
	str := func(key string) string {
		if err != nil {
			return ""
		}
		v, present := m[key]
		if !present {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			err = fmt.Errorf("%s is not a string", key)
		}
		return s
	}
	list := func(key string) []string {
		if err != nil {
			return nil
		}
		var out []string
		out, err = stringList(m[key], key)
		return out
	}
	r.id = str("id")
	r.title = str("title")
	sev := str("severity")
	r.fix = str("remediation")
	r.refs = list("references")
	r.checkov = list("checkov")
	r.tfsec = list("tfsec")
	r.avd = list("avd")
	r.kubeLinter = list("kube_linter")
	r.blocks = list("blocks")
	r.types = list("types")
	r.kinds = list("kinds")
	for _, k := range list("keywords") {
		if k != "" {
			r.keywords = append(r.keywords, []byte(k))
		}
	}
	if err != nil {
		return rule{}, err
	}
	if !ruleIDPattern.MatchString(r.id) {
		return rule{}, fmt.Errorf("id %q: want lowercase words joined by hyphens, like tf-aws-s3-public-acl", r.id)
	}
	if r.title == "" {
		return rule{}, errors.New("no title")
	}
	if sev == "" {
		return rule{}, errors.New("no severity (critical, high, medium, low or info)")
	}
	if r.severity, err = findings.ParseSeverity(sev); err != nil {
		return rule{}, err
	}
	if r.cwe, err = cweList(m["cwe"]); err != nil {
		return rule{}, err
	}
	return r, nil
}

// stringList reads a string or a list of strings.
func stringList(v any, key string) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s: %v is not a string", key, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not a string or a list of strings", key)
}

// cweList reads a CWE number, "CWE-n" string, or a list of them.
func cweList(v any) ([]int, error) {
	var items []any
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = v
	default:
		items = []any{v}
	}
	out := make([]int, 0, len(items))
	for _, e := range items {
		var n int
		var err error
		switch e := e.(type) {
		case json.Number:
			n, err = strconv.Atoi(string(e))
		case string:
			s := e
			if len(s) > 4 && (s[:4] == "CWE-" || s[:4] == "cwe-") {
				s = s[4:]
			}
			n, err = strconv.Atoi(s)
		default:
			err = errors.New("not a number")
		}
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("cwe %v: want a CWE number like 284 or \"CWE-284\"", e)
		}
		out = append(out, n)
	}
	return out, nil
}

// aliases lists the ids other tools give the check, for inline ignore
// markers and the finding's cross-references.
func (r *rule) aliases() []string {
	var out []string
	for _, l := range [][]string{r.checkov, r.avd, r.tfsec, r.kubeLinter} {
		out = append(out, l...)
	}
	return out
}
