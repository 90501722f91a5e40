package gateway

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/delivery/route"
)

func TestWeightedSplit(t *testing.T) {
	s1, s2, c1 := newBackend(t, "s1"), newBackend(t, "s2"), newBackend(t, "c1")
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0",
		rel("stable", route.RoleStable, 90, s1, s2), rel("canary", route.RoleCandidate, 10, c1))); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"
	c := newClient(t)
	const n = 2000
	releases, backends := map[string]int{}, map[string]int{}
	for range n {
		r := get(t, c, url)
		if r.code != http.StatusOK {
			t.Fatalf("status %d: %s", r.code, r.body)
		}
		releases[r.release]++
		backends[r.backend]++
	}
	// 10% of 2000 is 200 with a standard deviation of about 13.4; accept ±5σ.
	if got := releases["canary"]; got < 133 || got > 267 {
		t.Errorf("canary got %d of %d requests, want about 200 (%v)", got, n, releases)
	}
	if releases["stable"]+releases["canary"] != n {
		t.Errorf("releases %v do not add up to %d", releases, n)
	}
	// Round robin inside a release is exact for sequential requests.
	if d := backends["s1"] - backends["s2"]; d < -1 || d > 1 {
		t.Errorf("stable backends uneven: %v", backends)
	}
	if backends["c1"] != releases["canary"] {
		t.Errorf("canary backend served %d, canary release %d", backends["c1"], releases["canary"])
	}
}

func TestHeaderRouting(t *testing.T) {
	s, c1 := newBackend(t, "s"), newBackend(t, "c")
	dir := t.TempDir()
	tab := oneEnv(1, "127.0.0.1:0", rel("stable", route.RoleStable, 100, s), rel("cand", route.RoleCandidate, 0, c1))
	tab.Environments["prod"].Header = "X-Sluice-Version"
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"
	c := newClient(t)
	for _, tc := range []struct{ value, want string }{
		{"", "stable"},
		{"cand", "cand"},
		{"v-cand", "cand"},     // by version
		{"stable", "stable"},   // by id
		{"nonesuch", "stable"}, // unknown: by weight
	} {
		var r result
		if tc.value == "" {
			r = get(t, c, url)
		} else {
			r = get(t, c, url, "X-Sluice-Version", tc.value)
		}
		if r.release != tc.want || r.code != http.StatusOK {
			t.Errorf("header %q: served by %q (%d), want %q", tc.value, r.release, r.code, tc.want)
		}
	}
}

func TestStickyCookie(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	dir := t.TempDir()
	tab := oneEnv(1, "127.0.0.1:0", rel("ra", route.RoleStable, 50, a), rel("rb", route.RoleCandidate, 50, b))
	tab.Environments["prod"].Sticky = true
	if err := route.Save(dir, tab); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	url := "http://" + g.ListenAddr("prod") + "/"

	first := map[string]int{}
	for range 20 { // 20 clients: each stays where its first request went
		jar, _ := cookiejar.New(nil)
		c := newClient(t)
		c.Jar = jar
		r := get(t, c, url)
		if !strings.Contains(r.header.Get("Set-Cookie"), route.StickyCookie+"="+r.release) {
			t.Fatalf("first response sets cookie %q, want it to pin %s", r.header.Get("Set-Cookie"), r.release)
		}
		first[r.release]++
		for range 10 {
			again := get(t, c, url)
			if again.release != r.release {
				t.Fatalf("pinned to %s but served by %s", r.release, again.release)
			}
			if again.header.Get("Set-Cookie") != "" {
				t.Fatalf("cookie set again on a pinned request")
			}
		}
	}
	if first["ra"] == 0 || first["rb"] == 0 {
		t.Errorf("20 new clients all went to one release at 50/50: %v", first)
	}

	// A cookie naming a release without weight is not honoured.
	tab.Generation = 2
	tab.Environments["prod"].Releases[1].Weight = 0
	tab.Environments["prod"].Releases[0].Weight = 100
	apply(t, dir, tab)
	c := newClient(t)
	r := get(t, c, url, "Cookie", route.StickyCookie+"=rb")
	if r.release != "ra" || !strings.Contains(r.header.Get("Set-Cookie"), route.StickyCookie+"=ra") {
		t.Errorf("cookie for weightless release: served by %s, Set-Cookie %q", r.release, r.header.Get("Set-Cookie"))
	}
}

func TestForwardedHeaders(t *testing.T) {
	s := newBackend(t, "s")
	dir := t.TempDir()
	if err := route.Save(dir, oneEnv(1, "127.0.0.1:0", rel("stable", route.RoleStable, 100, s))); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, dir)
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.ListenAddr("prod")+"/x", strings.NewReader("payload"))
	req.Host = "shop.example"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	r, err := do(newClient(t), req)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"X-Seen-Host": "shop.example",
		"X-Seen-XFF":  "203.0.113.7, 127.0.0.1",
		"X-Seen-XFH":  "shop.example",
		"X-Seen-XFP":  "http",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if r.body != "s payload" {
		t.Errorf("body %q, want the request body echoed", r.body)
	}
}
