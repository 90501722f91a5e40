resource "aws_iam_policy" "admin" {
  name = "admin"
  # expect: tf-aws-iam-wildcard-policy
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "*"
      Resource = "*"
      Condition = {
        StringEquals = { "aws:SourceVpc" = var.vpc_id }
      }
    }]
  })
}

resource "aws_iam_role_policy" "inline" {
  role = aws_iam_role.app.id
  # expect: tf-aws-iam-wildcard-policy
  policy = <<-JSON
    {
      "Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]
    }
  JSON
}

data "aws_iam_policy_document" "admin" {
  statement {
    sid = "ReadLogs"
    actions   = ["logs:GetLogEvents"]
    resources = ["*"]
  }

  statement {
    # expect: tf-aws-iam-wildcard-policy
    actions   = ["*"]
    resources = ["*"]
  }
}
