package sluice.kubernetes.run_as_non_root

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-run-as-non-root-not-set",
	"title": "Container may run as root: runAsNonRoot is not true",
	"severity": "medium",
	"cwe": [250, 16],
	"checkov": "CKV_K8S_23",
	"avd": "AVD-KSV-0012",
	"kube_linter": "run-as-non-root",
	"kinds": k8s.pod_kinds,
	"remediation": "Set runAsNonRoot: true in the pod's or container's securityContext (and a non-zero runAsUser), so the kubelet refuses to start the container as root.",
	"references": ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"],
}

deny contains {"msg": msg, "path": c.path} if {
	some c in k8s.containers
	not non_root(c.container)
	not non_root_user(c.container)
	not root_user(c.container)
	msg := sprintf("container %q may run as root: neither it nor the pod sets runAsNonRoot: true or a non-zero runAsUser", [c.container.name])
}

non_root(c) if k8s.security_context(c, "runAsNonRoot") == true

non_root_user(c) if k8s.security_context(c, "runAsUser") > 0

# Root by explicit runAsUser: 0 is k8s-run-as-root's finding.
root_user(c) if k8s.security_context(c, "runAsUser") == 0
