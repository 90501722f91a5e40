package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TLSMode says when the [Email] sender uses STARTTLS.
type TLSMode string

// The TLS modes.
const (
	// TLSRequire refuses to send unless the server offers STARTTLS and the
	// handshake (with certificate verification) succeeds.
	TLSRequire TLSMode = "require"
	// TLSOpportunistic uses STARTTLS when the server offers it and sends
	// in clear text otherwise. A failed handshake is an error, never a
	// fallback to clear text.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSOff never uses STARTTLS.
	TLSOff TLSMode = "off"
)

// EmailConfig configures an [Email] sender.
type EmailConfig struct {
	// Name is what rules call the sender.
	Name string
	// Host and Port are the SMTP server's; Port defaults to 587.
	Host string
	Port int
	// From is the sender address, To the recipients (at least one); both
	// accept "Name <addr>" forms.
	From string
	To   []string
	// Username and Password turn on AUTH PLAIN, which is used only over
	// TLS or to a loopback server.
	Username string
	Password Secret
	// TLS is the STARTTLS mode; default TLSOpportunistic.
	TLS TLSMode
	// TLSConfig replaces the TLS settings (a private CA in RootCAs, say);
	// ServerName defaults to Host.
	TLSConfig *tls.Config `json:"-"`
	// HTML adds an HTML alternative to the plain-text body.
	HTML bool
	// Timeout bounds one attempt; default DefaultTimeout.
	Timeout time.Duration
	// HelloName is the name sent in EHLO; default "localhost".
	HelloName string
}

// Email sends each event as a mail message over SMTP. Header values are
// checked for line breaks, so event content cannot add header fields.
type Email struct {
	cfg  EmailConfig
	from string   // envelope sender
	rcpt []string // envelope recipients
	to   []string // To header entries
}

var _ Sender = (*Email)(nil)

// NewEmail checks cfg and returns the sender.
func NewEmail(cfg EmailConfig) (*Email, error) {
	fail := func(format string, a ...any) (*Email, error) {
		return nil, fmt.Errorf("email sender %s: "+format, append([]any{cfg.Name}, a...)...)
	}
	if cfg.Name == "" {
		return nil, errors.New("email sender: name is empty")
	}
	if cfg.Host == "" || strings.ContainsAny(cfg.Host, " /\r\n") {
		return fail("host %q is not a host name or address", cfg.Host)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return fail("port %d is out of range 1-65535", cfg.Port)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSOpportunistic
	case TLSRequire, TLSOpportunistic, TLSOff:
	default:
		return fail("tls %q: use require, opportunistic or off", cfg.TLS)
	}
	if cfg.Username != "" && cfg.TLS == TLSOff && !isLoopback(cfg.Host) {
		return fail("username set with tls off: the password would cross the network in clear text; use tls require")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return fail("from %q: %v", cfg.From, err)
	}
	if len(cfg.To) == 0 {
		return fail("no recipients: set to")
	}
	m := &Email{from: from.Address}
	for _, t := range cfg.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return fail("to %q: %v", t, err)
		}
		m.rcpt = append(m.rcpt, a.Address)
		m.to = append(m.to, a.String())
	}
	cfg.From = from.String()
	cfg.To = slices.Clone(cfg.To)
	m.cfg = cfg
	return m, nil
}

// Name returns the sender's name.
func (m *Email) Name() string { return m.cfg.Name }

// Message renders the message Send would deliver for e at now; it fails,
// permanently, when a header value would contain a line break.
func (m *Email) Message(e Event, now time.Time) ([]byte, error) {
	return buildMessage(e, m.cfg.From, m.from, m.to, m.cfg.HTML, now)
}

// Send delivers e once. SMTP 5xx replies and refused headers are
// [Permanent]; 4xx replies and network errors are retried.
func (m *Email) Send(ctx context.Context, e Event) error {
	msg, err := m.Message(e, time.Now())
	if err != nil {
		return fmt.Errorf("email %s: %w", m.cfg.Name, err)
	}
	if err := m.send(ctx, msg); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return fmt.Errorf("email %s via %s: %w", m.cfg.Name, m.addr(), err)
	}
	return nil
}

func (m *Email) addr() string { return net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port)) }

func (m *Email) send(ctx context.Context, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	_ = conn.SetDeadline(dl)
	// A cancelled ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return classify("EHLO", err)
	}
	offered, _ := c.Extension("STARTTLS")
	switch {
	case m.cfg.TLS == TLSRequire && !offered:
		return Permanent(errors.New("server does not offer STARTTLS and tls is require"))
	case m.cfg.TLS != TLSOff && offered:
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if m.cfg.TLSConfig != nil {
			tc = m.cfg.TLSConfig.Clone()
		}
		if tc.ServerName == "" {
			tc.ServerName = m.cfg.Host
		}
		if err := c.StartTLS(tc); err != nil {
			return classify("STARTTLS", err)
		}
	}
	if m.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(errors.New("username is set but the server offers no AUTH"))
		}
		if _, isTLS := c.TLSConnectionState(); !isTLS && !isLoopback(m.cfg.Host) {
			return Permanent(errors.New("refusing AUTH PLAIN without TLS: the server did not offer STARTTLS"))
		}
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password.Reveal(), m.cfg.Host)); err != nil {
			return classify("AUTH", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return classify("MAIL FROM", err)
	}
	for _, r := range m.rcpt {
		if err := c.Rcpt(r); err != nil {
			return classify("RCPT TO "+r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("DATA", err)
	}
	// The message is accepted; a failed QUIT does not undo that.
	_ = c.Quit()
	return nil
}

// classify marks SMTP 5xx replies permanent.
func classify(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

// isLoopback reports whether host names this machine, the only place
// where net/smtp lets AUTH PLAIN go without TLS.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the sender without its password.
func (m *Email) String() string {
	return fmt.Sprintf("email %s (%s, tls %s, %d recipients)", m.cfg.Name, m.addr(), m.cfg.TLS, len(m.rcpt))
}

// Format prints String for every verb, so no verb can show the password.
func (m *Email) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(m.String())) }

// LogValue keeps the password out of slog output.
func (m *Email) LogValue() slog.Value { return slog.StringValue(m.String()) }
