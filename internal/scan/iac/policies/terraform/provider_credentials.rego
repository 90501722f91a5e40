package sluice.terraform.provider_credentials

import rego.v1

import data.sluice.lib.secrets

metadata := {
	"id": "tf-provider-hardcoded-credentials",
	"title": "Provider block holds hard-coded credentials",
	"severity": "critical",
	"cwe": [798],
	"checkov": "CKV_AWS_41",
	"blocks": ["provider"],
	"remediation": "Remove the credentials from the configuration and rotate them: they are in the repository's history. Let the provider read them from the environment, a profile, or workload identity (instance role, OIDC).",
	"references": ["https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"],
}

# Attributes that hold a credential in the common providers, beyond what
# secrets.secret_name recognizes.
credential_attributes := {"access_key", "secret_key", "token", "client_secret", "password", "credentials", "api_key", "api_token"}

deny contains {"msg": msg, "path": [name]} if {
	some name, value in input.attributes
	credential(name)
	secrets.literal_secret(value)
	not file_path(value)
	msg := sprintf("provider %q sets %s to a literal value", [input.type, name])
}

credential(name) if name in credential_attributes

credential(name) if secrets.secret_name(name)

# file_path holds for a value naming a key file rather than holding a key.
file_path(v) if regex.match(`^[~./\w-]*\.(json|pem|key|p12|pfx|crt)$`, v)
