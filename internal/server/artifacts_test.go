package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

// artifactPipeline's test job saves a coverage file and a folder holding
// an HTML file whose name has a space.
const artifactPipeline = `version: 1
jobs:
  test:
    steps: [{ run: 'printf "mode: set\n" > cover.out && mkdir -p dist/sub && printf "<script>alert(1)</script>" > "dist/sub/page v1.html"' }]
    artifacts: [cover.out, dist]
`

// artifactRun runs artifactPipeline in project goodbooks and returns the
// finished run and a developer key of the project.
func artifactRun(t *testing.T, fx *fixture) (*store.Run, string) {
	t.Helper()
	commit := fx.testRepo("goodbooks", artifactPipeline)
	dev := fx.mkKey("dana", "developer@goodbooks")
	run := fx.waitRun(fx.trigger(dev, "goodbooks", commit), final)
	if run.Status != store.StatusSucceeded {
		t.Fatalf("run: %s %s", run.Status, run.Error)
	}
	return run, dev
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestArtifacts: the artifacts the engine saved are listed and download
// byte for byte as attachments, by run id and number.
func TestArtifacts(t *testing.T) {
	fx := newFixture(t)
	run, dev := artifactRun(t, fx)
	const cover, page = "mode: set\n", "<script>alert(1)</script>"

	res, body := fx.do("GET", "/api/v1/runs/"+run.ID+"/artifacts", dev, nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}
	var list struct {
		Run       string         `json:"run"`
		Artifacts []artifactJSON `json:"artifacts"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	want := []artifactJSON{{"test", "cover.out", int64(len(cover)), sha256Hex(cover)}, {"test", "dist/sub/page v1.html", int64(len(page)), sha256Hex(page)}}
	if list.Run != run.ID || len(list.Artifacts) != len(want) || list.Artifacts[0] != want[0] || list.Artifacts[1] != want[1] {
		t.Errorf("list: %+v, want %+v", list, want)
	}

	for _, tc := range []struct{ ref, path, content, filename string }{
		{run.ID, "cover.out", cover, "cover.out"},
		{strconv.FormatInt(run.Number, 10), "cover.out", cover, "cover.out"},
		{run.ID, "dist/sub/page%20v1.html", page, "page_v1.html"},
	} {
		res, body := fx.do("GET", "/api/v1/runs/"+tc.ref+"/artifacts/test/"+tc.path, dev, nil, nil)
		if res.StatusCode != http.StatusOK || string(body) != tc.content {
			t.Errorf("%s: %d %q, want %q", tc.path, res.StatusCode, body, tc.content)
			continue
		}
		sum := sha256.Sum256([]byte(tc.content))
		for h, want := range map[string]string{
			"Content-Type":            "application/octet-stream",
			"X-Content-Type-Options":  "nosniff",
			"Content-Disposition":     "attachment; filename=" + tc.filename,
			"Content-Length":          strconv.Itoa(len(tc.content)),
			"ETag":                    `"` + hex.EncodeToString(sum[:]) + `"`,
			"Repr-Digest":             "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
			"Content-Security-Policy": artifactCSP,
		} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", tc.path, h, got, want)
			}
		}
	}

	// A run without artifacts lists none.
	bare := &store.Run{Project: "goodbooks", Status: store.StatusSucceeded}
	if err := fx.st.Runs().CreateRun(t.Context(), bare); err != nil {
		t.Fatal(err)
	}
	if res, body := fx.do("GET", "/api/v1/runs/"+bare.ID+"/artifacts", dev, nil, nil); res.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), `"artifacts": []`) {
		t.Errorf("a run without artifacts: %d %s", res.StatusCode, body)
	}
}

// TestArtifactRefusals: what does not name a recorded artifact exactly is
// refused, whatever it tries; keys of another project read nothing.
func TestArtifactRefusals(t *testing.T) {
	fx := newFixture(t)
	run, dev := artifactRun(t, fx)
	secret := filepath.Join(fx.data, "secret.txt")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/runs/" + run.ID + "/artifacts/"
	for _, tc := range []struct {
		path string
		want int
	}{
		{"test/nothing.txt", 404},
		{"build/cover.out", 404}, // no such job
		{"test/dist/sub", 404},   // a folder, not an artifact
		{"test/dist", 404},       // the pattern, not an artifact
		{"test/COVER.OUT", 404},  // paths are exact
		{"test/cover.out/", 400},
		{"test/../../../../secret.txt", 404}, // the mux cleans it to another route
		{"test/..%2F..%2F..%2F..%2Fsecret.txt", 400},
		{"test/%2E%2E/%2E%2E/%2E%2E/%2E%2E/secret.txt", 400},
		{"test/dist/..%2F..%2Fcover.out", 400},
		{"test/%2F" + strings.TrimPrefix(filepath.ToSlash(secret), "/"), 400}, // absolute
		{"test//" + strings.TrimPrefix(filepath.ToSlash(secret), "/"), 404},   // the mux cleans it to a relative path
		{"test/dist%5C..%5C..%5Ccover.out", 400},
		{"test/cover.out%00", 400},
		{"..%2F..%2F..%2Fsecret.txt/cover.out", 404}, // a job id that climbs
		{"%2E%2E/cover.out", 404},
	} {
		res, body := fx.do("GET", base+tc.path, dev, nil, nil)
		if res.StatusCode != tc.want || strings.Contains(string(body), "s3cret") || strings.Contains(string(body), "mode: set") {
			t.Errorf("%s: %d %s, want %d", tc.path, res.StatusCode, body, tc.want)
		}
	}
	// A key of another project, for the run's id or number.
	other := fx.mkKey("oscar", "developer@other")
	for _, p := range []string{run.ID + "/artifacts", run.ID + "/artifacts/test/cover.out", strconv.FormatInt(run.Number, 10) + "/artifacts/test/cover.out"} {
		if res, body := fx.do("GET", "/api/v1/runs/"+p, other, nil, nil); res.StatusCode != http.StatusForbidden || strings.Contains(string(body), "mode: set") {
			t.Errorf("another project's key reads %s: %d %s", p, res.StatusCode, body)
		}
	}
	if res, _ := fx.do("GET", "/api/v1/runs/nosuchrun/artifacts/test/cover.out", other, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown run: %d, want 404", res.StatusCode)
	}
	if res, _ := fx.do("GET", base+"test/cover.out", "", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", res.StatusCode)
	}
}

// TestArtifactStoredCopy: a download checks the stored copy against its
// record, and opens it only inside the job's artifact folder.
func TestArtifactStoredCopy(t *testing.T) {
	fx := newFixture(t)
	run, dev := artifactRun(t, fx)
	arts, err := fx.st.Artifacts().ListArtifacts(t.Context(), run.ID, "test")
	if err != nil || len(arts) != 2 {
		t.Fatalf("artifacts: %v %v", arts, err)
	}
	cover := arts[0]
	if !strings.HasPrefix(cover.StoredPath, fx.st.ArtifactDir(run.ID, "test")+string(filepath.Separator)) {
		t.Fatalf("stored at %s, not in %s", cover.StoredPath, fx.st.ArtifactDir(run.ID, "test"))
	}
	get := func() (*http.Response, string) {
		res, body := fx.do("GET", "/api/v1/runs/"+run.ID+"/artifacts/test/cover.out", dev, nil, nil)
		return res, string(body)
	}
	write := func(s string) {
		if err := os.WriteFile(cover.StoredPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	write("mode: XXX\n") // same size, other bytes
	if res, body := get(); res.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "SHA-256") || strings.Contains(body, "XXX") {
		t.Errorf("changed copy: %d %s", res.StatusCode, body)
	}
	write("mode: set, and more\n")
	if res, body := get(); res.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "bytes, its record says 10") {
		t.Errorf("grown copy: %d %s", res.StatusCode, body)
	}
	if err := os.Remove(cover.StoredPath); err != nil {
		t.Fatal(err)
	}
	if res, body := get(); res.StatusCode != http.StatusGone || !strings.Contains(body, "artifact_gone") || !strings.Contains(body, "missing") {
		t.Errorf("missing copy: %d %s", res.StatusCode, body)
	}

	// A file outside the folder, of the record's size and digest: neither
	// a record pointing at it nor a link to it inside the folder reads it.
	outside := filepath.Join(fx.data, "outside.txt")
	if err := os.WriteFile(outside, []byte("mode: set\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tampered := *cover
	tampered.StoredPath = outside
	if err := fx.st.Artifacts().PutArtifact(t.Context(), &tampered); err != nil {
		t.Fatal(err)
	}
	if res, body := get(); res.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "outside") {
		t.Errorf("record outside the folder: %d %s", res.StatusCode, body)
	}
	if err := fx.st.Artifacts().PutArtifact(t.Context(), cover); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, cover.StoredPath); err != nil {
		t.Fatal(err)
	}
	if res, body := get(); res.StatusCode != http.StatusInternalServerError || strings.Contains(body, "mode: set") {
		t.Errorf("link out of the folder: %d %s", res.StatusCode, body)
	}
}
