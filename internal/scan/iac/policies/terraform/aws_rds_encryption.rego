package sluice.terraform.aws_rds_encryption

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-rds-unencrypted",
	"title": "RDS storage is not encrypted",
	"severity": "high",
	"cwe": [311],
	"checkov": "CKV_AWS_16",
	"tfsec": ["aws-rds-encrypt-instance-storage-data", "aws-rds-encrypt-cluster-storage-data"],
	"avd": ["AVD-AWS-0080", "AVD-AWS-0079"],
	"types": ["aws_db_instance", "aws_rds_cluster"],
	"remediation": "Set storage_encrypted = true (with kms_key_id for a customer key). An existing database must be restored from an encrypted snapshot copy.",
	"references": ["https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html"],
}

# Replicas and restores inherit encryption from their source.
inherits if input.attributes.replicate_source_db

inherits if input.attributes.snapshot_identifier

inherits if input.attributes.replication_source_identifier

deny contains {"msg": msg, "path": ["storage_encrypted"]} if {
	tf.is_false(input.attributes.storage_encrypted)
	msg := sprintf("%s sets storage_encrypted = false", [input.address])
}

deny contains msg if {
	not "storage_encrypted" in object.keys(input.attributes)
	not inherits
	not input.attributes.engine_mode == "serverless"
	msg := sprintf("%s does not set storage_encrypted (it defaults to false)", [input.address])
}
