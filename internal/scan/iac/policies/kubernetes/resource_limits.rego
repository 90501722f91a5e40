package sluice.kubernetes.resource_limits

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-missing-resource-limits",
	"title": "Container has no CPU or memory limit",
	"severity": "low",
	"cwe": [770, 16],
	"checkov": ["CKV_K8S_11", "CKV_K8S_13"],
	"avd": ["AVD-KSV-0011", "AVD-KSV-0018"],
	"kube_linter": ["unset-cpu-requirements", "unset-memory-requirements"],
	"kinds": k8s.pod_kinds,
	"remediation": "Set resources.limits.cpu and resources.limits.memory (and requests), so one container cannot starve the node.",
	"references": ["https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"],
}

deny contains {"msg": msg, "path": array.concat(c.path, where)} if {
	some c in k8s.containers
	c.path[count(c.path) - 2] != "ephemeralContainers"
	limits := object.get(object.get(c.container, "resources", {}), "limits", {})
	missing := [r | some r in ["cpu", "memory"]; not k8s.has_key(limits, r)]
	count(missing) > 0
	where := location(c.container)
	msg := sprintf("container %q sets no %s limit", [c.container.name, concat(" or ", missing)])
}

location(c) := ["resources", "limits"] if k8s.has_key(c.resources, "limits")

location(c) := ["resources"] if {
	k8s.has_key(c, "resources")
	not k8s.has_key(object.get(c, "resources", {}), "limits")
}

location(c) := [] if not k8s.has_key(c, "resources")
