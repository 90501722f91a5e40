package sbom

import (
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// specVersion is the CycloneDX version written: the newest whose JSON
// schema ships complete with the library (1.7's refers to a schema it
// does not carry, so tools cannot validate it offline).
const specVersion = cdx.SpecVersion1_6

// rootRef is the bom-ref of the subject component.
const rootRef = "sluice:subject"

// Write writes inv as an SBOM in format: "cyclonedx-json" (the default
// when format is "") or "cyclonedx-xml", CycloneDX 1.6. Components keep
// the inventory's order; the subject depends on every component no other
// component depends on, so the dependency graph is complete.
func Write(w io.Writer, inv Inventory, format string) error {
	var ff cdx.BOMFileFormat
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", CycloneDXJSON:
		ff = cdx.BOMFileFormatJSON
	case CycloneDXXML:
		ff = cdx.BOMFileFormatXML
	default:
		return fmt.Errorf("write SBOM: unknown format %q (want %s)", format, strings.Join(Formats(), " or "))
	}
	bom, err := toBOM(inv)
	if err != nil {
		return fmt.Errorf("write SBOM: %w", err)
	}
	enc := cdx.NewBOMEncoder(w, ff)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, specVersion); err != nil {
		return fmt.Errorf("write SBOM: %w", err)
	}
	return nil
}

// toBOM converts an inventory. It fails when two components were given
// the same Ref, or a DependsOn names no component.
func toBOM(inv Inventory) (*cdx.BOM, error) {
	refs, err := assignRefs(inv.Components)
	if err != nil {
		return nil, err
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = newSerial()
	created := inv.Created
	if created.IsZero() {
		created = time.Now()
	}
	toolVersion := inv.ToolVersion
	if toolVersion == "" {
		toolVersion = "dev"
	}
	bom.Metadata = &cdx.Metadata{
		Timestamp: created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "sluice", Version: toolVersion,
		}}},
		Component: subjectComponent(inv.Subject),
	}
	comps := make([]cdx.Component, len(inv.Components))
	hasParent := map[string]bool{}
	var deps []cdx.Dependency
	for i, c := range inv.Components {
		comps[i] = component(c, refs[i])
		if len(c.DependsOn) == 0 {
			continue
		}
		var on []string
		for _, d := range c.DependsOn {
			if !slices.Contains(refs, d) {
				return nil, fmt.Errorf("component %s depends on %q, which is not in the inventory", refs[i], d)
			}
			if d != refs[i] && !slices.Contains(on, d) {
				on = append(on, d)
				hasParent[d] = true
			}
		}
		deps = append(deps, cdx.Dependency{Ref: refs[i], Dependencies: &on})
	}
	var top []string
	for _, r := range refs {
		if !hasParent[r] {
			top = append(top, r)
		}
	}
	deps = append([]cdx.Dependency{{Ref: rootRef, Dependencies: &top}}, deps...)
	bom.Components = &comps
	bom.Dependencies = &deps
	return bom, nil
}

// assignRefs returns each component's bom-ref: its Ref, else its purl,
// else type:name@version, with "#2", "#3" … added to repeated derived
// refs.
func assignRefs(cs []Component) ([]string, error) {
	refs := make([]string, len(cs))
	used := map[string]bool{rootRef: true}
	for i, c := range cs {
		if c.Ref == "" {
			continue
		}
		if used[c.Ref] {
			return nil, fmt.Errorf("two components have the ref %q", c.Ref)
		}
		used[c.Ref] = true
		refs[i] = c.Ref
	}
	for i, c := range cs {
		if refs[i] != "" {
			continue
		}
		base := purlOf(c)
		if base == "" {
			base = string(c.Type) + ":" + c.Name + "@" + c.Version
		}
		ref := base
		for n := 2; used[ref]; n++ {
			ref = fmt.Sprintf("%s#%d", base, n)
		}
		used[ref] = true
		refs[i] = ref
	}
	return refs, nil
}

// purlOf is the component's purl, derived when not given; "" for an
// operating system, which has none.
func purlOf(c Component) string {
	if c.PURL != "" || c.Type == OperatingSystem {
		return c.PURL
	}
	return PURLFor(c.Ecosystem, c.Name, c.Version)
}

func subjectComponent(s Subject) *cdx.Component {
	c := &cdx.Component{BOMRef: rootRef, Type: cdx.ComponentTypeApplication, Name: s.Name}
	if s.Kind == SubjectImage {
		c.Type = cdx.ComponentTypeContainer
		c.Version = s.Digest
		if s.Digest != "" {
			alg, hex, ok := strings.Cut(s.Digest, ":")
			if ok && alg == "sha256" {
				c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex}}
			}
		}
	}
	if c.Name == "" {
		c.Name = string(s.Kind)
	}
	return c
}

func component(c Component, ref string) cdx.Component {
	out := cdx.Component{
		BOMRef:     ref,
		Type:       cdx.ComponentType(c.Type),
		Name:       c.Name,
		Version:    c.Version,
		PackageURL: purlOf(c),
	}
	if out.Type == "" {
		out.Type = cdx.ComponentTypeLibrary
	}
	if isUnversioned(out.Version) {
		out.Version = ""
	}
	if ls := licenses(c.Licenses); len(ls) > 0 {
		out.Licenses = &ls
	}
	if len(c.Hashes) > 0 {
		hs := make([]cdx.Hash, len(c.Hashes))
		for i, h := range c.Hashes {
			hs[i] = cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Algorithm), Value: strings.ToLower(h.Value)}
		}
		out.Hashes = &hs
	}
	if c.Path != "" {
		out.Evidence = &cdx.Evidence{Occurrences: &[]cdx.EvidenceOccurrence{{Location: c.Path}}}
	}
	var props []cdx.Property
	if c.Ecosystem != "" {
		props = append(props, cdx.Property{Name: propertyPrefix + "ecosystem", Value: c.Ecosystem})
	}
	if c.Layer != "" {
		props = append(props, cdx.Property{Name: propertyPrefix + "layer", Value: c.Layer})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Properties)) {
		if v := c.Properties[k]; v != "" {
			props = append(props, cdx.Property{Name: propertyPrefix + k, Value: v})
		}
	}
	if len(props) > 0 {
		out.Properties = &props
	}
	return out
}

// newSerial returns a random (version 4) UUID URN, as CycloneDX's
// serialNumber wants.
func newSerial() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
