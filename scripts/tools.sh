#!/usr/bin/env bash
# Installs the real security tools the adapter tests of internal/scan/external
# run (Bandit from Debian; ESLint with eslint-plugin-security and the SARIF
# formatter from npm), idempotently and outside the repository.
#
#   ./scripts/tools.sh          install, then print the PATH line to use
#   . ./scripts/tools.sh        install and export PATH in the current shell
#
# SLUICE_TOOLS_DIR chooses the cache folder (default:
# ${XDG_CACHE_HOME:-$HOME/.cache}/sluice-test-tools). ESLint and its plugins
# go to $SLUICE_TOOLS_DIR/eslint (npm install --prefix), so its
# node_modules/.bin is what PATH gains. Bandit comes from apt-get; Debian's
# 1.6 writes JSON only, which is what the adapter asks it for.

# Runs in a subshell so that sourcing the script never changes the caller's
# shell options or leaves helper functions behind; only the final exports do.
_sluice_tools_install() (
  set -euo pipefail

  dir=${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-test-tools}
  log() { printf 'tools.sh: %s\n' "$*" >&2; }

  as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
  }

  # Bandit: Debian's package "bandit" (python3-bandit holds the module).
  # npm (with Node.js) only when the machine has none.
  apt=()
  command -v bandit >/dev/null 2>&1 || apt+=(bandit)
  command -v npm >/dev/null 2>&1 || apt+=(nodejs npm)
  # Prometheus: Debian's package "prometheus" (the server the analysis
  # provider tests of internal/delivery/analysis query).
  command -v prometheus >/dev/null 2>&1 || apt+=(prometheus)
  command -v aiosmtpd >/dev/null 2>&1 || apt+=(python3-aiosmtpd)
  if ((${#apt[@]})); then
    log "installing ${apt[*]} (apt-get)"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${apt[@]}" >&2
  fi
  command -v bandit >/dev/null 2>&1 || { log "bandit is still not on PATH"; exit 1; }
  command -v prometheus >/dev/null 2>&1 || { log "prometheus is still not on PATH"; exit 1; }
  # ESLint 10 needs Node.js 20.19 or later.
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    log "ESLint 10 needs Node.js 20.19 or later; this machine has $(node --version)"
    exit 1
  fi

  # ESLint 10 with the security plugin and the SARIF formatter. A stamp
  # file records what was asked for, so a changed list reinstalls.
  pkgs=(eslint@10 eslint-plugin-security@4 @microsoft/eslint-formatter-sarif@3)
  prefix=$dir/eslint
  stamp=$prefix/.sluice-installed
  want="${pkgs[*]}"
  if [ ! -x "$prefix/node_modules/.bin/eslint" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing ${pkgs[*]} into $prefix"
    mkdir -p "$prefix"
    # A package.json of its own keeps npm from walking up to a project.
    [ -f "$prefix/package.json" ] || printf '{"name":"sluice-test-tools","private":true}\n' >"$prefix/package.json"
    npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "${pkgs[@]}" >&2
    printf '%s' "$want" >"$stamp"
  fi
  "$prefix/node_modules/.bin/eslint" --version >/dev/null

  printf '%s\n' "$prefix/node_modules/.bin"
)

if _sluice_tools_bin=$(_sluice_tools_install); then
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    case ":$PATH:" in
      *":$_sluice_tools_bin:"*) ;;
      *) export PATH="$_sluice_tools_bin:$PATH" ;;
    esac
  else
    # shellcheck disable=SC2016 # $PATH is for the shell that evaluates the line
    printf 'export PATH="%s:$PATH"\n' "$_sluice_tools_bin"
  fi
  unset -f _sluice_tools_install
  unset _sluice_tools_bin
else
  _sluice_tools_rc=$?
  unset -f _sluice_tools_install
  unset _sluice_tools_bin
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return "$_sluice_tools_rc"
  fi
  exit "$_sluice_tools_rc"
fi
