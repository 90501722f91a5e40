package edge

// The CRS regression suite (go-ftw YAML files, one per rule) run through
// Wrap in enforce mode. It needs the suite's files: set SLUICE_CRS_TESTS
// to the directory that holds the REQUEST-* and RESPONSE-* folders. The
// test fails when the overall pass rate drops below SLUICE_CRS_MIN_PASS
// percent (default 90); SLUICE_CRS_REPORT names a file for the per-file
// results (tab-separated).

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"go.yaml.in/yaml/v3"
)

type ftwFile struct {
	RuleID int       `yaml:"rule_id"`
	Tests  []ftwTest `yaml:"tests"`
}

type ftwTest struct {
	TestID int        `yaml:"test_id"`
	Stages []ftwStage `yaml:"stages"`
}

type ftwStage struct {
	Input  ftwInput  `yaml:"input"`
	Output ftwOutput `yaml:"output"`
}

type ftwInput struct {
	Method              *string           `yaml:"method"`
	URI                 *string           `yaml:"uri"`
	Version             *string           `yaml:"version"`
	Headers             map[string]string `yaml:"headers"`
	Data                string            `yaml:"data"`
	EncodedRequest      string            `yaml:"encoded_request"`
	AutocompleteHeaders *bool             `yaml:"autocomplete_headers"`
}

type ftwOutput struct {
	Status      int  `yaml:"status"`
	ExpectError bool `yaml:"expect_error"`
	Log         struct {
		ExpectIDs    []int  `yaml:"expect_ids"`
		NoExpectIDs  []int  `yaml:"no_expect_ids"`
		MatchRegex   string `yaml:"match_regex"`
		NoMatchRegex string `yaml:"no_match_regex"`
	} `yaml:"log"`
}

// rawRequest builds the bytes go-ftw would send for in.
func (in ftwInput) rawRequest() ([]byte, error) {
	if in.EncodedRequest != "" {
		return base64.StdEncoding.DecodeString(strings.ReplaceAll(in.EncodedRequest, "\n", ""))
	}
	str := func(p *string, def string) string {
		if p == nil {
			return def
		}
		return *p
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", str(in.Method, "GET"), str(in.URI, "/"), str(in.Version, "HTTP/1.1"))
	names := make([]string, 0, len(in.Headers))
	for k := range in.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	has := map[string]bool{}
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\r\n", k, in.Headers[k])
		has[strings.ToLower(k)] = true
	}
	if in.AutocompleteHeaders == nil || *in.AutocompleteHeaders {
		if in.Data != "" && !has["content-length"] {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(in.Data))
		}
		if !has["connection"] {
			b.WriteString("Connection: close\r\n")
		}
	}
	b.WriteString("\r\n")
	b.WriteString(in.Data)
	return []byte(b.String()), nil
}

// reflectBackend answers like go-ftw's reflecting backend: a JSON body
// {"status","headers","body","encodedBody"} posted to /reflect becomes
// the response; anything else gets a small text page.
func reflectBackend(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/reflect" {
		var spec struct {
			Status      int               `json:"status"`
			Headers     map[string]string `json:"headers"`
			Body        string            `json:"body"`
			EncodedBody string            `json:"encodedBody"`
		}
		if err := json.NewDecoder(r.Body).Decode(&spec); err == nil {
			for k, v := range spec.Headers {
				w.Header().Set(k, v)
			}
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "text/plain")
			}
			if spec.Status == 0 {
				spec.Status = 200
			}
			body := []byte(spec.Body)
			if spec.EncodedBody != "" {
				if b, err := base64.StdEncoding.DecodeString(spec.EncodedBody); err == nil {
					body = b
				}
			}
			w.WriteHeader(spec.Status)
			_, _ = w.Write(body)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ok\n"))
}

// ruleParanoia maps CRS rule ids to their paranoia level, read from the
// embedded rule files' paranoia-level tags.
func ruleParanoia(t *testing.T) map[int]int {
	levels := map[int]int{}
	idRe := regexp.MustCompile(`id:(\d+)`)
	plRe := regexp.MustCompile(`paranoia-level/(\d)`)
	err := fs.WalkDir(coreruleset.FS, "@owasp_crs", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".conf") {
			return err
		}
		b, err := fs.ReadFile(coreruleset.FS, path)
		if err != nil {
			return err
		}
		for _, chunk := range strings.Split(string(b), "\nSecRule ") {
			id := idRe.FindStringSubmatch(chunk)
			pl := plRe.FindStringSubmatch(chunk)
			if id != nil && pl != nil {
				n, _ := strconv.Atoi(id[1])
				l, _ := strconv.Atoi(pl[1])
				levels[n] = l
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the embedded CRS: %v", err)
	}
	return levels
}

// crsHarness is one Edge at one paranoia level on a loopback server.
type crsHarness struct {
	addr string

	mu      sync.Mutex
	matched map[string][]matchedRule // by request id
	arrived chan struct{}            // signalled after each transaction
}

// wait returns the matched rules of request id once its transaction is
// closed.
func (h *crsHarness) wait(id string) ([]matchedRule, bool) {
	deadline := time.After(5 * time.Second)
	for {
		h.mu.Lock()
		m, ok := h.matched[id]
		delete(h.matched, id)
		h.mu.Unlock()
		if ok {
			return m, true
		}
		select {
		case <-h.arrived:
		case <-deadline:
			return nil, false
		}
	}
}

func newCRSHarness(t *testing.T, pl int) *crsHarness {
	e, err := New(Config{WAF: WAFConfig{
		Mode: ModeEnforce, ParanoiaLevel: pl, InspectResponseBody: true,
		// The CRS's own default, which its tests assume.
		AllowedMethods: []string{"GET", "HEAD", "POST", "OPTIONS"},
	}}, Options{})
	if err != nil {
		t.Fatalf("paranoia level %d: %v", pl, err)
	}
	h := &crsHarness{matched: map[string][]matchedRule{}, arrived: make(chan struct{}, 1)}
	e.txHook = func(id string, m []matchedRule) {
		h.mu.Lock()
		h.matched[id] = m
		h.mu.Unlock()
		select {
		case h.arrived <- struct{}{}:
		default:
		}
	}
	srv := httptest.NewServer(e.Wrap(http.HandlerFunc(reflectBackend)))
	t.Cleanup(func() { srv.Close(); e.Close() })
	h.addr = srv.Listener.Addr().String()
	return h
}

// crsOutcome is the result of one test.
type crsOutcome int

const (
	crsPass crsOutcome = iota
	crsFail
	crsRefusedByServer // net/http refused the request before Wrap saw it
)

// run sends one stage and checks its expectations.
func (h *crsHarness) run(st ftwStage) (crsOutcome, string) {
	raw, err := st.Input.rawRequest()
	if err != nil {
		return crsFail, "bad encoded_request: " + err.Error()
	}
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		return crsFail, err.Error()
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		return crsFail, err.Error()
	}
	method := "GET"
	if st.Input.Method != nil {
		method = *st.Input.Method
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	reached := err == nil && res.Header.Get(RequestIDHeader) != ""
	if err == nil {
		res.Body.Close()
	}
	var matched []matchedRule
	if reached {
		var ok bool
		if matched, ok = h.wait(res.Header.Get(RequestIDHeader)); !ok {
			return crsFail, "no WAF transaction reported"
		}
	}
	out := st.Output
	if out.ExpectError && !reached {
		return crsPass, ""
	}
	if !reached {
		status := 0
		if err == nil {
			status = res.StatusCode
		}
		if len(out.Log.ExpectIDs) == 0 && out.Log.MatchRegex == "" && (out.Status == 0 || out.Status == status) {
			return crsPass, "" // nothing had to match, and nothing reached the app
		}
		return crsRefusedByServer, fmt.Sprintf("net/http answered %d (%v) before the WAF", status, err)
	}
	ids := map[int]bool{}
	var logs []string
	for _, m := range matched {
		ids[m.ID] = true
		logs = append(logs, m.ErrorLog)
	}
	var problems []string
	for _, id := range out.Log.ExpectIDs {
		if !ids[id] {
			problems = append(problems, fmt.Sprintf("expected %d", id))
		}
	}
	for _, id := range out.Log.NoExpectIDs {
		if ids[id] {
			problems = append(problems, fmt.Sprintf("unexpected %d", id))
		}
	}
	all := strings.Join(logs, "\n")
	if out.Log.MatchRegex != "" {
		if re, err := regexp.Compile(out.Log.MatchRegex); err != nil || !re.MatchString(all) {
			problems = append(problems, "log does not match "+out.Log.MatchRegex)
		}
	}
	if out.Log.NoMatchRegex != "" {
		if re, err := regexp.Compile(out.Log.NoMatchRegex); err != nil || re.MatchString(all) {
			problems = append(problems, "log matches "+out.Log.NoMatchRegex)
		}
	}
	if out.Status != 0 && res.StatusCode != out.Status {
		problems = append(problems, fmt.Sprintf("status %d, want %d", res.StatusCode, out.Status))
	}
	if len(problems) > 0 {
		var got []int
		for id := range ids {
			got = append(got, id)
		}
		sort.Ints(got)
		return crsFail, strings.Join(problems, "; ") + fmt.Sprintf(" (matched %v)", got)
	}
	return crsPass, ""
}

func TestCRSRegressionSuite(t *testing.T) {
	dir := os.Getenv("SLUICE_CRS_TESTS")
	if dir == "" {
		t.Skip("SLUICE_CRS_TESTS is not set: point it at the CRS regression tests (the folder holding REQUEST-*/ and RESPONSE-*/) to run the suite")
	}
	minPass := 90.0
	if s := os.Getenv("SLUICE_CRS_MIN_PASS"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("SLUICE_CRS_MIN_PASS %q: give a percentage such as 90", s)
		}
		minPass = v
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no go-ftw YAML files under %s/*/ (err %v)", dir, err)
	}
	sort.Strings(files)
	levels := ruleParanoia(t)
	harness := map[int]*crsHarness{}
	start := time.Now()

	type tally struct{ pass, fail, refused int }
	var total tally
	perDir := map[string]*tally{}
	var report strings.Builder
	report.WriteString("file\tparanoia\tpassed\ttotal\tfailures\n")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ff ftwFile
		if err := yaml.Unmarshal(b, &ff); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		pl := levels[ff.RuleID]
		if pl == 0 {
			pl = 1
		}
		h := harness[pl]
		if h == nil {
			h = newCRSHarness(t, pl)
			harness[pl] = h
		}
		group := filepath.Base(filepath.Dir(f))
		if perDir[group] == nil {
			perDir[group] = &tally{}
		}
		var ft tally
		var failures []string
		for _, tc := range ff.Tests {
			outcome := crsPass
			why := ""
			for _, st := range tc.Stages {
				if outcome, why = h.run(st); outcome != crsPass {
					break
				}
			}
			switch outcome {
			case crsPass:
				ft.pass++
			case crsFail:
				ft.fail++
				failures = append(failures, fmt.Sprintf("%d-%d: %s", ff.RuleID, tc.TestID, why))
			case crsRefusedByServer:
				ft.refused++
				failures = append(failures, fmt.Sprintf("%d-%d: %s", ff.RuleID, tc.TestID, why))
			}
		}
		n := ft.pass + ft.fail + ft.refused
		t.Logf("%s/%s PL%d: %d/%d", group, filepath.Base(f), pl, ft.pass, n)
		for _, fl := range failures {
			t.Logf("    %s", fl)
		}
		fmt.Fprintf(&report, "%s/%s\t%d\t%d\t%d\t%s\n", group, filepath.Base(f), pl, ft.pass, n, strings.Join(failures, " | "))
		d := perDir[group]
		d.pass, d.fail, d.refused = d.pass+ft.pass, d.fail+ft.fail, d.refused+ft.refused
		total.pass, total.fail, total.refused = total.pass+ft.pass, total.fail+ft.fail, total.refused+ft.refused
	}
	groups := make([]string, 0, len(perDir))
	for g := range perDir {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		d := perDir[g]
		n := d.pass + d.fail + d.refused
		t.Logf("%-40s %4d/%4d %5.1f%% (refused by net/http before the WAF: %d)", g, d.pass, n, 100*float64(d.pass)/float64(n), d.refused)
	}
	n := total.pass + total.fail + total.refused
	rate := 100 * float64(total.pass) / float64(n)
	summary := fmt.Sprintf("CRS regression suite: %d/%d tests passed (%.1f%%), %d failed, %d refused by net/http before reaching the WAF; %d files in %s",
		total.pass, n, rate, total.fail, total.refused, len(files), time.Since(start).Round(time.Millisecond))
	t.Log(summary)
	if path := os.Getenv("SLUICE_CRS_REPORT"); path != "" {
		report.WriteString("# " + summary + "\n")
		if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
			t.Errorf("write %s: %v", path, err)
		}
	}
	if rate < minPass {
		t.Errorf("pass rate %.1f%% is below SLUICE_CRS_MIN_PASS %.1f%%", rate, minPass)
	}
}
