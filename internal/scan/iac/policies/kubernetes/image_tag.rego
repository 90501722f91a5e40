package sluice.kubernetes.image_tag

import rego.v1

import data.sluice.lib.kubernetes as k8s

metadata := {
	"id": "k8s-image-latest-tag",
	"title": "Container image uses the latest tag or no tag",
	"severity": "medium",
	"cwe": [494],
	"checkov": "CKV_K8S_14",
	"avd": "AVD-KSV-0013",
	"kube_linter": "latest-tag",
	"kinds": k8s.pod_kinds,
	"remediation": "Pin the image to a version tag, better to a digest (image:1.2.3@sha256:…), so that every rollout runs the image that was scanned and tested.",
	"references": ["https://kubernetes.io/docs/concepts/containers/images/#image-names"],
}

deny contains {"msg": msg, "path": array.concat(c.path, ["image"])} if {
	some c in k8s.containers
	image := c.container.image
	is_string(image)
	not contains(image, "@")
	tag := image_tag(image)
	tag in {"", "latest"}
	msg := describe(c.container.name, image, tag)
}

# image_tag is the part after the last colon of the last path segment.
image_tag(image) := tag if {
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}

image_tag(image) := "" if {
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}

describe(name, image, "latest") := sprintf("container %q runs %s: the latest tag moves", [name, image])

describe(name, image, "") := sprintf("container %q runs %s without a tag, which means latest", [name, image])
