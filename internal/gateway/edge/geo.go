package edge

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Geo list kinds.
const (
	// GeoAllow admits only the listed countries.
	GeoAllow = "allow"
	// GeoDeny refuses the listed countries.
	GeoDeny = "deny"
)

// GeoConfig refuses requests by the client's country, looked up in a
// MaxMind-format database (GeoLite2-Country, GeoIP2-Country or City, or
// any database with country.iso_code or registered_country.iso_code).
type GeoConfig struct {
	// Mode: off (default), detect, monitor or enforce.
	Mode Mode `json:"mode,omitempty"`
	// Database is the path of the .mmdb file; required when Mode is on.
	Database string `json:"database,omitempty"`
	// List is "allow" (only Countries pass) or "deny" (Countries are
	// refused).
	List string `json:"list,omitempty"`
	// Countries are ISO 3166-1 alpha-2 codes, e.g. ["DE", "FR"].
	Countries []string `json:"countries,omitempty"`
	// Unknown decides addresses the database has no country for
	// (private addresses, gaps): "allow" or "refuse". Default: allow
	// with a deny list, refuse with an allow list.
	Unknown string `json:"unknown,omitempty"`
}

type geoFilter struct {
	mode         Mode
	db           *maxminddb.Reader
	closeOnce    sync.Once
	allowList    bool
	countries    map[string]bool
	allowUnknown bool
}

// geoRecord is the part of a country or city record read.
type geoRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

func newGeoFilter(c GeoConfig) (*geoFilter, error) {
	if err := c.Mode.validate(); err != nil {
		return nil, err
	}
	if !c.Mode.on() {
		return nil, nil
	}
	g := &geoFilter{mode: c.Mode, countries: map[string]bool{}}
	switch c.List {
	case GeoAllow:
		g.allowList = true
	case GeoDeny:
	default:
		return nil, fmt.Errorf("list %q: use allow or deny", c.List)
	}
	for _, cc := range c.Countries {
		if len(cc) != 2 || strings.ToUpper(cc) != cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			return nil, fmt.Errorf("country %q: use an upper-case ISO 3166-1 alpha-2 code such as DE", cc)
		}
		g.countries[cc] = true
	}
	if len(g.countries) == 0 {
		return nil, fmt.Errorf("countries: list at least one country for the %s list", c.List)
	}
	switch c.Unknown {
	case "":
		g.allowUnknown = !g.allowList
	case "allow":
		g.allowUnknown = true
	case "refuse":
	default:
		return nil, fmt.Errorf("unknown %q: use allow or refuse", c.Unknown)
	}
	if c.Database == "" {
		return nil, fmt.Errorf("database: give the path of a MaxMind-format .mmdb country database")
	}
	db, err := maxminddb.Open(c.Database)
	if err != nil {
		return nil, fmt.Errorf("open country database %s: %w", c.Database, err)
	}
	g.db = db
	return g, nil
}

func (g *geoFilter) close() {
	g.closeOnce.Do(func() {
		if g.db != nil {
			_ = g.db.Close()
		}
	})
}

// country returns the ISO code of a, or "" when unknown.
func (g *geoFilter) country(a netip.Addr) (string, error) {
	if !a.IsValid() {
		return "", nil
	}
	var rec geoRecord
	res := g.db.Lookup(a)
	if !res.Found() {
		return "", res.Err()
	}
	if err := res.Decode(&rec); err != nil {
		return "", err
	}
	if rec.Country.ISOCode != "" {
		return rec.Country.ISOCode, nil
	}
	return rec.RegisteredCountry.ISOCode, nil
}

// checkGeo applies the country list; false when the request was refused.
func (e *Edge) checkGeo(w http.ResponseWriter, r *http.Request, rc *requestContext) bool {
	g := e.geo
	cc, err := g.country(rc.clientIP)
	if err != nil {
		e.log.Warn("edge: country lookup failed; treating the address as unknown", "client", rc.clientIP, "err", err)
		cc = ""
	}
	var pass bool
	rule := "country:" + cc
	if cc == "" {
		pass, rule = g.allowUnknown, "country:unknown"
	} else {
		pass = g.countries[cc] == g.allowList
	}
	if pass {
		return true
	}
	msg := "requests from this country are not accepted"
	if cc == "" {
		msg = "requests from addresses of unknown country are not accepted"
	}
	e.report(r, rc, Block{Layer: LayerGeo, Rule: rule, Status: http.StatusForbidden, Mode: g.mode, Enforced: g.mode == ModeEnforce, Message: msg})
	if g.mode != ModeEnforce {
		return true
	}
	refuse(w, http.StatusForbidden, LayerGeo, rc.id, msg, 0)
	return false
}
