package sluice.terraform.azure_storage_public

import rego.v1

import data.sluice.lib.terraform as tf

metadata := {
	"id": "tf-azure-storage-public-access",
	"title": "Azure storage allows anonymous public access to blobs",
	"severity": "high",
	"cwe": [284],
	"checkov": ["CKV_AZURE_190", "CKV_AZURE_34"],
	"tfsec": "azure-storage-no-public-access",
	"avd": "AVD-AZU-0007",
	"types": ["azurerm_storage_account", "azurerm_storage_container"],
	"remediation": "Set allow_nested_items_to_be_public = false (allow_blob_public_access in azurerm 2.x) on the account and container_access_type = \"private\" on containers; share data with SAS tokens or Entra ID roles.",
	"references": ["https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent"],
}

deny contains {"msg": msg, "path": [name]} if {
	input.type == "azurerm_storage_account"
	some name in ["allow_blob_public_access", "allow_nested_items_to_be_public"]
	tf.is_true(input.attributes[name])
	msg := sprintf("%s sets %s = true: containers may be made public", [input.address, name])
}

deny contains {"msg": msg, "path": ["container_access_type"]} if {
	input.type == "azurerm_storage_container"
	input.attributes.container_access_type in {"blob", "container"}
	msg := sprintf("%s has container_access_type %q: anonymous reads", [input.address, input.attributes.container_access_type])
}
