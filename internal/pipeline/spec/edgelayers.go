package spec

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-ci/sluice/internal/diag"
)

// edgeOn says whether an edge protection's mode evaluates requests.
func edgeOn(mode string) bool { return mode != "" && mode != "off" }

// rateLimit reads rate_limit: a mapping of the rate limiter's options.
func (d *decoder) rateLimit(v val) *RateLimit {
	es, ok := d.object(v, "rate_limit")
	if !ok {
		return nil
	}
	r := &RateLimit{}
	for _, e := range es {
		switch e.key {
		case "mode":
			r.Mode = d.enum(e.val, "rate limit mode", EdgeModes)
		case "limit":
			r.Limit = d.intHint(e.val, 1, maxCount, limitHint)
		case "window":
			r.Window = d.window(e.val, true)
		case "routes":
			r.Routes = d.rateRoutes(e.val)
		case "ipv6_prefix_length":
			r.IPv6PrefixLength = d.intHint(e.val, 32, 128, "use 32 to 128: 64 (the default) counts one subscriber's /64 as one client")
		case "max_clients":
			r.MaxClients = d.intHint(e.val, 1, maxCount, "the number of client counters kept, e.g. 20000 (the default)")
		}
	}
	d.need(v, es, "rate_limit", "mode", modeHint)
	return r
}

const limitHint = "the number of requests allowed per window and client address, e.g. 100"

func (d *decoder) rateRoutes(v val) []RateRoute {
	items, _ := d.list(v)
	out := make([]RateRoute, 0, len(items))
	seen := map[string]diag.Pos{}
	for _, it := range items {
		es, ok := d.object(it, "rate_route")
		if !ok {
			continue
		}
		var r RateRoute
		for _, e := range es {
			switch e.key {
			case "path_prefix":
				r.PathPrefix = d.routePrefix(e.val, seen)
			case "limit":
				r.Limit = d.intHint(e.val, 1, maxCount, limitHint)
			case "window":
				r.Window = d.window(e.val, true)
			}
		}
		d.need(it, es, "route", "path_prefix", "add path_prefix: /login")
		out = append(out, r)
	}
	return out
}

// window reads the window of a rate limit or of request signatures: a
// duration of at least one second, in whole seconds when whole is set.
func (d *decoder) window(v val, whole bool) Duration {
	n := len(d.diags)
	w := d.duration(v)
	if len(d.diags) > n {
		return 0
	}
	s, _ := scalarText(v.n)
	switch {
	case w.D() < time.Second:
		d.errorf(v.pos, v.path, `write it like "1s", "90s" or "5m"`, "window %q is shorter than 1s", s)
	case whole && w.D()%time.Second != 0:
		d.errorf(v.pos, v.path, `windows are counted in whole seconds: write it like "2s" or "90s"`, "window %q is not a whole number of seconds", s)
	default:
		return w
	}
	return 0
}

// routePrefix reads the path prefix of a route: it starts with / and is
// not listed twice (seen holds the prefixes of the earlier routes).
func (d *decoder) routePrefix(v val, seen map[string]diag.Pos) string {
	s := d.pathPrefix(v)
	if s == "" {
		return ""
	}
	if first, dup := seen[s]; dup {
		d.errorf(v.pos, v.path, fmt.Sprintf("first listed at line %d", first.Line), "path prefix %q is listed twice", s)
		return ""
	}
	seen[s] = v.pos
	return s
}

// pathPrefix reads a URL path prefix such as /api/.
func (d *decoder) pathPrefix(v val) string {
	s := d.str(v)
	if _, ok := scalarText(v.n); !ok {
		return ""
	}
	if !d.checkPrefix(s, v.pos, v.path) {
		return ""
	}
	return s
}

// checkPrefix reports a path prefix that does not start with /.
func (d *decoder) checkPrefix(s string, pos diag.Pos, path string) bool {
	if strings.HasPrefix(s, "/") {
		return true
	}
	d.errorf(pos, path, "write it like /api/", "path prefix %q does not start with /", s)
	return false
}

// geo reads geo: a country allow or deny list.
func (d *decoder) geo(v val) *Geo {
	es, ok := d.object(v, "geo")
	if !ok {
		return nil
	}
	g := &Geo{}
	for _, e := range es {
		switch e.key {
		case "mode":
			g.Mode = d.enum(e.val, "geo mode", EdgeModes)
		case "database":
			g.Database = d.str(e.val)
			if g.Database == "" {
				d.errorf(e.pos, e.path, dbHint, "database is empty")
			}
		case "list":
			g.List = d.enum(e.val, "geo list", GeoLists)
		case "countries":
			if isEmptyList(e.n) {
				d.errorf(e.pos, e.path, "list ISO 3166-1 alpha-2 codes, e.g. [DE, FR]", "countries is empty")
			}
			g.Countries = d.countries(e.val)
		case "unknown":
			g.Unknown = d.enum(e.val, "choice for unknown countries", GeoUnknown)
		}
	}
	d.need(v, es, "geo", "mode", modeHint)
	if edgeOn(g.Mode) {
		d.need(v, es, "geo", "database", dbHint)
		d.need(v, es, "geo", "list", "add list: allow (only the countries pass) or list: deny (the countries are refused)")
		d.need(v, es, "geo", "countries", "add countries: [DE, FR]")
	}
	return g
}

const dbHint = "give the path of a MaxMind-format country database, e.g. GeoLite2-Country.mmdb (relative to sluice.yaml or absolute)"

// countries reads ISO 3166-1 alpha-2 country codes.
func (d *decoder) countries(v val) []string {
	var out []string
	for _, it := range d.strItems(v, true) {
		cc, upper := it.s, strings.ToUpper(it.s)
		switch {
		case isCountry(cc):
			out = append(out, cc)
		case isCountry(upper):
			d.errorf(it.pos, it.path, "write it in upper case: "+upper, "country code %q is not upper case", cc)
		case countryAliases[upper] != "":
			d.errorf(it.pos, it.path, "the ISO 3166-1 code is "+countryAliases[upper], "unknown country code %q", cc)
		default:
			d.errorf(it.pos, it.path, "use an ISO 3166-1 alpha-2 code such as DE, FR or US", "unknown country code %q", cc)
		}
	}
	return out
}

// trustedProxies reads the CIDRs or addresses of the proxies in front of
// the gateway.
func (d *decoder) trustedProxies(v val) []string {
	const hint = "write a CIDR like 10.0.0.0/8 or an address like 192.0.2.1"
	var out []string
	for _, it := range d.strItems(v, true) {
		s := it.s
		if p, err := netip.ParsePrefix(s); err == nil {
			if m := p.Masked(); m != p {
				d.errorf(it.pos, it.path, fmt.Sprintf("write the network %s, or %s/%d for the one address", m, p.Addr(), p.Addr().BitLen()),
					"%s has address bits set after the prefix length", s)
				continue
			}
			out = append(out, s)
			continue
		}
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			d.errorf(it.pos, it.path, hint, "invalid CIDR or address %q", s)
		case a.Zone() != "":
			d.errorf(it.pos, it.path, "remove the zone (%"+a.Zone()+")", "address %q has a zone", s)
		default:
			out = append(out, s)
		}
	}
	return out
}

// openAPI reads openapi: a document's path (enforced), or a mapping.
func (d *decoder) openAPI(v val) *OpenAPI {
	if s, ok := scalarText(v.n); ok && !isNull(v.n) {
		switch {
		case s == "off":
			return &OpenAPI{Mode: "off"}
		case slices.Contains(EdgeModes, s):
			d.errorf(v.pos, v.path, fmt.Sprintf("write openapi: { spec: api/openapi.yaml, mode: %s }", s), "openapi %s names no document", s)
			return nil
		}
		return &OpenAPI{Mode: "enforce", Spec: d.specPath(v)}
	}
	es, ok := d.object(v, "openapi")
	if !ok {
		return nil
	}
	o := &OpenAPI{Mode: "enforce"}
	for _, e := range es {
		switch e.key {
		case "spec":
			o.Spec = d.specPath(e.val)
		case "mode":
			o.Mode = d.enum(e.val, "openapi mode", EdgeModes)
		case "max_body_bytes":
			o.MaxBodyBytes = int64(d.intHint(e.val, 1, maxBodyLimit, "a number of bytes, e.g. 1048576 (1 MiB, the default)"))
		case "path_prefixes":
			for _, it := range d.strItems(e.val, true) {
				if d.checkPrefix(it.s, it.pos, it.path) {
					o.PathPrefixes = append(o.PathPrefixes, it.s)
				}
			}
		}
	}
	if o.Mode != "off" {
		d.need(v, es, "openapi", "spec", "add spec: api/openapi.yaml (relative to sluice.yaml)")
	}
	return o
}

// specPath reads the path of an OpenAPI document: relative to the
// project and inside it, so the file deployed is the one reviewed.
func (d *decoder) specPath(v val) string {
	s := d.str(v)
	if _, ok := scalarText(v.n); !ok {
		return ""
	}
	if s == "" {
		d.errorf(v.pos, v.path, "write the path of the OpenAPI document, e.g. api/openapi.yaml", "the OpenAPI document's path is empty")
		return ""
	}
	if !filepath.IsLocal(filepath.FromSlash(s)) {
		d.errorf(v.pos, v.path, "write a path relative to sluice.yaml, inside the project, e.g. api/openapi.yaml",
			"OpenAPI document %q is outside the project", s)
		return ""
	}
	return s
}
