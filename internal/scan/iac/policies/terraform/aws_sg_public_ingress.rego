package sluice.terraform.aws_sg_public_ingress

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-aws-sg-public-ingress",
	"title": "Security group allows SSH, RDP or all ports from the internet",
	"severity": "high",
	"cwe": [284],
	"checkov": ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"],
	"tfsec": ["aws-ec2-no-public-ingress-sgr", "aws-vpc-no-public-ingress-sgr"],
	"avd": "AVD-AWS-0107",
	"types": ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"],
	"remediation": "Allow administration ports only from known ranges (a VPN or bastion), or use SSM Session Manager; never open every port to 0.0.0.0/0 or ::/0.",
	"references": ["https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html"],
}

# Inline ingress blocks of aws_security_group.
deny contains {"msg": msg, "path": ["ingress", i, field, j]} if {
	input.type == "aws_security_group"
	some i, rule in object.get(input.attributes, "ingress", [])
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some j, cidr in tf.as_list(object.get(rule, field, []))
	cidr in tf.public_cidrs
	what := exposed(rule.from_port, rule.to_port, rule.protocol)
	msg := sprintf("%s: ingress rule %d opens %s to %s", [input.address, i, what, cidr])
}

# Standalone rules.
deny contains {"msg": msg, "path": [field, j]} if {
	input.type == "aws_security_group_rule"
	input.attributes.type == "ingress"
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some j, cidr in tf.as_list(object.get(input.attributes, field, []))
	cidr in tf.public_cidrs
	what := exposed(input.attributes.from_port, input.attributes.to_port, input.attributes.protocol)
	msg := sprintf("%s opens %s to %s", [input.address, what, cidr])
}

deny contains {"msg": msg, "path": [field]} if {
	input.type == "aws_vpc_security_group_ingress_rule"
	some field in ["cidr_ipv4", "cidr_ipv6"]
	cidr := input.attributes[field]
	cidr in tf.public_cidrs
	from := object.get(input.attributes, "from_port", 0)
	to := object.get(input.attributes, "to_port", 65535)
	what := exposed(from, to, input.attributes.ip_protocol)
	msg := sprintf("%s opens %s to %s", [input.address, what, cidr])
}

# exposed names what a rule opens, when it is SSH, RDP or everything.
exposed(_, _, protocol) := "all ports and protocols" if all_protocols(protocol)

exposed(from, to, protocol) := "all ports" if {
	not all_protocols(protocol)
	to_number(from) <= 0
	to_number(to) >= 65535
}

exposed(from, to, protocol) := concat(" and ", names) if {
	not all_protocols(protocol)
	not every_port(from, to)
	tcp(protocol)
	names := [sprintf("%s (port %d)", [name, port]) |
		some port, name in admin_ports
		to_number(from) <= port
		port <= to_number(to)
	]
	count(names) > 0
}

admin_ports := {22: "SSH", 3389: "RDP"}

all_protocols(p) if lower(sprintf("%v", [p])) in {"all", "-1"}

every_port(from, to) if {
	to_number(from) <= 0
	to_number(to) >= 65535
}

tcp(p) if lower(sprintf("%v", [p])) in {"tcp", "6"}
