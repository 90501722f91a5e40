# A team's own Kubernetes check: workloads carry a team label.
package sluice.kubernetes.acme_team_label

import rego.v1

metadata := {
	"id": "acme-k8s-team-label",
	"title": "Object has no team label",
	"severity": "info",
	"kinds": ["Deployment", "Pod"],
	"remediation": "Add metadata.labels.team.",
}

deny contains {"msg": sprintf("%s %s has no team label", [input.kind, input.metadata.name]), "path": ["metadata"]} if {
	not input.metadata.labels.team
}
