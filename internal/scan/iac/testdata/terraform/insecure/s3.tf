# Insecure on purpose: every Terraform check of sluice is planted in this
# folder. A "# expect:" comment names the rules the next line must
# trigger; a line without one must trigger none.

# AWS provider 3.x shape: ACL and encryption inside the bucket.
# expect: tf-aws-s3-no-public-access-block tf-aws-s3-no-encryption
resource "aws_s3_bucket" "assets" {
  bucket = "acme-public-assets"
  # expect: tf-aws-s3-public-acl
  acl = "public-read"

  tags = {
    Name = "assets"
    Team = var.team
  }
}

# AWS provider 4.x shape: separate resources that refer to the bucket.
resource "aws_s3_bucket" "uploads" {
  bucket = "acme-uploads"
}

resource "aws_s3_bucket_acl" "uploads" {
  bucket = aws_s3_bucket.uploads.id
  # expect: tf-aws-s3-public-acl
  acl = "public-read-write"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "uploads" {
  bucket = aws_s3_bucket.uploads.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

# restrict_public_buckets is missing: the block itself is reported.
# expect: tf-aws-s3-public-access-not-blocked
resource "aws_s3_bucket_public_access_block" "uploads" {
  bucket            = aws_s3_bucket.uploads.id
  block_public_acls = true
  # expect: tf-aws-s3-public-access-not-blocked
  block_public_policy = false
  ignore_public_acls  = true
}
