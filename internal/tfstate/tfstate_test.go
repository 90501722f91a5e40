package tfstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/store/sqlstore"
)

// state is a Terraform state (format 4) with terraform_data resources
// named after the keys of inputs, each with its input.
func state(serial int64, lineage string, inputs map[string]string, outputs map[string]string) []byte {
	type instance struct {
		IndexKey   any            `json:"index_key,omitempty"`
		Attributes map[string]any `json:"attributes"`
	}
	type resource struct {
		Module    string     `json:"module,omitempty"`
		Mode      string     `json:"mode"`
		Type      string     `json:"type"`
		Name      string     `json:"name"`
		Instances []instance `json:"instances"`
	}
	var rs []resource
	for name, in := range inputs {
		rs = append(rs, resource{Mode: "managed", Type: "terraform_data", Name: name,
			Instances: []instance{{Attributes: map[string]any{"id": "id-" + name, "input": in, "output": in}}}})
	}
	outs := map[string]any{}
	for k, v := range outputs {
		outs[k] = map[string]any{"value": v, "type": "string"}
	}
	b, err := json.MarshalIndent(map[string]any{"version": 4, "terraform_version": "1.11.4", "serial": serial, "lineage": lineage,
		"outputs": outs, "resources": rs, "check_results": nil}, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

func TestNewRef(t *testing.T) {
	for _, ok := range [][2]string{{"", "network"}, {"web", "prod.eu-1"}, {"", "0"}, {"a", strings.Repeat("x", 100)}} {
		if _, err := NewRef(ok[0], ok[1]); err != nil {
			t.Errorf("NewRef(%q, %q): %v", ok[0], ok[1], err)
		}
	}
	for _, bad := range [][2]string{{"", ""}, {"", "Net"}, {"", ".hidden"}, {"", "a/b"}, {"", strings.Repeat("x", 101)}, {"We b", "net"}, {"", "net\n"}} {
		if _, err := NewRef(bad[0], bad[1]); !errors.Is(err, ErrBadInput) {
			t.Errorf("NewRef(%q, %q) = %v, want ErrBadInput", bad[0], bad[1], err)
		}
	}
	if r := (Ref{Project: "web", Name: "net"}); r.String() != "web/net" || r.Subject() != "tfstate/web/net" {
		t.Errorf("%v %v", r, r.Subject())
	}
}

func TestParseMeta(t *testing.T) {
	m, err := ParseMeta(state(7, "L", nil, nil))
	if err != nil || m.Serial != 7 || m.Lineage != "L" || m.Format != 4 || m.TerraformVersion != "1.11.4" {
		t.Fatalf("ParseMeta: %+v %v", m, err)
	}
	for what, bad := range map[string]string{
		"not JSON":      `{"version": 4,`,
		"two values":    `{"version":4,"serial":1,"lineage":"L"} {}`,
		"no lineage":    `{"version":4,"serial":1}`,
		"no serial":     `{"version":4,"lineage":"L"}`,
		"old format":    `{"version":1,"serial":1,"lineage":"L"}`,
		"a list":        `[1]`,
		"negative":      `{"version":4,"serial":-1,"lineage":"L"}`,
		"string serial": `{"version":4,"serial":"1","lineage":"L"}`,
	} {
		if _, err := ParseMeta([]byte(bad)); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", what, err)
		}
	}
}

func TestWithSerial(t *testing.T) {
	in := state(3, "L", map[string]string{"a": "x"}, nil)
	out, err := WithSerial(in, 9)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMeta(out)
	if err != nil || m.Serial != 9 || m.Lineage != "L" {
		t.Fatalf("after WithSerial: %+v %v\n%s", m, err, out)
	}
	if c, err := Diff(in, out); err != nil || !c.Empty() {
		t.Errorf("WithSerial changed resources: %+v %v", c, err)
	}
}

func TestDiff(t *testing.T) {
	a := state(1, "L", map[string]string{"kept": "1", "gone": "1", "moved": "1"}, map[string]string{"url": "a", "old": "x"})
	b := state(2, "L", map[string]string{"kept": "1", "new": "1", "moved": "2"}, map[string]string{"url": "b", "added": "y"})
	c, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := c.Write(&out); err != nil {
		t.Fatal(err)
	}
	want := `- terraform_data.gone
~ terraform_data.moved (input, output)
+ terraform_data.new
+ output.added
- output.old
~ output.url
`
	if out.String() != want {
		t.Errorf("diff:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), `"2"`) {
		t.Error("the diff shows an attribute's value")
	}
	// Addresses: modules, data sources, count and for_each keys.
	c2, err := Diff([]byte(`{"version":4,"serial":1,"lineage":"L","resources":[]}`), []byte(`{"version":4,"serial":1,"lineage":"L","resources":[
		{"module":"module.net","mode":"managed","type":"aws_subnet","name":"s","instances":[{"index_key":0,"attributes":{}},{"index_key":1,"attributes":{}}]},
		{"mode":"data","type":"aws_ami","name":"ubuntu","instances":[{"attributes":{}}]},
		{"mode":"managed","type":"x","name":"y","instances":[{"index_key":"eu","attributes":{}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, x := range c2.Resources {
		addrs = append(addrs, x.Address)
	}
	if got := strings.Join(addrs, " "); got != `data.aws_ami.ubuntu module.net.aws_subnet.s[0] module.net.aws_subnet.s[1] x.y["eu"]` {
		t.Errorf("addresses: %s", got)
	}
	if _, err := Diff([]byte("{"), b); !errors.Is(err, ErrBadInput) {
		t.Errorf("a bad state: %v", err)
	}
}

func newBackend(t *testing.T) *Backend {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Backend{Store: st, Key: bytes.Repeat([]byte{3}, 32)}
}

// TestBackend: states are sealed at rest and bound to their name; a write
// is checked, audited without its content; a restore is a new version.
func TestBackend(t *testing.T) {
	b := newBackend(t)
	ctx := t.Context()
	net := Ref{Name: "net"}
	marker := "value-of-db-" + strings.Repeat("s", 8)
	v1 := state(1, "L", map[string]string{"db": marker}, nil)
	v, stored, err := b.Write(ctx, net, v1, "", "ci")
	if err != nil || !stored || v.Version != 1 {
		t.Fatalf("write: %+v %v %v", v, stored, err)
	}
	at, err := b.Store.TFState().GetTFStateVersion(ctx, "", "net", 1)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(at.Sealed, []byte(marker)) {
		t.Error("the state is stored in the clear")
	}
	// The sealed content does not open as another state's.
	if _, err := b.open(Ref{Name: "other"}, at); err == nil {
		t.Error("a state's sealed content opened under another name")
	}
	got, _, err := b.Read(ctx, net, 0, "ana")
	if err != nil || !bytes.Equal(got, v1) {
		t.Fatalf("read: %v", err)
	}
	// Stale and locked writes are refused and audited.
	if _, _, err := b.Write(ctx, net, state(0, "L", nil, nil), "", "ci"); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "stale state: serial 0 < stored 1") {
		t.Errorf("stale write: %v", err)
	}
	if _, err := b.Lock(ctx, net, []byte(`{"ID":"abc","Operation":"OperationTypeApply","Who":"ana@laptop"}`), "ana"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Write(ctx, net, state(2, "L", nil, nil), "", "ci"); !errors.Is(err, store.ErrLocked) {
		t.Errorf("write while locked: %v", err)
	}
	v2 := state(2, "L", map[string]string{"db": "rotated"}, nil)
	if _, _, err := b.Write(ctx, net, v2, "abc", "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Restore(ctx, net, 1, "ana"); !errors.Is(err, store.ErrLocked) {
		t.Errorf("restore while locked: %v", err)
	}
	if _, err := b.Unlock(ctx, net, "abc", false, "ana"); err != nil {
		t.Fatal(err)
	}
	r, err := b.Restore(ctx, net, 1, "admin")
	if err != nil || r.Version != 3 || r.Serial != 3 || r.RestoredFrom != 1 {
		t.Fatalf("restore: %+v %v", r, err)
	}
	cur, _, err := b.Read(ctx, net, 0, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := Diff(v1, cur); !c.Empty() {
		t.Errorf("the restored state differs from version 1: %+v", c)
	}
	if c, _ := b.DiffVersions(ctx, net, 2, 3, "ana"); len(c.Resources) != 1 || c.Resources[0].Address != "terraform_data.db" {
		t.Errorf("diff 2 3: %+v", c)
	}
	if _, err := b.Restore(ctx, net, 3, "admin"); !errors.Is(err, ErrBadInput) {
		t.Errorf("restoring the current version: %v", err)
	}

	recs, err := b.Store.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "tfstate/net"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rec := range recs {
		actions = append(actions, rec.Action)
		if strings.Contains(fmt.Sprint(rec.Data), marker) || strings.Contains(fmt.Sprint(rec.Data), "rotated") {
			t.Errorf("audit record %s holds state content: %v", rec.Action, rec.Data)
		}
	}
	want := "tfstate.write tfstate.read tfstate.write_refused tfstate.lock tfstate.write_refused tfstate.write tfstate.unlock tfstate.restore tfstate.read tfstate.read tfstate.read"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audit:\n got %s\nwant %s", got, want)
	}

	// A new server key: everything re-sealed opens with it, and only it.
	fresh := bytes.Repeat([]byte{4}, 32)
	rs, err := b.PrepareReseal(ctx, fresh)
	if err != nil || len(rs) != 3 {
		t.Fatalf("PrepareReseal: %d %v", len(rs), err)
	}
	if err := b.ApplyReseal(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Read(ctx, net, 1, "ana"); err == nil {
		t.Error("a re-sealed version opened with the old key")
	}
	b.Key = fresh
	if got, _, err := b.Read(ctx, net, 1, "ana"); err != nil || !bytes.Equal(got, v1) {
		t.Errorf("a re-sealed version with the new key: %v", err)
	}
}

func TestLockInfo(t *testing.T) {
	for _, bad := range []string{``, `{}`, `{"ID":""}`, `[1]`, `{"ID":"` + strings.Repeat("x", 201) + `"}`} {
		if _, err := ParseLockInfo([]byte(bad)); !errors.Is(err, ErrBadInput) {
			t.Errorf("ParseLockInfo(%q): %v", bad, err)
		}
	}
	l := &store.TFLock{ID: "x", Info: []byte(`{"ID":"x","Who":"ana@laptop","Operation":"OperationTypePlan"}`)}
	var li LockInfo
	if err := json.Unmarshal(LockInfoOf(l), &li); err != nil || li.Who != "ana@laptop" || li.Operation != "OperationTypePlan" {
		t.Errorf("LockInfoOf: %+v %v", li, err)
	}
	l.Info = []byte("garbage")
	l.Actor = "ci"
	if err := json.Unmarshal(LockInfoOf(l), &li); err != nil || li.ID != "x" || li.Who != "ci" {
		t.Errorf("LockInfoOf a lock without info: %+v %v", li, err)
	}
}
