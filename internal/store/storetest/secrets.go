package storetest

import (
	"testing"

	"github.com/sluice-ci/sluice/internal/store"
)

var secretTests = []subtest{
	{"PutGetListDelete", testSecrets},
}

func testSecrets(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	ss := s.Secrets()
	a := &store.Secret{Env: "production", Name: "API_TOKEN", Sealed: []byte{1, 2, 3}, KeyID: "k1", UpdatedBy: "ana", UpdatedAt: at(0)}
	if err := ss.PutSecret(ctx, a, &store.AuditRecord{Action: "secret.put", Subject: "secret/production/API_TOKEN"}); err != nil {
		t.Fatal(err)
	}
	b := &store.Secret{Project: "web", Name: "API_TOKEN", Sealed: []byte{4}, KeyID: "k1", UpdatedAt: at(0)}
	if err := ss.PutSecret(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ss.GetSecret(ctx, "", "production", "API_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	wantDiff(t, "secret", a, got)
	a.Sealed, a.KeyID = []byte{9, 9}, "k2"
	if err := ss.PutSecret(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = ss.GetSecret(ctx, "", "production", "API_TOKEN")
	if got.KeyID != "k2" || len(got.Sealed) != 2 {
		t.Errorf("replaced secret: %+v", got)
	}
	_, err = ss.GetSecret(ctx, "", "staging", "API_TOKEN")
	wantErr(t, "a secret of another scope", err, store.ErrNotFound)
	list, err := ss.ListSecrets(ctx)
	if err != nil || len(list) != 2 || list[0].Project != "" || list[1].Project != "web" {
		t.Errorf("ListSecrets: %v %v", list, err)
	}
	if err := ss.DeleteSecret(ctx, "web", "", "API_TOKEN", &store.AuditRecord{Action: "secret.delete", Subject: "secret/web/API_TOKEN"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "deleting twice", ss.DeleteSecret(ctx, "web", "", "API_TOKEN", nil), store.ErrNotFound)
	recs, _ := s.Audit().ListAudit(ctx, store.AuditQuery{SubjectPrefix: "secret/"})
	if len(recs) != 2 {
		t.Errorf("audit records: %d", len(recs))
	}
}
