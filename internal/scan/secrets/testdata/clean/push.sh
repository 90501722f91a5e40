#!/bin/sh
set -eu
echo "$DOCKER_PAT" | docker login -u acmebot --password-stdin
curl -H "Authorization: Bearer $DEPLOY_JWT" https://deploy.internal.corp/hooks/release
