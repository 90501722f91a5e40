package sluice.kubernetes.privilege_escalation

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-privilege-escalation",
	"title": "Container allows privilege escalation",
	"severity": "medium",
	"cwe": [269],
	"checkov": "CKV_K8S_20",
	"avd": "AVD-KSV-0001",
	"kube_linter": "privilege-escalation-container",
	"kinds": k8s.pod_kinds,
	"remediation": "Set securityContext.allowPrivilegeEscalation: false on every container, so setuid binaries cannot gain privileges.",
	"references": ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"],
}

deny contains {"msg": msg, "path": array.concat(c.path, ["securityContext", "allowPrivilegeEscalation"])} if {
	some c in k8s.containers
	c.container.securityContext.allowPrivilegeEscalation == true
	msg := sprintf("container %q sets allowPrivilegeEscalation: true", [c.container.name])
}

deny contains {"msg": msg, "path": c.path} if {
	some c in k8s.containers
	not k8s.has_key(object.get(c.container, "securityContext", {}), "allowPrivilegeEscalation")
	msg := sprintf("container %q does not set allowPrivilegeEscalation: false (it defaults to true)", [c.container.name])
}
