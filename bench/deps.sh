#!/usr/bin/env bash
# Compares sluice's dependency scanner with osv-scanner in offline mode on
# the same lockfiles and the same OSV archives: wall time, throughput and
# what each found.
#
# The database is generated (no network here): OSV-shaped records in
# "<Ecosystem>/all.zip" archives, GHSA-like in size and shape (CVSS vector,
# details, references, ECOSYSTEM/SEMVER ranges with several intervals,
# last_affected, version lists, withdrawn records), plus the hand-written
# records of internal/scan/deps/testdata/db. The tree is the realistic
# vulnerable corpus of internal/scan/deps/testdata plus large generated
# lockfiles (package-lock.json v3, requirements.txt, go.mod, pom.xml,
# Cargo.lock, Gemfile.lock, composer.lock) whose packages partly hit the
# database, on both sides of range boundaries.
#
# Usage: bench/deps.sh               (from anywhere inside the repository)
# Knobs (environment):
#   SCALE=1      database size: about 40,000 records at 1 (npm 20k, PyPI 8k …)
#   PKGS=1       lockfile size: about 3,500 packages at 1
#   RUNS=5       timed runs per command (hyperfine, else a bash loop)
#   OSV_SCANNER=/path   use this osv-scanner; else PATH, GOPATH/bin, or
#                       'go install …/osv-scanner@v2.5.0' (v2.6 needs Go 1.27)
#   KEEP=1       keep the temp folder (tree, database, outputs)
set -euo pipefail

SCALE="${SCALE:-1}"
PKGS="${PKGS:-1}"
RUNS="${RUNS:-5}"
OSV_VERSION="${OSV_VERSION:-v2.5.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-deps.XXXXXX")"
if [[ "${KEEP:-}" == 1 ]]; then
	trap 'echo "kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/bin" "$tmp/tree" "$tmp/db"
log() { printf '== %s\n' "$*" >&2; }

command -v python3 >/dev/null || { echo "bench/deps.sh needs python3 to generate the corpus" >&2; exit 2; }

# ---------------------------------------------------------------- tools

log "building sluice"
(cd "$root" && go build -trimpath -ldflags='-s -w' -o "$tmp/bin/sluice" ./cmd/sluice)
SLUICE="$tmp/bin/sluice"

OSV="${OSV_SCANNER:-}"
if [[ -z "$OSV" ]]; then
	if command -v osv-scanner >/dev/null; then
		OSV="$(command -v osv-scanner)"
	elif [[ -x "$(go env GOPATH)/bin/osv-scanner" ]]; then
		OSV="$(go env GOPATH)/bin/osv-scanner"
	else
		log "installing osv-scanner $OSV_VERSION (takes a few minutes)"
		if GOBIN="$tmp/bin" go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@$OSV_VERSION" >&2; then
			OSV="$tmp/bin/osv-scanner"
		else
			log "osv-scanner could not be installed: timing sluice alone"
		fi
	fi
fi
[[ -n "$OSV" ]] && log "osv-scanner: $("$OSV" --version 2>/dev/null | head -1)"

# ---------------------------------------------------------------- corpus

log "generating the database (SCALE=$SCALE) and lockfiles (PKGS=$PKGS)"
cp -r "$root/internal/scan/deps/testdata/vulnerable" "$tmp/tree/corpus"
SCALE="$SCALE" PKGS="$PKGS" python3 - "$root/internal/scan/deps/testdata/db" "$tmp/db/osv-scalibr" "$tmp/tree/big" <<'PY'
import json, os, random, sys, zipfile, glob

hand, dbdir, tree = sys.argv[1:4]
scale, pkgs = float(os.environ["SCALE"]), float(os.environ["PKGS"])
rnd = random.Random(42)
CVSS = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"]
WORDS = ("denial of service prototype pollution path traversal remote code execution via crafted input "
         "allows attackers to bypass authentication when the parser handles untrusted data").split()

# ecosystem: (records at SCALE=1, names in the DB pool, lockfile packages at PKGS=1)
ECOS = {"npm": (20000, 6000, 2000), "PyPI": (8000, 3000, 300), "Go": (3000, 1200, 300),
        "Maven": (5000, 2000, 300), "crates.io": (1500, 600, 250), "RubyGems": (1500, 600, 200),
        "Packagist": (3000, 1200, 200)}

def name(eco, i):
    return {"npm": f"@bench/npm-pkg-{i}" if i % 7 == 0 else f"npm-pkg-{i}",
            "PyPI": f"bench-py-pkg-{i}", "Go": f"example.com/bench/mod{i}",
            "Maven": f"com.bench.g{i % 50}:artifact-{i}", "crates.io": f"bench_crate_{i}",
            "RubyGems": f"bench-gem-{i}", "Packagist": f"bench/pkg-{i}"}[eco]

def spelled(eco, n):  # how a lockfile may spell it: PyPI names are not normalized there
    return n.replace("-", "_").title() if eco == "PyPI" else n

def ver(eco, a, b, c):
    if eco == "Go":
        a = min(a, 1)  # v2+ would need a /vN module path
    return f"{a}.{b}" if eco == "PyPI" and c == 0 else f"{a}.{b}.{c}"

def record(eco, i, n):
    a, b = rnd.randint(0, 4), rnd.randint(0, 9)
    kind = rnd.random()
    rtype = "SEMVER" if eco in ("Go", "crates.io") else "ECOSYSTEM"
    aff = {"package": {"ecosystem": eco, "name": n}}
    if kind < 0.6:
        aff["ranges"] = [{"type": rtype, "events": [{"introduced": "0"}, {"fixed": ver(eco, a, b, rnd.randint(1, 9))}]}]
    elif kind < 0.85:
        aff["ranges"] = [{"type": rtype, "events": [{"introduced": ver(eco, a, 0, 0)}, {"fixed": ver(eco, a, b, 3)},
                                                     {"introduced": ver(eco, a + 1, 0, 0)}, {"fixed": ver(eco, a + 1, b, 5)}]}]
    elif kind < 0.95:
        aff["ranges"] = [{"type": rtype, "events": [{"introduced": ver(eco, a, 0, 0)}, {"last_affected": ver(eco, a, b, 2)}]}]
    else:
        aff["versions"] = [ver(eco, a, b, k) for k in range(3)]
    rid = f"GHSA-b{i:04x}-{eco[:4].lower()}-{rnd.randint(0, 0xffff):04x}"
    r = {"schema_version": "1.6.0", "id": rid, "modified": "2026-10-01T00:00:00Z",
         "published": "2024-01-01T00:00:00Z", "aliases": [f"CVE-2024-{10000 + i}"],
         "summary": " ".join(rnd.sample(WORDS, 6)).capitalize() + f" in {n}",
         "details": " ".join(rnd.choice(WORDS) for _ in range(300)),
         "severity": [{"type": "CVSS_V3", "score": rnd.choice(CVSS)}], "affected": [aff],
         "references": [{"type": "ADVISORY", "url": f"https://advisories.example.invalid/{rid}"},
                        {"type": "WEB", "url": f"https://tracker.example.invalid/{n}/issues/{i}"}],
         "database_specific": {"cwe_ids": [f"CWE-{rnd.choice([79, 89, 400, 502, 1321])}"],
                               "severity": rnd.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"]), "github_reviewed": True}}
    if rnd.random() < 0.01:
        r["withdrawn"] = "2026-10-02T00:00:00Z"
    return r

total = 0
for eco, (nrec, pool, _) in ECOS.items():
    os.makedirs(f"{dbdir}/{eco}", exist_ok=True)
    with zipfile.ZipFile(f"{dbdir}/{eco}/all.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(int(nrec * scale)):
            r = record(eco, i, name(eco, rnd.randrange(int(pool * scale) or 1)))
            z.writestr(r["id"] + ".json", json.dumps(r, indent=2))
            total += 1
        for f in glob.glob(f"{hand}/{eco}/*.json"):
            z.write(f, os.path.basename(f))
            total += 1
print(f"{total} records", file=sys.stderr)

def pick(eco):
    nrec, pool, npk = ECOS[eco]
    out, seen = [], set()
    for _ in range(int(npk * pkgs)):
        i = rnd.randrange(int(pool * scale * 1.3) or 1)  # about 1 in 4 has no advisory at all
        if i in seen:
            continue
        seen.add(i)
        out.append((spelled(eco, name(eco, i)), ver(eco, rnd.randint(0, 5), rnd.randint(0, 9), rnd.randint(0, 9))))
    return out

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

npm = pick("npm")
write(f"{tree}/web/package-lock.json", json.dumps({"name": "bench", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
      "packages": {"": {"name": "bench", "version": "1.0.0"}, **{f"node_modules/{n}": {"version": v,
      "resolved": f"https://registry.example.invalid/{n}/-/{n.split('/')[-1]}-{v}.tgz", "integrity": "sha512-AAAA"}
      for n, v in npm}}}, indent=2))
write(f"{tree}/api/requirements.txt", "".join(f"{n}=={v}\n" for n, v in pick("PyPI")))
write(f"{tree}/svc/go.mod", "module example.com/bench\n\ngo 1.22\n\nrequire (\n" +
      "".join(f"\t{n} v{v}\n" for n, v in pick("Go")) + ")\n")
write(f"{tree}/java/pom.xml", "<project><modelVersion>4.0.0</modelVersion><groupId>b</groupId><artifactId>bench</artifactId>"
      "<version>1.0</version>\n<dependencies>\n" + "".join(
      f"<dependency><groupId>{n.split(':')[0]}</groupId><artifactId>{n.split(':')[1]}</artifactId><version>{v}</version></dependency>\n"
      for n, v in pick("Maven")) + "</dependencies></project>\n")
write(f"{tree}/rust/Cargo.lock", "version = 3\n\n" + "".join(
      f'[[package]]\nname = "{n}"\nversion = "{v}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
      for n, v in pick("crates.io")))
write(f"{tree}/ruby/Gemfile.lock", "GEM\n  remote: https://rubygems.example.invalid/\n  specs:\n" +
      "".join(f"    {n} ({v})\n" for n, v in pick("RubyGems")) + "\nPLATFORMS\n  ruby\n")
write(f"{tree}/php/composer.lock", json.dumps({"packages": [{"name": n, "version": v, "type": "library"}
      for n, v in pick("Packagist")], "packages-dev": []}, indent=4))
PY
# osv-scanner reads <db>/osv-scalibr/<Ecosystem>/all.zip; sluice reads the same archives.
DB="$tmp/db/osv-scalibr"
bytes=$(find "$tmp/tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
log "tree: $(find "$tmp/tree" -type f | wc -l) files, $((bytes / 1024)) KiB; database: $(du -sh "$tmp/db" | cut -f1)"

# ---------------------------------------------------------------- runs

sluice_cmd="$SLUICE scan -q --scanners deps --vuln-db $DB --format json -o $tmp/sluice.json $tmp/tree"
osv_cmd="$OSV scan source --offline --local-db-path $tmp/db --no-call-analysis=all --format json -r $tmp/tree >$tmp/osv.json 2>$tmp/osv.err"
drop_index="find $DB -name '.*.idx' -delete"

# One untimed run each: outputs for the comparison, and sluice's index.
bash -c "$drop_index"
bash -c "$sluice_cmd" || true
if [[ -n "$OSV" ]]; then
	bash -c "$osv_cmd" || true
	# Without --all-packages its report lists only vulnerable packages: count
	# what it read from a separate run.
	"$OSV" scan source --offline --local-db-path "$tmp/db" --no-call-analysis=all --all-packages --format json \
		-r "$tmp/tree" >"$tmp/osv-all.json" 2>/dev/null || true
fi

timed() { # timed NAME PREPARE CMD -> mean seconds on stdout
	local name=$1 prep=$2 cmd=$3
	if command -v hyperfine >/dev/null; then
		hyperfine -N -i --warmup 1 --runs "$RUNS" ${prep:+--prepare "$prep"} --export-json "$tmp/time-$name.json" \
			"bash -c '$cmd'" >&2
		python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$tmp/time-$name.json"
	else
		local start end i
		start=$(date +%s.%N)
		for ((i = 0; i < RUNS; i++)); do
			[[ -n "$prep" ]] && bash -c "$prep"
			bash -c "$cmd" || true
		done
		end=$(date +%s.%N)
		echo "($end - $start) / $RUNS" | bc -l
	fi
}

log "timing sluice (cached index)"
t_sluice=$(timed sluice "" "$sluice_cmd")
log "timing sluice (cold: index rebuilt each run)"
t_cold=$(timed sluice-cold "$drop_index" "$sluice_cmd")
t_osv=""
if [[ -n "$OSV" ]]; then
	log "timing osv-scanner --offline"
	t_osv=$(timed osv "" "$osv_cmd")
fi

# ---------------------------------------------------------------- report

python3 - "$tmp" "$bytes" "$t_sluice" "$t_cold" "$t_osv" <<'PY'
import json, os, re, sys
tmp, nbytes, t_s, t_c, t_o = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
tree = os.path.join(tmp, "tree")

def norm(eco, name, version):
    if eco == "PyPI":
        name = re.sub(r"[-_.]+", "-", name).lower()
    return name, re.sub(r"^v(?=\d)", "", version)

s = json.load(open(os.path.join(tmp, "sluice.json")))
health = next(h for h in s["scanners"] if h["scanner"] == "deps")
sluice = {(f["location"]["path"], *norm(f["location"]["ecosystem"], f["location"]["package"], f["location"]["version"]), f["rule_id"])
          for f in s["findings"]}
rows = [("sluice", t_s, health["packages"], len(sluice)), ("sluice (cold index)", t_c, health["packages"], len(sluice))]
osv = set()
if t_o:
    o = json.load(open(os.path.join(tmp, "osv.json")))
    npk = sum(len(r.get("packages", [])) for r in json.load(open(os.path.join(tmp, "osv-all.json"))).get("results", []))
    for r in o.get("results", []):
        path = os.path.relpath(r["source"]["path"], tree)
        for p in r.get("packages", []):
            pk = p["package"]
            for v in p.get("vulnerabilities", []):
                osv.add((path, *norm(pk.get("ecosystem", ""), pk["name"], pk["version"]), v["id"]))
    rows.append(("osv-scanner --offline", float(t_o), npk, len(osv)))

print(f"\nlockfiles: {nbytes / 1e6:.2f} MB in {tree}\n")
print(f"{'tool':<24}{'wall (s)':>10}{'MB/s':>8}{'packages':>10}{'pkgs/s':>10}{'findings':>10}")
for name, t, npk, nf in rows:
    print(f"{name:<24}{t:>10.3f}{nbytes / 1e6 / t:>8.2f}{npk:>10}{npk / t:>10.0f}{nf:>10}")
if t_o:
    print(f"\nspeed-up vs osv-scanner: {float(t_o) / t_s:.1f}x (cached index), {float(t_o) / t_c:.1f}x (cold)")
    both, only_s, only_o = sluice & osv, sorted(sluice - osv), sorted(osv - sluice)
    print(f"findings in both: {len(both)}; only sluice: {len(only_s)}; only osv-scanner: {len(only_o)}")
    for label, items in (("only sluice", only_s), ("only osv-scanner", only_o)):
        for it in items[:15]:
            print(f"  {label}: {it[0]} {it[1]} {it[2]} {it[3]}")
        if len(items) > 15:
            print(f"  {label}: … {len(items) - 15} more")
PY
