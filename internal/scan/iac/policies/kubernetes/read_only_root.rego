package sluice.kubernetes.read_only_root

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-writable-root-filesystem",
	"title": "Container root filesystem is writable",
	"severity": "low",
	"cwe": [732],
	"checkov": "CKV_K8S_22",
	"avd": "AVD-KSV-0014",
	"kube_linter": "no-read-only-root-fs",
	"kinds": k8s.pod_kinds,
	"remediation": "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process must write (/tmp, caches).",
	"references": ["https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"],
}

deny contains {"msg": msg, "path": array.concat(c.path, ["securityContext", "readOnlyRootFilesystem"])} if {
	some c in k8s.containers
	c.container.securityContext.readOnlyRootFilesystem == false
	msg := sprintf("container %q sets readOnlyRootFilesystem: false", [c.container.name])
}

deny contains {"msg": msg, "path": c.path} if {
	some c in k8s.containers
	not k8s.has_key(object.get(c.container, "securityContext", {}), "readOnlyRootFilesystem")
	msg := sprintf("container %q does not set readOnlyRootFilesystem: true", [c.container.name])
}
