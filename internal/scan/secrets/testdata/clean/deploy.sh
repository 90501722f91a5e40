#!/bin/bash
export DB_PASSWORD="$(vault kv get -field=password secret/shop/db)"
./migrate --password "$DB_PASSWORD"
