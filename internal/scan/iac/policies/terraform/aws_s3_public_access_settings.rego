package sluice.terraform.aws_s3_public_access_settings

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-s3-public-access-not-blocked",
	"title": "S3 public access block leaves public access open",
	"severity": "medium",
	"cwe": [284],
	"checkov": ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"],
	"tfsec": ["aws-s3-block-public-acls", "aws-s3-block-public-policy", "aws-s3-ignore-public-acls", "aws-s3-no-public-buckets"],
	"avd": ["AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093"],
	"types": ["aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"],
	"remediation": "Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.",
}

settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains {"msg": msg, "path": [s]} if {
	some s in settings
	tf.is_false(input.attributes[s])
	msg := sprintf("%s sets %s = false", [input.address, s])
}

deny contains msg if {
	some s in settings
	not s in object.keys(input.attributes)
	msg := sprintf("%s does not set %s (it defaults to false)", [input.address, s])
}
