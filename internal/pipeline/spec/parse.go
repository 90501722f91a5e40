package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/sluice-ci/sluice/internal/diag"
)

// MaxFileSize is the largest pipeline file Parse reads.
const MaxFileSize = 4 << 20

var (
	idPattern   = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_-]*$`)
	namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValidID reports whether s can be a job or environment id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidName reports whether s is a valid shell variable name (env keys,
// secrets, vars, outputs).
func ValidName(s string) bool { return namePattern.MatchString(s) }

// ParseFile reads and parses the pipeline file at path. A missing or
// unreadable file is reported as a diagnostic.
func ParseFile(path string) (*Pipeline, diag.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		summary := fmt.Sprintf("cannot read pipeline file: %v", err)
		hint := ""
		if errors.Is(err, fs.ErrNotExist) {
			summary = "pipeline file not found"
			hint = "create sluice.yaml (see docs/pipeline.md) or pass its path"
		}
		return &Pipeline{File: path, On: Triggers{Manual: true}}, diag.Diagnostics{{
			Severity: diag.Error, Summary: summary, Hint: hint, File: path,
		}}
	}
	return Parse(path, data)
}

// Parse parses sluice.yaml content. file names the source in diagnostics.
// It reports every problem it finds, sorted by position, and never panics.
// The returned pipeline is never nil; when the diagnostics hold errors it
// holds what could be read, so later checks can still run on it.
func Parse(file string, data []byte) (*Pipeline, diag.Diagnostics) {
	d := &decoder{file: file, p: &Pipeline{File: file, On: Triggers{Manual: true}}}
	d.parse(data)
	d.diags.Sort()
	return d.p, d.diags
}

func (d *decoder) parse(data []byte) {
	if len(data) > MaxFileSize {
		d.errorf(diag.Pos{Line: 1, Col: 1}, "", "", "file is too large (%d bytes, at most %d)", len(data), MaxFileSize)
		return
	}
	f, err := parseYAML(data)
	if err != nil {
		d.syntaxError(err)
		return
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, directive := doc.Body.(*ast.DirectiveNode); directive {
			continue // %YAML 1.2 and the like
		}
		docs = append(docs, doc)
	}
	if len(docs) == 0 {
		d.errorf(startPos(data), "version", `add "version: 1"`, "the pipeline file is empty")
		return
	}
	for _, extra := range docs[1:] {
		d.errorf(nodePos(extra.Body), "", "keep the whole pipeline in one document", "a pipeline file holds one YAML document; found another")
	}
	d.collectAnchors(docs[0], 0)
	root := d.resolve(docs[0].Body, "")
	d.pipeline(root)
}

// parseYAML runs the YAML parser, turning a panic inside it (a bug in the
// library on odd input) into an error so Parse keeps its promise.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

// syntaxError reports a YAML syntax error as one diagnostic at its position.
func (d *decoder) syntaxError(err error) {
	var ye interface {
		GetMessage() string
		GetToken() *token.Token
	}
	pos := diag.Pos{Line: 1, Col: 1}
	msg := err.Error()
	if errors.As(err, &ye) {
		msg = ye.GetMessage()
		if p := tokenPos(ye.GetToken()); p.Line > 0 {
			pos = p
		}
	}
	d.errorf(pos, "", "", "YAML syntax error: %s", firstLine(msg))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// startPos is the first non-blank, non-comment line of data, or 1:1.
func startPos(data []byte) diag.Pos {
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return diag.Pos{Line: i + 1, Col: len(line) - len(strings.TrimLeft(line, " \t")) + 1}
		}
	}
	return diag.Pos{Line: 1, Col: 1}
}

// pipeline reads the top-level mapping.
func (d *decoder) pipeline(v val) {
	if !isMapping(v.n) {
		d.errorf(v.pos, "", `start the file with "version: 1"`, "expected a mapping at the top of the file, got %s", kindOf(v.n))
		return
	}
	es, _ := d.entries(v, "key")
	es = d.known(d.dropExtensions(es), "pipeline")
	p := d.p
	hasVersion := false
	for _, e := range es {
		switch e.key {
		case "version":
			hasVersion = true
			d.version(e)
		case "name":
			p.Name = d.str(e.val)
		case "on":
			d.triggers(e.val)
		case "env":
			p.Env = d.envMap(e.val)
		case "jobs":
			d.jobs(e.val)
		case "environments":
			d.environments(e.val)
		case "deploy":
			p.Deploy = d.deploy(e.val)
		}
	}
	if !hasVersion {
		d.errorf(v.pos, "version", `add "version: 1"`, "missing version")
	}
}

// dropExtensions leaves out top-level keys starting with "x-": they hold
// anchors for reuse elsewhere in the file and are otherwise ignored.
func (d *decoder) dropExtensions(es []entry) []entry {
	out := es[:0]
	for _, e := range es {
		if !strings.HasPrefix(e.key, "x-") {
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) version(e entry) {
	s, _ := scalarText(e.n)
	if _, ok := e.n.(*ast.IntegerNode); ok && s == strconv.Itoa(Version) {
		d.p.Version = Version
		return
	}
	d.errorf(e.pos, e.path, `use "version: 1"`, "unsupported version %q: this sluice reads version %d", s, Version)
}

// envMap reads a map of environment variables: keys must be shell names;
// values are strings (numbers and booleans keep their spelling).
func (d *decoder) envMap(v val) map[string]string {
	return d.stringMap(v, "environment variable", true)
}

// stringMap reads a map of scalars. With shellNames, keys must be valid
// shell variable names.
func (d *decoder) stringMap(v val, what string, shellNames bool) map[string]string {
	es, ok := d.entries(v, "key")
	if !ok {
		return nil
	}
	m := make(map[string]string, len(es))
	for _, e := range es {
		if shellNames && !ValidName(e.key) {
			d.errorf(e.keyPos, e.path, "use letters, digits and _, not starting with a digit", "invalid %s name %q", what, e.key)
		}
		m[e.key] = d.str(e.val)
	}
	return m
}
