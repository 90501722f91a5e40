package sluice.kubernetes.host_root_mount

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-host-root-mount",
	"title": "Pod mounts the node's root filesystem",
	"severity": "critical",
	"cwe": [668],
	"avd": "AVD-KSV-0023",
	"kube_linter": "sensitive-host-mounts",
	"kinds": k8s.pod_kinds,
	"keywords": "hostPath",
	"remediation": "Mount only the files the workload needs, read-only, or use a ConfigMap, Secret or persistent volume instead of hostPath.",
	"references": ["https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"],
}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["volumes", i, "hostPath", "path"])} if {
	some i, v in k8s.volumes
	regex.match(`^/+$`, v.hostPath.path)
	msg := sprintf("volume %q mounts the node's root filesystem (hostPath /)", [v.name])
}
