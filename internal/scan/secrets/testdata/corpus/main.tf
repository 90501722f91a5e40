resource "aws_db_instance" "shop" {
  engine   = "postgres"
  username = "shop"
  password = "Cyd4FoibnMm4@Lxr56EUqSpk"
}
