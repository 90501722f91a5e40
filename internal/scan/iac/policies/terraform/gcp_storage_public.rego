package sluice.terraform.gcp_storage_public

import rego.v1

metadata := {
	"id": "tf-gcp-storage-public",
	"title": "Cloud Storage bucket is readable by anyone",
	"severity": "high",
	"cwe": [284],
	"checkov": "CKV_GCP_28",
	"tfsec": "google-storage-no-public-access",
	"avd": "AVD-GCP-0001",
	"types": [
		"google_storage_bucket_iam_member", "google_storage_bucket_iam_binding",
		"google_storage_bucket_access_control", "google_storage_default_object_access_control",
		"google_storage_object_access_control",
	],
	"remediation": "Grant roles to named users, groups or service accounts instead of allUsers or allAuthenticatedUsers, and turn on public access prevention for the bucket.",
	"references": ["https://cloud.google.com/storage/docs/public-access-prevention"],
}

public_members := {"allUsers", "allAuthenticatedUsers"}

deny contains {"msg": msg, "path": ["member"]} if {
	input.attributes.member in public_members
	msg := sprintf("%s grants %s to %s", [input.address, object.get(input.attributes, "role", "a role"), input.attributes.member])
}

deny contains {"msg": msg, "path": ["members", i]} if {
	some i, m in object.get(input.attributes, "members", [])
	m in public_members
	msg := sprintf("%s grants %s to %s", [input.address, object.get(input.attributes, "role", "a role"), m])
}

deny contains {"msg": msg, "path": ["entity"]} if {
	input.attributes.entity in public_members
	msg := sprintf("%s gives %s access to %s", [input.address, object.get(input.attributes, "role", "some"), input.attributes.entity])
}
