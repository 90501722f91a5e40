#!/usr/bin/env bash
# The gateway's added latency and throughput: one small backend (a fixed
# JSON answer, bench/cmd/sluicebench serve) reached directly, through
# `sluice gateway` (one environment, one release, that backend), through
# nginx and through Caddy as reverse proxies, all on loopback, all driven
# by the same load tool with the same concurrency and duration after a
# warm-up. Prints requests/s, p50 and p99 of each, and ratios against
# direct access and against nginx measured in the same run.
#
# Usage: bench/gateway.sh       (from anywhere inside the repository)
# Knobs (environment): CONNS=32 DURATION=10s WARMUP=2s ROUNDS=1
#   THREADS=$(nproc)            load tool threads (wrk)
#   LOAD_TOOL=wrk|hey           which load tool (default: wrk, else hey)
#   TARGETS="direct sluice nginx caddy"
#   KEEP=1                      keep the temp folder (configs, logs, outputs)
# Installs nginx, caddy and wrk with apt-get when they are missing and it
# runs as root; a proxy that cannot be had is reported as n/a.
set -euo pipefail

CONNS="${CONNS:-32}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
ROUNDS="${ROUNDS:-1}"
THREADS="${THREADS:-$(nproc)}"
TARGETS="${TARGETS:-direct sluice nginx caddy}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d -t sluice-gateway-bench.XXXXXX)"
bin="$tmp/bin"
pids=()

log() { printf '== %s\n' "$*" >&2; }

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-} == 1 ]]; then
		echo "kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools

apt_install() { # apt_install PACKAGE...: as root only; failures are reported by the caller
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then return 1; fi
	if [[ ! -f $tmp/apt-updated ]]; then
		apt-get update >"$tmp/apt.log" 2>&1 || true
		touch "$tmp/apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$tmp/apt.log" 2>&1
}

LOAD_TOOL="${LOAD_TOOL:-}"
if [[ -z $LOAD_TOOL ]]; then
	if command -v wrk >/dev/null; then
		LOAD_TOOL=wrk
	elif command -v hey >/dev/null; then
		LOAD_TOOL=hey
	else
		log "installing wrk"
		apt_install wrk || apt_install hey || true
		LOAD_TOOL="$(command -v wrk >/dev/null && echo wrk || echo hey)"
	fi
fi
if ! command -v "$LOAD_TOOL" >/dev/null; then
	log "installing $LOAD_TOOL"
	apt_install "$LOAD_TOOL" || { echo "gateway.sh: no load tool: install wrk or hey" >&2; exit 1; }
fi

for t in $TARGETS; do
	case $t in
	nginx) command -v nginx >/dev/null || { log "installing nginx"; apt_install nginx-light || apt_install nginx || true; } ;;
	caddy) command -v caddy >/dev/null || { log "installing caddy"; apt_install caddy || true; } ;;
	esac
done

log "building sluice and the bench helper"
mkdir -p "$bin"
(cd "$root" && go build -o "$bin/sluice" ./cmd/sluice && go build -o "$bin/sluicebench" ./bench/cmd/sluicebench)

# ---------------------------------------------------------------- servers

# wait_http URL: waits up to 10 s for URL to answer 200.
wait_http() {
	local i
	for ((i = 0; i < 100; i++)); do
		if [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null) == 200 ]]; then return 0; fi
		sleep 0.1
	done
	return 1
}

read -r p_sluice p_nginx p_caddy <<<"$("$bin/sluicebench" ports 3 | tr '\n' ' ')"
declare -A url note

"$bin/sluicebench" serve --addr-file "$tmp/backend.addr" 2>"$tmp/backend.log" &
pids+=($!)
for ((i = 0; i < 100; i++)); do
	if [[ -s $tmp/backend.addr ]]; then break; fi
	sleep 0.05
done
[[ -s $tmp/backend.addr ]] || { cat "$tmp/backend.log" >&2; echo "gateway.sh: the backend did not start" >&2; exit 1; }
backend="$(cat "$tmp/backend.addr")"
procs="$(sed -n 's/.*GOMAXPROCS \([0-9]*\).*/\1/p' "$tmp/backend.log")"
url[direct]="http://$backend/"
log "backend on $backend, GOMAXPROCS $procs"

for t in $TARGETS; do
	case $t in
	direct) ;;
	sluice)
		mkdir -p "$tmp/gateway"
		cat >"$tmp/gateway/routes.json" <<-EOF
			{
			  "generation": 1,
			  "environments": {
			    "bench": {
			      "listen": "127.0.0.1:$p_sluice",
			      "releases": [
			        {"id": "r1", "version": "1.0.0", "role": "stable", "weight": 100, "backends": ["$backend"]}
			      ]
			    }
			  }
			}
		EOF
		"$bin/sluice" gateway --dir "$tmp/gateway" >"$tmp/gateway.log" 2>&1 &
		pids+=($!)
		url[sluice]="http://127.0.0.1:$p_sluice/"
		;;
	nginx)
		if ! command -v nginx >/dev/null; then note[nginx]="not installed"; continue; fi
		mkdir -p "$tmp/nginx/logs"
		cat >"$tmp/nginx/nginx.conf" <<-EOF
			worker_processes $procs;
			daemon off;
			pid $tmp/nginx/nginx.pid;
			error_log $tmp/nginx/logs/error.log warn;
			events { worker_connections 4096; }
			http {
			  access_log off;
			  client_body_temp_path $tmp/nginx/body;
			  proxy_temp_path $tmp/nginx/proxy;
			  fastcgi_temp_path $tmp/nginx/fastcgi;
			  uwsgi_temp_path $tmp/nginx/uwsgi;
			  scgi_temp_path $tmp/nginx/scgi;
			  upstream backend {
			    server $backend;
			    keepalive 64;
			  }
			  server {
			    listen 127.0.0.1:$p_nginx;
			    location / {
			      proxy_pass http://backend;
			      proxy_http_version 1.1;
			      proxy_set_header Connection "";
			    }
			  }
			}
		EOF
		nginx -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" >"$tmp/nginx.out" 2>&1 &
		pids+=($!)
		url[nginx]="http://127.0.0.1:$p_nginx/"
		;;
	caddy)
		if ! command -v caddy >/dev/null; then note[caddy]="not installed"; continue; fi
		mkdir -p "$tmp/caddy"
		cat >"$tmp/caddy/Caddyfile" <<-EOF
			{
			  admin off
			  auto_https off
			  log {
			    output discard
			  }
			}
			http://127.0.0.1:$p_caddy {
			  reverse_proxy $backend
			}
		EOF
		XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy" HOME="$tmp/caddy" \
			caddy run --config "$tmp/caddy/Caddyfile" --adapter caddyfile >"$tmp/caddy.log" 2>&1 &
		pids+=($!)
		url[caddy]="http://127.0.0.1:$p_caddy/"
		;;
	*) note[$t]="unknown target (known: direct sluice nginx caddy)" ;;
	esac
done

for t in $TARGETS; do
	[[ -n ${url[$t]:-} ]] || continue
	if ! wait_http "${url[$t]}"; then
		note[$t]="did not answer 200 at ${url[$t]}"
		log "$t: ${note[$t]}; its log:"
		tail -5 "$tmp/$t.log" "$tmp/$t.out" >&2 2>/dev/null || true
		unset "url[$t]"
	fi
done

# ---------------------------------------------------------------- load

# load URL SECONDS OUT: one load run; leaves the tool's output in OUT.
load() {
	case $LOAD_TOOL in
	wrk) wrk -t "$THREADS" -c "$CONNS" -d "$2" --latency "$1" >"$3" 2>&1 ;;
	hey) hey -z "$2" -c "$CONNS" "$1" >"$3" 2>&1 ;;
	esac
}

# parse OUT: prints "rps p50_ms p99_ms errors" from the tool's output.
parse() {
	case $LOAD_TOOL in
	wrk)
		awk '
			function ms(v) {
				if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
				if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
			}
			/^ *50%/ { p50 = ms($2) } /^ *99%/ { p99 = ms($2) }
			/^Requests\/sec:/ { rps = $2 }
			/Non-2xx or 3xx responses:/ { err += $NF }
			/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
			END { printf "%s %s %s %d\n", rps, p50, p99, err }' "$1"
		;;
	hey)
		awk '
			/Requests\/sec:/ { rps = $2 }
			/ 50% in / { p50 = $3 * 1000 } / 99% in / { p99 = $3 * 1000 }
			/^ *\[[0-9]+\]/ { code = substr($1, 2, 3); if (code !~ /^[23]/) err += $2 }
			/^Error distribution:/ { inerr = 1; next } inerr && /\[[0-9]+\]/ { err += substr($1, 2) }
			END { printf "%s %s %s %d\n", rps, p50, p99, err }' "$1"
		;;
	esac
}

results="$tmp/results.txt" # target rps p50 p99 errors, one line per round
: >"$results"
for ((r = 1; r <= ROUNDS; r++)); do
	for t in $TARGETS; do
		[[ -n ${url[$t]:-} ]] || continue
		log "round $r: $t (${url[$t]}): warm-up $WARMUP, then $DURATION with $CONNS connections"
		load "${url[$t]}" "$WARMUP" "$tmp/warmup-$t.txt" || true
		if load "${url[$t]}" "$DURATION" "$tmp/load-$t-$r.txt"; then
			echo "$t $(parse "$tmp/load-$t-$r.txt")" >>"$results"
		else
			log "$t: the load tool failed: $(tail -2 "$tmp/load-$t-$r.txt")"
		fi
	done
done

# ---------------------------------------------------------------- report

printf '\n%s, %s cores, GOMAXPROCS %s, %s with %s connections (%s threads), %s per target after %s warm-up, %s round(s)\n\n' \
	"$(date -u +%Y-%m-%d)" "$(nproc)" "$procs" "$LOAD_TOOL" "$CONNS" "$THREADS" "$DURATION" "$WARMUP" "$ROUNDS"
notes=""
for t in "${!note[@]}"; do notes+="$t=${note[$t]};"; done
awk -v order="$TARGETS" -v notes="$notes" '
	{ n[$1]++; rps[$1] += $2; p50[$1] += $3; p99[$1] += $4; err[$1] += $5 }
	END {
		for (t in n) { rps[t] /= n[t]; p50[t] /= n[t]; p99[t] /= n[t] }
		printf "| target | requests/s | p50 | p99 | errors | req/s vs direct | p50 vs direct | req/s vs nginx | p50 vs nginx |\n"
		printf "|---|---|---|---|---|---|---|---|---|\n"
		k = split(order, ts, " ")
		for (i = 1; i <= k; i++) {
			t = ts[i]
			if (!(t in n)) { printf "| %s | n/a | | | | | | | |\n", t; continue }
			printf "| %s | %.0f | %.2f ms | %.2f ms | %d | %s | %s | %s | %s |\n", t, rps[t], p50[t], p99[t], err[t],
				ratio(rps[t], rps["direct"], "direct"), ratio(p50[t], p50["direct"], "direct"),
				ratio(rps[t], rps["nginx"], "nginx"), ratio(p50[t], p50["nginx"], "nginx")
		}
		if ("direct" in n) for (i = 1; i <= k; i++) {
			t = ts[i]
			if (t != "direct" && (t in n))
				printf "\n%s adds %.2f ms at p50 over direct access", t, p50[t] - p50["direct"]
		}
		printf "\n\n(with ROUNDS > 1 every figure is the mean over the rounds; p99 on a busy machine is mostly scheduling noise)\n"
		m = split(notes, ns, ";")
		for (i = 1; i < m; i++) printf "note: %s\n", ns[i]
	}
	function ratio(a, b, base) { return (base in n) && b > 0 ? sprintf("%.2fx", a / b) : "-" }' "$results"
