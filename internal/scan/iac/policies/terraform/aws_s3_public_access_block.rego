package sluice.terraform.aws_s3_public_access_block

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-s3-no-public-access-block",
	"title": "S3 bucket has no public access block",
	"severity": "low",
	"cwe": [284],
	"checkov": "CKV2_AWS_6",
	"tfsec": "aws-s3-specify-public-access-block",
	"avd": "AVD-AWS-0094",
	"types": ["aws_s3_bucket"],
	"remediation": "Add an aws_s3_bucket_public_access_block for the bucket with all four settings true, so that no ACL or policy can make it public by mistake.",
	"references": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"],
}

deny contains msg if {
	count(tf.referrers("aws_s3_bucket_public_access_block")) == 0
	msg := sprintf("%s has no aws_s3_bucket_public_access_block referring to it", [input.address])
}
