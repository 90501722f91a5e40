#!/usr/bin/env bash
# bench/dast.sh: how long `sluice dast` takes, and what it finds, against
# the clean example (examples/goodbooks, with its OpenAPI document
# examples/goodbooks/api/openapi.yaml) and against the deliberately vulnerable fixture
# (examples/vulnapp, with its own openapi.yaml), each started on a free
# loopback port. Every scan is the full active scan (`sluice dast URL
# --openapi SPEC`), run ROUNDS times; the script prints the median wall
# time (and the range), the scanner's own duration, the endpoints scanned,
# the requests sent and the findings per severity.
#
# `sluice dast` does not print how many requests it sent, so the script
# counts them in one more scan of each app, not timed, sent through
# `sluice gateway` (no edge protection) in front of the app: the gateway's
# per-release request counter (its admin API's /metrics) is the count. It
# counts every request the app received through the gateway, so requests
# the app makes to its own address count too (vulnapp's /fetch route
# fetches the /healthz link its index page gives, at the Host it was
# asked for: the gateway).
#
# No peer scanner is run: OWASP ZAP is not a Debian package and its own
# releases cannot be fetched on the machines this project runs on, so
# there is nothing to compare with here; the script says so rather than
# comparing with something else.
#
# Usage: bench/dast.sh                (from anywhere inside the repository)
# Knobs (environment):
#   ROUNDS=3                timed scans per app
#   APPS="goodbooks vulnapp"
#   COUNT_REQUESTS=1        0 skips the extra scan through the gateway
#   SLUICE_BIN=PATH         use this sluice binary instead of building one
#   KEEP=1                  keep the temp folder (reports, logs)
set -euo pipefail

ROUNDS="${ROUNDS:-3}"
APPS="${APPS:-goodbooks vulnapp}"
COUNT_REQUESTS="${COUNT_REQUESTS:-1}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d -t sluice-dast-bench.XXXXXX)"
bin="$tmp/bin"
pids=()

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'dast.sh: %s\n' "$*" >&2; exit 1; }

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	# The apps remove their fixture folders on SIGTERM.
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

# The package and OpenAPI document of each app.
declare -A pkg=(
	[goodbooks]=./examples/goodbooks/cmd/goodbooks
	[vulnapp]=./examples/vulnapp
)
declare -A spec=(
	[goodbooks]="$root/examples/goodbooks/api/openapi.yaml"
	[vulnapp]="$root/examples/vulnapp/openapi.yaml"
)
# Before goodbooks had its own document, the scanner's tests kept one.
if [[ ! -f ${spec[goodbooks]} ]]; then spec[goodbooks]="$root/internal/scan/dast/testdata/goodbooks-openapi.yaml"; fi

mkdir -p "$bin"
if [[ -n ${SLUICE_BIN:-} ]]; then
	log "using $SLUICE_BIN"
	cp "$SLUICE_BIN" "$bin/sluice"
else
	log "building sluice"
	(cd "$root" && go build -o "$bin/sluice" ./cmd/sluice)
fi
log "building the apps and the bench helper"
(cd "$root" && go build -o "$bin/sluicebench" ./bench/cmd/sluicebench)
for app in $APPS; do
	[[ -n ${pkg[$app]:-} ]] || die "unknown app $app (known: ${!pkg[*]})"
	(cd "$root" && go build -o "$bin/$app" "${pkg[$app]}")
done

# start_app APP: starts APP on a free loopback port; sets addr[APP].
declare -A addr
start_app() {
	local i f="$tmp/$1.addr"
	"$bin/$1" --addr 127.0.0.1:0 --addr-file "$f" 2>"$tmp/$1.log" &
	pids+=($!)
	for ((i = 0; i < 200; i++)); do
		if [[ -s $f ]]; then break; fi
		sleep 0.05
	done
	[[ -s $f ]] || { cat "$tmp/$1.log" >&2; die "$1 did not start"; }
	addr[$1]="$(head -1 "$f")"
}

# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# summary JSON: "files duration_s total critical high medium low info"
# from sluice's JSON report.
summary() {
	awk '
		/"by_severity"/ { in_sev = 1; next }
		in_sev && /}/ { in_sev = 0 }
		in_sev { gsub(/[",]/, ""); sev[$1] = $2 }
		/"scanner": "dast"/ { in_dast = 1 }
		in_dast && /"files":/ { gsub(/,/, ""); files = $2 }
		in_dast && /"duration_ns":/ { gsub(/,/, ""); dur = $2 / 1e9; in_dast = 0 }
		/"total":/ && !total_seen { gsub(/,/, ""); total = $2; total_seen = 1 }
		END { printf "%d %.2f %d %d %d %d %d %d\n", files, dur, total, sev["critical:"], sev["high:"], sev["medium:"], sev["low:"], sev["info:"] }' "$1"
}

results="$tmp/results.txt" # app round wall files duration total critical high medium low info
: >"$results"
for app in $APPS; do
	start_app "$app"
	log "$app on ${addr[$app]}"
	for ((r = 1; r <= ROUNDS; r++)); do
		out="$tmp/$app-$r"
		t0="$(now)"
		rc=0
		"$bin/sluice" dast "http://${addr[$app]}/" --openapi "${spec[$app]}" --json "$out.json" -q -o "$out.txt" 2>"$out.err" || rc=$?
		t1="$(now)"
		# Exit status 1 means findings at --fail-on; none is given, so
		# anything but 0 is a failure of the scan.
		[[ $rc == 0 && -s $out.json ]] || { tail -5 "$out.err" >&2; die "sluice dast failed on $app (exit $rc)"; }
		wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
		log "$app round $r: ${wall} s, $(summary "$out.json" | awk '{ print $3 }') findings"
		echo "$app $r $wall $(summary "$out.json")" >>"$results"
	done
done

# Requests: one more scan of each app through a gateway that counts them.
declare -A requests
if [[ $COUNT_REQUESTS == 1 ]]; then
	n=0
	for app in $APPS; do n=$((n + 1)); done
	read -r -a ports <<<"$("$bin/sluicebench" ports "$n" | tr '\n' ' ')"
	gw="$tmp/gateway"
	mkdir -p "$gw"
	{
		printf '{"generation": 1, "environments": {'
		i=0
		for app in $APPS; do
			if ((i > 0)); then printf ','; fi
			printf '\n  "%s": {"listen": "127.0.0.1:%s", "releases": [{"id": "%s", "version": "1", "role": "stable", "weight": 100, "backends": ["%s"]}]}' \
				"$app" "${ports[$i]}" "$app" "${addr[$app]}"
			i=$((i + 1))
		done
		printf '\n}}\n'
	} >"$gw/routes.json"
	"$bin/sluice" gateway --dir "$gw" >"$tmp/gateway.log" 2>&1 &
	pids+=($!)
	for ((i = 0; i < 100; i++)); do
		if [[ -s $gw/admin.json && -s $gw/admin.token ]]; then break; fi
		sleep 0.1
	done
	admin="$(sed -n 's/.*"addr": *"\([^"]*\)".*/\1/p' "$gw/admin.json" 2>/dev/null || true)"
	[[ -n $admin ]] || { tail -5 "$tmp/gateway.log" >&2; die "the counting gateway did not start"; }
	# metric APP: the requests the gateway answered for APP's environment.
	metric() {
		curl -s -H "Authorization: Bearer $(cat "$gw/admin.token")" "http://$admin/metrics" |
			awk -v env="$1" '/^sluice_gateway_requests_total\{/ && index($0, "env=\"" env "\"") { s += $NF } END { printf "%d\n", s }'
	}
	i=0
	for app in $APPS; do
		gurl="http://127.0.0.1:${ports[$i]}/"
		i=$((i + 1))
		for ((j = 0; j < 100; j++)); do
			if [[ $(curl -s -o /dev/null -w '%{http_code}' "$gurl" 2>/dev/null) != 000 ]]; then break; fi
			sleep 0.1
		done
		before="$(metric "$app")"
		log "$app: counting requests in one more scan through sluice gateway"
		"$bin/sluice" dast "$gurl" --openapi "${spec[$app]}" --json "$tmp/$app-count.json" -q -o "$tmp/$app-count.txt" 2>"$tmp/$app-count.err" || true
		requests[$app]=$(($(metric "$app") - before))
	done
fi

# ---------------------------------------------------------------- report

printf '\n%s, %s cores, %s round(s) per app; sluice dast with --openapi, active checks on\n\n' "$(date -u +%Y-%m-%d)" "$(nproc)" "$ROUNDS"
printf '| app | wall time, median (min-max) | scanner duration, median | endpoints | requests (gateway count) | critical | high | medium | low | info | total |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for app in $APPS; do
	awk -v app="$app" -v reqs="${requests[$app]:-n/a}" '
		$1 == app { n++; wall[n] = $3; dur[n] = $5; files = $4; total[n] = $6; c = $7; h = $8; m = $9; l = $10; i = $11 }
		END {
			asort_(wall, n); asort_(dur, n)
			same = 1; for (k = 2; k <= n; k++) if (total[k] != total[1]) same = 0
			printf "| %s | %.2f s (%.2f-%.2f) | %.2f s | %d | %s | %d | %d | %d | %d | %d | %d%s |\n", app,
				wall[int((n + 1) / 2)], wall[1], wall[n], dur[int((n + 1) / 2)], files, reqs, c, h, m, l, i, total[n],
				same ? "" : " (varied between rounds)"
		}
		function asort_(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t } }' "$results"
done
printf '\n(wall time: the whole sluice dast command, start to exit; scanner duration: what the report says the scan took; endpoints: what the report counts as files; findings per severity from the last round'
if [[ $COUNT_REQUESTS == 1 ]]; then
	printf '; requests: what the app received in one more, untimed, scan through sluice gateway, its own requests to its address included)\n'
else
	printf '; requests sent: not counted, COUNT_REQUESTS=0)\n'
fi
printf 'peer: none. OWASP ZAP is not a Debian package and its releases cannot be fetched here, so no comparison is made.\n'
