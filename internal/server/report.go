package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/report/compliance"
	"github.com/sluice-ci/sluice/internal/report/runreport"
)

// reportCSP lets the self-contained HTML report show (its inline styles)
// and nothing else: no scripts, no requests.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// runReport writes the compliance report of a run, what sluice report
// writes: ?format=json (default), html or md. X-Sluice-Audit-Verified says
// whether the audit trail's hash chain holds up to the run's last record.
func (s *Server) runReport(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	var (
		write func(io.Writer, *compliance.Report) error
		ctype string
	)
	switch format {
	case "json":
		write, ctype = compliance.WriteJSON, "application/json"
	case "html":
		write, ctype = compliance.WriteHTML, "text/html; charset=utf-8"
	case "md":
		write, ctype = compliance.WriteMarkdown, "text/markdown; charset=utf-8"
	default:
		writeError(w, http.StatusBadRequest, "bad_query", fmt.Sprintf("format %q: want json, html or md", format))
		return
	}
	run := s.run(w, r)
	if run == nil {
		return
	}
	rep, err := runreport.Build(r.Context(), s.o.Store, run, s.o.Now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "report", err.Error())
		return
	}
	var buf bytes.Buffer
	if err := write(&buf, rep); err != nil {
		writeError(w, http.StatusInternalServerError, "report", err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Sluice-Audit-Verified", fmt.Sprint(rep.Audit.Verified))
	if format == "html" {
		w.Header().Set("Content-Security-Policy", reportCSP)
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=\"sluice-run-%d-report.%s\"", run.Number, format))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
