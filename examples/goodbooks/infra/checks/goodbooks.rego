# The goodbooks team's own checks of its infrastructure, run on the
# Terraform plan beside sluice's built-in ones (terraform.policies in
# sluice.yaml). They read the planned values, so a variable set anywhere
# is checked as it will be applied.
package sluice.terraform.goodbooks_rules

import rego.v1

metadata := {
	"id": "goodbooks-open-ingress-or-plain-db",
	"title": "Ingress open to the internet, or a database stored unencrypted",
	"severity": "high",
	"cwe": "CWE-284",
	"blocks": ["resource"],
	"remediation": "Allow only the office and VPN networks; keep encrypted = true.",
}

deny contains {"msg": sprintf("%s lets the whole internet in (%s)", [input.address, input.attributes.input.cidr]), "path": ["input", "cidr"]} if {
	input.type == "terraform_data"
	input.attributes.input.cidr in {"0.0.0.0/0", "::/0"}
}

deny contains {"msg": sprintf("%s is not encrypted at rest", [input.address]), "path": ["input", "encrypted"]} if {
	input.type == "terraform_data"
	input.attributes.input.engine
	input.attributes.input.encrypted == false
}
