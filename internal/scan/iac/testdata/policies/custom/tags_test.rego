# Test files are not loaded (this one is not even valid Rego).
package sluice.terraform.acme_owner_tag
test_broken if {
