package sluice.terraform.aws_s3_encryption

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-s3-no-encryption",
	"title": "S3 bucket has no server-side encryption configured",
	"severity": "medium",
	"cwe": [311],
	"checkov": "CKV_AWS_19",
	"tfsec": "aws-s3-enable-bucket-encryption",
	"avd": "AVD-AWS-0088",
	"types": ["aws_s3_bucket"],
	"remediation": "Configure default encryption (SSE-KMS with a customer key where data is sensitive): an aws_s3_bucket_server_side_encryption_configuration for the bucket, or, with AWS provider 3.x, a server_side_encryption_configuration block.",
	"references": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html"],
}

deny contains msg if {
	count(object.get(input.attributes, "server_side_encryption_configuration", [])) == 0
	count(tf.referrers("aws_s3_bucket_server_side_encryption_configuration")) == 0
	msg := sprintf("%s configures no server-side encryption (no server_side_encryption_configuration block or resource)", [input.address])
}
