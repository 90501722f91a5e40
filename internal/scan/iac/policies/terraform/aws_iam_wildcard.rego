package sluice.terraform.aws_iam_wildcard

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-iam-wildcard-policy",
	"title": "IAM policy allows every action on every resource",
	"severity": "high",
	"cwe": [269],
	"checkov": ["CKV_AWS_62", "CKV_AWS_1"],
	"tfsec": "aws-iam-no-policy-wildcards",
	"avd": "AVD-AWS-0057",
	"types": ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_policy_document"],
	"remediation": "Grant the actions the principal needs on the resources it needs (least privilege); use AWS managed job-function policies or IAM Access Analyzer to generate one.",
	"references": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"],
}

# A policy JSON string (resources, and plans where documents are rendered).
deny contains {"msg": msg, "path": ["policy"]} if {
	input.type != "aws_iam_policy_document"
	doc := json.unmarshal(input.attributes.policy)
	some s in tf.as_list(object.get(doc, "Statement", []))
	object.get(s, "Effect", "") == "Allow"
	wildcard(object.get(s, "Action", []))
	wildcard(object.get(s, "Resource", []))
	msg := sprintf("%s allows Action \"*\" on Resource \"*\": full administrator rights", [input.address])
}

# The statement blocks of an aws_iam_policy_document data source.
deny contains {"msg": msg, "path": ["statement", i, "actions"]} if {
	input.type == "aws_iam_policy_document"
	some i, s in object.get(input.attributes, "statement", [])
	object.get(s, "effect", "Allow") == "Allow"
	wildcard(object.get(s, "actions", []))
	wildcard(object.get(s, "resources", []))
	msg := sprintf("%s: statement %d allows actions \"*\" on resources \"*\": full administrator rights", [input.address, i])
}

wildcard(v) if "*" in tf.as_list(v)
