package web

import (
	"net/http"
)

// reportHeaders are the API's headers of a compliance report that the UI
// passes on: what the body is, how to show or save it, whether the audit
// chain held, and for HTML the report's own Content-Security-Policy
// (inline styles only, no script), which replaces the UI's for this one
// answer.
var reportHeaders = []string{"Content-Type", "Content-Disposition", "Content-Security-Policy", "X-Sluice-Audit-Verified"}

// reportPage serves a run's compliance report as the API writes it:
// /runs/{ref}/report (HTML), /runs/{ref}/report.json and .md.
func (u *UI) reportPage(format string) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		ref := r.PathValue("ref")
		if !refRE.MatchString(ref) {
			u.errorPage(w, r, s, http.StatusNotFound, "Not found", "There is no run "+ref+".")
			return
		}
		rec, err := u.raw(r, s, apiPath("/api/v1/runs", ref)+"/report?format="+format)
		if err != nil {
			u.fail(w, r, s, err)
			return
		}
		for _, h := range reportHeaders {
			if v := rec.header.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		w.WriteHeader(http.StatusOK)
		_, _ = rec.body.WriteTo(w)
	}
}
