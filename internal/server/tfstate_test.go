package server

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

func tfState(serial int, lineage, input string) []byte {
	return fmt.Appendf(nil, `{"version":4,"terraform_version":"1.11.4","serial":%d,"lineage":%q,"outputs":{},"resources":[
  {"mode":"managed","type":"terraform_data","name":"a","instances":[{"attributes":{"id":"1","input":%q}}]}]}`, serial, lineage, input)
}

func basic(user, key string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+key))}
}

// TestTFStateProtocol walks Terraform's http backend protocol as Terraform
// uses it, with the key as the Basic auth password.
func TestTFStateProtocol(t *testing.T) {
	fx := newFixture(t)
	dev := basic("terraform", fx.mkKey("ci", "developer"))
	const url = "/api/v1/tfstate/net"

	if res, body := fx.do("GET", url, "", nil, dev); res.StatusCode != http.StatusNoContent {
		t.Fatalf("GET before any write: %d %s, want 204", res.StatusCode, body)
	}
	lockA := `{"ID":"aaaa-1111","Operation":"OperationTypeApply","Info":"","Who":"ana@laptop","Version":"1.11.4","Created":"2025-03-04T05:06:07Z","Path":""}`
	if res, body := fx.do("LOCK", url+"/lock", "", []byte(lockA), dev); res.StatusCode != http.StatusOK {
		t.Fatalf("LOCK: %d %s", res.StatusCode, body)
	}
	// A second locker gets 423 with the holder's lock info.
	res, body := fx.do("LOCK", url+"/lock", "", []byte(`{"ID":"bbbb-2222","Who":"bo@ci"}`), dev)
	var held map[string]string
	if res.StatusCode != http.StatusLocked || json.Unmarshal(body, &held) != nil || held["ID"] != "aaaa-1111" || held["Who"] != "ana@laptop" ||
		held["Operation"] != "OperationTypeApply" || held["Created"] != "2025-03-04T05:06:07Z" {
		t.Fatalf("second LOCK: %d %s, want 423 with the holder's lock info", res.StatusCode, body)
	}
	// POST with lock_method = "POST" behaves alike.
	if res, _ := fx.do("POST", url+"/lock", "", []byte(`{"ID":"bbbb-2222"}`), dev); res.StatusCode != http.StatusLocked {
		t.Errorf("POST lock while locked: %d", res.StatusCode)
	}
	// Writes: without the id 423, with another id 409, with the id 200.
	if res, body := fx.do("POST", url, "", tfState(1, "L", "one"), dev); res.StatusCode != http.StatusLocked || !strings.Contains(string(body), "aaaa-1111") {
		t.Errorf("POST without the lock id: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("POST", url+"?ID=bbbb-2222", "", tfState(1, "L", "one"), dev); res.StatusCode != http.StatusConflict {
		t.Errorf("POST with another lock id: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("POST", url+"?ID=aaaa-1111", "", tfState(1, "L", "one"), dev); res.StatusCode != http.StatusOK {
		t.Fatalf("POST with the lock id: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("UNLOCK", url+"/lock", "", []byte(`{"ID":"bbbb-2222"}`), dev); res.StatusCode != http.StatusConflict {
		t.Errorf("UNLOCK with another id: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("UNLOCK", url+"/lock", "", []byte(lockA), dev); res.StatusCode != http.StatusOK {
		t.Fatalf("UNLOCK: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("UNLOCK", url+"/lock", "", []byte(lockA), dev); res.StatusCode != http.StatusConflict {
		t.Errorf("UNLOCK twice: %d, want 409", res.StatusCode)
	}
	res, body = fx.do("GET", url, "", nil, dev)
	if res.StatusCode != http.StatusOK || string(body) != string(tfState(1, "L", "one")) || res.Header.Get("X-Sluice-TFState-Serial") != "1" {
		t.Fatalf("GET: %d %s", res.StatusCode, body)
	}
	// Stale and foreign writes.
	if res, _ := fx.do("POST", url, "", tfState(2, "L", "two"), dev); res.StatusCode != http.StatusOK {
		t.Fatalf("POST serial 2: %d", res.StatusCode)
	}
	for what, c := range map[string]struct {
		body []byte
		want string
	}{
		"lower serial":        {tfState(1, "L", "old"), "stale state: serial 1 < stored 2"},
		"same serial, other":  {tfState(2, "L", "other"), "stale state: serial 2 is stored already with different content"},
		"another lineage":     {tfState(9, "M", "x"), "lineage mismatch"},
		"not a state":         {[]byte(`{"hello":"world"}`), "not a Terraform state"},
		"a state with a typo": {[]byte(`{"version":4,`), "not a Terraform state"},
	} {
		res, body := fx.do("POST", url, "", c.body, dev)
		var e apiError
		if res.StatusCode/100 != 4 || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error.Message, c.want) {
			t.Errorf("%s: %d %s, want 4xx saying %q", what, res.StatusCode, body, c.want)
		}
	}
	// The same content again changes nothing.
	if res, body := fx.do("POST", url, "", tfState(2, "L", "two"), dev); res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"stored": false`) {
		t.Errorf("the same state again: %d %s", res.StatusCode, body)
	}
	// History, one version, diff, restore.
	var hist struct {
		State    struct{ Version, Serial int64 }
		Versions []struct {
			Version, Serial int64
			Actor           string
		}
	}
	res, body = fx.do("GET", url+"/versions", "", nil, dev)
	if res.StatusCode != 200 || json.Unmarshal(body, &hist) != nil || len(hist.Versions) != 2 || hist.State.Version != 2 || hist.Versions[0].Actor != "ci" {
		t.Fatalf("versions: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("GET", url+"/versions/1", "", nil, dev); res.StatusCode != 200 || string(body) != string(tfState(1, "L", "one")) {
		t.Errorf("version 1: %d %s", res.StatusCode, body)
	}
	if res, body := fx.do("GET", url+"/diff?from=1&to=2", "", nil, dev); res.StatusCode != 200 || !strings.Contains(string(body), `"attributes": [`) {
		t.Errorf("diff: %d %s", res.StatusCode, body)
	}
	res, body = fx.do("POST", url+"/restore", "", map[string]int{"version": 1}, dev)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"serial": 3`) {
		t.Fatalf("restore: %d %s", res.StatusCode, body)
	}
	res, body = fx.do("GET", url, "", nil, dev)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"input": "one"`) || res.Header.Get("X-Sluice-TFState-Serial") != "3" {
		t.Errorf("GET after the restore: %d %s", res.StatusCode, body)
	}

	// Every read and change is audited, never with the state's content.
	recs, _ := fx.st.Audit().ListAudit(t.Context(), store.AuditQuery{SubjectPrefix: "tfstate/net"})
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Action]++
		if r.Actor != "ci" {
			t.Errorf("%s by %q, want the key's name", r.Action, r.Actor)
		}
		for _, v := range r.Data {
			if strings.Contains(v, `"input"`) || strings.Contains(v, "resources") {
				t.Errorf("audit record %s holds state content: %v", r.Action, r.Data)
			}
		}
	}
	for action, n := range map[string]int{"tfstate.lock": 1, "tfstate.unlock": 1, "tfstate.write": 3, "tfstate.write_refused": 5, "tfstate.restore": 1} {
		if seen[action] != n {
			t.Errorf("%d %s records, want %d (all: %v)", seen[action], action, n, seen)
		}
	}
	if seen["tfstate.read"] < 4 {
		t.Errorf("reads audited: %d", seen["tfstate.read"])
	}
}

// TestTFStateAccess: who may do what to which state.
func TestTFStateAccess(t *testing.T) {
	fx := newFixture(t)
	dev := fx.mkKey("ci", "developer")
	webDev := fx.mkKey("web-ci", "developer@web")
	viewer := fx.mkKey("viewer", "viewer")
	approver := fx.mkKey("approver", "approver")
	admin := fx.mkKey("admin", "admin")

	// Bearer keys work as well as Basic auth; the Basic user name is not checked.
	if res, _ := fx.do("POST", "/api/v1/tfstate/net", dev, tfState(1, "L", "x"), nil); res.StatusCode != 200 {
		t.Fatalf("a developer's bearer key writes: %d", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/tfstate/net", "", nil, basic("anything", dev)); res.StatusCode != 200 {
		t.Errorf("Basic auth with any user name: %d", res.StatusCode)
	}
	for what, hdr := range map[string]map[string]string{
		"no credentials": nil,
		"a bad password": basic("terraform", "slk_nothing_here"),
		"no password":    basic("terraform", ""),
	} {
		if res, _ := fx.do("GET", "/api/v1/tfstate/net", "", nil, hdr); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", what, res.StatusCode)
		}
	}
	// Basic auth is for Terraform's routes only.
	if res, _ := fx.do("GET", "/api/v1/runs", "", nil, basic("terraform", admin)); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("Basic auth on another route: %d, want 401", res.StatusCode)
	}
	// States hold secrets: neither viewers nor approvers read them.
	for _, k := range []string{viewer, approver} {
		if res, _ := fx.do("GET", "/api/v1/tfstate/net", k, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("viewer or approver reads a state: %d, want 403", res.StatusCode)
		}
	}
	// A project's key reaches its project's states, not those of no project.
	if res, _ := fx.do("GET", "/api/v1/tfstate/net", webDev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a project key reads a state of no project: %d", res.StatusCode)
	}
	if res, body := fx.do("POST", "/api/v1/projects/web/tfstate/net", webDev, tfState(1, "W", "web"), nil); res.StatusCode != 200 {
		t.Errorf("a project key writes its project's state: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("POST", "/api/v1/projects/api/tfstate/net", webDev, tfState(1, "W", "web"), nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a project key writes another project's state: %d", res.StatusCode)
	}
	// The same name in a project is another state.
	if res, body := fx.do("GET", "/api/v1/projects/web/tfstate/net", webDev, nil, nil); !strings.Contains(string(body), `"input":"web"`) {
		t.Errorf("the project's state: %d %s", res.StatusCode, body)
	}
	var list struct {
		States []struct{ Project, Name string }
	}
	res, body := fx.do("GET", "/api/v1/tfstate", webDev, nil, nil)
	if res.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list.States) != 1 || list.States[0].Project != "web" {
		t.Errorf("a project key lists: %d %s", res.StatusCode, body)
	}
	// An environment's grant does not reach a state through ?env=.
	stagingDev := fx.mkKey("staging-ci", "developer@*/staging")
	if res, _ := fx.do("GET", "/api/v1/tfstate/net?env=staging", stagingDev, nil, nil); res.StatusCode == http.StatusOK {
		t.Errorf("an environment's key reads a state with ?env=: %d", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/tfstate/net", stagingDev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("an environment's key reads a state: %d, want 403", res.StatusCode)
	}
	// Names are checked.
	if res, _ := fx.do("GET", "/api/v1/tfstate/Net", dev, nil, nil); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad name: %d", res.StatusCode)
	}

	// Force-unlock and delete are an admin's.
	if res, _ := fx.do("LOCK", "/api/v1/tfstate/net/lock", dev, []byte(`{"ID":"held"}`), nil); res.StatusCode != 200 {
		t.Fatal("lock")
	}
	if res, _ := fx.do("UNLOCK", "/api/v1/tfstate/net/lock?force=true", dev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer forces the lock: %d, want 403", res.StatusCode)
	}
	// terraform force-unlock sends no lock id: that is forcing too.
	if res, _ := fx.do("UNLOCK", "/api/v1/tfstate/net/lock", dev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer unlocks without the lock id: %d, want 403", res.StatusCode)
	}
	if res, _ := fx.do("DELETE", "/api/v1/tfstate/net", admin, nil, nil); res.StatusCode != http.StatusLocked {
		t.Errorf("deleting a locked state: %d, want 423", res.StatusCode)
	}
	if res, body := fx.do("DELETE", "/api/v1/tfstate/net/lock?force=true", admin, nil, nil); res.StatusCode != 200 || !strings.Contains(string(body), `"unlocked": "held"`) {
		t.Errorf("an admin forces the lock: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("LOCK", "/api/v1/tfstate/net/lock", dev, []byte(`{"ID":"again"}`), nil); res.StatusCode != 200 {
		t.Fatal("lock again")
	}
	if res, body := fx.do("UNLOCK", "/api/v1/tfstate/net/lock", admin, nil, nil); res.StatusCode != 200 || !strings.Contains(string(body), `"unlocked": "again"`) {
		t.Errorf("an admin unlocks without the lock id: %d %s", res.StatusCode, body)
	}
	if res, _ := fx.do("DELETE", "/api/v1/tfstate/net", dev, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a developer deletes a state: %d, want 403", res.StatusCode)
	}
	if res, _ := fx.do("DELETE", "/api/v1/tfstate/net", admin, nil, nil); res.StatusCode != 200 {
		t.Errorf("an admin deletes a state: %d", res.StatusCode)
	}
	if res, _ := fx.do("GET", "/api/v1/tfstate/net", dev, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("GET after the delete: %d, want 204", res.StatusCode)
	}
	if recs := fx.audited("tfstate/net", "tfstate.force_unlock"); len(recs) != 2 || recs[0].Actor != "admin" || recs[0].Data["lock"] != "held" {
		t.Errorf("force unlock audit: %+v", recs)
	}
}

// TestTFStateOpenAPI: LOCK and UNLOCK are in the document as extensions,
// and refuse a call without a key like every other route.
func TestTFStateOpenAPI(t *testing.T) {
	fx := newFixture(t)
	doc := fx.s.OpenAPI()
	item := doc["paths"].(map[string]any)["/api/v1/tfstate/{name}/lock"].(map[string]any)
	for _, m := range []string{"x-lock", "x-unlock", "post", "delete"} {
		if item[m] == nil {
			t.Errorf("the lock path has no %s operation: %v", m, item)
		}
	}
	for _, m := range []string{"LOCK", "UNLOCK"} {
		if res, _ := fx.do(m, "/api/v1/projects/web/tfstate/net/lock", "", []byte(`{"ID":"x"}`), nil); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a key: %d", m, res.StatusCode)
		}
	}
}
