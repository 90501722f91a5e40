package sluice.terraform.azure_storage_https

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-azure-storage-http-allowed",
	"title": "Azure storage account accepts plain HTTP",
	"severity": "high",
	"cwe": [319],
	"checkov": "CKV_AZURE_3",
	"tfsec": "azure-storage-enforce-https",
	"avd": "AVD-AZU-0008",
	"types": ["azurerm_storage_account"],
	"remediation": "Set https_traffic_only_enabled = true (enable_https_traffic_only in azurerm before 4.0), which is the default.",
	"references": ["https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer"],
}

deny contains {"msg": msg, "path": [name]} if {
	some name in ["enable_https_traffic_only", "https_traffic_only_enabled"]
	tf.is_false(input.attributes[name])
	msg := sprintf("%s sets %s = false: data travels unencrypted", [input.address, name])
}
