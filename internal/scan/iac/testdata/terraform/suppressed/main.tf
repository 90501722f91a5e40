# Inline markers: every finding in this file is turned off (reported,
# marked ignored, where an "# ignored:" comment says), except where an
# "# expect:" comment says otherwise.

# sluice:ignore tf-aws-s3-no-public-access-block
#checkov:skip=CKV_AWS_19:the account encrypts new buckets by default
# ignored: tf-aws-s3-no-encryption tf-aws-s3-no-public-access-block
resource "aws_s3_bucket" "site" {
  bucket = "acme-site"
  # ignored: tf-aws-s3-public-acl
  acl    = "public-read" # tfsec:ignore:aws-s3-no-public-access-with-acl:exp:2099-01-01
}

# ignored: tf-aws-ebs-unencrypted
resource "aws_ebs_volume" "scratch" {
  #checkov:skip=CKV_AWS_3: scratch data only
  availability_zone = "eu-west-1a"
  size              = 10
}

resource "aws_security_group" "bastion" {
  ingress {
    from_port = 22
    to_port   = 22
    protocol  = "tcp"
    # trivy:ignore:AVD-AWS-0107
    # ignored: tf-aws-sg-public-ingress
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# sluice:ignore terraform
resource "aws_db_instance" "legacy" {
  # ignored: tf-aws-rds-public
  publicly_accessible = true
  # ignored: tf-aws-rds-unencrypted
  storage_encrypted   = false
}

variable "admin_password" {
  # ignored: tf-variable-secret-default
  default = "not-a-real-password" # sluice:ignore tf-variable-secret-default test fixture
}

# A marker for another rule does not hide this one.
# sluice:ignore tf-aws-rds-public
resource "aws_ebs_volume" "other" {
  availability_zone = "eu-west-1a"
  # expect: tf-aws-ebs-unencrypted
  encrypted = false
}

# sluice:ignore secrets (a marker for another scanner)
# expect: tf-aws-ebs-unencrypted
resource "aws_ebs_volume" "third" {
  availability_zone = "eu-west-1a"
}

# A marker above another line of the block does not reach the block.
# expect: tf-aws-ebs-unencrypted
resource "aws_ebs_volume" "fourth" {
  availability_zone = "eu-west-1a"

  # sluice:ignore
  size = 10
}
