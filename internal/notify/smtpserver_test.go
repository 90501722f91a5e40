package notify

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// smtpScript is a small SMTP server on aiosmtpd that stores every message
// it accepts as NNNN.eml, with NNNN.json saying who sent it to whom, over
// TLS or not, logged in as whom. It prints "READY <port>" once listening.
const smtpScript = `
import asyncio, json, os, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

outdir, certfile, keyfile, user, password, auth_require_tls = sys.argv[1:7]

class Store:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(outdir, "%04d" % self.n)
        login = None
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode()
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": session.ssl is not None, "login": login}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted"

def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

async def main():
    kw = {}
    if certfile:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(certfile, keyfile)
        kw["tls_context"] = ctx
    if user:
        kw["authenticator"] = authenticate
        kw["auth_require_tls"] = auth_require_tls == "1"
    handler = Store()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **kw), "127.0.0.1", 0)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
`

// smtpServer is a running aiosmtpd process.
type smtpServer struct {
	port int
	dir  string
	ca   *x509.CertPool // set when the server offers STARTTLS
}

type smtpOptions struct {
	tls            bool
	user, password string
	authRequireTLS bool
}

// aiosmtpdPython finds an interpreter that can import aiosmtpd: python3
// on PATH, or the one Debian's aiosmtpd script runs with.
func aiosmtpdPython(t *testing.T) string {
	var candidates []string
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	if script, err := exec.LookPath("aiosmtpd"); err == nil {
		if f, err := os.Open(script); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#!"); ok {
				if f := strings.Fields(rest); len(f) > 0 && filepath.Base(f[0]) != "env" {
					candidates = append(candidates, f[0])
				}
			}
		}
	}
	for _, p := range candidates {
		if exec.Command(p, "-c", "import aiosmtpd").Run() == nil {
			return p
		}
	}
	if os.Getenv("SLUICE_REQUIRE_TOOLS") == "1" {
		t.Fatal("python3 with aiosmtpd is not installed (Debian: python3-aiosmtpd; scripts/tools.sh installs it)")
	}
	t.Skip("python3 with aiosmtpd is not installed (Debian: python3-aiosmtpd); set SLUICE_REQUIRE_TOOLS=1 to fail instead")
	return ""
}

// startSMTP runs the server until the test ends.
func startSMTP(t *testing.T, o smtpOptions) *smtpServer {
	t.Helper()
	py := aiosmtpdPython(t)
	tmp := t.TempDir()
	s := &smtpServer{dir: filepath.Join(tmp, "mail")}
	if err := os.Mkdir(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(tmp, "smtpd.py")
	if err := os.WriteFile(script, []byte(smtpScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, key := "", ""
	if o.tls {
		cert, key, s.ca = selfSigned(t, tmp)
	}
	req := "0"
	if o.authRequireTLS {
		req = "1"
	}
	cmd := exec.Command(py, script, s.dir, cert, key, o.user, o.password, req)
	cmd.Stderr = &testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start SMTP server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		var word string
		if _, err := fmt.Sscan(line, &word, &s.port); err != nil || word != "READY" {
			t.Fatalf("SMTP server did not start: %q", line)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("SMTP server did not report READY within 15s")
	}
	return s
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("smtpd: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// storedMail is one message the server accepted.
type storedMail struct {
	Msg      *mail.Message
	Raw      string
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	TLS      bool     `json:"tls"`
	Login    *string  `json:"login"`
}

// messages returns what the server stored, in order.
func (s *smtpServer) messages(t *testing.T) []storedMail {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(s.dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	var out []storedMail
	for _, n := range names {
		var m storedMail
		meta, err := os.ReadFile(strings.TrimSuffix(n, ".eml") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(meta, &m); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		m.Raw = string(raw)
		if m.Msg, err = mail.ReadMessage(strings.NewReader(m.Raw)); err != nil {
			t.Fatalf("stored message %s does not parse: %v\n%s", n, err, raw)
		}
		out = append(out, m)
	}
	return out
}

// selfSigned writes a certificate for 127.0.0.1 and localhost and returns
// the file names and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sluice test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
