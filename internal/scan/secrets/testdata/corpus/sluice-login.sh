#!/bin/sh
# log the CI runner in to the control plane
export SLUICE_URL=https://sluice.internal.corp
printf '%s' 'slk_33mabslppkao_VEZqkH2k639IHbOoztL3nC9k8PkOMgE0Lp0bicpfmyG' | sluice login "$SLUICE_URL"
