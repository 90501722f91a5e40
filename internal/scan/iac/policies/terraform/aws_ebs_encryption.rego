package sluice.terraform.aws_ebs_encryption

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-ebs-unencrypted",
	"title": "EBS volume is not encrypted",
	"severity": "high",
	"cwe": [311],
	"checkov": "CKV_AWS_3",
	"tfsec": ["aws-ec2-enable-volume-encryption", "aws-ebs-enable-volume-encryption"],
	"avd": "AVD-AWS-0026",
	"types": ["aws_ebs_volume"],
	"remediation": "Set encrypted = true (with kms_key_id for a customer key), or turn on EBS encryption by default for the account and region.",
	"references": ["https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html"],
}

deny contains {"msg": msg, "path": ["encrypted"]} if {
	tf.is_false(input.attributes.encrypted)
	msg := sprintf("%s sets encrypted = false", [input.address])
}

deny contains msg if {
	not "encrypted" in object.keys(input.attributes)
	not input.attributes.snapshot_id
	msg := sprintf("%s does not set encrypted (it defaults to false unless the account encrypts by default)", [input.address])
}
