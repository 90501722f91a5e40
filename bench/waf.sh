#!/usr/bin/env bash
# bench/waf.sh: what the edge protection (internal/gateway/edge) costs per
# request, and how it does on the OWASP CRS regression suite.
#
#   bench/waf.sh                 # benchmarks only
#   SLUICE_CRS_TESTS=dir bench/waf.sh   # also the CRS regression suite
#
# COUNT (5) repetitions of each benchmark run on one CPU (-cpu 1), so the
# figures are CPU time per request on an idle machine; a busy machine
# inflates them. The median of the repetitions is printed.
set -euo pipefail

cd "$(dirname "$0")/.."
COUNT="${COUNT:-5}"
BENCHTIME="${BENCHTIME:-2s}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "== Wrap on a benign request (ns/op, median of $COUNT, one CPU)"
go test -run '^$' -bench 'BenchmarkWrap' -benchmem -cpu 1 -count "$COUNT" -benchtime "$BENCHTIME" \
	./internal/gateway/edge/ | tee "$out" | grep -E '^(Benchmark|ok|FAIL)' >&2 || true
awk '/^BenchmarkWrap/ { print $1 }' "$out" | sort -u | while read -r name; do
	median="$(awk -v n="$name" '$1 == n { print $3 }' "$out" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
	awk -v n="$name" -v m="$median" 'BEGIN { printf "%-36s %8.3f ms/request\n", n, m / 1e6 }'
done

if [[ -n "${SLUICE_CRS_TESTS:-}" ]]; then
	echo
	echo "== CRS regression suite ($SLUICE_CRS_TESTS), enforce mode"
	report="$(mktemp)"
	SLUICE_CRS_REPORT="$report" go test -count 1 -run TestCRSRegressionSuite -v ./internal/gateway/edge/ |
		grep -E 'REQUEST-|RESPONSE-|CRS regression suite' | grep -v '\.yaml' || true
	echo "per-file results: $report"
else
	echo
	echo "(set SLUICE_CRS_TESTS to the CRS regression tests folder to run the suite too)"
fi
