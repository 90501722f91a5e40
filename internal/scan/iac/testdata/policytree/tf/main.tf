resource "aws_s3_bucket" "tagged" {
  bucket = "a"
  # expect: acme-aws-owner-tag
  tags = {
    Team = "x"
  }
}
