package sluice.kubernetes.run_as_root

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-run-as-root",
	"title": "Container runs as root (runAsUser: 0)",
	"severity": "high",
	"cwe": [250, 16],
	"checkov": "CKV_K8S_23",
	"avd": "AVD-KSV-0105",
	"kube_linter": "run-as-non-root",
	"kinds": k8s.pod_kinds,
	"keywords": "runAsUser",
	"remediation": "Run as an unprivileged user: set runAsUser to a non-zero id (10000 or above) and runAsNonRoot: true.",
	"references": ["https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"],
}

deny contains {"msg": msg, "path": array.concat(c.path, ["securityContext", "runAsUser"])} if {
	some c in k8s.containers
	c.container.securityContext.runAsUser == 0
	msg := sprintf("container %q sets runAsUser: 0 (root)", [c.container.name])
}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["securityContext", "runAsUser"])} if {
	k8s.pod_spec.securityContext.runAsUser == 0
	some c in k8s.containers
	not k8s.has_key(object.get(c.container, "securityContext", {}), "runAsUser")
	msg := sprintf("the pod sets runAsUser: 0 (root), which container %q inherits", [c.container.name])
}
