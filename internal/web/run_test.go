package web

import "testing"

func TestLatestPerEnv(t *testing.T) {
	ds := []apiDecision{{ID: 1, Env: "staging", Outcome: "block"}, {ID: 2, Env: "production", Outcome: "pass"},
		{ID: 3, Env: "staging", Outcome: "warn"}, {ID: 4, Env: "staging", Outcome: "pass"}, {ID: 5, Env: "dev", Outcome: "warn"}}
	got := latestPerEnv(ds)
	if len(got) != 3 || got[0].Env != "dev" || got[1].Env != "staging" || got[2].Env != "production" {
		t.Fatalf("environments %+v; want dev, staging, production", got)
	}
	st := got[1]
	if st.ID != 4 || len(st.Earlier) != 2 || st.Earlier[0].ID != 3 || st.Earlier[1].ID != 1 {
		t.Errorf("staging: latest %d, earlier %+v; want 4, then 3 and 1", st.ID, st.Earlier)
	}
	if len(got[0].Earlier) != 0 || ds[0].Earlier != nil {
		t.Error("a lone decision has earlier ones, or the input was changed")
	}
}
