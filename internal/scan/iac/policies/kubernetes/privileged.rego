package sluice.kubernetes.privileged

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-privileged-container",
	"title": "Container runs privileged",
	"severity": "critical",
	"cwe": [250, 16],
	"checkov": "CKV_K8S_16",
	"avd": "AVD-KSV-0017",
	"kube_linter": "privileged-container",
	"kinds": k8s.pod_kinds,
	"keywords": "privileged",
	"remediation": "Remove securityContext.privileged (or set it to false); grant the single capability the container needs instead.",
	"references": ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"],
}

deny contains {"msg": msg, "path": array.concat(c.path, ["securityContext", "privileged"])} if {
	some c in k8s.containers
	c.container.securityContext.privileged == true
	msg := sprintf("container %q runs privileged: root on the node", [c.container.name])
}
