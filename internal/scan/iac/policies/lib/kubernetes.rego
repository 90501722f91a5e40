# Helpers for Kubernetes checks: where the pod spec of each workload kind
# lives, and every container with its path (for exact lines).
package sluice.lib.kubernetes

import rego.v1

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# pod_kinds are the kinds that hold a pod spec; checks of containers
# name them as their "kinds" selector.
pod_kinds := ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "PodTemplate"]

pod_spec_path := ["spec"] if input.kind == "Pod"

pod_spec_path := ["spec", "template", "spec"] if input.kind in workload_kinds

pod_spec_path := ["template", "spec"] if input.kind == "PodTemplate"

pod_spec_path := ["spec", "jobTemplate", "spec", "template", "spec"] if input.kind == "CronJob"

# pod_spec is the object's pod spec; undefined for other kinds.
pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.template.spec if input.kind in workload_kinds

pod_spec := input.template.spec if input.kind == "PodTemplate"

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

# containers holds {"container", "path"} for every container, init
# container and ephemeral container.
containers contains {"container": c, "path": array.concat(pod_spec_path, [field, i])} if {
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some i, c in pod_spec[field]
	is_object(c)
}

# has_key holds when object o has key k, whatever its value. Pass
# object.get(x, "key", {}) rather than x.key under "not": an undefined
# argument makes the whole "not" expression fail instead of succeed.
has_key(o, k) if _ = o[k]

# security_context(c, name) is the container's setting, else the pod's;
# undefined when neither sets it.
security_context(c, name) := c.securityContext[name]

security_context(c, name) := pod_spec.securityContext[name] if not has_key(object.get(c, "securityContext", {}), name)

# volumes are the pod's volumes.
volumes := pod_spec.volumes
