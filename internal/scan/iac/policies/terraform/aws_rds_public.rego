package sluice.terraform.aws_rds_public

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-rds-public",
	"title": "RDS database instance is publicly accessible",
	"severity": "high",
	"cwe": [284],
	"checkov": "CKV_AWS_17",
	"tfsec": "aws-rds-no-public-db-access",
	"avd": ["AVD-AWS-0082", "AVD-AWS-0180"],
	"types": ["aws_db_instance", "aws_rds_cluster_instance"],
	"remediation": "Set publicly_accessible = false and reach the database from inside the VPC (or through a bastion or VPN).",
	"references": ["https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html"],
}

deny contains {"msg": msg, "path": ["publicly_accessible"]} if {
	tf.is_true(input.attributes.publicly_accessible)
	msg := sprintf("%s sets publicly_accessible = true: the database gets a public address", [input.address])
}
