package iac

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// isManifestName says whether a file name may hold Kubernetes manifests.
func isManifestName(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// mayBeManifest is a cheap test before parsing: a manifest names both
// apiVersion and kind.
func mayBeManifest(data []byte) bool {
	return bytes.Contains(data, []byte("apiVersion")) && bytes.Contains(data, []byte("kind"))
}

// isTemplated says whether a YAML file is a template (Helm, Go templates)
// rather than a manifest: it cannot be parsed before rendering.
func isTemplated(data []byte) bool {
	return bytes.Contains(data, []byte("{{"))
}

// manifestDocuments reads the Kubernetes objects of a YAML file: every
// document with a string apiVersion and kind (the items of a List count
// one by one). Documents that are not Kubernetes objects are ignored. A
// malformed document is the returned error; the objects of the file's
// other documents are still returned.
func manifestDocuments(path string, data []byte) ([]*document, error) {
	data = lineBreaks(data)
	src := &sourceFile{path: path, data: data, style: hashComments}
	var docs []*document
	var firstErr error
	for _, c := range splitDocuments(data) {
		val, locs, sp, err := parseChunk(c)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		obj, ok := val.(map[string]any)
		if !ok || !isObject(obj) {
			continue
		}
		if items, ok := obj["items"].([]any); ok && strings.HasSuffix(obj["kind"].(string), "List") {
			for i, it := range items {
				item, ok := it.(map[string]any)
				if !ok || !isObject(item) {
					continue
				}
				prefix := "items." + strconv.Itoa(i)
				itemLocs := subLocs(locs, prefix)
				isp := sp
				if s, ok := locs[prefix]; ok {
					isp.start = s.start
				}
				d, err := manifestDocument(src, item, itemLocs, isp, c.data)
				if err != nil {
					return docs, err
				}
				docs = append(docs, d)
			}
			continue
		}
		d, err := manifestDocument(src, obj, locs, sp, c.data)
		if err != nil {
			return docs, err
		}
		docs = append(docs, d)
	}
	return docs, firstErr
}

// lineBreaks turns lone carriage returns, which YAML reads as line breaks,
// into newlines, so that lines count the same everywhere. The length does
// not change; data is copied only when it has one.
func lineBreaks(data []byte) []byte {
	var out []byte
	for i, b := range data {
		if b == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			if out == nil {
				out = bytes.Clone(data)
			}
			out[i] = '\n'
		}
	}
	if out == nil {
		return data
	}
	return out
}

// isObject says whether a YAML mapping is a Kubernetes object.
func isObject(m map[string]any) bool {
	av, ok1 := m["apiVersion"].(string)
	k, ok2 := m["kind"].(string)
	return ok1 && ok2 && av != "" && k != ""
}

// subLocs keeps the locations under prefix, re-keyed relative to it.
func subLocs(locs map[string]span, prefix string) map[string]span {
	out := map[string]span{}
	for k, v := range locs {
		if rest, ok := strings.CutPrefix(k, prefix+"."); ok {
			out[rest] = v
		}
	}
	return out
}

// manifestDocument builds the policy input of one object: the object
// itself, as kubectl would read it.
func manifestDocument(src *sourceFile, obj map[string]any, locs map[string]span, sp span, text []byte) (*document, error) {
	input, err := ast.InterfaceToValue(obj)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", sp.start, err)
	}
	kind := obj["kind"].(string)
	return &document{
		file: src, kind: kind, resource: objectName(kind, obj), span: sp, text: text,
		input: input, locs: locs, skip: annotationSkips(obj),
	}, nil
}

// objectName is Kind/name, or Kind/namespace/name.
func objectName(kind string, obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if name == "" {
		name, _ = meta["generateName"].(string)
	}
	if ns, _ := meta["namespace"].(string); ns != "" {
		return kind + "/" + ns + "/" + name
	}
	return kind + "/" + name
}

// Annotations other tools read to turn checks off for one object.
const (
	kubeLinterIgnore    = "ignore-check.kube-linter.io/"
	kubeLinterIgnoreAll = "kube-linter.io/ignore-all"
	checkovSkipPrefix   = "checkov.io/skip"
	sluiceIgnore        = "sluice.dev/ignore"
)

// annotationSkips reads the checks an object's annotations turn off:
// kube-linter's ignore-check.kube-linter.io/<check> and ignore-all,
// Checkov's checkov.io/skipN: CKV_K8S_n=reason, and sluice.dev/ignore:
// "<rule>,<rule>" (or empty for all).
func annotationSkips(obj map[string]any) map[string]bool {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if len(ann) == 0 {
		return nil
	}
	skip := map[string]bool{}
	for k, v := range ann {
		s, _ := v.(string)
		switch {
		case strings.HasPrefix(k, kubeLinterIgnore):
			skip[strings.TrimPrefix(k, kubeLinterIgnore)] = true
		case k == kubeLinterIgnoreAll:
			skip["*"] = true
		case strings.HasPrefix(k, checkovSkipPrefix):
			id, _, _ := strings.Cut(s, "=")
			if id = strings.TrimSpace(id); id != "" {
				skip[id] = true
			}
		case k == sluiceIgnore:
			if strings.TrimSpace(s) == "" {
				skip["*"] = true
			}
			for _, id := range strings.Split(s, ",") {
				if id = strings.TrimSpace(id); id != "" {
					skip[id] = true
				}
			}
		}
	}
	return skip
}
