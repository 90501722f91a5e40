# goodbooks' staging infrastructure, as code. terraform_data (built into
# Terraform) stands in for the cloud resources a real deployment would
# declare, so the example plans and applies offline, with no provider to
# download. The team's own checks in checks/ hold it to their rules; the
# pipeline's infra-staging job plans it, checks the plan, lets staging's
# gate judge it and applies exactly that plan.

variable "ingress_cidr" {
  description = "Who may reach the API: the office and VPN networks."
  type        = string
  default     = "10.20.0.0/16"
}

resource "terraform_data" "ingress" {
  input = {
    port = 443
    cidr = var.ingress_cidr
  }
}

resource "terraform_data" "database" {
  input = {
    engine    = "postgres"
    version   = "16"
    encrypted = true
  }
}

output "ingress" {
  value = terraform_data.ingress.output
}
