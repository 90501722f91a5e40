package sluice.terraform.aws_s3_public_acl

import rego.v1

metadata := {
	"id": "tf-aws-s3-public-acl",
	"title": "S3 bucket ACL grants public access",
	"severity": "high",
	"cwe": [284],
	"checkov": ["CKV_AWS_20", "CKV_AWS_57"],
	"tfsec": "aws-s3-no-public-access-with-acl",
	"avd": "AVD-AWS-0092",
	"types": ["aws_s3_bucket", "aws_s3_bucket_acl"],
	"remediation": "Use the private canned ACL (or none, with object ownership BucketOwnerEnforced) and grant access through bucket policies for named principals.",
	"references": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl"],
}

public_acls := {
	"public-read": "anyone on the internet can list and read",
	"public-read-write": "anyone on the internet can read and write",
	"authenticated-read": "every AWS account can read",
}

deny contains {"msg": msg, "path": ["acl"]} if {
	acl := input.attributes.acl
	why := public_acls[acl]
	msg := sprintf("%s has the %q ACL: %s its objects", [input.address, acl, why])
}
