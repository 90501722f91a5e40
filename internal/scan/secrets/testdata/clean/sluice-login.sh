#!/bin/sh
# log the CI runner in to the control plane
export SLUICE_URL=https://sluice.internal.corp
printf '%s' "$SLUICE_KEY" | sluice login "$SLUICE_URL"
