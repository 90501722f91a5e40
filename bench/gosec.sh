#!/usr/bin/env bash
# Go SAST, side by side: sluice's built-in gosec scanner (gosec's rules run
# as a library, every package of a module loaded in one go command) against
# the gosec command of the same version (one load per package folder), on
# the same tree, in one run. Prints wall time, throughput (files/s, MB/s)
# and the findings of each: totals, per rule, and which ones only one of
# them reported.
#
# The tree is a copy of this repository without its testdata folders (test
# corpora planted with insecure code, which the two tools would treat
# differently: gosec walks into testdata, the go command does not); both
# tools scan its internal/ folder, without test files.
#
# Usage: bench/gosec.sh          (from anywhere inside the repository)
# Knobs (environment):
#   TARGET=internal    what to scan: internal (default), goodbooks (the
#                      example project, standalone), or a folder holding Go
#                      modules, scanned in place
#   RUNS=3             timed runs of each tool (the mean is shown)
#   GOSEC_BIN=/path    use this gosec instead of PATH or installing one
#   GOSEC_VERSION=v2.30.0   version installed otherwise (keep it equal to
#                      the one in go.mod, so both run the same rules)
#   KEEP=1             keep the temp folder (tree, reports)
set -euo pipefail

TARGET="${TARGET:-internal}"
RUNS="${RUNS:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GOSEC_VERSION="${GOSEC_VERSION:-$(cd "$root" && go list -m -f '{{.Version}}' github.com/securego/gosec/v2)}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-gosec-bench.XXXXXX")"
if [[ "${KEEP:-}" == 1 ]]; then
	trap 'echo "kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/bin"
log() { printf '== %s\n' "$*" >&2; }
command -v python3 >/dev/null || { echo "bench/gosec.sh needs python3 to compare the reports" >&2; exit 2; }

# ------------------------------------------------------------------ tools

# The sluice command runs the scanner once internal/scan/builtin lists it;
# until then the compiled test binary of the package runs the same Scan.
if grep -q 'gosast\.New' "$root/internal/scan/builtin/"*.go 2>/dev/null; then
	log "building sluice"
	(cd "$root" && go build -o "$tmp/bin/sluice" ./cmd/sluice)
	run_sluice() {
		"$tmp/bin/sluice" scan "$scan_dir" --scanners gosec --format json --output "$tmp/sluice.json" --quiet --no-color
	}
	sluice_how="sluice scan --scanners gosec"
else
	log "building the gosast test binary (the sluice command does not list the scanner yet)"
	(cd "$root" && go test -c -o "$tmp/bin/gosast.test" ./internal/scan/gosast)
	run_sluice() {
		SLUICE_BENCH_DIR="$scan_dir" SLUICE_BENCH_OUT="$tmp/sluice.json" \
			"$tmp/bin/gosast.test" -test.run '^TestScanForBench$' -test.count=1
	}
	sluice_how="gosast.New(Options{}).Scan via its test binary"
fi

gosec="${GOSEC_BIN:-}"
if [[ -z "$gosec" ]] && command -v gosec >/dev/null; then
	gosec="$(command -v gosec)"
fi
if [[ -z "$gosec" ]]; then
	log "installing gosec $GOSEC_VERSION (a few minutes the first time)"
	GOBIN="$tmp/bin" go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION"
	gosec="$tmp/bin/gosec"
fi
gosec_version="$("$gosec" -version 2>/dev/null | sed -n 's/^Version: *//p' | head -1)"
if [[ -z "$gosec_version" || "$gosec_version" == dev ]]; then
	# go install leaves the version unset; say which one was asked for.
	gosec_version="${GOSEC_BIN:+unknown version}"
	gosec_version="${gosec_version:-$GOSEC_VERSION}"
fi

# ------------------------------------------------------------------- tree

case "$TARGET" in
internal)
	log "copying the repository without testdata folders"
	mkdir -p "$tmp/repo"
	(cd "$root" && tar --exclude=testdata --exclude=.git -cf - go.mod go.sum cmd internal examples) |
		tar -xf - -C "$tmp/repo"
	scan_dir="$tmp/repo/internal"
	gosec_dir="$tmp/repo"
	gosec_pattern="./internal/..."
	;;
goodbooks)
	mkdir -p "$tmp/goodbooks"
	cp -r "$root/examples/goodbooks/." "$tmp/goodbooks/"
	rm -rf "$tmp/goodbooks/dist" "$tmp/goodbooks/.sluice"
	printf 'module github.com/sluice-ci/sluice/examples/goodbooks\n\ngo 1.26\n' >"$tmp/goodbooks/go.mod"
	scan_dir="$tmp/goodbooks"
	gosec_dir="$scan_dir"
	gosec_pattern="./..."
	;;
*)
	scan_dir="$(cd "$TARGET" && pwd)"
	gosec_dir="$scan_dir"
	gosec_pattern="./..."
	;;
esac

# Both tools see the same Go files: gosec without testdata and vendor, the
# files sluice's walk lists under scan_dir.
go_files="$(find "$scan_dir" -name '*.go' ! -name '*_test.go' ! -path '*/testdata/*' ! -path '*/vendor/*' | wc -l)"
go_bytes="$(find "$scan_dir" -name '*.go' ! -name '*_test.go' ! -path '*/testdata/*' ! -path '*/vendor/*' -printf '%s\n' |
	awk '{s += $1} END {print s + 0}')"

run_gosec() {
	(cd "$gosec_dir" && "$gosec" -quiet -no-fail -fmt json -out "$tmp/gosec.json" \
		-exclude-dir=testdata "$gosec_pattern")
}

# ------------------------------------------------------------------ timing

now() { date +%s%N; }
# timed NAME CMD...: runs CMD once untimed (the warm-up fills the go build
# cache with the dependencies' export data, and its report is kept), then
# RUNS times; prints the mean wall time in seconds.
timed() {
	local name=$1 total=0 t0 t1 i
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || true
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t1=$(now)
		total=$((total + t1 - t0))
	done
	awk -v ns="$total" -v n="$RUNS" 'BEGIN {printf "%.2f", ns / n / 1e9}'
}

log "timing gosec ($RUNS runs after a warm-up)"
t_gosec="$(timed gosec run_gosec)"
log "timing sluice ($RUNS runs after a warm-up)"
t_sluice="$(timed sluice run_sluice)"
[[ -s "$tmp/sluice.json" ]] || { cat "$tmp/sluice.out" "$tmp/sluice.err" >&2; echo "sluice wrote no report" >&2; exit 1; }
[[ -s "$tmp/gosec.json" ]] || { cat "$tmp/gosec.err" >&2; echo "gosec wrote no report" >&2; exit 1; }

# ---------------------------------------------------------------- report

rate() { awk -v n="$1" -v t="$2" 'BEGIN {if (t > 0) printf "%.2f", n / t; else print "n/a"}'; }
mb="$(awk -v b="$go_bytes" 'BEGIN {print b / 1e6}')"
echo
echo "tree: $scan_dir"
echo "      $go_files Go files (without tests), $(awk -v b="$go_bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}')"
echo "gosec: $gosec_version; sluice: $sluice_how; runs: $RUNS (mean wall time, warm build cache)"
echo
printf '%-8s %10s %10s %10s\n' tool "wall (s)" "files/s" "MB/s"
printf '%-8s %10s %10s %10s\n' gosec "$t_gosec" "$(rate "$go_files" "$t_gosec")" "$(rate "$mb" "$t_gosec")"
printf '%-8s %10s %10s %10s\n' sluice "$t_sluice" "$(rate "$go_files" "$t_sluice")" "$(rate "$mb" "$t_sluice")"
echo

python3 - "$tmp/gosec.json" "$tmp/sluice.json" "$scan_dir" <<'PY'
import collections, json, os, sys

gosec_file, sluice_file, scan_dir = sys.argv[1:4]
g = json.load(open(gosec_file))
s = json.load(open(sluice_file))

def key_gosec(i):
    path = os.path.relpath(os.path.realpath(i["file"]), os.path.realpath(scan_dir))
    return (i["rule_id"], path, int(str(i["line"]).split("-")[0]))

def key_sluice(f):
    loc = f.get("location", {})
    return (f["rule_id"], loc.get("path", ""), int(loc.get("start_line", 0)))

# gosec lists a finding once per package that holds it; sluice merges
# findings with the same fingerprint, so compare sets of rule, file, line.
gk = collections.Counter(key_gosec(i) for i in g.get("Issues") or [])
sk = collections.Counter(key_sluice(f) for f in s.get("findings") or [])
gset, sset = set(gk), set(sk)
stats = g.get("Stats", {})
gerrs = sum(len(v) for v in (g.get("Golang errors") or {}).values())
serrs = sum(len(h.get("errors") or []) for h in s.get("health") or [])
files = sum(h.get("files", 0) for h in s.get("health") or [])
pkgs = sum(h.get("packages", 0) for h in s.get("health") or [])

print(f"{'':8} {'findings':>9} {'distinct':>9} {'files':>7} {'load errors':>12}")
print(f"{'gosec':8} {sum(gk.values()):>9} {len(gset):>9} {stats.get('files', 0):>7} {gerrs:>12}")
print(f"{'sluice':8} {sum(sk.values()):>9} {len(sset):>9} {files:>7} {serrs:>12}   ({pkgs} packages)")
print()
print(f"same rule, file and line in both: {len(gset & sset)}; only gosec: {len(gset - sset)}; only sluice: {len(sset - gset)}")
print()
rules = sorted({k[0] for k in gset | sset})
print(f"{'rule':6} {'gosec':>6} {'sluice':>7}")
for r in rules:
    print(f"{r:6} {sum(1 for k in gset if k[0] == r):>6} {sum(1 for k in sset if k[0] == r):>7}")
for name, diff in (("only gosec", gset - sset), ("only sluice", sset - gset)):
    if diff:
        print()
        print(f"{name}:")
        for k in sorted(diff, key=lambda k: (k[1], k[2], k[0]))[:20]:
            print(f"  {k[1]}:{k[2]} {k[0]}")
        if len(diff) > 20:
            print(f"  … and {len(diff) - 20} more")
PY
