package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// header collects a message's header fields and refuses values that could
// end a field early: CR, LF or any other control character but tab.
type header struct {
	buf bytes.Buffer
	err error
}

func (h *header) add(key, value string) {
	if h.check(key, value) {
		fmt.Fprintf(&h.buf, "%s: %s\r\n", key, value)
	}
}

// check records an error and returns false when value may not go into a
// header field.
func (h *header) check(key, value string) bool {
	if h.err != nil {
		return false
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r != '\t' && isControl(r) }) {
		h.err = Permanent(fmt.Errorf("email header %s: value %q contains a line break or control character; refusing to send", key, value))
		return false
	}
	return true
}

// subject is the Subject line of e: "[sluice] " and its Headline, cut to
// 200 characters.
func subject(e Event) string { return truncate("[sluice] "+e.Headline(), 200) }

// messageID is stable for one event, so a message resent by a retry
// carries the same Message-ID and mail systems can drop the duplicate.
func messageID(e Event, from string) string {
	sum := sha256.Sum256([]byte(e.ID))
	domain := "sluice.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = from[at+1:]
	}
	return "<" + hex.EncodeToString(sum[:16]) + ".sluice@" + domain + ">"
}

// buildMessage renders the whole RFC 5322 message for e; from is the
// From header, sender the bare address of the envelope.
func buildMessage(e Event, from, sender string, to []string, withHTML bool, now time.Time) ([]byte, error) {
	var h header
	h.add("From", from)
	h.add("To", strings.Join(to, ", "))
	// The raw subject is checked before encoding: encoding would hide a
	// line break, and a subject with one is refused, not rewritten.
	if subj := subject(e); h.check("Subject", subj) {
		h.add("Subject", mime.QEncoding.Encode("utf-8", subj))
	}
	h.add("Date", now.Format(time.RFC1123Z))
	h.add("Message-ID", messageID(e, sender))
	h.add("MIME-Version", "1.0")
	h.add("Auto-Submitted", "auto-generated")
	h.add("X-Sluice-Event", e.Kind)
	h.add("X-Sluice-Delivery", e.ID)
	text := plainBody(e)
	if !withHTML {
		h.add("Content-Type", "text/plain; charset=utf-8")
		h.add("Content-Transfer-Encoding", "quoted-printable")
		if h.err != nil {
			return nil, h.err
		}
		h.buf.WriteString("\r\n")
		if err := writeQP(&h.buf, text); err != nil {
			return nil, err
		}
		return h.buf.Bytes(), nil
	}
	var html bytes.Buffer
	if err := htmlBody.Execute(&html, htmlData(e)); err != nil {
		return nil, fmt.Errorf("render HTML body of event %s: %w", e.ID, err)
	}
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	h.add("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	if h.err != nil {
		return nil, h.err
	}
	for _, p := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html.String()}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("build message part: %w", err)
		}
		if err := writeQP(w, p.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	h.buf.WriteString("\r\n")
	h.buf.Write(parts.Bytes())
	return h.buf.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	// Line breaks are written as CRLF, the form mail needs.
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("encode message body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("encode message body: %w", err)
	}
	return nil
}

// plainBody is the text/plain body: headline, text, facts, link, footer.
func plainBody(e Event) string {
	var b strings.Builder
	b.WriteString(e.Headline() + "\n\n")
	if e.Text != "" {
		b.WriteString(e.Text + "\n\n")
	}
	facts := append(e.facts(), [2]string{"Kind", e.Kind})
	if !e.Time.IsZero() {
		facts = append(facts, [2]string{"Time", e.Time.UTC().Format(time.RFC3339)})
	}
	width := 0
	for _, f := range facts {
		width = max(width, len(f[0]))
	}
	for _, f := range facts {
		fmt.Fprintf(&b, "%-*s  %s\n", width+1, f[0]+":", f[1])
	}
	if e.URL != "" {
		b.WriteString("\n" + e.URL + "\n")
	}
	b.WriteString("\n-- \nSent by sluice. Delivery " + e.ID + "\n")
	return b.String()
}

type htmlView struct {
	Headline, Text, URL, ID string
	Facts                   [][2]string
}

func htmlData(e Event) htmlView {
	facts := append(e.facts(), [2]string{"Kind", e.Kind})
	if !e.Time.IsZero() {
		facts = append(facts, [2]string{"Time", e.Time.UTC().Format(time.RFC3339)})
	}
	u := ""
	if _, err := checkURL(e.URL); err == nil {
		u = e.URL
	}
	return htmlView{Headline: e.Headline(), Text: e.Text, URL: u, ID: e.ID, Facts: facts}
}

var htmlBody = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<h2>{{.Headline}}</h2>
{{if .Text}}<p style="white-space: pre-wrap">{{.Text}}</p>{{end}}
<table>
{{range .Facts}}<tr><th style="text-align: left; padding-right: 1em">{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</table>
{{if .URL}}<p><a href="{{.URL}}">Open in sluice</a></p>{{end}}
<p style="color: #777; font-size: small">Sent by sluice. Delivery {{.ID}}</p>
</body></html>
`))
