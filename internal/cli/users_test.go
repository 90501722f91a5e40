package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

// runSluiceIn is runSluice with stdin as standard input.
func runSluiceIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errw)
	return code, out.String(), errw.String()
}

// TestUsersCommands adds, lists, re-passwords and disables a user on a
// real data folder, and checks what the store then holds.
func TestUsersCommands(t *testing.T) {
	data := t.TempDir()
	t.Setenv("SLUICE_ACTOR", "root")
	const pw = "correct horse battery"
	if code, _, errw := runSluiceIn(t, "short\n", "users", "add", "ana", "--grant", "developer", "--password-stdin", "--data", data); code != ExitUsage ||
		!strings.Contains(errw, "at least 12") {
		t.Errorf("a short password: exit %d, %s", code, errw)
	}
	if code, _, errw := runSluiceIn(t, pw+"\n", "users", "add", "ana", "--data", data); code != ExitUsage || !strings.Contains(errw, "--grant") {
		t.Errorf("no grant: exit %d, %s", code, errw)
	}
	if code, _, errw := runSluiceIn(t, pw+"\n", "users", "add", "Ana", "--grant", "viewer", "--password-stdin", "--data", data); code != ExitUsage {
		t.Errorf("an upper-case name: exit %d, %s", code, errw)
	}
	// Without --password-stdin, a standard input that is not a terminal
	// is refused rather than read with echo.
	if code, _, errw := runSluiceIn(t, pw+"\n", "users", "add", "ana", "--grant", "viewer", "--data", data); code != ExitUsage ||
		!strings.Contains(errw, "--password-stdin") {
		t.Errorf("a password piped without --password-stdin: exit %d, %s", code, errw)
	}
	code, out, errw := runSluiceIn(t, pw+"\r\n", "users", "add", "ana", "--grant", "developer@goodbooks", "--grant", "approver@*/staging",
		"--password-stdin", "--data", data)
	if code != ExitOK || !strings.Contains(out, "added user ana") {
		t.Fatalf("users add: exit %d\n%s%s", code, out, errw)
	}
	if code, _, errw := runSluiceIn(t, pw+"\n", "users", "add", "ana", "--grant", "viewer", "--password-stdin", "--data", data); code != ExitFailed ||
		!strings.Contains(errw, "already a user ana") {
		t.Errorf("the same name twice: exit %d, %s", code, errw)
	}
	code, out, errw = runSluiceIn(t, "", "users", "list", "--data", data)
	if code != ExitOK || !strings.Contains(out, "developer@goodbooks,approver@*/staging") || !strings.Contains(out, "active") ||
		strings.Contains(out, auth.PasswordScheme) {
		t.Errorf("users list: exit %d\n%s%s", code, out, errw)
	}
	const pw2 = "another long passphrase"
	if code, out, errw := runSluiceIn(t, pw2+"\n", "users", "passwd", "ana", "--password-stdin", "--data", data); code != ExitOK {
		t.Errorf("users passwd: exit %d\n%s%s", code, out, errw)
	}
	if code, _, errw := runSluiceIn(t, pw2+"\n", "users", "passwd", "nobody", "--password-stdin", "--data", data); code != ExitFailed ||
		!strings.Contains(errw, "no user nobody") {
		t.Errorf("passwd of an unknown user: exit %d, %s", code, errw)
	}
	if code, out, errw := runSluiceIn(t, "", "users", "disable", "ana", "--data", data); code != ExitOK || !strings.Contains(out, "disabled user ana") {
		t.Errorf("users disable: exit %d\n%s%s", code, out, errw)
	}
	if code, _, _ := runSluiceIn(t, "", "users", "disable", "ana", "--data", data); code != ExitFailed {
		t.Errorf("disabling twice: exit %d", code)
	}
	if _, out, _ := runSluiceIn(t, "", "users", "list", "--data", data); !strings.Contains(out, "disabled") {
		t.Errorf("users list after disable:\n%s", out)
	}

	st, err := sqlstore.Open(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.Control().GetUser(t.Context(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(pw2, u.PasswordHash) || auth.CheckPassword(pw, u.PasswordHash) || u.DisabledAt.IsZero() || u.CreatedBy != "root" {
		t.Errorf("stored user: %+v", u)
	}
	recs, err := st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "user/"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Actor+" "+r.Action+" "+r.Subject)
	}
	if strings.Join(got, "; ") != "root user.create user/ana; root user.password user/ana; root user.disable user/ana" {
		t.Errorf("audit records: %v", got)
	}
}
