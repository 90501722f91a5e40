provider "aws" {
  region = "eu-west-1"
  # expect: tf-provider-hardcoded-credentials
  access_key = "not-a-real-access-key"
  # expect: tf-provider-hardcoded-credentials
  secret_key = "not-a-real-secret-key"
}

provider "azurerm" {
  features {}
  tenant_id = "00000000-0000-0000-0000-000000000000"
  # expect: tf-provider-hardcoded-credentials
  client_secret = "not-a-real-client-secret"
}

variable "db_password" {
  type      = string
  sensitive = true
  # expect: tf-variable-secret-default
  default = "not-a-real-password"
}

variable "api_token_ttl" {
  default = "3600"
}

variable "team" {
  default = "platform"
}

variable "vpc_id" {
  type = string
}
