package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sluice-ci/sluice/internal/sbom"
)

func TestInventory(t *testing.T) {
	img, layers := debianImage(t)
	archive := filepath.Join(t.TempDir(), "app.tar")
	tag, _ := name.NewTag("acme/app:1.0")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	inv, err := Inventory(context.Background(), Options{Archive: archive})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if inv.Subject != (sbom.Subject{Kind: sbom.SubjectImage, Name: "acme/app:1.0", Digest: d.String()}) {
		t.Errorf("subject = %+v", inv.Subject)
	}
	byName := map[string]sbom.Component{}
	for _, c := range inv.Components {
		if _, dup := byName[c.Name]; dup {
			t.Errorf("component %s listed twice", c.Name)
		}
		byName[c.Name] = c
	}
	for _, gone := range []string{"foo", "removedpkg", "gone"} {
		if _, ok := byName[gone]; ok {
			t.Errorf("%s is in the inventory but not in the image's final file system", gone)
		}
	}
	if os := byName["debian"]; os.Type != sbom.OperatingSystem || os.Version != "12" {
		t.Errorf("OS component = %+v", os)
	}
	ssl := byName["libssl3"]
	if ssl.PURL != "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl" ||
		ssl.Layer != layers[1] || ssl.Path != "/var/lib/dpkg/status" || ssl.Properties["source_package"] != "openssl" {
		t.Errorf("libssl3 = %+v", ssl)
	}
	if z := byName["zlib1g"]; z.PURL != "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12&epoch=1&upstream=zlib" {
		t.Errorf("zlib1g purl = %s", z.PURL)
	}
	if got := byName["curl"].DependsOn; !slices.Equal(got, []string{byName["libc6"].Ref, ssl.Ref}) {
		t.Errorf("curl depends on %v", got)
	}
	app := byName["example.com/planted"]
	if app.Type != sbom.Application || app.Path != "/usr/local/bin/app" || app.Layer != layers[2] ||
		len(app.Hashes) != 1 || len(app.Hashes[0].Value) != 64 ||
		!slices.Contains(app.DependsOn, byName["stdlib"].Ref) || !slices.Contains(app.DependsOn, byName["github.com/google/go-cmp"].Ref) {
		t.Errorf("Go program = %+v", app)
	}
	if c := byName["github.com/google/go-cmp"]; c.PURL != "pkg:golang/github.com/google/go-cmp@v0.7.0" || c.Version != "v0.7.0" {
		t.Errorf("go-cmp = %+v", c)
	}
	if l := byName["lodash"]; !slices.Equal(l.Licenses, []string{"MIT"}) || l.PURL != "pkg:npm/lodash@4.17.20" {
		t.Errorf("lodash = %+v", l)
	}
	if s := byName["@scope/ok"]; s.PURL != "pkg:npm/%40scope/ok@1.0.0" {
		t.Errorf("@scope/ok = %+v", s)
	}
	if b := byName["bar"]; b.PURL != "pkg:pypi/bar@2.0" || !slices.Equal(b.Licenses, []string{"MIT"}) {
		t.Errorf("bar = %+v", b)
	}

	var buf bytes.Buffer
	if err := sbom.Write(&buf, inv, sbom.CycloneDXJSON); err != nil {
		t.Fatal(err)
	}
	validateCycloneDX(t, buf.Bytes())
	if !strings.Contains(buf.String(), `"version": "`+d.String()+`"`) {
		t.Error("SBOM does not carry the image digest")
	}
}

func TestInventoryRpmDependencies(t *testing.T) {
	l := layerOf(t,
		reg("etc/os-release", "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n"),
		entry{name: "var/lib/rpm/rpmdb.sqlite", body: gunzip(t, filepath.Join("testdata", "rpm", "rpmdb.sqlite.gz")), mode: 0o644, typ: '0'})
	archive := filepath.Join(t.TempDir(), "rocky.tar")
	if err := tarball.WriteToFile(archive, nil, imageOf(t, l)); err != nil {
		t.Fatal(err)
	}
	inv, err := Inventory(context.Background(), Options{Archive: archive})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]sbom.Component{}
	for _, c := range inv.Components {
		byName[c.Name] = c
	}
	ssl, bash := byName["openssl"], byName["bash"]
	if ssl.PURL != "pkg:rpm/rocky/openssl@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=1" ||
		!slices.Equal(ssl.Licenses, []string{"Apache-2.0"}) || !slices.Equal(ssl.DependsOn, []string{bash.Ref}) {
		t.Errorf("openssl = %+v", ssl)
	}
	if libs := byName["openssl-libs"]; libs.Properties["source_package"] != "openssl" || libs.Version != "1:3.0.7-24.el9" {
		t.Errorf("openssl-libs = %+v", libs)
	}
	if bash.Version != "5.1.8-6.el9" || !slices.Equal(bash.Licenses, []string{"GPL-3.0-or-later"}) {
		t.Errorf("bash = %+v", bash)
	}
	var buf bytes.Buffer
	if err := sbom.Write(&buf, inv, ""); err != nil {
		t.Fatal(err)
	}
	validateCycloneDX(t, buf.Bytes())
}

func TestInventoryNeedsImage(t *testing.T) {
	if _, err := Inventory(context.Background(), Options{}); err == nil || err.Error() != ReasonNoImage {
		t.Errorf("no image: %v", err)
	}
}

// validateCycloneDX checks an SBOM against the CycloneDX 1.6 schema kept
// with the sbom package's tests.
func validateCycloneDX(t *testing.T, data []byte) {
	t.Helper()
	dir := filepath.Join("..", "..", "sbom", "testdata", "schema")
	c := jsonschema.NewCompiler()
	for _, n := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+n, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("SBOM does not validate: %v", err)
	}
}
