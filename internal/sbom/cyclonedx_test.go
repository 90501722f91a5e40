package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sample is an inventory with every kind of component the scanners make.
func sample() Inventory {
	return Inventory{
		Subject:     Subject{Kind: SubjectImage, Name: "registry.test/acme/app:1.4", Digest: "sha256:" + strings.Repeat("ab", 32)},
		Created:     time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC),
		ToolVersion: "v0.3.0",
		Components: []Component{
			{Ref: "os", Type: OperatingSystem, Name: "debian", Version: "12"},
			{Ref: "libssl3", Name: "libssl3", Version: "3.0.11-1~deb12u1", Ecosystem: "Debian:12",
				Path: "/var/lib/dpkg/status", Layer: "sha256:" + strings.Repeat("01", 32),
				Properties: map[string]string{"source_package": "openssl"}, DependsOn: []string{"libc6"}},
			{Ref: "libc6", Name: "libc6", Version: "2.36-9+deb12u3", Ecosystem: "Debian:12", Licenses: []string{"LGPL-2.1", "GPL-2.0"}},
			{Name: "@babel/core", Version: "7.24.0", Ecosystem: "npm", Licenses: []string{"mit"}},
			{Name: "@babel/core", Version: "7.24.0", Ecosystem: "npm", Path: "/app/other/node_modules/@babel/core/package.json"},
			{Name: "requests", Version: "2.31.0", Ecosystem: "PyPI", Licenses: []string{"Apache 2.0 with odd spelling"}},
			{Name: "dual", Version: "1.0.0", Ecosystem: "npm", Licenses: []string{"(MIT OR Apache-2.0)"}},
			{Ref: "app", Type: Application, Name: "example.com/app", Version: "(devel)", Ecosystem: "Go",
				Hashes:    []Hash{{Algorithm: SHA256, Value: strings.Repeat("CD", 32)}},
				DependsOn: []string{"gocmp", "stdlib"}},
			{Ref: "gocmp", Name: "github.com/google/go-cmp", Version: "v0.7.0", Ecosystem: "Go"},
			{Ref: "stdlib", Name: "stdlib", Version: "1.22.1", Ecosystem: "Go"},
		},
	}
}

func TestWriteValidatesAgainstSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), CycloneDXJSON); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(doc); err != nil {
		t.Fatalf("SBOM does not validate against CycloneDX 1.6:\n%v\n%s", err, buf.String())
	}
}

func TestSchemaRejectsBrokenSBOM(t *testing.T) {
	// The validation above must be able to fail: an unknown component
	// type and a license id outside the SPDX list are refused.
	var buf bytes.Buffer
	if err := Write(&buf, sample(), ""); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	comps := m["components"].([]any)
	comps[0].(map[string]any)["type"] = "gadget"
	broken, _ := json.Marshal(m)
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(broken))
	if err := compileSchema(t).Validate(doc); err == nil {
		t.Fatal("schema accepted a component of type gadget")
	}
}

func TestWriteRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), CycloneDXJSON); err != nil {
		t.Fatal(err)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(buf.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
		t.Errorf("spec %v serial %q", bom.SpecVersion, bom.SerialNumber)
	}
	md := bom.Metadata
	if md.Timestamp != "2026-11-02T10:00:00Z" || md.Component.Type != cdx.ComponentTypeContainer ||
		md.Component.Name != "registry.test/acme/app:1.4" || md.Component.Version != "sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("metadata = %+v, component %+v", md, md.Component)
	}
	if tools := *md.Tools.Components; len(tools) != 1 || tools[0].Name != "sluice" || tools[0].Version != "v0.3.0" {
		t.Errorf("tools = %+v", tools)
	}
	byRef := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		byRef[c.BOMRef] = c
	}
	if len(byRef) != 10 {
		t.Fatalf("%d distinct refs, want 10: %v", len(byRef), byRef)
	}
	ssl := byRef["libssl3"]
	if ssl.PackageURL != "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12" ||
		(*ssl.Evidence.Occurrences)[0].Location != "/var/lib/dpkg/status" {
		t.Errorf("libssl3 = %+v", ssl)
	}
	props := map[string]string{}
	for _, p := range *ssl.Properties {
		props[p.Name] = p.Value
	}
	if props["sluice:source_package"] != "openssl" || props["sluice:layer"] != "sha256:"+strings.Repeat("01", 32) {
		t.Errorf("libssl3 properties = %v", props)
	}
	if _, ok := byRef["pkg:npm/%40babel/core@7.24.0#2"]; !ok {
		t.Errorf("second @babel/core has no distinct ref: %v", byRef)
	}
	app := byRef["app"]
	if app.Type != cdx.ComponentTypeApplication || app.Version != "" || (*app.Hashes)[0].Value != strings.Repeat("cd", 32) {
		t.Errorf("app = %+v", app)
	}
	if l := *byRef["libc6"].Licenses; len(l) != 2 || l[0].License.ID != "LGPL-2.1" || l[1].License.ID != "GPL-2.0" {
		t.Errorf("libc6 licenses = %+v", l)
	}
	if l := *byRef["pkg:npm/dual@1.0.0"].Licenses; len(l) != 1 || l[0].Expression != "(MIT OR Apache-2.0)" {
		t.Errorf("dual licenses = %+v", l)
	}
	if l := *byRef["pkg:pypi/requests@2.31.0"].Licenses; l[0].License.Name != "Apache 2.0 with odd spelling" {
		t.Errorf("requests licenses = %+v", l)
	}
	deps := map[string][]string{}
	for _, d := range *bom.Dependencies {
		deps[d.Ref] = *d.Dependencies
	}
	if got := strings.Join(deps["app"], ","); got != "gocmp,stdlib" {
		t.Errorf("app depends on %s", got)
	}
	root := strings.Join(deps[rootRef], ",")
	if strings.Contains(root, "gocmp") || strings.Contains(root, "libc6") || !strings.Contains(root, "app") || !strings.Contains(root, "os") {
		t.Errorf("subject depends on %s, want the components nothing else depends on", root)
	}
}

func TestWriteXML(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), CycloneDXXML); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `xmlns="http://cyclonedx.org/schema/bom/1.6"`) || !strings.Contains(buf.String(), "<name>libssl3</name>") {
		t.Errorf("XML output:\n%s", buf.String())
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), "spdx-json"); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("unknown format: %v", err)
	}
	inv := sample()
	inv.Components[2].Ref = "libssl3"
	if err := Write(&buf, inv, ""); err == nil || !strings.Contains(err.Error(), "same ref") && !strings.Contains(err.Error(), "the ref") {
		t.Errorf("duplicate ref: %v", err)
	}
	inv = sample()
	inv.Components[1].DependsOn = []string{"missing"}
	if err := Write(&buf, inv, ""); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("dangling dependency: %v", err)
	}
}

func TestWriteMinimalPathSubject(t *testing.T) {
	var buf bytes.Buffer
	inv := Inventory{Subject: Subject{Kind: SubjectPath, Name: "."}, Components: []Component{{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "package-lock.json"}}}
	if err := Write(&buf, inv, ""); err != nil {
		t.Fatal(err)
	}
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err := compileSchema(t).Validate(doc); err != nil {
		t.Fatalf("path SBOM invalid: %v", err)
	}
	if !strings.Contains(buf.String(), `"type": "application"`) {
		t.Errorf("path subject not an application:\n%s", buf.String())
	}
}

// compileSchema compiles the CycloneDX 1.6 schema from testdata with the
// schemas it refers to.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, name := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		f, err := os.Open(filepath.Join("testdata", "schema", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPathInventory(t *testing.T) {
	inv := PathInventory("services/api", []Package{
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "web/package-lock.json"},
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "web/package-lock.json"},
		{Name: "lodash", Version: "4.17.20", Ecosystem: "npm", Path: "admin/yarn.lock"},
		{Name: "golang.org/x/net", Version: "v0.1.0", Ecosystem: "Go", Path: "go.mod"},
		{Name: "", Version: "1", Ecosystem: "npm", Path: "x"},
	})
	if inv.Subject != (Subject{Kind: SubjectPath, Name: "services/api"}) || len(inv.Components) != 3 {
		t.Fatalf("inventory = %+v", inv)
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv, ""); err != nil {
		t.Fatal(err)
	}
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err := compileSchema(t).Validate(doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"bom-ref": "pkg:npm/lodash@4.17.20#2"`, `"location": "admin/yarn.lock"`, `"purl": "pkg:golang/golang.org/x/net@v0.1.0"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("SBOM lacks %s", want)
		}
	}
}
