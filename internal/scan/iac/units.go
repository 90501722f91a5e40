package iac

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sluice-ci/sluice/internal/scan"
)

// terraformKind reads .tf modules and plan JSON files.
type terraformKind struct{}

// notPlanJSON are JSON files that are never plans; they are not read.
var notPlanJSON = map[string]bool{
	"package.json": true, "package-lock.json": true, "composer.json": true, "composer.lock": true,
	"tsconfig.json": true, "Pipfile.lock": true, ".eslintrc.json": true, "renovate.json": true,
}

// inFolder says whether a relative path has a folder of that name.
func inFolder(rel, name string) bool {
	return strings.HasPrefix(rel, name+"/") || strings.Contains(rel, "/"+name+"/")
}

func (terraformKind) units(files []string) []unit {
	byDir := map[string][]string{}
	var dirs []string
	var plans []unit
	for _, f := range files {
		if inFolder(f, ".terraform") {
			continue
		}
		base := path.Base(f)
		switch {
		case isTerraformFile(base):
			d := path.Dir(f)
			if _, ok := byDir[d]; !ok {
				dirs = append(dirs, d)
			}
			byDir[d] = append(byDir[d], f)
		case strings.HasSuffix(base, ".json") && !notPlanJSON[base] && !inFolder(f, "node_modules"):
			plans = append(plans, unit{files: []string{f}})
		}
	}
	slices.Sort(dirs)
	out := make([]unit, 0, len(dirs)+len(plans))
	for _, d := range dirs {
		out = append(out, unit{files: byDir[d]})
	}
	return append(out, plans...)
}

func (k terraformKind) applies(root string, files []string, maxSize int64) (bool, string) {
	units := k.units(files)
	for _, u := range units {
		if len(u.files) > 1 || isTerraformFile(u.files[0]) || strings.HasSuffix(u.files[0], ".tfplan.json") {
			return true, ""
		}
	}
	for _, u := range units {
		data, _, err := readFile(root, u.files[0], maxSize)
		if err == nil && isPlanJSON(u.files[0], data) {
			return true, ""
		}
	}
	return false, "no Terraform files (*.tf) or plan JSON (terraform show -json) found"
}

func (terraformKind) load(root string, u unit, maxSize int64) (docs []*document, files, skipped int, errs []scan.InputError) {
	if len(u.files) == 1 && strings.HasSuffix(u.files[0], ".json") {
		rel := u.files[0]
		data, binary, err := readFile(root, rel, maxSize)
		if err != nil || binary || !isPlanJSON(rel, data) {
			if err != nil && strings.HasSuffix(rel, ".tfplan.json") {
				errs = append(errs, scan.NewInputError(rel, err))
				return nil, 1, 0, errs
			}
			return nil, 0, 1, nil
		}
		blocks, err := planBlocks(rel, data)
		if err != nil {
			return nil, 1, 0, []scan.InputError{{Path: rel, Err: err.Error()}}
		}
		docs, err := moduleDocuments(blocks)
		if err != nil {
			return nil, 1, 0, []scan.InputError{{Path: rel, Err: err.Error()}}
		}
		return docs, 1, 0, nil
	}
	var blocks []*tfBlock
	for _, rel := range u.files {
		files++
		data, binary, err := readFile(root, rel, maxSize)
		switch {
		case err != nil:
			errs = append(errs, scan.NewInputError(rel, err))
			continue
		case binary:
			errs = append(errs, scan.InputError{Path: rel, Err: "binary file, not Terraform"})
			continue
		}
		bs, err := parseHCL(rel, data)
		if err != nil {
			errs = append(errs, scan.InputError{Path: rel, Err: err.Error()})
			continue
		}
		blocks = append(blocks, bs...)
	}
	docs, err := moduleDocuments(blocks)
	if err != nil {
		errs = append(errs, scan.InputError{Path: path.Dir(u.files[0]), Err: err.Error()})
	}
	return docs, files, 0, errs
}

// kubernetesKind reads YAML manifests.
type kubernetesKind struct{}

func (kubernetesKind) units(files []string) []unit {
	var out []unit
	for _, f := range files {
		if isManifestName(path.Base(f)) && !inFolder(f, "node_modules") {
			out = append(out, unit{files: []string{f}})
		}
	}
	return out
}

func (k kubernetesKind) applies(root string, files []string, maxSize int64) (bool, string) {
	units := k.units(files)
	if len(units) == 0 {
		return false, "no YAML files"
	}
	for _, u := range units {
		data, binary, err := readFile(root, u.files[0], maxSize)
		if err != nil {
			return true, "" // Scan reports it
		}
		if !binary && mayBeManifest(data) && !isTemplated(data) {
			if docs, err := manifestDocuments(u.files[0], data); len(docs) > 0 || err != nil {
				return true, ""
			}
		}
	}
	return false, fmt.Sprintf("no Kubernetes objects (apiVersion and kind) in %d YAML files", len(units))
}

func (kubernetesKind) load(root string, u unit, maxSize int64) (docs []*document, files, skipped int, errs []scan.InputError) {
	rel := u.files[0]
	data, binary, err := readFile(root, rel, maxSize)
	switch {
	case err != nil:
		return nil, 1, 0, []scan.InputError{scan.NewInputError(rel, err)}
	case binary || !mayBeManifest(data):
		return nil, 0, 0, nil
	case isTemplated(data):
		return nil, 0, 1, nil
	}
	docs, err = manifestDocuments(rel, data)
	if err != nil {
		errs = append(errs, scan.InputError{Path: rel, Err: err.Error()})
	}
	if len(docs) == 0 && err == nil {
		return nil, 0, 0, nil // YAML, but not Kubernetes
	}
	return docs, 1, 0, errs
}

// readFile reads one file of the target with scan.ReadText.
func readFile(root, rel string, maxSize int64) ([]byte, bool, error) {
	if rel == "" || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return nil, false, errors.New("path outside the scanned folder")
	}
	return scan.ReadText(filepath.Join(root, filepath.FromSlash(rel)), maxSize)
}
