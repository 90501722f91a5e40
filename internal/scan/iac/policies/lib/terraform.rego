# Helpers for Terraform checks. Inputs are described in README.md.
package sluice.lib.terraform

import rego.v1

# unknown(v) holds for a value only known when Terraform runs: a
# variable, a reference, or a function of them.
unknown(v) if {
	is_object(v)
	v.__unknown__
}

is_true(v) if v == true

is_true(v) if v == "true"

is_false(v) if v == false

is_false(v) if v == "false"

# attr(name) is the input's attribute, null when missing.
attr(name) := object.get(input.attributes, name, null)

# referrers(type) lists the blocks of the module that refer to the input
# and have that type.
referrers(type) := [r | some r in input.referenced_by; r.type == type]

# as_list turns a string into a one-element list and leaves lists alone.
as_list(v) := v if is_array(v)

as_list(v) := [v] if not is_array(v)

public_cidrs := {"0.0.0.0/0", "::/0"}
