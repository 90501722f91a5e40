# expect: tf-aws-rds-unencrypted
resource "aws_db_instance" "main" {
  engine         = "postgres"
  instance_class = "db.t3.micro"
  username       = "app"
  password       = var.db_password
  # expect: tf-aws-rds-public
  publicly_accessible = true
}

resource "aws_rds_cluster" "analytics" {
  engine = "aurora-postgresql"
  # expect: tf-aws-rds-unencrypted
  storage_encrypted = false
}

# expect: tf-aws-ebs-unencrypted
resource "aws_ebs_volume" "data" {
  availability_zone = "eu-west-1a"
  size              = 40
}

resource "aws_ebs_volume" "logs" {
  availability_zone = "eu-west-1a"
  size              = 10
  # expect: tf-aws-ebs-unencrypted
  encrypted = "false"
}
