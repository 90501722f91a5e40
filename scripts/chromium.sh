#!/usr/bin/env bash
# Makes sure a Chromium is installed for the browser tests of the web UI
# (e2e/browser_test.go, e2e/ui_test.go) and exports SLUICE_CHROMIUM, its
# path.
#
#   . ./scripts/chromium.sh     install if needed, export SLUICE_CHROMIUM
#   ./scripts/chromium.sh       install if needed, print the export line
#
# A SLUICE_CHROMIUM set by the caller is kept when it runs. Otherwise the
# first of chromium, chromium-browser, google-chrome and google-chrome-stable
# on PATH is used, and when there is none Debian's package "chromium" is
# installed with apt-get (as root, else with sudo), with fonts-liberation and
# fonts-dejavu-core so pages render with real fonts in screenshots. Chromium
# runs headless: no display is needed.

# Runs in a subshell so that sourcing the script never changes the caller's
# shell options or leaves helper functions behind; only the export does.
_sluice_chromium_find() (
  set -euo pipefail
  log() { printf 'chromium.sh: %s\n' "$*" >&2; }
  as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
  }
  find_browser() {
    local name
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
      if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
      fi
    done
    return 1
  }
  installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

  if [ -n "${SLUICE_CHROMIUM:-}" ]; then
    bin=$(command -v "$SLUICE_CHROMIUM") || { log "SLUICE_CHROMIUM=$SLUICE_CHROMIUM is not an executable"; exit 1; }
  elif ! bin=$(find_browser); then
    pkgs=(chromium)
    if command -v dpkg-query >/dev/null 2>&1; then
      installed fonts-liberation || pkgs+=(fonts-liberation)
      installed fonts-dejavu-core || pkgs+=(fonts-dejavu-core)
    fi
    log "installing ${pkgs[*]} (apt-get)"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${pkgs[@]}" >&2
    bin=$(find_browser) || { log "chromium is still not on PATH after apt-get install chromium"; exit 1; }
  fi
  # A browser that cannot start fails here, with its own message, rather
  # than as a timeout in the middle of a test.
  out=$("$bin" --version 2>&1) || { log "$bin does not start: $out"; exit 1; }
  log "$(grep -E 'Chrom' <<<"$out" | tail -n 1) ($bin)"
  printf '%s\n' "$bin"
)

if _sluice_chromium_bin=$(_sluice_chromium_find); then
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    export SLUICE_CHROMIUM="$_sluice_chromium_bin"
  else
    printf 'export SLUICE_CHROMIUM=%q\n' "$_sluice_chromium_bin"
  fi
  unset -f _sluice_chromium_find
  unset _sluice_chromium_bin
else
  _sluice_chromium_rc=$?
  unset -f _sluice_chromium_find
  unset _sluice_chromium_bin
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return "$_sluice_chromium_rc"
  fi
  exit "$_sluice_chromium_rc"
fi
