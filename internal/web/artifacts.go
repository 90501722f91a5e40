package web

import (
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiArtifact is a file a job saved, as GET /api/v1/runs/{ref}/artifacts
// lists it.
type apiArtifact struct {
	Job    string `json:"job"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// artifactView is an artifact as the run page shows it.
type artifactView struct {
	apiArtifact
	// SizeText is the size for people ("1.2 MiB").
	SizeText string
	// Href downloads it through the UI.
	Href string
}

// runArtifacts reads the artifacts of run id for the run page; msg is what
// the panel says instead when the API refused or failed.
func (u *UI) runArtifacts(r *http.Request, s *session, id string) (arts []artifactView, msg string, fatal error) {
	var out struct {
		Artifacts []apiArtifact `json:"artifacts"`
	}
	if msg, fatal = note(u.getJSON(r, s, apiPath("/api/v1/runs", id, "artifacts"), &out), "the run's artifacts"); msg != "" || fatal != nil {
		return nil, msg, fatal
	}
	for _, a := range out.Artifacts {
		arts = append(arts, artifactView{apiArtifact: a, SizeText: humanSize(a.Size), Href: artifactPath("/runs", id, a.Job, a.Path)})
	}
	return arts, "", nil
}

// artifactPath is prefix/{run}/artifacts/{job}/{path}, each element of the
// artifact's path escaped on its own so its slashes stay separators.
func artifactPath(prefix, run, job, p string) string {
	return apiPath(prefix, append([]string{run, "artifacts", job}, strings.Split(p, "/")...)...)
}

// humanSize writes n bytes in binary units, to three figures.
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, unit := float64(n)/1024, 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for f >= 1023.5 && unit < len(units)-1 { // never "1024 KiB"
		f, unit = f/1024, unit+1
	}
	prec := 0
	if f < 10 {
		prec = 1
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + " " + units[unit]
}

// downloadHeaders are the API's headers of an artifact download that the
// UI passes on; its own security headers (CSP included) stay.
var downloadHeaders = []string{"Content-Type", "Content-Length", "Content-Disposition", "ETag", "Repr-Digest"}

// downloadArtifact passes the API's download of an artifact through to the
// browser as it is read, always as an attachment of bytes; a refusal of
// the API is an error page like any other.
func (u *UI) downloadArtifact(w http.ResponseWriter, r *http.Request, s *session) {
	ref, job, p := r.PathValue("ref"), r.PathValue("job"), r.PathValue("path")
	if !refRE.MatchString(ref) || job == "" || !fs.ValidPath(p) || p == "." {
		u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no artifact "+p+" of job "+job+" in run "+ref+".")
		return
	}
	req, err := apiRequest(r, s.key, http.MethodGet, artifactPath("/api/v1/runs", ref, job, p), nil)
	if err != nil {
		u.fail(w, r, s, err)
		return
	}
	req.Header.Set("Accept", "application/octet-stream")
	// A large file outlives the server's read timeout, whose expiry would
	// cancel the request.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	dw := &downloadWriter{w: w, header: http.Header{}}
	u.o.API.ServeHTTP(dw, req)
	if dw.failed != nil {
		u.fail(w, r, s, apiErrorOf(dw.failed))
	}
}

// downloadWriter streams a 2xx answer of the API to the browser with only
// the downloadHeaders, and keeps any other answer for an error page.
type downloadWriter struct {
	w      http.ResponseWriter
	header http.Header
	status int
	// failed is the API's answer when it was not a 2xx.
	failed *recorder
}

func (dw *downloadWriter) Header() http.Header { return dw.header }

func (dw *downloadWriter) WriteHeader(code int) {
	if dw.status != 0 {
		return
	}
	dw.status = code
	if code < 200 || code > 299 {
		dw.failed = &recorder{header: dw.header}
		dw.failed.WriteHeader(code)
		return
	}
	for _, h := range downloadHeaders {
		if v := dw.header.Get(h); v != "" {
			dw.w.Header().Set(h, v)
		}
	}
	// Whatever the API said, the browser saves the bytes and never shows
	// them as a page of this site.
	dw.w.Header().Set("Content-Type", "application/octet-stream")
	if d := dw.w.Header().Get("Content-Disposition"); !strings.HasPrefix(d, "attachment") {
		dw.w.Header().Set("Content-Disposition", "attachment")
	}
	dw.w.WriteHeader(code)
}

func (dw *downloadWriter) Write(p []byte) (int, error) {
	dw.WriteHeader(http.StatusOK)
	if dw.failed != nil {
		return dw.failed.Write(p)
	}
	return dw.w.Write(p)
}
