resource "google_storage_bucket_iam_member" "public" {
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  # expect: tf-gcp-storage-public
  member = "allUsers"
}

resource "google_storage_bucket_iam_binding" "readers" {
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  members = [
    "group:readers@example.com",
    # expect: tf-gcp-storage-public
    "allAuthenticatedUsers",
  ]
}

resource "azurerm_storage_account" "legacy" {
  name                     = "acmelegacy"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  # expect: tf-azure-storage-public-access
  allow_blob_public_access = true
  # expect: tf-azure-storage-http-allowed
  enable_https_traffic_only = false
}

resource "azurerm_storage_account" "current" {
  name                     = "acmecurrent"
  account_tier             = "Standard"
  account_replication_type = "LRS"
  # expect: tf-azure-storage-public-access
  allow_nested_items_to_be_public = true
  # expect: tf-azure-storage-http-allowed
  https_traffic_only_enabled = false
}

resource "azurerm_storage_container" "site" {
  name                 = "site"
  storage_account_name = azurerm_storage_account.current.name
  # expect: tf-azure-storage-public-access
  container_access_type = "blob"
}
