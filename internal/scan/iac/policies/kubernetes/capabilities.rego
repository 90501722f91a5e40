package sluice.kubernetes.capabilities

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-dangerous-capabilities",
	"title": "Container adds a dangerous Linux capability",
	"severity": "high",
	"cwe": [269],
	"checkov": ["CKV_K8S_39", "CKV_K8S_25"],
	"avd": "AVD-KSV-0005",
	"kinds": k8s.pod_kinds,
	"keywords": "capabilities",
	"remediation": "Drop ALL capabilities and add back only the narrow ones the process needs (NET_BIND_SERVICE, say); SYS_ADMIN, NET_ADMIN and ALL are close to root on the node.",
	"references": ["https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container"],
}

dangerous := {"SYS_ADMIN", "NET_ADMIN", "ALL", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "BPF"}

deny contains {"msg": msg, "path": array.concat(c.path, ["securityContext", "capabilities", "add", j])} if {
	some c in k8s.containers
	some j, cap in c.container.securityContext.capabilities.add
	name := trim_prefix(upper(cap), "CAP_")
	name in dangerous
	msg := sprintf("container %q adds the %s capability", [c.container.name, name])
}
