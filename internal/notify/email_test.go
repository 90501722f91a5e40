package notify

import (
	"context"
	"crypto/tls"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"strings"
	"testing"
	"time"
)

func testEvent() Event {
	return Event{
		ID: "evt-42", Kind: KindReleaseDeployed, Time: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Project: "shop", Env: "prod", Run: "r-17", Release: "rel-9", Version: "v1.4.2", Actor: "ana",
		Title: "Déploiement de shop v1.4.2 réussi ✓", Text: "Canary passed.\nAll checks green.",
		URL: "https://sluice.example.com/releases/rel-9", Fields: map[string]string{"strategy": "canary"},
	}
}

func newTestEmail(t *testing.T, s *smtpServer, mod func(*EmailConfig)) *Email {
	t.Helper()
	cfg := EmailConfig{
		Name: "mail", Host: "127.0.0.1", Port: s.port, From: "sluice <sluice@example.com>",
		To: []string{"ops@example.com", "Dev Team <dev@example.com>"}, Timeout: 10 * time.Second,
	}
	if s.ca != nil {
		cfg.TLSConfig = &tls.Config{RootCAs: s.ca, MinVersion: tls.VersionTLS12}
	}
	if mod != nil {
		mod(&cfg)
	}
	m, err := NewEmail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func decodeQP(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestEmailDelivered(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	m := newTestEmail(t, srv, nil)
	ev := testEvent()
	if err := m.Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), ev); err != nil { // a retry of the same event
		t.Fatal(err)
	}
	got := srv.messages(t)
	if len(got) != 2 {
		t.Fatalf("server stored %d messages, want 2", len(got))
	}
	msg := got[0]
	if msg.MailFrom != "sluice@example.com" || strings.Join(msg.RcptTos, ",") != "ops@example.com,dev@example.com" {
		t.Errorf("envelope from %q to %q", msg.MailFrom, msg.RcptTos)
	}
	if msg.TLS {
		t.Error("server without STARTTLS reports a TLS session")
	}
	h := msg.Msg.Header
	subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"From":              `"sluice" <sluice@example.com>`,
		"To":                `<ops@example.com>, "Dev Team" <dev@example.com>`,
		"X-Sluice-Event":    KindReleaseDeployed,
		"X-Sluice-Delivery": "evt-42",
		"Auto-Submitted":    "auto-generated",
		"Content-Type":      "text/plain; charset=utf-8",
	} {
		if g := h.Get(key); g != want {
			t.Errorf("%s = %q, want %q", key, g, want)
		}
	}
	if subj != "[sluice] "+ev.Title {
		t.Errorf("Subject decodes to %q", subj)
	}
	if id := h.Get("Message-ID"); id == "" || id != got[1].Msg.Header.Get("Message-ID") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID %q must be set and the same for both sends (second: %q)", id, got[1].Msg.Header.Get("Message-ID"))
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	body := decodeQP(t, msg.Msg.Body)
	for _, want := range []string{ev.Title + "\n", "Canary passed.\nAll checks green.", "Project:      shop\n",
		"Environment:  prod\n", "strategy:     canary\n", "Kind:         release.deployed\n",
		"Time:         2025-03-04T05:06:07Z\n", ev.URL, "Delivery evt-42"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestEmailSTARTTLS(t *testing.T) {
	srv := startSMTP(t, smtpOptions{tls: true})
	for i, mode := range []TLSMode{TLSOpportunistic, TLSRequire, TLSOff} {
		if err := newTestEmail(t, srv, func(c *EmailConfig) { c.TLS = mode }).Send(t.Context(), testEvent()); err != nil {
			t.Fatalf("tls %s: %v", mode, err)
		}
		got := srv.messages(t)
		if len(got) != i+1 {
			t.Fatalf("tls %s: server has %d messages, want %d", mode, len(got), i+1)
		}
		if want := mode != TLSOff; got[i].TLS != want {
			t.Errorf("tls %s: server saw TLS = %v, want %v", mode, got[i].TLS, want)
		}
	}
	// Without the CA the certificate does not verify: an error, never a
	// silent fallback to clear text.
	err := newTestEmail(t, srv, func(c *EmailConfig) { c.TLSConfig = nil }).Send(t.Context(), testEvent())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("unverifiable certificate: err = %v, want a STARTTLS error", err)
	}
	if n := len(srv.messages(t)); n != 3 {
		t.Errorf("server has %d messages after the failed handshake, want 3", n)
	}
}

func TestEmailRequireTLSWithoutSTARTTLS(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	err := newTestEmail(t, srv, func(c *EmailConfig) { c.TLS = TLSRequire }).Send(t.Context(), testEvent())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a permanent error about STARTTLS", err)
	}
	if n := len(srv.messages(t)); n != 0 {
		t.Errorf("server stored %d messages, want none", n)
	}
}

func TestEmailAuth(t *testing.T) {
	t.Run("loopback without TLS", func(t *testing.T) {
		srv := startSMTP(t, smtpOptions{user: "bot", password: "s3cret"})
		m := newTestEmail(t, srv, func(c *EmailConfig) { c.Username, c.Password = "bot", NewSecret("s3cret") })
		if err := m.Send(t.Context(), testEvent()); err != nil {
			t.Fatal(err)
		}
		got := srv.messages(t)
		if len(got) != 1 || got[0].Login == nil || *got[0].Login != "bot" {
			t.Fatalf("messages %+v: want one, sent as bot", got)
		}
		bad := newTestEmail(t, srv, func(c *EmailConfig) { c.Username, c.Password = "bot", NewSecret("wrong") })
		err := bad.Send(t.Context(), testEvent())
		if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "AUTH") {
			t.Errorf("wrong password: err = %v, want a permanent AUTH error", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("error shows the password: %v", err)
		}
	})
	t.Run("over STARTTLS", func(t *testing.T) {
		srv := startSMTP(t, smtpOptions{tls: true, user: "bot", password: "s3cret", authRequireTLS: true})
		m := newTestEmail(t, srv, func(c *EmailConfig) {
			c.Username, c.Password, c.TLS = "bot", NewSecret("s3cret"), TLSRequire
		})
		if err := m.Send(t.Context(), testEvent()); err != nil {
			t.Fatal(err)
		}
		got := srv.messages(t)
		if len(got) != 1 || !got[0].TLS || got[0].Login == nil || *got[0].Login != "bot" {
			t.Fatalf("messages %+v: want one over TLS as bot", got)
		}
	})
	t.Run("refused off loopback without TLS", func(t *testing.T) {
		_, err := NewEmail(EmailConfig{Name: "m", Host: "mail.example.com", From: "a@example.com",
			To: []string{"b@example.com"}, Username: "u", Password: NewSecret("p"), TLS: TLSOff})
		if err == nil || !strings.Contains(err.Error(), "clear text") {
			t.Errorf("err = %v, want a refusal to send the password in clear text", err)
		}
	})
}

func TestEmailHeaderInjection(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	m := newTestEmail(t, srv, nil)
	for _, ev := range []Event{
		{ID: "e1", Kind: KindRunFailed, Title: "broken\r\nBcc: victim@example.com"},
		{ID: "e2", Kind: KindRunFailed, Project: "p\nX-Evil: 1"},
		{ID: "e3\r\nBcc: victim@example.com", Kind: KindRunFailed, Title: "ok"},
		{ID: "e4", Kind: "run.failed\nBcc: victim@example.com"},
	} {
		err := m.Send(t.Context(), ev)
		if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "line break") {
			t.Errorf("event %q: err = %v, want a permanent refusal", ev.ID, err)
		}
	}
	if n := len(srv.messages(t)); n != 0 {
		t.Errorf("server stored %d messages, want none", n)
	}
	for _, cfg := range []EmailConfig{
		{Name: "m", Host: "127.0.0.1", From: "a@example.com\r\nBcc: v@example.com", To: []string{"b@example.com"}},
		{Name: "m", Host: "127.0.0.1", From: "a@example.com", To: []string{"b@example.com\nBcc: v@example.com"}},
	} {
		if _, err := NewEmail(cfg); err == nil {
			t.Errorf("NewEmail accepted from %q to %q", cfg.From, cfg.To)
		}
	}
	// Line breaks in the body are content, not headers.
	ev := testEvent()
	ev.Text = "line one\r\nBcc: victim@example.com\r\n\r\nmore"
	if err := m.Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	got := srv.messages(t)
	if len(got) != 1 || got[0].Msg.Header.Get("Bcc") != "" || len(got[0].RcptTos) != 2 {
		t.Fatalf("body text leaked into headers or recipients: %+v", got)
	}
}

func TestEmailHTML(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	ev := testEvent()
	ev.Text = "<script>alert(1)</script> & more"
	if err := newTestEmail(t, srv, func(c *EmailConfig) { c.HTML = true }).Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	got := srv.messages(t)
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	mt, params, err := mime.ParseMediaType(got[0].Msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v)", got[0].Msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(got[0].Msg.Body, params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		parts[strings.Split(p.Header.Get("Content-Type"), ";")[0]] = decodeQP(t, p)
	}
	if !strings.Contains(parts["text/plain"], "<script>alert(1)</script> & more") {
		t.Errorf("text part: %q", parts["text/plain"])
	}
	html := parts["text/html"]
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, `href="https://sluice.example.com/releases/rel-9"`) {
		t.Errorf("html part not escaped or lacks the link:\n%s", html)
	}
}

func TestEmailCancelled(t *testing.T) {
	// A server that accepts connections and never greets: Send must give
	// up when ctx ends.
	ln := listenStall(t)
	m, err := NewEmail(EmailConfig{Name: "m", Host: "127.0.0.1", Port: ln, From: "a@example.com", To: []string{"b@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = m.Send(ctx, testEvent())
	if err == nil || IsPermanent(err) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s, want a retryable error soon after the deadline", err, time.Since(start))
	}
}

// listenStall accepts connections on loopback and never writes to them; it
// returns the port.
func listenStall(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}
