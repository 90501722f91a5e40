package edge

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func attacks() map[string]string {
	return map[string]string{
		"sqli":      "/books?id=" + url.QueryEscape("1' OR '1'='1"),
		"xss":       "/books?q=" + url.QueryEscape("<script>alert(1)</script>"),
		"traversal": "/books?file=" + url.QueryEscape("../../etc/passwd"),
		"cmdi":      "/books?cmd=" + url.QueryEscape(";cat /etc/passwd"),
	}
}

func TestWAFEnforceBlocksAttacks(t *testing.T) {
	srv, app, log := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce}}, nil)
	for name, path := range attacks() {
		t.Run(name, func(t *testing.T) {
			before := app.count()
			r := do(t, http.MethodGet, srv.URL+path, "", nil)
			if r.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; body %s", r.status, r.body)
			}
			if f := refusalOf(t, r); f.Layer != LayerWAF {
				t.Fatalf("layer %q", f.Layer)
			}
			if app.count() != before {
				t.Fatal("the attack reached the application")
			}
		})
	}
	blocks := log.all()
	if len(blocks) != 4 {
		t.Fatalf("%d blocks reported, want 4: %+v", len(blocks), blocks)
	}
	for _, b := range blocks {
		if b.Layer != LayerWAF || !b.Enforced || !b.Alert || b.Mode != ModeEnforce || b.Status != 403 || b.RequestID == "" || b.ClientIP != "127.0.0.1" {
			t.Errorf("block %+v", b)
		}
		if b.Rule == "" || b.Rule == "949110" || len(b.MatchedRules) == 0 {
			t.Errorf("block rule %q, matched %v: want the detection rule", b.Rule, b.MatchedRules)
		}
	}
}

func TestWAFPassesJSONAPI(t *testing.T) {
	srv, app, log := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce}}, nil)
	jsonHdr := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
	cases := []struct{ method, path, body string }{
		{http.MethodGet, "/books", ""},
		{http.MethodGet, "/books/42", ""},
		{http.MethodGet, "/books?author=Suzanne+Collins&page=2&per_page=20", ""},
		{http.MethodPost, "/books", `{"title":"The Hunger Games","authors":"Suzanne Collins","isbn":"439023483","original_publication_year":2008,"average_rating":4.34}`},
		{http.MethodPut, "/books/42", `{"title":"Harry Potter and the Philosopher's Stone","authors":"J.K. Rowling, Mary GrandPré"}`},
		{http.MethodDelete, "/books/42", ""},
	}
	for _, c := range cases {
		r := do(t, c.method, srv.URL+c.path, c.body, jsonHdr)
		if r.status >= 400 {
			t.Errorf("%s %s: status %d %s", c.method, c.path, r.status, r.body)
		}
		if r.header.Get(RequestIDHeader) == "" || r.header.Get("X-Seen-Request-Id") != r.header.Get(RequestIDHeader) {
			t.Errorf("%s %s: request id %q, the app saw %q", c.method, c.path, r.header.Get(RequestIDHeader), r.header.Get("X-Seen-Request-Id"))
		}
	}
	if app.count() != len(cases) {
		t.Fatalf("app saw %d of %d requests", app.count(), len(cases))
	}
	if b := log.all(); len(b) != 0 {
		t.Fatalf("benign traffic reported: %+v", b)
	}
}

func TestWAFBlocksSQLiInJSONBody(t *testing.T) {
	srv, app, _ := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce}}, nil)
	r := do(t, http.MethodPost, srv.URL+"/books", `{"title":"x' UNION SELECT password FROM users--"}`, map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusForbidden || app.count() != 0 {
		t.Fatalf("status %d, app hits %d", r.status, app.count())
	}
}

func TestWAFDetectAndMonitorPassButReport(t *testing.T) {
	for _, mode := range []Mode{ModeDetect, ModeMonitor} {
		t.Run(string(mode), func(t *testing.T) {
			srv, app, log := serve(t, Config{WAF: WAFConfig{Mode: mode}}, nil)
			n := 0
			for name, path := range attacks() {
				r := do(t, http.MethodGet, srv.URL+path, "", nil)
				if r.status != http.StatusOK {
					t.Errorf("%s: status %d, want 200 in %s mode", name, r.status, mode)
				}
				n++
			}
			if app.count() != n {
				t.Fatalf("app saw %d of %d", app.count(), n)
			}
			blocks := log.all()
			if len(blocks) != n {
				t.Fatalf("%d reports, want %d", len(blocks), n)
			}
			for _, b := range blocks {
				if b.Mode != mode || b.Enforced || b.Alert != (mode == ModeMonitor) || b.Status != 403 {
					t.Errorf("block %+v", b)
				}
			}
		})
	}
}

func TestWAFExclusions(t *testing.T) {
	sqli := "/search?id=" + url.QueryEscape("1' OR '1'='1")
	// Find which rules the attack matches, then remove them.
	srv, _, log := serve(t, Config{WAF: WAFConfig{Mode: ModeDetect}}, nil)
	do(t, http.MethodGet, srv.URL+sqli, "", nil)
	b := log.all()
	if len(b) != 1 {
		t.Fatalf("reports %+v", b)
	}
	var ids []string
	for _, id := range b[0].MatchedRules {
		if !isEvaluationRule(id) {
			ids = append(ids, itoa(id))
		}
	}
	if len(ids) == 0 {
		t.Fatal("no detection rule matched")
	}

	t.Run("by id", func(t *testing.T) {
		srv, app, _ := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce, RemoveRules: ids}}, nil)
		if r := do(t, http.MethodGet, srv.URL+sqli, "", nil); r.status != 200 || app.count() != 1 {
			t.Fatalf("status %d with rules %v removed", r.status, ids)
		}
		if r := do(t, http.MethodGet, srv.URL+attacks()["xss"], "", nil); r.status != 403 {
			t.Fatalf("xss status %d: removing SQLi rules must not disable others", r.status)
		}
	})
	t.Run("by path", func(t *testing.T) {
		srv, _, _ := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce, PathExclusions: []PathExclusion{{PathPrefix: "/search", RuleIDs: ids}}}}, nil)
		if r := do(t, http.MethodGet, srv.URL+sqli, "", nil); r.status != 200 {
			t.Fatalf("excluded path: status %d", r.status)
		}
		other := strings.Replace(sqli, "/search", "/books", 1)
		if r := do(t, http.MethodGet, srv.URL+other, "", nil); r.status != 403 {
			t.Fatalf("other path: status %d, want 403", r.status)
		}
	})
	t.Run("by range", func(t *testing.T) {
		srv, _, _ := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce, RemoveRules: []string{"942000-942999"}}}, nil)
		if r := do(t, http.MethodGet, srv.URL+sqli, "", nil); r.status != 200 {
			t.Fatalf("status %d with 942xxx removed (matched %v)", r.status, ids)
		}
	})
}

func TestWAFBodyLimit(t *testing.T) {
	big := `{"title":"` + strings.Repeat("a", 2048) + `"}`
	srv, app, _ := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce, RequestBodyLimit: 1024, RequestBodyOversize: OversizeReject}}, nil)
	if r := do(t, http.MethodPost, srv.URL+"/books", big, map[string]string{"Content-Type": "application/json"}); r.status != http.StatusRequestEntityTooLarge || app.count() != 0 {
		t.Fatalf("reject: status %d, hits %d", r.status, app.count())
	}
	srv2, app2, log := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce, RequestBodyLimit: 1024}}, nil)
	r := do(t, http.MethodPost, srv2.URL+"/books", big, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != http.StatusCreated || r.body != big || app2.count() != 1 {
		t.Fatalf("inspect-prefix: status %d, body intact %v, blocks %+v", r.status, r.body == big, log.all())
	}
}

func TestWAFResponseInspection(t *testing.T) {
	leak := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>Warning: mysql_fetch_array() expects parameter 1 to be resource, boolean given in /var/www/index.php on line 12</html>"))
	})
	for _, c := range []struct {
		inspect bool
		want    int
	}{{false, 200}, {true, 403}} {
		e, err := New(Config{WAF: WAFConfig{Mode: ModeEnforce, InspectResponseBody: c.inspect}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv := newServer(t, e.Wrap(leak))
		r := do(t, http.MethodGet, srv.URL+"/books", "", nil)
		if r.status != c.want {
			t.Errorf("inspect %v: status %d, want %d (%s)", c.inspect, r.status, c.want, r.body)
		}
		if c.want == 403 && strings.Contains(r.body, "mysql") {
			t.Error("the leaking body was sent")
		}
	}
}

func TestWAFConfigErrors(t *testing.T) {
	bad := []WAFConfig{
		{Mode: "block"},
		{Mode: ModeEnforce, ParanoiaLevel: 5},
		{Mode: ModeEnforce, RemoveRules: []string{"942100; SecRuleEngine Off"}},
		{Mode: ModeEnforce, PathExclusions: []PathExclusion{{PathPrefix: `/x" "id:1`, RuleIDs: []string{"1"}}}},
		{Mode: ModeEnforce, PathExclusions: []PathExclusion{{PathPrefix: "/x"}}},
		{Mode: ModeEnforce, RequestBodyOversize: "drop"},
	}
	for _, c := range bad {
		if _, err := New(Config{WAF: c}, Options{}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestWAFOversizeJSONInspectPrefix(t *testing.T) {
	big := `{"title":"` + strings.Repeat("a", 2048) + `"}`
	srv, app, _ := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce, RequestBodyLimit: 1024}}, nil)
	r := do(t, http.MethodPost, srv.URL+"/books", big, map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusCreated || r.body != big || app.count() != 1 {
		t.Fatalf("cut JSON: status %d, body intact %v", r.status, r.body == big)
	}
	// A whole body that does not parse is still refused.
	r = do(t, http.MethodPost, srv.URL+"/books", `{"title":`, map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("malformed JSON: status %d, want 400", r.status)
	}
	// An attack in the inspected prefix is refused.
	r = do(t, http.MethodPost, srv.URL+"/books", `{"q":"<script>alert(1)</script>","pad":"`+strings.Repeat("a", 2048)+`"}`, map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusForbidden {
		t.Fatalf("attack in prefix: status %d, want 403", r.status)
	}
}

// TestWAFConcurrent shares one WAF between concurrent requests (run it
// with -race).
func TestWAFConcurrent(t *testing.T) {
	srv, app, log := serve(t, Config{WAF: WAFConfig{Mode: ModeEnforce}}, nil)
	const n = 40
	errs := make(chan string, n)
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		go func(i int) {
			defer func() { done <- struct{}{} }()
			path, want := "/books?page="+itoa(i), 200
			if i%2 == 1 {
				path, want = attacks()["sqli"], 403
			}
			res, err := http.Get(srv.URL + path)
			if err != nil {
				errs <- err.Error()
				return
			}
			res.Body.Close()
			if res.StatusCode != want {
				errs <- path + ": " + res.Status
			}
		}(i)
	}
	for i := 0; i < n; i++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if app.count() != n/2 || len(log.all()) != n/2 {
		t.Fatalf("app saw %d, %d blocks; want %d each", app.count(), len(log.all()), n/2)
	}
}

func TestWAFResponseInspectionModes(t *testing.T) {
	leakText := "<html>Warning: mysql_fetch_array() expects parameter 1 to be resource, boolean given in /var/www/index.php on line 12</html>"
	pad := strings.Repeat("x", 4096)
	handler := func(body string, flush bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-App", "1")
			_, _ = w.Write([]byte(body[:len(body)/2]))
			if flush {
				http.NewResponseController(w).Flush()
			}
			_, _ = w.Write([]byte(body[len(body)/2:]))
		})
	}
	cases := []struct {
		name      string
		mode      Mode
		body      string
		flush     bool
		status    int
		reported  bool
		delivered bool
	}{
		{"detect passes the leak", ModeDetect, leakText, false, 200, true, true},
		{"enforce holds and refuses", ModeEnforce, leakText, false, 403, true, false},
		{"benign body delivered whole", ModeEnforce, "<html><p>" + strings.Repeat("book ", 50) + "</p></html>", false, 200, false, true},
		{"over the limit streams on", ModeEnforce, leakText + pad, false, 200, true, true},
		{"flushed streams on", ModeEnforce, leakText, true, 200, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := &blockLog{}
			e, err := New(Config{WAF: WAFConfig{Mode: c.mode, InspectResponseBody: true, ResponseBodyLimit: 1024}}, Options{OnBlock: log.add})
			if err != nil {
				t.Fatal(err)
			}
			srv := newServer(t, e.Wrap(handler(c.body, c.flush)))
			r := do(t, http.MethodGet, srv.URL+"/books", "", nil)
			if r.status != c.status {
				t.Fatalf("status %d, want %d", r.status, c.status)
			}
			if got := r.body == c.body; got != c.delivered {
				t.Fatalf("body delivered %v, want %v (%d bytes)", got, c.delivered, len(r.body))
			}
			if c.delivered && r.header.Get("X-App") != "1" {
				t.Fatal("application header lost")
			}
			if !c.delivered && r.header.Get("X-App") != "" {
				t.Fatal("application header leaked into the refusal")
			}
			if got := len(log.all()) > 0; got != c.reported {
				t.Fatalf("reported %v, want %v: %+v", got, c.reported, log.all())
			}
			for _, b := range log.all() {
				if b.Enforced != (c.status == 403) {
					t.Errorf("enforced %v for status %d", b.Enforced, c.status)
				}
			}
		})
	}
}
