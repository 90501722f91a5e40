package tfstate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Change is one resource instance or output that differs between two
// states: Op is '+' (only in the newer), '-' (only in the older) or '~'
// (in both, different). Attrs names the attributes that differ, never
// their values (a state holds secrets).
type Change struct {
	Op      byte     `json:"-"`
	Kind    string   `json:"op"`
	Address string   `json:"address"`
	Attrs   []string `json:"attributes,omitempty"`
}

// Changes is the difference between two states.
type Changes struct {
	Resources []Change `json:"resources"`
	Outputs   []Change `json:"outputs"`
}

// Empty reports whether the states hold the same resources and outputs.
func (c *Changes) Empty() bool { return len(c.Resources) == 0 && len(c.Outputs) == 0 }

// Write lists the changes, one a line: "+ terraform_data.a",
// "~ aws_instance.web (ami, tags)", "- output.url".
func (c *Changes) Write(w io.Writer) error {
	var b strings.Builder
	for _, x := range c.Resources {
		b.WriteString(x.line(""))
	}
	for _, x := range c.Outputs {
		b.WriteString(x.line("output."))
	}
	if c.Empty() {
		b.WriteString("no resource or output differs\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (x Change) line(prefix string) string {
	s := string(x.Op) + " " + prefix + x.Address
	if len(x.Attrs) > 0 {
		s += " (" + strings.Join(x.Attrs, ", ") + ")"
	}
	return s + "\n"
}

// stateDoc is the part of a state (format 4) Diff compares.
type stateDoc struct {
	Resources []struct {
		Module    string `json:"module"`
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			IndexKey   json.RawMessage            `json:"index_key"`
			Attributes map[string]json.RawMessage `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
	Outputs map[string]json.RawMessage `json:"outputs"`
}

// instances returns a state's resource instances by address, each with
// its attributes in canonical JSON.
func instances(content []byte) (map[string]map[string]string, map[string]string, error) {
	var d stateDoc
	if err := json.Unmarshal(content, &d); err != nil {
		return nil, nil, badInput("not a Terraform state (JSON): %v", err)
	}
	res := map[string]map[string]string{}
	for _, r := range d.Resources {
		base := r.Type + "." + r.Name
		if r.Mode == "data" {
			base = "data." + base
		}
		if r.Module != "" {
			base = r.Module + "." + base
		}
		for _, in := range r.Instances {
			addr := base
			if k := bytes.TrimSpace(in.IndexKey); len(k) > 0 && string(k) != "null" {
				addr += "[" + string(k) + "]"
			}
			attrs := map[string]string{}
			for name, v := range in.Attributes {
				attrs[name] = canonical(v)
			}
			res[addr] = attrs
		}
	}
	outs := map[string]string{}
	for name, v := range d.Outputs {
		outs[name] = canonical(v)
	}
	return res, outs, nil
}

// canonical re-encodes JSON with sorted keys and no spaces.
func canonical(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Diff compares two states' resource instances (by address and
// attributes) and outputs (by name and value).
func Diff(older, newer []byte) (*Changes, error) {
	ra, oa, err := instances(older)
	if err != nil {
		return nil, err
	}
	rb, ob, err := instances(newer)
	if err != nil {
		return nil, err
	}
	c := &Changes{Resources: []Change{}, Outputs: []Change{}}
	for _, addr := range union(ra, rb) {
		a, inA := ra[addr]
		b, inB := rb[addr]
		switch {
		case !inA:
			c.Resources = append(c.Resources, Change{Op: '+', Kind: "added", Address: addr})
		case !inB:
			c.Resources = append(c.Resources, Change{Op: '-', Kind: "removed", Address: addr})
		default:
			var attrs []string
			for _, name := range union(a, b) {
				va, okA := a[name]
				vb, okB := b[name]
				if okA != okB || va != vb {
					attrs = append(attrs, name)
				}
			}
			if len(attrs) > 0 {
				c.Resources = append(c.Resources, Change{Op: '~', Kind: "changed", Address: addr, Attrs: attrs})
			}
		}
	}
	for _, name := range union(oa, ob) {
		a, inA := oa[name]
		b, inB := ob[name]
		switch {
		case !inA:
			c.Outputs = append(c.Outputs, Change{Op: '+', Kind: "added", Address: name})
		case !inB:
			c.Outputs = append(c.Outputs, Change{Op: '-', Kind: "removed", Address: name})
		case a != b:
			c.Outputs = append(c.Outputs, Change{Op: '~', Kind: "changed", Address: name})
		}
	}
	return c, nil
}

// union returns the keys of a and b, sorted.
func union[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// DiffVersions compares versions from and to of r (0: the current one),
// reading both (each read is audited).
func (b *Backend) DiffVersions(ctx context.Context, r Ref, from, to int64, actor string) (*Changes, error) {
	older, _, err := b.Read(ctx, r, from, actor)
	if err != nil {
		return nil, err
	}
	newer, _, err := b.Read(ctx, r, to, actor)
	if err != nil {
		return nil, err
	}
	return Diff(older, newer)
}

// VersionArg reads a version number given on a command line or in a
// query: a positive integer.
func VersionArg(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, badInput("version %q: a version number (1, 2, …; see the state's history)", s)
	}
	return n, nil
}
