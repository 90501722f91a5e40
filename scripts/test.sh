#!/usr/bin/env bash
# Runs every test of sluice on a fresh machine: installs what the tests need,
# then vet, formatting, unit and end-to-end tests.
#
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -short     skip the slow end-to-end scenarios
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

need_apt=()
command -v go >/dev/null || { echo "test.sh: the Go toolchain (1.26+) must be on PATH" >&2; exit 2; }
command -v git >/dev/null || need_apt+=(git)
command -v bash >/dev/null || need_apt+=(bash)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq "${need_apt[@]}"
  fi
fi

log "security tools for the adapter tests (bandit, eslint)"
# shellcheck source=scripts/tools.sh
. ./scripts/tools.sh
. ./scripts/postgres.sh # a throwaway PostgreSQL for internal/store/pgstore, stopped on exit
log "Chromium for the browser tests of the web UI (e2e)"
# shellcheck source=scripts/chromium.sh
. ./scripts/chromium.sh # exports SLUICE_CHROMIUM
log "terraform for the state backend and terraform job tests"
# shellcheck source=scripts/terraform.sh
. ./scripts/terraform.sh # terraform on PATH (OpenTofu built once when missing)
export SLUICE_REQUIRE_TOOLS=1
# The browser tests' screenshots, both widths of every page, kept as CI
# artifacts (relative to the repository).
export SLUICE_SCREENSHOTS=${SLUICE_SCREENSHOTS:-$PWD/artifacts/screenshots}

log "go mod verify"
go mod download
go mod verify

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "these files need gofmt:" >&2
  echo "$unformatted" >&2
  exit 1
fi

log "go vet"
go vet ./...

log "staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

log "sluice scans itself: no secret at all, no high-severity Go finding"
go run ./cmd/sluice scan --quiet --scanners secrets --fail-on low .
go run ./cmd/sluice scan --quiet --scanners gosec --fail-on high . > /dev/null || {
  go run ./cmd/sluice scan --quiet --scanners gosec --fail-on high . | grep -E '^(critical|high) ' >&2
  exit 1
}

log "go test"
go test -race -count=1 -timeout 30m "$@" ./...
