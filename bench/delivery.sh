#!/usr/bin/env bash
# Safety figures of sluice's progressive delivery under steady load, on
# loopback, with the goodbooks example as the app:
#   a) failed requests during SWITCHES blue-green switches between two
#      builds, and how long a switch takes (deploy wall time; routing table
#      written -> first response from the new release);
#   b) a canary of a build answering FAULT_RATE of GET /books with 500:
#      time from the bad release's first response to its last (it is rolled
#      back), against one analysis interval + 1 s, and how much it served;
#   c) the same build deployed blue-green with a monitor window that rolls
#      back on error_rate: the same figures.
# A load generator (bench/cmd/sluicebench trace) records every request's
# start, end, status and X-Sluice-Release, and every routing table written;
# the figures come from that trace.
#
# Usage: bench/delivery.sh       (from anywhere inside the repository)
# Knobs (environment): SWITCHES=10 WORKERS=8 PAUSE=10ms INTERVAL=5s
#   FAULT_RATE=0.3 MONITOR=10s SETTLE=1 (seconds of load between deploys)
#   KEEP=1 keep the temp folder (traces, deploy logs, data folder)
set -euo pipefail

SWITCHES="${SWITCHES:-10}"
WORKERS="${WORKERS:-8}"
PAUSE="${PAUSE:-10ms}"
INTERVAL="${INTERVAL:-5s}"
FAULT_RATE="${FAULT_RATE:-0.3}"
MONITOR="${MONITOR:-10s}"
SETTLE="${SETTLE:-1}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d -t sluice-delivery.XXXXXX)"
app="$tmp/goodbooks"
data="$tmp/data"
bin="$tmp/bin"
tracer=""

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- cleanup

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	if [[ -n $tracer ]]; then kill "$tracer" 2>/dev/null || true; fi
	if [[ -x $bin/sluice && -f $app/sluice.yaml ]]; then
		"$bin/sluice" down -f "$app/sluice.yaml" --data "$data" >"$tmp/down.log" 2>&1 || cat "$tmp/down.log" >&2
	fi
	# Whatever survived: the gateway named in admin.json, then any process
	# running a binary from this temp folder (the app's replicas).
	if [[ -f $data/gateway/admin.json ]]; then
		pid="$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$data/gateway/admin.json")"
		if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
	fi
	for pid in $(own_pids); do kill "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-} == 1 ]]; then
		echo "kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# own_pids: processes whose executable lies in this run's temp folder.
own_pids() {
	local p exe
	for p in /proc/[0-9]*; do
		exe="$(readlink "$p/exe" 2>/dev/null || true)"
		if [[ $exe == "$tmp"/* ]]; then echo "${p#/proc/}"; fi
	done
}

# mark LABEL: a timestamped mark for the report, in the marks file.
mark() { printf 'M\t%s\t%s\n' "$(date +%s%N)" "$*" >>"$tmp/marks.tsv"; }

# deploy NAME ENV ARTIFACT VERSION: runs and times one deploy command;
# returns its exit status (the log stays in $tmp/deploy-NAME.log).
deploy() {
	local name=$1 env=$2 artifact=$3 version=$4 rc=0
	mark "deploy-start $name"
	"$bin/sluice" deploy -f "$app/sluice.yaml" --data "$data" --env "$env" \
		--artifact "$artifact" --version "$version" >"$tmp/deploy-$name.log" 2>&1 || rc=$?
	mark "deploy-end $name $rc"
	return "$rc"
}

# trace_start ENV PORT FILE / trace_stop: the load generator in the background.
trace_start() {
	"$bin/sluicebench" trace --url "http://127.0.0.1:$2/books" --out "$3" \
		--routes "$data/gateway/routes.json" --env "$1" --workers "$WORKERS" --pause "$PAUSE" \
		2>>"$tmp/trace.log" &
	tracer=$!
	sleep 0.5
}
trace_stop() {
	kill -TERM "$tracer"
	wait "$tracer" || true
	tracer=""
	tail -1 "$tmp/trace.log" >&2
}

# ---------------------------------------------------------------- build

log "building sluice, the bench helper and goodbooks (v1, v2, and a build failing ${FAULT_RATE} of GET /books)"
mkdir -p "$bin"
(cd "$root" && go build -o "$bin/sluice" ./cmd/sluice && go build -o "$bin/sluicebench" ./bench/cmd/sluicebench)
cp -r "$root/examples/goodbooks" "$app"
rm -rf "$app/dist" "$app/.sluice" "$app/sluice.yaml"
printf 'module github.com/sluice-ci/sluice/examples/goodbooks\n\ngo 1.26\n' >"$app/go.mod"
(
	cd "$app"
	export GOWORK=off CGO_ENABLED=0
	go build -o dist/v1/goodbooks -ldflags "-X main.version=1.0.0" ./cmd/goodbooks
	go build -o dist/v2/goodbooks -ldflags "-X main.version=2.0.0" ./cmd/goodbooks
	go build -o dist/bad/goodbooks -ldflags "-X main.version=3.0.0-bad -X main.faultRate=$FAULT_RATE" ./cmd/goodbooks
	go build -o dist/smoke ./cmd/smoke
)

read -r p_bg p_canary p_monitor <<<"$("$bin/sluicebench" ports 3 | tr '\n' ' ')"

# Short intervals so the whole run takes a couple of minutes; the smoke
# checks run as in the example (prebuilt, so no compile per deploy).
cat >"$app/sluice.yaml" <<EOF
version: 1
name: delivery-bench
jobs:
  noop:
    steps:
      - run: "true"
deploy:
  run: ["\${ARTIFACT}", "--addr", "127.0.0.1:\${PORT}"]
  replicas: 2
  health: { path: /healthz, interval: 100ms }
  smoke:
    - name: API checks
      run: ./dist/smoke --url "\$URL" --timeout 30s
environments:
  bg:
    url: http://127.0.0.1:$p_bg
    strategy: blue-green
  canary:
    url: http://127.0.0.1:$p_canary
    strategy:
      canary:
        steps: [20, 50, 100]
        interval: $INTERVAL
        analysis: { success_rate: ">= 99%", min_requests: 20 }
  monitor:
    url: http://127.0.0.1:$p_monitor
    strategy: blue-green
    monitor: { duration: $MONITOR, rollback_when: { error_rate: "> 2%" } }
EOF

fail() { echo "delivery.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------- a) switches

log "a) $SWITCHES blue-green switches under load ($WORKERS workers, pause $PAUSE)"
deploy bg-0 bg "$app/dist/v1/goodbooks" 1.0.0 || fail "first deploy to bg failed: $(tail -5 "$tmp/deploy-bg-0.log")"
trace_start bg "$p_bg" "$tmp/trace-bg.tsv"
sleep "$SETTLE"
for ((i = 1; i <= SWITCHES; i++)); do
	if ((i % 2)); then v=v2 ver=2.0.0; else v=v1 ver=1.0.0; fi
	if deploy "bg-$i" bg "$app/dist/$v/goodbooks" "$ver"; then
		log "switch $i to $ver done"
	else
		log "switch $i to $ver FAILED: $(tail -3 "$tmp/deploy-bg-$i.log")"
	fi
	sleep "$SETTLE"
done
trace_stop

# ---------------------------------------------------------------- b) canary

log "b) canary of the failing build (steps 20/50/100, interval $INTERVAL)"
deploy canary-0 canary "$app/dist/v1/goodbooks" 1.0.0 || fail "first deploy to canary failed: $(tail -5 "$tmp/deploy-canary-0.log")"
trace_start canary "$p_canary" "$tmp/trace-canary.tsv"
sleep "$SETTLE"
deploy canary-bad canary "$app/dist/bad/goodbooks" 3.0.0-bad || true
sleep "$SETTLE"
trace_stop

# ---------------------------------------------------------------- c) monitor

log "c) blue-green of the failing build with a $MONITOR monitor window (first deploy waits it out too)"
deploy monitor-0 monitor "$app/dist/v1/goodbooks" 1.0.0 || fail "first deploy to monitor failed: $(tail -5 "$tmp/deploy-monitor-0.log")"
trace_start monitor "$p_monitor" "$tmp/trace-monitor.tsv"
sleep "$SETTLE"
deploy monitor-bad monitor "$app/dist/bad/goodbooks" 3.0.0-bad || true
sleep "$SETTLE"
trace_stop

# ---------------------------------------------------------------- report

{
	printf '\n%s, %s cores, %d workers with %s pause on GET /books, goodbooks with 2 replicas\n\n' \
		"$(date -u +%Y-%m-%d)" "$(nproc)" "$WORKERS" "$PAUSE"
	echo "| scenario | figure | value | target |"
	echo "|---|---|---|---|"
	"$bin/sluicebench" report switches --name "a) blue-green x$SWITCHES" "$tmp/trace-bg.tsv" "$tmp/marks.tsv"
	"$bin/sluicebench" report rollback --name "b) canary rollback" --after "deploy-start canary-bad" \
		--interval "$INTERVAL" "$tmp/trace-canary.tsv" "$tmp/marks.tsv"
	"$bin/sluicebench" report rollback --name "c) monitor rollback" --after "deploy-start monitor-bad" \
		--interval 1s "$tmp/trace-monitor.tsv" "$tmp/marks.tsv"
}
