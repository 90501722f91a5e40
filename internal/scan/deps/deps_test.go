package deps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/scan"
)

func target(t *testing.T, corpus string) *scan.Target {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("testdata", corpus))
	if err != nil {
		t.Fatal(err)
	}
	db, err := filepath.Abs("testdata/db")
	if err != nil {
		t.Fatal(err)
	}
	return &scan.Target{Root: root, VulnDB: db}
}

// runScan runs the scanner the way the scan command does: Applies, then
// Scan, collecting findings from the report callback.
func runScan(t *testing.T, s scan.Scanner, tg *scan.Target) ([]findings.Finding, scan.Health) {
	t.Helper()
	ok, reason := s.Applies(context.Background(), tg)
	if !ok {
		t.Fatalf("Applies: false (%s)", reason)
	}
	var mu sync.Mutex
	var got []findings.Finding
	h, err := s.Scan(context.Background(), tg, func(f findings.Finding) {
		mu.Lock()
		got = append(got, f)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, h
}

// summary renders a finding as "path:line package version advisory fixed".
func summary(f findings.Finding) string {
	l := f.Location
	return fmt.Sprintf("%s:%d %s %s %s %s", l.Path, l.StartLine, l.Package, l.Version, f.RuleID, f.FixedVersion)
}

// TestScanFindsPlantedVulnerabilities checks every planted vulnerable
// package is reported at its lockfile line with the fixed version, and
// that nothing else is: the decoys (golang.org/x/crypto at exactly the
// fixed version, junit and pytest above their advisories' ranges,
// string-width below one, withdrawn advisories for left-pad and certifi)
// stay quiet.
func TestScanFindsPlantedVulnerabilities(t *testing.T) {
	got, h := runScan(t, New(Options{}), target(t, "vulnerable"))
	want := []string{
		"cargo/Cargo.lock:20 smallvec 1.6.0 RUSTSEC-2021-0003 1.6.1",
		"cargo/Cargo.lock:26 time 0.1.43 RUSTSEC-2020-0071 0.2.23",
		"go/go.mod:8 github.com/gin-gonic/gin v1.9.0 GHSA-3vp4-m3rf-835h 1.9.1",
		"go/go.mod:11 golang.org/x/text v0.3.7 GO-2022-1059 0.3.8",
		"go/go.mod:16 golang.org/x/net v0.7.0 GO-2023-1988 0.13.0",
		"gosum/go.sum:1 github.com/gorilla/websocket v1.4.0 GHSA-jf24-p9p9-4rjh 1.4.1",
		"maven/pom.xml:31 org.apache.commons:commons-text 1.9 GHSA-599f-7c49-w659 1.10.0",
		"maven/pom.xml:40 org.apache.logging.log4j:log4j-core 2.14.1 GHSA-jfh8-c2jp-5v3q 2.15.0",
		"maven/pom.xml:45 com.fasterxml.jackson.core:jackson-databind 2.9.10 GHSA-288c-cq4h-88gq 2.9.10.1",
		"npm-v1/package-lock.json:15 qs 6.7.0 GHSA-hrpp-h998-j3pp 6.7.3",
		"npm-v1/package-lock.json:22 lodash 4.17.15 GHSA-35jh-r3h4-6jhm 4.17.21",
		"npm-v1/package-lock.json:22 lodash 4.17.15 GHSA-p6mc-m468-83gw 4.17.19",
		"npm-v2/package-lock.json:14 json5 2.2.1 GHSA-9c47-m6qq-7p4h 2.2.2",
		"npm/package-lock.json:32 minimist 1.2.5 GHSA-xvch-5gv4-984h 1.2.6",
		"npm/package-lock.json:48 minimist 0.0.8 GHSA-xvch-5gv4-984h 0.2.4",
		"php/composer.lock:10 guzzlehttp/guzzle 7.4.4 GHSA-25mq-v84q-4j7r 7.4.5",
		"php/composer.lock:23 symfony/http-kernel v4.4.49 GHSA-q847-2q57-wmr3 4.4.50",
		"pipenv/Pipfile.lock:26 requests 2.25.0 GHSA-j8r2-6x86-q33q 2.31.0",
		"pnpm-v6/pnpm-lock.yaml:17 json5 1.0.1 GHSA-9c47-m6qq-7p4h 1.0.2",
		"pnpm/pnpm-lock.yaml:20 express 4.17.1 GHSA-rv95-896h-c2vc 4.19.2",
		"poetry/poetry.lock:27 urllib3 1.26.4 GHSA-q2q7-5pp4-w6pg 1.26.5",
		"python/requirements.txt:4 Django 3.2.11 PYSEC-2022-19 3.2.12",
		"python/requirements.txt:6 PyYAML 5.3.1 PYSEC-2021-142 5.4",
		"python/requirements.txt:9 Jinja2 2.11.2 GHSA-g3rq-g295-4j3m 2.11.3",
		"ruby/Gemfile.lock:17 nokogiri 1.13.3 GHSA-v6gp-9mmm-c6p5 1.13.4",
		"ruby/Gemfile.lock:20 rack 2.2.6.2 GHSA-vvfq-8hwr-qm4m ",
		"yarn-berry/yarn.lock:23 semver 7.3.7 GHSA-c2qf-rxjj-qqgw 7.5.2",
		"yarn/yarn.lock:13 axios 0.21.0 GHSA-4w2v-q235-vp99 0.21.1",
	}
	var sums []string
	for _, f := range got {
		sums = append(sums, summary(f))
	}
	slices.Sort(sums)
	slices.Sort(want)
	if diff := cmp.Diff(want, sums); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if h.Status != scan.Ran || h.Files != 16 || h.Findings != len(want) || h.DBUpdated.IsZero() {
		t.Errorf("health: status %s, %d files, %d findings, DB updated %v", h.Status, h.Files, h.Findings, h.DBUpdated)
	}
	if h.Packages < 50 {
		t.Errorf("health: %d packages", h.Packages)
	}
}

func TestFindingFields(t *testing.T) {
	got, _ := runScan(t, New(Options{}), target(t, "vulnerable"))
	byKey := map[string]findings.Finding{}
	for _, f := range got {
		byKey[f.Location.Package+" "+f.RuleID] = f
	}
	log4j := byKey["org.apache.logging.log4j:log4j-core GHSA-jfh8-c2jp-5v3q"]
	want := findings.Finding{
		Scanner: "deps", RuleID: "GHSA-jfh8-c2jp-5v3q", RuleName: "GHSA-jfh8-c2jp-5v3q", Category: findings.Deps,
		Severity: findings.Critical, Title: "Remote code injection in Log4j",
		Message: "org.apache.logging.log4j:log4j-core 2.14.1 (Maven) is affected by GHSA-jfh8-c2jp-5v3q; fixed in 2.15.0",
		CWE:     []int{20, 400, 502, 917},
		Location: findings.Location{Path: "maven/pom.xml", StartLine: 40,
			Package: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven"},
		Fix: "upgrade org.apache.logging.log4j:log4j-core to 2.15.0", FixedVersion: "2.15.0",
		Aliases: []string{"CVE-2021-44228"},
		References: []string{"https://github.com/advisories/GHSA-jfh8-c2jp-5v3q",
			"https://nvd.nist.gov/vuln/detail/CVE-2021-44228"},
		Sources: []findings.Source{{Scanner: "deps", RuleID: "GHSA-jfh8-c2jp-5v3q"}},
		Properties: map[string]string{"cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
			"cvss_score": "10.0", "severity_source": "cvss"},
	}
	if diff := cmp.Diff(want, log4j); diff != "" {
		t.Errorf("log4j finding (-want +got):\n%s", diff)
	}
	// CVSS v4 only: the database's word decides.
	if f := byKey["symfony/http-kernel GHSA-q847-2q57-wmr3"]; f.Severity != findings.Medium ||
		f.Properties["severity_source"] != "database" || !strings.HasPrefix(f.Properties["cvss_vector"], "CVSS:4.0/") {
		t.Errorf("symfony finding: %+v", f)
	}
	// No fixed version known.
	if f := byKey["rack GHSA-vvfq-8hwr-qm4m"]; f.FixedVersion != "" || !strings.HasPrefix(f.Fix, "no fixed version of rack") {
		t.Errorf("rack finding: %+v", f)
	}
	// No CVSS, no database word: medium, said so.
	if f := byKey["golang.org/x/text GO-2022-1059"]; f.Severity != findings.Medium || f.Properties["severity_source"] != "unrated" {
		t.Errorf("x/text finding: %+v", f)
	}
}

func TestScanCleanTwinsFindNothing(t *testing.T) {
	got, h := runScan(t, New(Options{}), target(t, "clean"))
	for _, f := range got {
		t.Errorf("clean corpus: %s", summary(f))
	}
	if h.Files != 16 || h.Findings != 0 {
		t.Errorf("health: %d files, %d findings", h.Files, h.Findings)
	}
}

func TestScanMalformedLockfiles(t *testing.T) {
	got, h := runScan(t, New(Options{}), target(t, "malformed"))
	var broken []string
	for _, e := range h.Errors {
		if strings.Contains(e.Err, "malformed") {
			broken = append(broken, e.Path)
		}
	}
	want := []string{"cargo/Cargo.lock", "go/go.mod", "gosum/go.sum", "maven/pom.xml", "npm/package-lock.json",
		"php/composer.lock", "pipenv/Pipfile.lock", "pnpm/pnpm-lock.yaml", "poetry/poetry.lock",
		"ruby/Gemfile.lock", "yarn/yarn.lock"}
	if diff := cmp.Diff(want, broken); diff != "" {
		t.Errorf("malformed files reported (-want +got):\n%s", diff)
	}
	// The good lockfile beside them is still scanned.
	if h.Files != 1 || len(got) != 2 || !h.Partial {
		t.Errorf("health: %d files parsed, %d findings, partial %v", h.Files, len(got), h.Partial)
	}
}

func TestApplies(t *testing.T) {
	s := New(Options{})
	empty := &scan.Target{Root: t.TempDir(), VulnDB: "testdata/db"}
	if ok, reason := s.Applies(context.Background(), empty); ok || reason != ReasonNoLockfiles {
		t.Errorf("no lockfiles: %v %q", ok, reason)
	}
	noDB := target(t, "clean")
	noDB.VulnDB = ""
	if ok, reason := s.Applies(context.Background(), noDB); ok || reason != ReasonNoDB {
		t.Errorf("no DB: %v %q", ok, reason)
	}
	missing := target(t, "clean")
	missing.VulnDB = filepath.Join(t.TempDir(), "nothing-here")
	if ok, reason := s.Applies(context.Background(), missing); ok || !strings.Contains(reason, "sluice db update") {
		t.Errorf("missing DB folder: %v %q", ok, reason)
	}
	// An empty database folder is a failed scan, not a silent "0 findings".
	emptyDB := target(t, "clean")
	emptyDB.VulnDB = t.TempDir()
	if ok, _ := s.Applies(context.Background(), emptyDB); !ok {
		t.Fatal("empty DB folder: does not apply")
	}
	if _, err := s.Scan(context.Background(), emptyDB, func(findings.Finding) {}); err == nil || !strings.Contains(err.Error(), "holds no records") {
		t.Errorf("Scan with an empty DB: %v", err)
	}
}

// TestScanTargetFiles uses the walker's file list when there is one, and
// skips lockfiles inside node_modules.
func TestScanTargetFiles(t *testing.T) {
	tg := target(t, "vulnerable")
	tg.Files = []string{"npm/package-lock.json", "go/go.mod", "go/main.go", "node_modules/x/package-lock.json"}
	got, h := runScan(t, New(Options{}), tg)
	if h.Files != 2 || len(got) != 5 {
		t.Errorf("%d files, %d findings; want 2 and 5", h.Files, len(got))
	}
}

// TestScanReportsDatabaseGaps: packages of an ecosystem the database has
// no data for, and unreadable advisories, are health errors.
func TestScanReportsDatabaseGaps(t *testing.T) {
	db := t.TempDir()
	if err := os.MkdirAll(filepath.Join(db, "npm"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile("testdata/db/npm/GHSA-xvch-5gv4-984h.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "npm", "GHSA-xvch-5gv4-984h.json"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "npm", "broken.json"), []byte(`{"id": `), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := target(t, "vulnerable")
	tg.VulnDB = db
	tg.Files = []string{"npm/package-lock.json", "python/requirements.txt"}
	got, h := runScan(t, New(Options{}), tg)
	if len(got) != 2 {
		t.Errorf("%d findings, want the two minimist ones", len(got))
	}
	var msgs []string
	for _, e := range h.Errors {
		msgs = append(msgs, e.Path+": "+e.Err)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"no advisories for ecosystem PyPI", "vulndb:npm/broken.json: unreadable advisory", "requirements.txt: 3 declarations not checked"} {
		if !strings.Contains(all, want) {
			t.Errorf("health errors lack %q:\n%s", want, all)
		}
	}
	if !h.Partial {
		t.Error("not partial")
	}
}

// TestKnownExploitedMarked puts a known-exploited catalog (KEV feed format)
// into a copy of the test database: the advisory whose alias it lists is
// marked, the others are not.
func TestKnownExploitedMarked(t *testing.T) {
	tg := target(t, "vulnerable")
	db := t.TempDir()
	if err := os.CopyFS(db, os.DirFS(tg.VulnDB)); err != nil {
		t.Fatal(err)
	}
	kev := `{"catalogVersion": "test", "vulnerabilities": [
	  {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2", "dateAdded": "2021-12-10", "knownRansomwareCampaignUse": "Known"}]}`
	if err := os.WriteFile(filepath.Join(db, "known_exploited_vulnerabilities.json"), []byte(kev), 0o644); err != nil {
		t.Fatal(err)
	}
	tg.VulnDB = db
	got, _ := runScan(t, New(Options{}), tg)
	marked := 0
	for _, f := range got {
		if f.Properties["known_exploited"] == "true" {
			marked++
			if !slices.Contains(f.Aliases, "CVE-2021-44228") || f.Properties["kev_date_added"] != "2021-12-10" ||
				f.Properties["kev_ransomware"] != "known" || !strings.Contains(f.Message, "exploited in the wild") {
				t.Errorf("wrongly marked: %+v", f)
			}
		}
	}
	if marked == 0 {
		t.Fatal("the log4j advisory was not marked known exploited")
	}
}
