package iac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// plan is the part of `terraform show -json` output the scanner reads.
type plan struct {
	PlannedValues *planValues `json:"planned_values"`
	// Values is what `terraform show -json` prints for a state.
	Values          *planValues `json:"values"`
	ResourceChanges []struct {
		Address string `json:"address"`
	} `json:"resource_changes"`
	Configuration struct {
		ProviderConfig map[string]planProvider `json:"provider_config"`
		RootModule     planConfigModule        `json:"root_module"`
	} `json:"configuration"`
}

type planValues struct {
	RootModule planModule `json:"root_module"`
}

type planModule struct {
	Address      string         `json:"address"`
	Resources    []planResource `json:"resources"`
	ChildModules []planModule   `json:"child_modules"`
}

type planResource struct {
	Address string         `json:"address"`
	Mode    string         `json:"mode"`
	Type    string         `json:"type"`
	Name    string         `json:"name"`
	Values  map[string]any `json:"values"`
}

type planProvider struct {
	Name              string                     `json:"name"`
	Alias             string                     `json:"alias"`
	ModuleAddress     string                     `json:"module_address"`
	Expressions       map[string]json.RawMessage `json:"expressions"`
	VersionConstraint string                     `json:"version_constraint"`
}

type planConfigModule struct {
	Resources []struct {
		Address     string                     `json:"address"`
		Expressions map[string]json.RawMessage `json:"expressions"`
	} `json:"resources"`
	Variables   map[string]map[string]any `json:"variables"`
	ModuleCalls map[string]struct {
		Module planConfigModule `json:"module"`
	} `json:"module_calls"`
}

// isPlanJSON says whether a JSON file looks like `terraform show -json`
// output, without parsing it.
func isPlanJSON(name string, data []byte) bool {
	if strings.HasSuffix(name, ".tfplan.json") {
		return true
	}
	head := data
	if len(head) > 0 && head[0] != '{' {
		head = bytes.TrimLeft(head, " \t\r\n\ufeff")
		if len(head) == 0 || head[0] != '{' {
			return false
		}
	}
	return bytes.Contains(data, []byte(`"planned_values"`)) ||
		bytes.Contains(data, []byte(`"resource_changes"`)) ||
		bytes.Contains(data, []byte(`"terraform_version"`)) && bytes.Contains(data, []byte(`"root_module"`))
}

// planBlocks reads a plan (or state) JSON file: a block per planned
// resource (root and child modules), per configured provider and per
// root-module variable. Lines are where each address first appears in
// the file (all 1 in the one-line JSON terraform prints).
func planBlocks(path string, data []byte) ([]*tfBlock, error) {
	var p plan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("malformed plan JSON: %w", jsonErrorLine(data, err))
	}
	values := p.PlannedValues
	if values == nil {
		values = p.Values
	}
	if values == nil && len(p.ResourceChanges) == 0 {
		return nil, errors.New("not a Terraform plan: no planned_values, values or resource_changes")
	}
	src := &sourceFile{path: path, data: data, style: noComments}
	refs := configReferences(&p.Configuration.RootModule, "")
	var out []*tfBlock
	if values != nil {
		var walk func(m *planModule)
		walk = func(m *planModule) {
			for i := range m.Resources {
				r := &m.Resources[i]
				b := &tfBlock{file: src, block: "resource", typ: r.Type, name: r.Name, addr: r.Address,
					attrs: r.Values, locs: map[string]span{}, refs: map[string]bool{}}
				if b.attrs == nil {
					b.attrs = map[string]any{}
				}
				if r.Mode == "data" {
					b.block = "data"
				}
				b.span = addressLine(src, r.Address)
				for _, ref := range refs[baseAddress(r.Address)] {
					b.refs[ref] = true
				}
				out = append(out, b)
			}
			for i := range m.ChildModules {
				walk(&m.ChildModules[i])
			}
		}
		walk(&values.RootModule)
	}
	out = append(out, planProviders(src, p.Configuration.ProviderConfig)...)
	out = append(out, planVariables(src, p.Configuration.RootModule.Variables)...)
	// References name configuration addresses (no index); point them at
	// every instance of the resource.
	instances := map[string][]string{}
	for _, b := range out {
		instances[baseAddress(b.addr)] = append(instances[baseAddress(b.addr)], b.addr)
	}
	for _, b := range out {
		for ref := range b.refs {
			delete(b.refs, ref)
			for _, a := range instances[ref] {
				b.refs[a] = true
			}
		}
	}
	return out, nil
}

// planProviders turns provider configurations into provider blocks; an
// expression's constant_value is its value, a reference is unknown.
func planProviders(src *sourceFile, cfg map[string]planProvider) []*tfBlock {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*tfBlock
	for _, k := range keys {
		pc := cfg[k]
		if pc.ModuleAddress != "" {
			continue
		}
		name := pc.Name
		if name == "" {
			name, _, _ = strings.Cut(k, ".")
		}
		b := &tfBlock{file: src, block: "provider", typ: name, name: name, addr: "provider." + k,
			attrs: map[string]any{}, locs: map[string]span{}, refs: map[string]bool{}}
		for attr, raw := range pc.Expressions {
			b.attrs[attr] = expressionValue(raw)
		}
		if pc.Alias != "" {
			b.attrs["alias"] = pc.Alias
		}
		b.span = lineAfter(src, `"provider_config"`, k)
		out = append(out, b)
	}
	return out
}

// planVariables turns the root module's variable declarations into
// variable blocks (default, sensitive, description).
func planVariables(src *sourceFile, vars map[string]map[string]any) []*tfBlock {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*tfBlock
	for _, n := range names {
		attrs := vars[n]
		if attrs == nil {
			attrs = map[string]any{}
		}
		out = append(out, &tfBlock{file: src, block: "variable", name: n, addr: "var." + n,
			attrs: attrs, locs: map[string]span{}, refs: map[string]bool{}, span: lineAfter(src, `"configuration"`, n)})
	}
	return out
}

// expressionValue reads a configuration expression: {"constant_value": v}
// is v, {"references": […]} is unknown, and nested blocks (lists of
// expression objects) are converted element by element.
func expressionValue(raw json.RawMessage) any {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return map[string]any{UnknownKey: "(unreadable expression)"}
	}
	return exprFromJSON(v)
}

func exprFromJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if c, ok := v["constant_value"]; ok {
			return c
		}
		if refs, ok := v["references"].([]any); ok && len(refs) > 0 {
			s, _ := refs[0].(string)
			return map[string]any{UnknownKey: s}
		}
		out := map[string]any{}
		for k, e := range v {
			out[k] = exprFromJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = exprFromJSON(e)
		}
		return out
	}
	return map[string]any{UnknownKey: "(expression)"}
}

// configReferences maps each configured resource's address (with module
// prefix, without index) to the resource addresses its expressions name.
func configReferences(m *planConfigModule, prefix string) map[string][]string {
	out := map[string][]string{}
	var walk func(m *planConfigModule, prefix string)
	walk = func(m *planConfigModule, prefix string) {
		for _, r := range m.Resources {
			seen := map[string]bool{}
			for _, raw := range r.Expressions {
				collectReferences(raw, func(ref string) {
					if a := referenceAddress(ref); a != "" && !seen[prefix+a] {
						seen[prefix+a] = true
						out[prefix+r.Address] = append(out[prefix+r.Address], prefix+a)
					}
				})
			}
		}
		for name, call := range m.ModuleCalls {
			walk(&call.Module, prefix+"module."+name+".")
		}
	}
	walk(m, prefix)
	return out
}

// collectReferences calls f for every string of every "references" list
// inside an expression.
func collectReferences(raw json.RawMessage, f func(string)) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if refs, ok := e.([]any); ok && k == "references" {
					for _, r := range refs {
						if s, ok := r.(string); ok {
							f(s)
						}
					}
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
}

// referenceAddress trims a reference ("aws_s3_bucket.b.id",
// "data.x.y.json", "var.v") to what it points at.
func referenceAddress(ref string) string {
	parts := strings.Split(baseAddress(ref), ".")
	need := 2
	switch parts[0] {
	case "data":
		need = 3
	case "count", "each", "self", "path", "terraform":
		return ""
	}
	if len(parts) < need {
		return ""
	}
	return strings.Join(parts[:need], ".")
}

// baseAddress drops instance keys: module.m["a"].aws_x.y[0] → module.m.aws_x.y.
func baseAddress(addr string) string {
	if !strings.Contains(addr, "[") {
		return addr
	}
	var b strings.Builder
	depth := 0
	inString := false
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"' && depth > 0:
			inString = true
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// addressLine finds the line where a quoted address first appears.
func addressLine(src *sourceFile, addr string) span {
	return lineAfter(src, "", addr)
}

// lineAfter finds the line where a quoted key first appears after marker
// (from the start when marker is "" or missing); line 1 when nowhere.
func lineAfter(src *sourceFile, marker, key string) span {
	from := 0
	if marker != "" {
		if i := bytes.Index(src.data, []byte(marker)); i >= 0 {
			from = i
		}
	}
	q, _ := json.Marshal(key)
	i := bytes.Index(src.data[from:], q)
	if i < 0 {
		return span{1, 1}
	}
	n := 1 + bytes.Count(src.data[:from+i], []byte("\n"))
	return span{n, n}
}

// jsonErrorLine adds the line to a JSON syntax error.
func jsonErrorLine(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= int64(len(data)) {
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of file")
	}
	return err
}
