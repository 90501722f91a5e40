# Helpers to tell a hard-coded secret from a setting that merely has a
# secret-sounding name.
package sluice.lib.secrets

import rego.v1

# secret_name(n) holds for names like DB_PASSWORD, api_key, clientSecret.
secret_name(n) if {
	regex.match(`(?i)(passw(or)?d|passphrase|secret|token|api_?key|apikey|private_?key|access_?key|credential|auth_?key)`, n)
	not regex.match(`(?i)(_?(file|path|dir|name|names|length|len|size|ttl|timeout|expiry|expires|expiration|url|uri|endpoint|enabled|type|mode|version|ref|id|arn|policy|rotation|header|prefix|count|secs|seconds|minutes|days))$`, n)
	not lower(n) in {"pwd", "oldpwd", "token_type", "secret_name"}
}

# literal_secret(v) holds for a string that looks like a value, not a
# placeholder, a reference or a flag.
literal_secret(v) if {
	is_string(v)
	count(trim_space(v)) >= 4
	not startswith(v, "$")
	not startswith(v, "{{")
	not contains(v, "${")
	not lower(v) in {"true", "false", "none", "null", "<redacted>", "redacted", "xxxx", "****"}
	not regex.match(`^[*x.<>-]+$`, lower(v))
}
