package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/sluice-ci/sluice/internal/auth"
)

// TestWhoami: any valid key, however narrow, learns its id, name and
// grants with the actions each allows; no key learns nothing.
func TestWhoami(t *testing.T) {
	fx := newFixture(t)
	key := fx.mkKey("stager", "approver@*/staging", "developer@goodbooks")
	res, body := fx.do("GET", "/api/v1/whoami", key, nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("whoami: %d %s", res.StatusCode, body)
	}
	var me struct {
		KeyID  string `json:"key_id"`
		Name   string
		Grants []grantJSON
	}
	if err := json.Unmarshal(body, &me); err != nil {
		t.Fatal(err)
	}
	id, _, err := auth.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if me.KeyID != id || me.Name != "stager" || len(me.Grants) != 2 {
		t.Fatalf("whoami: %+v", me)
	}
	g := me.Grants[0]
	if g.Grant != "approver@*/staging" || g.Role != "approver" || g.Project != "" || g.Env != "staging" || !slices.Contains(g.Actions, auth.Approve) ||
		slices.Contains(g.Actions, auth.TriggerRun) {
		t.Errorf("first grant: %+v", g)
	}
	if g := me.Grants[1]; g.Grant != "developer@goodbooks" || g.Project != "goodbooks" || !slices.Contains(g.Actions, auth.CancelRun) {
		t.Errorf("second grant: %+v", g)
	}
	if res, _ := fx.do("GET", "/api/v1/whoami", "", nil, nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("whoami without a key: %d, want 401", res.StatusCode)
	}
}
