package iac

import (
	"context"
	"testing"
)

// TestBuiltinPoliciesCompile compiles the embedded policies of each
// target and checks their metadata.
func TestBuiltinPoliciesCompile(t *testing.T) {
	for _, target := range []string{targetTerraform, targetKubernetes} {
		set, err := loadPolicies(context.Background(), target, nil)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		for _, c := range set.checks {
			if len(c.cwe) == 0 || c.fix == "" || len(c.aliases()) == 0 && c.id != "tf-variable-secret-default" {
				t.Errorf("%s: incomplete metadata: %+v", c.id, c.rule)
			}
		}
		t.Logf("%s: %d checks", target, len(set.checks))
	}
}
