package sluice.kubernetes.host_pid

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-host-pid",
	"title": "Pod shares the node's PID namespace (hostPID)",
	"severity": "high",
	"cwe": [668],
	"checkov": "CKV_K8S_17",
	"avd": "AVD-KSV-0010",
	"kube_linter": "host-pid",
	"kinds": k8s.pod_kinds,
	"keywords": "hostPID",
	"remediation": "Remove hostPID: true; a workload that truly needs it belongs in a dedicated, locked-down namespace.",
	"references": ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"],
}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["hostPID"])} if {
	k8s.pod_spec.hostPID == true
	msg := "the pod sets hostPID: true: it sees and can signal every process on the node"
}
