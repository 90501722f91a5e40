package gate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/sluice-ci/sluice/internal/diag"
)

// LoadSuppressions reads a suppressions file (.sluice/ignore.yaml):
//
//	suppressions:
//	  - fingerprint: 3f2a…            # or rule + path, or advisory + package
//	    reason: false positive, input is a constant
//	    owner: alice
//	    expires: 2026-12-31           # optional; YYYY-MM-DD or RFC 3339
//
// A missing file holds no suppressions. Every problem is reported with its
// file:line:col; an entry with an error is left out.
func LoadSuppressions(file string) ([]Suppression, diag.Diagnostics) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, File: file, Summary: fmt.Sprintf("read suppressions: %v", err)}}
	}
	return ParseSuppressions(file, data)
}

// ParseSuppressions parses the content of a suppressions file named file.
func ParseSuppressions(file string, data []byte) (sups []Suppression, ds diag.Diagnostics) {
	errf := func(tk *token.Token, path, hint, format string, args ...any) {
		d := diag.Diagnostic{Severity: diag.Error, File: file, Path: path, Hint: hint, Summary: fmt.Sprintf(format, args...)}
		if tk != nil && tk.Position != nil {
			d.Line, d.Col = tk.Position.Line, tk.Position.Column
		}
		ds = append(ds, d)
	}
	f, err := parseYAML(data)
	if err != nil {
		var ye interface {
			GetMessage() string
			GetToken() *token.Token
		}
		msg := err.Error()
		var tk *token.Token
		if errors.As(err, &ye) {
			msg, tk = ye.GetMessage(), ye.GetToken()
		}
		msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
		errf(tk, "", "", "YAML syntax error: %s", msg)
		return nil, ds
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, nil
	}
	top, ok := f.Docs[0].Body.(ast.MapNode)
	if !ok {
		errf(f.Docs[0].Body.GetToken(), "", "", "expected a mapping with a suppressions list")
		return nil, ds
	}
	for it := top.MapRange(); it.Next(); {
		key := it.Key().String()
		if key != "suppressions" {
			errf(it.Key().GetToken(), key, "the only top-level key is suppressions", "unknown key %q", key)
			continue
		}
		switch v := it.Value().(type) {
		case *ast.NullNode:
		case *ast.SequenceNode:
			for i, e := range v.Values {
				s, eds := entry(file, fmt.Sprintf("suppressions[%d]", i), e)
				ds = append(ds, eds...)
				if !eds.HasErrors() {
					sups = append(sups, s)
				}
			}
		default:
			errf(it.Value().GetToken(), key, "", "suppressions must be a list")
		}
	}
	ds.Sort()
	return sups, ds
}

// entry reads one suppression.
func entry(file, path string, n ast.Node) (Suppression, diag.Diagnostics) {
	var ds diag.Diagnostics
	errf := func(tk *token.Token, p, hint, format string, args ...any) {
		d := diag.Diagnostic{Severity: diag.Error, File: file, Path: p, Hint: hint, Summary: fmt.Sprintf(format, args...)}
		if tk != nil && tk.Position != nil {
			d.Line, d.Col = tk.Position.Line, tk.Position.Column
		}
		ds = append(ds, d)
	}
	m, ok := n.(ast.MapNode)
	if !ok {
		errf(n.GetToken(), path, "", "a suppression must be a mapping")
		return Suppression{}, ds
	}
	start := n.GetToken()
	if mv, ok := n.(*ast.MappingNode); ok && len(mv.Values) > 0 {
		start = mv.Values[0].Key.GetToken()
	}
	s := Suppression{}
	if start != nil && start.Position != nil {
		s.Source = fmt.Sprintf("%s:%d", file, start.Position.Line)
	}
	for it := m.MapRange(); it.Next(); {
		k, v := it.Key().String(), it.Value()
		kp := path + "." + k
		text := ""
		switch x := v.(type) {
		case *ast.StringNode:
			text = x.Value
		case *ast.NullNode:
		case ast.ScalarNode:
			if tk := v.GetToken(); tk != nil {
				text = tk.Value
			}
		default:
			errf(v.GetToken(), kp, "", "%s must be a single value", k)
			continue
		}
		switch k {
		case "fingerprint":
			s.Fingerprint = text
		case "rule":
			s.Rule = text
		case "path":
			s.Path = text
			if !validGlob(text) {
				errf(v.GetToken(), kp, "use * within a folder and ** across folders", "invalid path pattern %q", text)
			}
		case "advisory":
			s.Advisory = text
		case "package":
			s.Package = text
		case "reason":
			s.Reason = strings.TrimSpace(text)
		case "owner":
			s.Owner = strings.TrimSpace(text)
		case "expires":
			t, err := parseDate(text)
			if err != nil {
				errf(v.GetToken(), kp, "write a date like 2026-12-31 or an RFC 3339 time", "expires %q is not a date", text)
			}
			s.Expires = t
		default:
			errf(it.Key().GetToken(), kp, "keys are fingerprint, rule, path, advisory, package, reason, owner, expires", "unknown key %q", k)
		}
	}
	if msg, hint := s.selectorProblem(); msg != "" {
		errf(start, path, hint, "%s", msg)
	}
	if s.Reason == "" {
		errf(start, path+".reason", "say why the finding is acceptable", "suppression has no reason")
	}
	if s.Owner == "" {
		errf(start, path+".owner", "name who answers for this suppression", "suppression has no owner")
	}
	return s, ds
}

// parseDate reads YYYY-MM-DD (the end of that day, UTC) or RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Parse(time.RFC3339, s)
}

// parseYAML turns a panic inside the YAML parser into an error.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}
