#!/usr/bin/env bash
# IaC scanning, side by side: sluice's terraform scanner against tfsec, and
# its kubernetes scanner against kube-linter (or kube-score when the module
# proxy does not serve kube-linter), on the same tree, in one run. Prints
# wall time, files/s, the findings of each tool, and how many of the
# planted issues each one reports.
#
# The tree is made of copies of the scanners' test corpora
# (internal/scan/iac/testdata): every other Terraform module is the insecure
# corpus, where each planted issue carries an "# expect: <rule>" comment,
# the others its clean twin; every Kubernetes folder holds the insecure
# manifests, the clean ones and a YAML file that is not Kubernetes, with
# object names made unique per copy.
#
# sluice runs through `sluice scan --scanners terraform|kubernetes` when the
# scanners are registered in internal/scan/builtin, else through the
# scanner benchmarks of internal/scan/iac (a test binary built once; one
# scan per process, policy compilation included, like the CLI).
#
# Usage: bench/iac.sh            (from anywhere inside the repository)
# Knobs (environment):
#   TF_FILES=500 MANIFESTS=500   size of the generated tree
#   RUNS=3                       timed runs of each tool (mean is shown)
#   TFSEC_BIN, KUBE_LINTER_BIN, KUBE_SCORE_BIN   use these binaries
#   TFSEC_VERSION=v1.26.0 KUBE_LINTER_VERSION=v0.7.1 KUBE_SCORE_VERSION=v1.20.0
#   SLUICE_MODE=auto|cli|test    how to run sluice (auto: cli when registered)
#   KEEP=1                       keep the temp folder (tree, reports)
set -euo pipefail

TF_FILES="${TF_FILES:-500}"
MANIFESTS="${MANIFESTS:-500}"
RUNS="${RUNS:-3}"
TFSEC_VERSION="${TFSEC_VERSION:-v1.26.0}"
KUBE_LINTER_VERSION="${KUBE_LINTER_VERSION:-v0.7.1}"
KUBE_SCORE_VERSION="${KUBE_SCORE_VERSION:-v1.20.0}"
SLUICE_MODE="${SLUICE_MODE:-auto}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-iac-bench.XXXXXX")"
if [[ "${KEEP:-}" == 1 ]]; then
	trap 'echo "kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/bin" "$tmp/out"
log() { printf '== %s\n' "$*" >&2; }

# ------------------------------------------------------------------ tools

# install NAME PACKAGE VERSION: go-installs a peer into $tmp/bin; prints
# the binary's path, or nothing when the module proxy refuses it.
install() {
	log "installing $1 $3"
	if GOBIN="$tmp/bin" go install "$2@$3" >"$tmp/out/install-$1.log" 2>&1; then
		echo "$tmp/bin/$1"
	else
		log "$1 could not be installed: $(tail -1 "$tmp/out/install-$1.log")"
	fi
}

tfsec="${TFSEC_BIN:-$(install tfsec github.com/aquasecurity/tfsec/cmd/tfsec "$TFSEC_VERSION")}"
kubelinter="${KUBE_LINTER_BIN:-}"
kubescore="${KUBE_SCORE_BIN:-}"
if [[ -z "$kubelinter" && -z "$kubescore" ]]; then
	kubelinter="$(install kube-linter golang.stackrox.io/kube-linter/cmd/kube-linter "$KUBE_LINTER_VERSION")"
	if [[ -z "$kubelinter" ]]; then
		kubescore="$(install kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION")"
	fi
fi

mode="$SLUICE_MODE"
if [[ "$mode" == auto ]]; then
	mode="test"
	grep -q 'iac\.New' "$root/internal/scan/builtin/builtin.go" && mode=cli
fi
if [[ "$mode" == cli ]]; then
	log "building sluice"
	(cd "$root" && go build -o "$tmp/bin/sluice" ./cmd/sluice)
else
	log "building the iac scanner benchmarks"
	(cd "$root" && go test -c -o "$tmp/bin/iac.test" ./internal/scan/iac)
fi

# ------------------------------------------------------------------- tree

corpus="$root/internal/scan/iac/testdata"
tree="$tmp/tree"
log "generating $TF_FILES .tf files and $MANIFESTS manifests"
n=0
i=0
while ((n < TF_FILES)); do
	d="$tree/tf/mod-$(printf %04d "$i")"
	mkdir -p "$d"
	if ((i % 2 == 0)); then
		cp "$corpus"/terraform/insecure/*.tf "$d/"
	else
		cp "$corpus"/terraform/clean/*.tf "$d/"
	fi
	n=$((n + $(find "$d" -type f | wc -l)))
	i=$((i + 1))
done
n=0
i=0
while ((n < MANIFESTS)); do
	d="$tree/k8s/app-$(printf %04d "$i")"
	mkdir -p "$d"
	for f in "$corpus"/kubernetes/insecure/*.yaml "$corpus"/kubernetes/clean/*.yaml; do
		# Object names unique per copy: kube-score reports only one of the
		# objects that share kind, namespace and name.
		b="$(basename "$f" .yaml)"
		sed -E "s/^( {2}| {6})name: (.*)\$/\1name: \2-$i-$b/" "$f" >"$d/$b.yaml"
	done
	n=$((n + $(find "$d" -type f | wc -l)))
	i=$((i + 1))
done
tf_n="$(find "$tree/tf" -name '*.tf' | wc -l)"
k8s_n="$(find "$tree/k8s" -name '*.yaml' | wc -l)"

# ------------------------------------------------------------------ timing

now() { date +%s%N; }

# timed NAME CMD...: runs CMD once untimed (warm-up; its output is kept in
# $tmp/out/NAME.out), then RUNS times; prints the mean in seconds.
timed() {
	local name=$1 total=0 t0 t1 i
	shift
	"$@" >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" || true
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t1=$(now)
		total=$((total + t1 - t0))
	done
	awk -v ns="$total" -v n="$RUNS" 'BEGIN {printf "%.3f", ns / n / 1e9}'
}

# sluice_scan SCANNER DIR REPORT
sluice_scan() {
	if [[ "$mode" == cli ]]; then
		"$tmp/bin/sluice" scan "$2" --scanners "$1" --format json --output "$3" --quiet --no-color
	else
		local bench=BenchmarkTerraform
		[[ "$1" == kubernetes ]] && bench=BenchmarkKubernetes
		SLUICE_BENCH_IAC="$2" SLUICE_BENCH_IAC_REPORT="$3" \
			"$tmp/bin/iac.test" -test.run '^$' -test.bench "^$bench\$" -test.benchtime 1x
	fi
}
run_tfsec() { "$tfsec" "$tree/tf" --no-color --format json --soft-fail --out "$tmp/out/tfsec.json"; }
run_kubelinter() { "$kubelinter" lint --format json "$tree/k8s" >"$tmp/out/kube-linter.json"; }
run_kubescore() {
	local files
	mapfile -t files < <(find "$tree/k8s" -name '*.yaml' | sort)
	"$kubescore" score --output-format json "${files[@]}" >"$tmp/out/kube-score.json"
}
run_sluice_tf() { sluice_scan terraform "$tree/tf" "$tmp/out/sluice-tf.json"; }
run_sluice_k8s() { sluice_scan kubernetes "$tree/k8s" "$tmp/out/sluice-k8s.json"; }

results=()
if [[ -n "$tfsec" ]]; then
	log "timing tfsec ($RUNS runs)"
	results+=("tfsec tf $(timed tfsec run_tfsec)")
fi
log "timing sluice terraform ($RUNS runs)"
results+=("sluice-terraform tf $(timed sluice-tf run_sluice_tf)")
if [[ -n "$kubelinter" ]]; then
	log "timing kube-linter ($RUNS runs)"
	results+=("kube-linter k8s $(timed kube-linter run_kubelinter)")
elif [[ -n "$kubescore" ]]; then
	log "timing kube-score ($RUNS runs)"
	results+=("kube-score k8s $(timed kube-score run_kubescore)")
fi
log "timing sluice kubernetes ($RUNS runs)"
results+=("sluice-kubernetes k8s $(timed sluice-k8s run_sluice_k8s)")

# ---------------------------------------------------------------- findings

# report.py reads every report and prints, per tool, its findings and how
# many of the planted issues ("# expect:" comments) it reports: sluice and
# tfsec at the planted line (tfsec by AVD or tfsec id, taken from the
# aliases sluice gives each rule), kube-score on the object that holds the
# planted line and kube-linter (which gives no lines) in the same file, by
# their check names.
cat >"$tmp/report.py" <<'EOF'
import collections, json, os, re, sys

tree, out = sys.argv[1], sys.argv[2]
tools = dict(arg.split("=", 1) for arg in sys.argv[3:])

def load(name):
    p = os.path.join(out, name)
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None
    with open(p) as f:
        return json.load(f)

def expectations(sub):
    exp = []
    for d, _, files in os.walk(os.path.join(tree, sub)):
        for name in files:
            path = os.path.join(d, name)
            pending = []
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                s = line.strip()
                m = re.match(r"# expect:(.*)", s)
                if m:
                    pending += m.group(1).split()
                    continue
                if not s or s.startswith("#") or s.startswith("//"):
                    continue
                exp += [(path, n, r) for r in pending]
                pending = []
    return exp

def sluice(report, sub):
    fs = (report or {}).get("findings") or []
    base = os.path.join(tree, sub)
    got = {(os.path.join(base, f["location"]["path"]), f["location"].get("start_line", 0), f["rule_id"]) for f in fs}
    aliases = {f["rule_id"]: set(f.get("aliases") or []) for f in fs}
    return fs, got, aliases

# kube-linter and kube-score check names for sluice's Kubernetes rules.
kube_score = {
    "k8s-privileged-container": {"container-security-context-privileged"},
    "k8s-image-latest-tag": {"container-image-tag"},
    "k8s-missing-resource-limits": {"container-resources"},
    "k8s-writable-root-filesystem": {"container-security-context-readonlyrootfilesystem"},
    "k8s-run-as-root": {"container-security-context-user-group-id"},
    "k8s-run-as-non-root-not-set": {"container-security-context-user-group-id"},
}

def object_at(starts, path, line):
    rows = [r for r in starts.get(path, []) if r <= line]
    return max(rows) if rows else None

rows = []
def row(tool, findings, found, planted, by_rule):
    rows.append((tool, findings, found, planted, by_rule))

tf_exp, k8s_exp = expectations("tf"), expectations("k8s")
fs, got, tf_aliases = sluice(load("sluice-tf.json"), "tf")
row("sluice-terraform", len(fs), sum(e in got for e in tf_exp), len(tf_exp), collections.Counter(f["rule_id"] for f in fs))
kfs, kgot, k8s_aliases = sluice(load("sluice-k8s.json"), "k8s")
row("sluice-kubernetes", len(kfs), sum(e in kgot for e in k8s_exp), len(k8s_exp), collections.Counter(f["rule_id"] for f in kfs))

if "tfsec" in tools:
    res = (load("tfsec.json") or {}).get("results") or []
    hits = collections.defaultdict(list)
    for r in res:
        loc = r["location"]
        hits[loc["filename"]].append((loc["start_line"], loc["end_line"], r["rule_id"], r["long_id"]))
    def tfsec_found(e):
        path, line, rule = e
        names = tf_aliases.get(rule, set())
        return any(s <= line <= t and (rid in names or lid in names) for s, t, rid, lid in hits[path])
    row("tfsec", len(res), sum(map(tfsec_found, tf_exp)), len(tf_exp), collections.Counter(r["long_id"] for r in res))

if "kube-score" in tools:
    objs = load("kube-score.json") or []
    starts, flagged, n, by = collections.defaultdict(list), collections.defaultdict(set), 0, collections.Counter()
    for o in objs:
        key = (o["file_name"], o["file_row"])
        starts[o["file_name"]].append(o["file_row"])
        for c in o["checks"]:
            if not c["skipped"] and c["grade"] < 10:
                flagged[key].add(c["check"]["id"])
                n += 1
                by[c["check"]["id"]] += 1
    def ks_found(e):
        path, line, rule = e
        return bool(kube_score.get(rule, set()) & flagged[(path, object_at(starts, path, line))])
    row("kube-score", n, sum(map(ks_found, k8s_exp)), len(k8s_exp), by)

if "kube-linter" in tools:
    reps = (load("kube-linter.json") or {}).get("Reports") or []
    by = collections.Counter(r["Check"] for r in reps)
    flagged = collections.defaultdict(set)
    for r in reps:
        obj = r["Object"]
        name = obj["K8sObject"]["Name"]
        flagged[(obj["Metadata"]["FilePath"], name)].add(r["Check"])
    # kube-linter reports objects without lines: an issue counts as found
    # when its file has an object flagged by the same check.
    def kl_found(e):
        path, line, rule = e
        checks = k8s_aliases.get(rule, set())
        return any(p == path and checks & cs for (p, _), cs in flagged.items())
    row("kube-linter", len(reps), sum(map(kl_found, k8s_exp)), len(k8s_exp), by)

for tool, n, found, planted, by in rows:
    print(f"{tool} {n} {found} {planted}")
print("--")
for tool, n, found, planted, by in rows:
    print(f"{tool}: " + ", ".join(f"{r} {c}" for r, c in sorted(by.items())))
EOF

args=()
[[ -n "$tfsec" ]] && args+=(tfsec=1)
[[ -n "$kubelinter" ]] && args+=(kube-linter=1)
[[ -n "$kubescore" ]] && args+=(kube-score=1)
report="$(python3 "$tmp/report.py" "$tree" "$tmp/out" "${args[@]}")"

# ------------------------------------------------------------------ report

echo
echo "tree: $tf_n .tf files in $(find "$tree/tf" -mindepth 1 -maxdepth 1 -type d | wc -l) modules, $k8s_n YAML files ($tree)"
echo "runs: $RUNS (mean wall time); sluice via $mode; $(nproc) CPUs"
[[ -n "$tfsec" ]] && echo "tfsec: $("$tfsec" --version 2>/dev/null | head -1 || true) ($TFSEC_VERSION)"
[[ -n "$kubelinter" ]] && echo "kube-linter: $("$kubelinter" version 2>/dev/null || echo "$KUBE_LINTER_VERSION")"
[[ -n "$kubescore" ]] && echo "kube-score: $KUBE_SCORE_VERSION (kube-linter could not be installed)"
echo
printf '%-18s %9s %9s %9s %15s\n' tool "wall (s)" "files/s" findings "planted found"
for r in "${results[@]}"; do
	read -r tool kind secs <<<"$r"
	nfiles=$tf_n
	[[ "$kind" == k8s ]] && nfiles=$k8s_n
	read -r _ n found planted < <(grep "^$tool " <<<"$report" || echo "$tool ? ? ?")
	rate="$(awk -v n="$nfiles" -v t="$secs" 'BEGIN {if (t > 0) printf "%.0f", n / t; else print "n/a"}')"
	printf '%-18s %9s %9s %9s %15s\n' "$tool" "$secs" "$rate" "$n" "$found/$planted"
done
echo
echo "findings by rule:"
sed -n '/^--$/,$p' <<<"$report" | tail -n +2 | sed 's/^/  /'
