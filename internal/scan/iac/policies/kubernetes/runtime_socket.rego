package sluice.kubernetes.runtime_socket

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-runtime-socket-mount",
	"title": "Pod mounts the container runtime socket",
	"severity": "critical",
	"cwe": [668, 250],
	"checkov": "CKV_K8S_27",
	"avd": "AVD-KSV-0006",
	"kube_linter": "docker-sock",
	"kinds": k8s.pod_kinds,
	"keywords": "hostPath",
	"remediation": "Do not mount the Docker, containerd or CRI-O socket (or the folder holding it): whoever reaches it controls every container on the node. Build images with a rootless builder (BuildKit rootless, Kaniko) instead.",
	"references": ["https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"],
}

socket_names := {"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock"}

socket_folders := {"/var/run", "/run", "/var/run/docker", "/run/docker", "/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio"}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["volumes", i, "hostPath", "path"])} if {
	some i, v in k8s.volumes
	p := trim_right(v.hostPath.path, "/")
	some name in socket_names
	endswith(p, concat("/", ["", name]))
	msg := sprintf("volume %q mounts the container runtime socket %s from the node", [v.name, v.hostPath.path])
}

deny contains {"msg": msg, "path": array.concat(k8s.pod_spec_path, ["volumes", i, "hostPath", "path"])} if {
	some i, v in k8s.volumes
	trim_right(v.hostPath.path, "/") in socket_folders
	msg := sprintf("volume %q mounts %s from the node, the folder holding the container runtime socket", [v.name, v.hostPath.path])
}
