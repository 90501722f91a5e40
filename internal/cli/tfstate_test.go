package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
	"github.com/sluice-ci/sluice/internal/tfstate"
)

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func cliTFState(serial int, resources ...string) []byte {
	var rs []string
	for _, r := range resources {
		rs = append(rs, fmt.Sprintf(`{"mode":"managed","type":"terraform_data","name":%q,"instances":[{"attributes":{"id":%q}}]}`, r, r))
	}
	return fmt.Appendf(nil, `{"version":4,"serial":%d,"lineage":"L","outputs":{},"resources":[%s]}`, serial, strings.Join(rs, ","))
}

// TestTFStateCommands: sluice tf state on a data folder a control plane
// wrote states to.
func TestTFStateCommands(t *testing.T) {
	t.Setenv("SLUICE_SECRET_KEY", "")
	t.Setenv("SLUICE_ACTOR", "ops")
	data := filepath.Join(t.TempDir(), "data")
	st, err := sqlstore.Open(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	key, err := server.LoadSealKey(filepath.Join(data, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	b := &tfstate.Backend{Store: st, Key: key}
	net := tfstate.Ref{Name: "net"}
	for i, content := range [][]byte{cliTFState(1, "a"), cliTFState(2, "a", "b"), cliTFState(5, "b", "c")} {
		if _, _, err := b.Write(t.Context(), net, content, "", "ci"); err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
	if _, err := b.Lock(t.Context(), net, []byte(`{"ID":"dead-beef","Operation":"OperationTypeApply","Who":"ana@laptop"}`), "ci"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	d := []string{"--data", data}
	tf := func(args ...string) (int, string, string) {
		return runSluice(t, append(append([]string{"tf", "state"}, args...), d...)...)
	}

	code, out, errOut := tf("list")
	if code != ExitOK || !regexpMatch(`net\s+3\s+5\s+\S+\s+ci\s+dead-beef by ci \(ana@laptop, OperationTypeApply\)`, out) {
		t.Errorf("list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = tf("history", "net")
	if code != ExitOK || !regexpMatch(`(?m)^1\s+1\s+L\s+`, out) || !regexpMatch(`(?m)^3\s+5\s+.*current$`, out) || !strings.Contains(out, "locked: dead-beef") {
		t.Errorf("history: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = tf("show", "net", "--version", "1")
	if code != ExitOK || out != string(cliTFState(1, "a")) {
		t.Errorf("show --version 1: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = tf("diff", "net", "1", "current")
	if code != ExitOK || out != "- terraform_data.a\n+ terraform_data.b\n+ terraform_data.c\n" {
		t.Errorf("diff: exit %d\n%q%s", code, out, errOut)
	}
	// The lock stands in the way of a restore until it is forced off.
	if code, out, errOut := tf("restore", "net", "--version", "1"); code != ExitFailed || !strings.Contains(errOut, "locked") {
		t.Errorf("restore while locked: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := tf("unlock", "net"); code != ExitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("unlock without --force: exit %d %s", code, errOut)
	}
	if code, out, errOut := tf("unlock", "net", "--force"); code != ExitOK || !strings.Contains(out, "released the lock of net: dead-beef") {
		t.Errorf("unlock --force: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := tf("unlock", "net", "--force"); code != ExitFailed {
		t.Errorf("unlock again: exit %d", code)
	}
	if code, out, errOut := tf("restore", "net", "--version", "1"); code != ExitOK || out != "restored version 1 of net as version 4 (serial 6)\n" {
		t.Errorf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := tf("show", "net"); code != ExitOK || !strings.Contains(out, `"serial": 6`) || !strings.Contains(out, `"id": "a"`) {
		t.Errorf("show after the restore: exit %d\n%s", code, out)
	}
	for what, args := range map[string][]string{
		"a bad name":          {"show", "Net"},
		"restore no version":  {"restore", "net"},
		"a bad diff version":  {"diff", "net", "one", "2"},
		"restore the current": {"restore", "net", "--version", "4"},
	} {
		if code, out, errOut := tf(args...); code != ExitUsage {
			t.Errorf("%s: exit %d, want %d\n%s%s", what, code, ExitUsage, out, errOut)
		}
	}
	if code, _, errOut := tf("show", "nothing"); code != ExitFailed || !strings.Contains(errOut, "not found") {
		t.Errorf("show of an unknown state: exit %d %s", code, errOut)
	}

	st, err = sqlstore.Open(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _ := st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "tfstate/net"})
	var ops []string
	for _, r := range recs {
		if r.Actor == "ops" {
			ops = append(ops, r.Action)
		}
	}
	if got := strings.Join(ops, " "); got != "tfstate.read tfstate.read tfstate.read tfstate.force_unlock tfstate.restore tfstate.read" {
		t.Errorf("the commands' audit records: %s", got)
	}
}
