resource "aws_db_instance" "shop" {
  engine   = "postgres"
  username = "shop"
  password = var.db_password
}

variable "db_password" {
  type      = string
  sensitive = true
}
