package sluice.terraform.variable_secret_default

import rego.v1

import data.sluice.lib.secrets

metadata := {
	"id": "tf-variable-secret-default",
	"title": "Variable with a secret-sounding name has a literal default",
	"severity": "high",
	"cwe": [798],
	"blocks": ["variable"],
	"remediation": "Drop the default and pass the value at run time (TF_VAR_… from a secret store, or a data source such as aws_secretsmanager_secret_version); rotate the value, it is in the repository's history. Mark the variable sensitive = true.",
	"references": ["https://developer.hashicorp.com/terraform/tutorials/configuration-language/sensitive-variables"],
}

deny contains {"msg": msg, "path": ["default"]} if {
	secrets.secret_name(input.name)
	secrets.literal_secret(input.attributes["default"])
	msg := sprintf("variable %q has a literal default: a secret committed with the code", [input.name])
}
