package acme.lib.naming

import rego.v1

aws(type) if startswith(type, "aws_")
