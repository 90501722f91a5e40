package edge

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeCountryDB writes a small country database: networks to ISO codes.
func writeCountryDB(t *testing.T, networks map[string]string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Test-Country", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, cc := range networks {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), "country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGeo(t *testing.T) {
	db := writeCountryDB(t, map[string]string{
		"198.51.100.0/24": "DE",
		"203.0.113.0/24":  "FR",
		"2001:db8::/32":   "KP",
	})
	cases := []struct {
		name    string
		geo     GeoConfig
		allowed map[string]bool // client address -> passes
	}{
		{"deny list", GeoConfig{Mode: ModeEnforce, Database: db, List: GeoDeny, Countries: []string{"KP", "FR"}},
			map[string]bool{"198.51.100.7": true, "203.0.113.7": false, "2001:db8::1": false, "192.0.2.1": true}},
		{"deny list, unknown refused", GeoConfig{Mode: ModeEnforce, Database: db, List: GeoDeny, Countries: []string{"FR"}, Unknown: "refuse"},
			map[string]bool{"198.51.100.7": true, "203.0.113.7": false, "192.0.2.1": false}},
		{"allow list", GeoConfig{Mode: ModeEnforce, Database: db, List: GeoAllow, Countries: []string{"DE"}},
			map[string]bool{"198.51.100.7": true, "203.0.113.7": false, "192.0.2.1": false}},
		{"allow list, unknown allowed", GeoConfig{Mode: ModeEnforce, Database: db, List: GeoAllow, Countries: []string{"DE"}, Unknown: "allow"},
			map[string]bool{"198.51.100.7": true, "203.0.113.7": false, "192.0.2.1": true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The loopback peer is a trusted proxy, so X-Forwarded-For
			// names the client.
			srv, app, log := serve(t, Config{TrustedProxies: []string{"127.0.0.0/8", "::1"}, Geo: c.geo}, nil)
			want := 0
			for ip, pass := range c.allowed {
				r := do(t, http.MethodGet, srv.URL+"/books", "", map[string]string{"X-Forwarded-For": ip})
				if pass {
					want++
					if r.status != 200 {
						t.Errorf("%s: status %d, want 200", ip, r.status)
					}
				} else {
					if r.status != http.StatusForbidden {
						t.Errorf("%s: status %d, want 403", ip, r.status)
					} else if f := refusalOf(t, r); f.Layer != LayerGeo {
						t.Errorf("%s: layer %q", ip, f.Layer)
					}
				}
			}
			if app.count() != want {
				t.Fatalf("app saw %d, want %d", app.count(), want)
			}
			for _, b := range log.all() {
				want := map[string]string{"203.0.113.7": "country:FR", "2001:db8::1": "country:KP", "192.0.2.1": "country:unknown"}[b.ClientIP]
				if b.Rule != want || b.Layer != LayerGeo {
					t.Errorf("block for %s: rule %q, want %q", b.ClientIP, b.Rule, want)
				}
			}
		})
	}
}

func TestGeoConfigErrors(t *testing.T) {
	db := writeCountryDB(t, map[string]string{"198.51.100.0/24": "DE"})
	for _, g := range []GeoConfig{
		{Mode: ModeEnforce, Database: db, List: "block", Countries: []string{"DE"}},
		{Mode: ModeEnforce, Database: db, List: GeoDeny, Countries: []string{"de"}},
		{Mode: ModeEnforce, Database: db, List: GeoDeny},
		{Mode: ModeEnforce, Database: db, List: GeoDeny, Countries: []string{"DE"}, Unknown: "maybe"},
		{Mode: ModeEnforce, List: GeoDeny, Countries: []string{"DE"}},
		{Mode: ModeEnforce, Database: filepath.Join(t.TempDir(), "missing.mmdb"), List: GeoDeny, Countries: []string{"DE"}},
	} {
		if _, err := New(Config{Geo: g}, Options{}); err == nil {
			t.Errorf("%+v accepted", g)
		}
	}
}
