package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

// seedArtifact stores content as artifact path of job in run, where and as
// the engine keeps a job's files, and returns its record.
func (fx *fixture) seedArtifact(run, job, path string, content []byte) *store.Artifact {
	fx.t.Helper()
	dst := filepath.Join(fx.st.ArtifactDir(run, job), filepath.FromSlash(path))
	fx.must(os.MkdirAll(filepath.Dir(dst), 0o755))
	fx.must(os.WriteFile(dst, content, 0o644))
	sum := sha256.Sum256(content)
	a := &store.Artifact{RunID: run, JobID: job, Path: path, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]),
		Mode: 0o644, StoredPath: dst}
	fx.must(fx.st.Artifacts().PutArtifact(fx.t.Context(), a))
	return a
}

var artifactRowRE = regexp.MustCompile(`(?s)<tr data-testid="artifact".*?</tr>`)

// TestArtifactsPanel: the run page lists each job's artifacts with a
// download link, size and digest; a run without any says so.
func TestArtifactsPanel(t *testing.T) {
	fx := newFixture(t)
	bin := bytes.Repeat([]byte{0x7f, 'E', 'L', 'F'}, 384) // 1536 bytes
	cover := fx.seedArtifact(fx.run.ID, "unit", "cover.out", []byte("mode: set\n"))
	app := fx.seedArtifact(fx.run.ID, "build", "dist/good books<1>.bin", bin)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer"))

	p := b.get("/runs/" + fx.run.ID)
	wantStatus(t, "run page", p, http.StatusOK)
	wantContains(t, "run page", p.body, `data-testid="artifacts"`, `<h2 id="artifacts-h">Artifacts</h2>`)
	rows := artifactRowRE.FindAllString(p.body, -1)
	if len(rows) != 2 {
		t.Fatalf("%d artifact rows, want 2:\n%s", len(rows), p.body)
	}
	// In the jobs' order: unit before build.
	wantContains(t, "unit's row", rows[0], `data-job="unit"`, `<th scope="row">unit</th>`,
		`href="/runs/`+fx.run.ID+`/artifacts/unit/cover.out"`, ">cover.out</a>", "10 B",
		`<code title="`+cover.SHA256+`">`+cover.SHA256[:12]+`</code>`)
	wantContains(t, "build's row", rows[1], `data-job="build"`,
		`href="/runs/`+fx.run.ID+`/artifacts/build/dist/good%20books%3C1%3E.bin"`, ">dist/good books&lt;1&gt;.bin</a>",
		`title="1536 bytes">1.5 KiB<`, `title="`+app.SHA256+`"`)

	done := b.get("/runs/" + fx.done.ID)
	wantStatus(t, "finished run", done, http.StatusOK)
	wantContains(t, "finished run", done.body, `data-testid="artifacts"`, `data-testid="no-artifacts"`, "No artifact")
	if strings.Contains(done.body, `data-testid="artifact"`) {
		t.Error("a run without artifacts lists one")
	}
}

// TestArtifactDownload: the UI passes the API's download through as an
// attachment, keeping its own security headers; refusals are error pages.
func TestArtifactDownload(t *testing.T) {
	fx := newFixture(t)
	content := []byte("<html><script>alert(1)</script></html>")
	a := fx.seedArtifact(fx.run.ID, "build", "dist/report page.html", content)
	b := fx.browser()
	b.mustLogin(fx.key("ana", "developer"))

	for _, ref := range []string{fx.run.ID, strconv.FormatInt(fx.run.Number, 10)} {
		p := b.get("/runs/" + ref + "/artifacts/build/dist/report%20page.html")
		wantStatus(t, "download", p, http.StatusOK)
		if p.body != string(content) {
			t.Errorf("download: %q, want %q", p.body, content)
		}
		for h, want := range map[string]string{
			"Content-Type":            "application/octet-stream",
			"Content-Disposition":     "attachment; filename=report_page.html",
			"Content-Length":          strconv.Itoa(len(content)),
			"ETag":                    `"` + a.SHA256 + `"`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": cspHeader,
			"X-Frame-Options":         "DENY",
			"Cache-Control":           "no-store",
		} {
			if got := p.header.Get(h); got != want {
				t.Errorf("download: %s %q, want %q", h, got, want)
			}
		}
		if !strings.HasPrefix(p.header.Get("Repr-Digest"), "sha-256=:") {
			t.Errorf("download: Repr-Digest %q", p.header.Get("Repr-Digest"))
		}
	}

	for _, tc := range []struct {
		path   string
		status int
		says   string
	}{
		{"/runs/" + fx.run.ID + "/artifacts/build/dist/nothing", http.StatusNotFound, "has no artifact dist/nothing of job build"},
		{"/runs/" + fx.run.ID + "/artifacts/lint/dist/report%20page.html", http.StatusNotFound, "has no artifact"},
		{"/runs/" + fx.run.ID + "/artifacts/build/..%2F..%2F..%2Fsqlite.db", http.StatusNotFound, "There is no artifact"},
		{"/runs/" + fx.run.ID + "/artifacts/build/%2Fetc%2Fpasswd", http.StatusNotFound, "There is no artifact"},
		{"/runs/999/artifacts/build/dist/report%20page.html", http.StatusNotFound, "Not found"},
	} {
		p := b.get(tc.path)
		wantStatus(t, tc.path, p, tc.status)
		wantContains(t, tc.path, p.body, "</html>", html.EscapeString(tc.says))
		if strings.Contains(p.body, "alert(1)") || p.header.Get("Content-Disposition") != "" {
			t.Errorf("%s: passes the artifact on", tc.path)
		}
	}

	// The stored copy went missing: the API's 410 and its message.
	fx.must(os.Remove(a.StoredPath))
	p := b.get("/runs/" + fx.run.ID + "/artifacts/build/dist/report%20page.html")
	wantStatus(t, "missing copy", p, http.StatusGone)
	wantContains(t, "missing copy", p.body, "is missing from the data folder")

	// A key of another project reads nothing of the run.
	o := fx.browser()
	o.mustLogin(fx.key("outsider", "viewer@other"))
	p = o.get("/runs/" + fx.run.ID + "/artifacts/build/dist/report%20page.html")
	wantStatus(t, "another project's key", p, http.StatusForbidden)
	wantContains(t, "another project's key", p.body, "runs:read")
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 10 * 1024: "10 KiB",
		1023 * 1024: "1023 KiB", 1<<20 - 1: "1.0 MiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
