package sluice.kubernetes.secret_env

import rego.v1

import data.sluice.lib.kubernetes as k8s
import data.sluice.lib.secrets

metadata := {
	"id": "k8s-secret-in-env",
	"title": "Secret written in a container's environment",
	"severity": "high",
	"cwe": [798],
	"checkov": "CKV_K8S_35",
	"kube_linter": "env-var-secret",
	"kinds": k8s.pod_kinds,
	"keywords": "env",
	"remediation": "Move the value to a Secret and reference it (valueFrom.secretKeyRef, or better a mounted file); rotate it, it is in the repository's history.",
	"references": ["https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables"],
}

deny contains {"msg": msg, "path": array.concat(c.path, ["env", i, "value"])} if {
	some c in k8s.containers
	some i, e in c.container.env
	secrets.secret_name(e.name)
	secrets.literal_secret(e.value)
	msg := sprintf("container %q sets %s to a literal value", [c.container.name, e.name])
}
