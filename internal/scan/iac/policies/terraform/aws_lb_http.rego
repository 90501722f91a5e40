package sluice.terraform.aws_lb_http

import rego.v1

metadata := {
	"id": "tf-aws-lb-http-listener",
	"title": "Load balancer listener serves plain HTTP",
	"severity": "high",
	"cwe": [319],
	"checkov": ["CKV_AWS_2", "CKV2_AWS_20"],
	"tfsec": "aws-elb-http-not-used",
	"avd": "AVD-AWS-0054",
	"types": ["aws_lb_listener", "aws_alb_listener"],
	"remediation": "Serve HTTPS (protocol = \"HTTPS\" with a certificate), and make the HTTP listener's default action a redirect to HTTPS.",
	"references": ["https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html"],
}

deny contains {"msg": msg, "path": ["protocol"]} if {
	upper(input.attributes.protocol) == "HTTP"
	not redirects
	msg := sprintf("%s listens on plain HTTP and does not redirect to HTTPS", [input.address])
}

redirects if {
	some a in object.get(input.attributes, "default_action", [])
	a.type == "redirect"
	some r in object.get(a, "redirect", [])
	upper(object.get(r, "protocol", "")) == "HTTPS"
}
