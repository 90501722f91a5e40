package sluice.kubernetes.host_network

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-host-network",
	"title": "Pod shares the node's network namespace (hostNetwork)",
	"severity": "high",
	"cwe": [668],
	"checkov": "CKV_K8S_19",
	"avd": "AVD-KSV-0009",
	"kube_linter": "host-network",
	"kinds": k8s.pod_kinds,
	"keywords": "hostNetwork",
	"remediation": "Remove hostNetwork: true; a workload that truly needs it belongs in a dedicated, locked-down namespace.",
	"references": ["https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"],
}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["hostNetwork"])} if {
	k8s.pod_spec.hostNetwork == true
	msg := "the pod sets hostNetwork: true: it sees and can bind the node's network interfaces"
}
