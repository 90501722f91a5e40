#!/bin/sh
set -eu
echo "dckr_pat_pGwQV2RC18gO6Oub6fGKs6aF57r" | docker login -u acmebot --password-stdin
curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtZGl4cmRzemkiLCJpYXQiOjE3MDUzMjU1NDYsInNjb3BlIjoiZGVwbG95In0.tG3rLcZhaI_HRYg3UsTeL0xO_KDEySd7hRjZO2ci9Ok" https://deploy.internal.corp/hooks/release
