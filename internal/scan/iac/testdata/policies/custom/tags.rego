# A team's own Terraform check: every AWS resource names its owner.
package sluice.terraform.acme_owner_tag

import rego.v1

import data.acme.lib.naming

metadata := {
	"id": "acme-aws-owner-tag",
	"title": "AWS resource has no Owner tag",
	"severity": "low",
	"cwe": "CWE-1059",
	"blocks": ["resource"],
	"remediation": "Add tags = { Owner = \"team-name\" }.",
}

deny contains {"msg": msg, "path": ["tags"]} if {
	naming.aws(input.type)
	is_object(input.attributes.tags)
	not input.attributes.tags.Owner
	msg := sprintf("%s has tags but no Owner", [input.address])
}

deny contains msg if {
	naming.aws(input.type)
	not input.attributes.tags
	msg := sprintf("%s has no tags", [input.address])
}
