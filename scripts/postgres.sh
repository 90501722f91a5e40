#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the store tests (internal/store/pgstore)
# and exports SLUICE_TEST_POSTGRES, the URL of an empty database on it.
#
#   . ./scripts/postgres.sh              start it; it stops when the shell exits
#   ./scripts/postgres.sh CMD [ARG...]   start it, run CMD with the variable set, stop
#
# Debian's postgresql is installed (apt-get) when no initdb is found on PATH or
# under /usr/lib/postgresql/*/bin. The cluster lives in a new temporary folder:
# data, log and unix socket. It listens on a free port of 127.0.0.1 with trust
# authentication, is owned by user postgres when this runs as root (the server
# refuses to run as root), and is stopped and removed on exit by an EXIT trap
# that keeps any trap set before. Sourcing again in the same shell reuses the
# running server; a SLUICE_TEST_POSTGRES set by the caller is left alone.

# Runs in a subshell so that sourcing never changes the caller's shell
# options; it prints four lines: the cluster's folder, the server's bin
# folder, the command prefix that runs as the cluster's owner, the URL.
# Every step checks its own status: bash ignores set -e in a function
# whose caller tests its result.
_sluice_pg_start() (
  set -uo pipefail
  log() { printf 'postgres.sh: %s\n' "$*" >&2; }
  die() {
    log "$*"
    [ -n "${dir:-}" ] && rm -rf "$dir"
    exit 1
  }
  as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
  }

  # The server binaries: PATH first, then Debian's versioned folders.
  find_bin() {
    local d
    # A PATH entry may be a symlink into the versioned folder, which also
    # holds postgres and psql.
    for d in "$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || echo /nonexistent)")")" \
      $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
      if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && [ -x "$d/psql" ]; then
        echo "$d"
        return 0
      fi
    done
    return 1
  }
  if ! bin=$(find_bin); then
    log "installing postgresql (apt-get)"
    as_root apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2 ||
      die "apt-get install postgresql failed"
    bin=$(find_bin) || die "initdb not found after installing postgresql"
  fi

  # As root, the cluster belongs to user postgres (Debian's package creates it).
  run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres is missing: install Debian's postgresql package"
    if command -v runuser >/dev/null 2>&1; then
      run=(runuser -u postgres --)
    else
      run=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
    fi
  fi

  # A folder user postgres can reach: TMPDIR may be private to root.
  base=${TMPDIR:-/tmp}
  if [ "${#run[@]}" -gt 0 ] && ! "${run[@]}" test -x "$base"; then
    base=/tmp
  fi
  dir=$(mktemp -d "$base/sluice-pg.XXXXXX") || die "cannot make a folder in $base"
  if [ "${#run[@]}" -gt 0 ]; then
    chown postgres: "$dir" || die "cannot give $dir to user postgres"
  fi
  # Unix sockets have a short path limit; mktemp names are short enough.
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    die "initdb failed"
  }

  # A free port: one nothing answers on; pg_ctl fails if it was taken since,
  # and then the next one is tried.
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  started=
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" || continue
    if "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
  done
  if [ -z "$started" ]; then
    tail -n 20 "$dir/server.log" >&2 2>/dev/null
    die "the server did not start"
  fi

  # The test database. Its default collation is ICU's en-US where the server
  # has ICU (PostgreSQL 15 and later), so the tests see a linguistic
  # collation rather than C's byte order.
  psql=("${run[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres)
  if ! "${psql[@]}" -c "CREATE DATABASE sluice_test TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C' ENCODING 'UTF8'" >/dev/null 2>&1; then
    "${psql[@]}" -c "CREATE DATABASE sluice_test TEMPLATE template0 ENCODING 'UTF8'" >&2 || {
      "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
      die "cannot create the test database"
    }
  fi

  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, cluster in $dir"
  printf '%s\n%s\n%s\n%s\n' "$dir" "$bin" "${run[*]:-}" "postgres://postgres@127.0.0.1:$port/sluice_test?sslmode=disable"
)

# _sluice_pg_stop stops the server started above and removes its folder.
_sluice_pg_stop() {
  [ -n "${_SLUICE_PG_DIR:-}" ] || return 0
  # shellcheck disable=SC2086 # the runner is words (runuser -u postgres --) or empty
  $_SLUICE_PG_RUN "$_SLUICE_PG_BIN/pg_ctl" -D "$_SLUICE_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$_SLUICE_PG_DIR"
  printf 'postgres.sh: stopped the server, removed %s\n' "$_SLUICE_PG_DIR" >&2
  unset _SLUICE_PG_DIR _SLUICE_PG_BIN _SLUICE_PG_RUN
}

_sluice_pg_main() {
  local out prev words
  if [ -n "${_SLUICE_PG_DIR:-}" ] && [ -f "$_SLUICE_PG_DIR/data/postmaster.pid" ]; then
    printf 'postgres.sh: reusing the server in %s\n' "$_SLUICE_PG_DIR" >&2
    return 0
  fi
  if [ -n "${SLUICE_TEST_POSTGRES:-}" ] && [ -z "${_SLUICE_PG_DIR:-}" ]; then
    printf 'postgres.sh: SLUICE_TEST_POSTGRES is already set; using that server\n' >&2
    return 0
  fi
  out=$(_sluice_pg_start) || return
  _SLUICE_PG_DIR=$(sed -n 1p <<<"$out")
  _SLUICE_PG_BIN=$(sed -n 2p <<<"$out")
  _SLUICE_PG_RUN=$(sed -n 3p <<<"$out")
  SLUICE_TEST_POSTGRES=$(sed -n 4p <<<"$out")
  export SLUICE_TEST_POSTGRES

  # Chain with the EXIT trap already set, if any ("trap -- 'cmd' EXIT").
  prev=$(trap -p EXIT)
  if [ -n "$prev" ]; then
    eval "words=($prev)"
    prev=${words[2]}
  fi
  # shellcheck disable=SC2064 # the earlier command is meant to be fixed now
  case "$prev" in
    *_sluice_pg_stop*) ;;
    '') trap _sluice_pg_stop EXIT ;;
    *) trap "_sluice_pg_stop; $prev" EXIT ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  _sluice_pg_main || return
else
  set -euo pipefail
  if [ "$#" = 0 ]; then
    echo "usage: . ${0##*/}  (then run the tests), or: ${0##*/} CMD [ARG...]" >&2
    exit 2
  fi
  _sluice_pg_main
  rc=0
  "$@" || rc=$?
  exit "$rc"
fi
