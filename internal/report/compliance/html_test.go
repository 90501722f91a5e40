package compliance

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/findings"
	"github.com/sluice-ci/sluice/internal/gate"
)

func writeHTML(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// hostileReport is the sample with markup in every kind of run text and a
// DAST finding located by URL.
func hostileReport() *Report {
	r := sampleReport()
	r.Run.Pipeline = `shop"><img src=x onerror=alert(1)>`
	r.Run.Actor = "<b>mallory</b>"
	r.Decisions[0].Reasons[0].Message = `see <a href="javascript:alert(1)">here</a>`
	r.Audit.Entries[1].Detail = "</style><script>alert(2)</script>"
	r.Facts.SecretNames = append(r.Facts.SecretNames, "<iframe>")
	r.Findings = append(r.Findings, findings.Finding{
		Fingerprint: "fp-dast", Scanner: "zap", RuleID: "40012", Category: findings.DAST, Severity: findings.High,
		Title: "Cross Site Scripting (Reflected)", CWE: []int{79},
		Location:   findings.Location{URL: "https://shop.example.test/search?q=<svg>", Method: "GET"},
		References: []string{"http://shop.example.test/help/xss"},
	})
	r.Decisions[1].Blocking = append(r.Decisions[1].Blocking, gate.Judged{Finding: r.Findings[len(r.Findings)-1], Why: "<why>"})
	return r
}

func TestWriteHTMLGolden(t *testing.T) {
	golden(t, "sample.html", []byte(writeHTML(t, sampleReport())))
}

func TestWriteHTMLEscapesRunText(t *testing.T) {
	out := writeHTML(t, hostileReport())
	for _, bad := range []string{"<script", "<img", "<iframe", "<b>mallory", `<a href="javascript`, "<svg>", "<why>", "</style><"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q in the HTML", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; reaches innerHTML",
		"&lt;b&gt;mallory&lt;/b&gt;",
		"&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;",
		"&lt;iframe&gt;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no escaped %q in the HTML", want)
		}
	}
}

func TestWriteHTMLIsSelfContained(t *testing.T) {
	r := hostileReport()
	out := writeHTML(t, r)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "<video", "<audio", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("the HTML loads something: it contains %q", bad)
		}
	}
	if m := regexp.MustCompile(`<[^>]*\s(src|srcset|action|data)=`).FindString(out); m != "" {
		t.Errorf("the HTML loads something: %q", m)
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("link out of the file: %s", m[0])
		}
	}
	// The only absolute URLs are the findings' own, shown as text.
	var allowed []string
	for _, f := range r.Findings {
		allowed = append(allowed, f.Location.URL)
		allowed = append(allowed, f.References...)
	}
	urls := regexp.MustCompile(`https?://[^\s<"]*`).FindAllStringIndex(out, -1)
	if len(urls) == 0 {
		t.Fatal("the DAST finding's URL is not in the HTML")
	}
	for _, u := range urls {
		s := out[u[0]:u[1]]
		ok := false
		for _, a := range allowed {
			if a != "" && strings.HasPrefix(a, strings.SplitN(s, "&", 2)[0]) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("external URL %q in the HTML", s)
		}
		if before := out[max(0, u[0]-6):u[0]]; strings.Contains(before, `="`) {
			t.Errorf("URL %q is in an attribute, not text", s)
		}
	}
	for _, want := range []string{"<style>", "@media print", "@page"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q: the styles are not embedded", want)
		}
	}
}

func TestWriteHTMLContent(t *testing.T) {
	out := writeHTML(t, sampleReport())
	last := -1
	for _, id := range []string{`id="summary"`, `id="decisions"`, `id="owasp-2021"`, `id="owasp-2025"`, `id="findings"`,
		`id="scanners"`, `id="approvals"`, `id="audit"`, `id="gdpr"`} {
		i := strings.Index(out, id)
		if i < last {
			t.Errorf("section %s missing or out of order", id)
		}
		last = i
	}
	for _, want := range []string{
		`<title>Compliance report: shop run #42</title>`,
		`<tr><th>production</th><td><span class="badge out-block">block</span></td><td class="muted">2 blocking</td></tr>`,
		`<tr><th class="sev-critical">Critical</th><td class="num">1</td></tr>`,
		`verified: the hash chain holds over 19 records (3 for this run)`,
		`<h3>3. production: <span class="badge out-pass">pass (simulated)</span></h3>`,
		`<td><b>A03:2021</b> Injection</td><td class="st-findings">tested, findings</td>`,
		`<h2>Approvals</h2>
<p class="muted">None recorded.</p>`,
		`<td class="mono">sha256:0002</td>`,
		`<tr><td class="sev-critical">critical</td><td>deps</td><td class="mono">GHSA-xvch-5gv4-984h</td>`,
		`<span class="badge st-manual">manual</span>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q", want)
		}
	}
}

func TestWriteHTMLEmptyAndErrors(t *testing.T) {
	out := writeHTML(t, &Report{})
	for _, want := range []string{"<title>Compliance report</title>", "No gate decisions recorded.", "No findings.",
		"No scanner health recorded.", "None recorded.", "no audit records for this run"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the HTML of an empty report", want)
		}
	}
	if err := WriteHTML(&bytes.Buffer{}, nil); !errors.Is(err, errNilReport) {
		t.Errorf("nil report: %v", err)
	}
	if err := WriteHTML(failWriter{}, sampleReport()); err == nil {
		t.Error("no error from a failing writer")
	}
}

// TestWritersAreDeterministic writes the same report many times, with its
// findings and scanners in another order and its digests map rebuilt each
// time, and wants the same bytes.
func TestWritersAreDeterministic(t *testing.T) {
	writers := map[string]func(*bytes.Buffer, *Report) error{
		"json":     func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
		"markdown": func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) },
		"html":     func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) },
	}
	for name, write := range writers {
		var first string
		for i := range 20 {
			r := hostileReport()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			rng.Shuffle(len(r.Findings), func(a, b int) { r.Findings[a], r.Findings[b] = r.Findings[b], r.Findings[a] })
			rng.Shuffle(len(r.Scanners), func(a, b int) { r.Scanners[a], r.Scanners[b] = r.Scanners[b], r.Scanners[a] })
			var b bytes.Buffer
			if err := write(&b, r); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = b.String()
			} else if b.String() != first {
				t.Fatalf("%s: write %d differs from the first", name, i)
			}
		}
	}
}
