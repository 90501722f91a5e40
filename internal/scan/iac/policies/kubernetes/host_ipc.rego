package sluice.kubernetes.host_ipc

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-host-ipc",
	"title": "Pod shares the node's IPC namespace (hostIPC)",
	"severity": "high",
	"cwe": [668],
	"checkov": "CKV_K8S_18",
	"avd": "AVD-KSV-0008",
	"kube_linter": "host-ipc",
	"kinds": k8s.pod_kinds,
	"keywords": "hostIPC",
	"remediation": "Remove hostIPC: true; a workload that truly needs it belongs in a dedicated, locked-down namespace.",
	"references": ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"],
}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["hostIPC"])} if {
	k8s.pod_spec.hostIPC == true
	msg := "the pod sets hostIPC: true: it shares the node's IPC namespace and shared memory"
}
