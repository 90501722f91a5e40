#!/usr/bin/env bash
# Measures sluice's engine overhead per step: STEPS jobs of one `true` step,
# run independent (parallel) and as a chain (each job needs the one before),
# against a plain bash loop that spawns the same shells, and against other
# engines' local execution when they can be installed.
#
# Usage: bench/run.sh            (from anywhere inside the repository)
# Knobs (environment): STEPS=200 RUNS=5 WARMUP=1 PARALLEL=$(nproc)
#   PEERS="woodpecker task"   which other engines to try ("" for none)
#   WOODPECKER_CLI=/path      use this woodpecker-cli instead of installing one
#   TASK_BIN=/path            use this go-task binary instead of installing one
#   TIMER=loop                time with a bash loop even when hyperfine is there
#   KEEP=1                    keep the temp folder (pipelines, timings) for a look
set -euo pipefail

STEPS="${STEPS:-200}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
PARALLEL="${PARALLEL:-$(nproc)}"
PEERS="${PEERS-woodpecker task}"
TASK_VERSION="${TASK_VERSION:-v3.54.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")"
if [[ "${KEEP:-}" == 1 ]]; then
	trap 'echo "kept $tmp" >&2' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/bin" "$tmp/work"
results="$tmp/results.tsv" # name <TAB> mean seconds, or name <TAB> "n/a: why"
: >"$results"

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- pipelines

gen_sluice() { # gen_sluice parallel|chain FILE
	local shape=$1 out=$2 i
	{
		echo "version: 1"
		echo "name: bench-$shape"
		echo "jobs:"
		for ((i = 1; i <= STEPS; i++)); do
			echo "  j$i:"
			if [[ $shape == chain && $i -gt 1 ]]; then
				echo "    needs: [j$((i - 1))]"
			fi
			echo "    steps:"
			echo '      - run: "true"'
		done
	} >"$out"
}

gen_woodpecker() { # the local backend takes the step's image as the shell to use
	local shape=$1 out=$2 i
	{
		echo "skip_clone: true"
		echo "steps:"
		for ((i = 1; i <= STEPS; i++)); do
			echo "  - name: s$i"
			echo "    image: bash"
			echo '    commands: ["true"]'
			if [[ $shape == chain && $i -gt 1 ]]; then
				echo "    depends_on: [s$((i - 1))]"
			else
				echo "    depends_on: []"
			fi
		done
	} >"$out"
}

gen_task() { # go-task runs deps concurrently; `bash -c true` spawns a shell like the others
	local shape=$1 out=$2 i
	{
		echo "version: '3'"
		echo "tasks:"
		echo "  default:"
		if [[ $shape == chain ]]; then
			echo "    deps: [t$STEPS]"
		else
			printf '    deps: ['
			for ((i = 1; i <= STEPS; i++)); do
				printf 't%d%s' "$i" "$([[ $i -lt $STEPS ]] && echo ', ')"
			done
			echo "]"
		fi
		for ((i = 1; i <= STEPS; i++)); do
			echo "  t$i:"
			if [[ $shape == chain && $i -gt 1 ]]; then
				echo "    deps: [t$((i - 1))]"
			fi
			echo '    cmds: ["bash -c true"]'
		done
	} >"$out"
}

# ---------------------------------------------------------------- timing

HYPERFINE="$(command -v hyperfine || true)"
if [[ ${TIMER:-} == loop ]]; then
	HYPERFINE=""
elif [[ -z $HYPERFINE ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
	log "installing hyperfine"
	apt-get install -y hyperfine >"$tmp/apt.log" 2>&1 || log "no hyperfine ($(tail -1 "$tmp/apt.log")); using a bash timing loop"
	HYPERFINE="$(command -v hyperfine || true)"
fi

# measure NAME PREPARE COMMAND: runs COMMAND once to check that it succeeds,
# then times it (WARMUP + RUNS times, PREPARE before each) and records the mean.
measure() {
	local name=$1 prepare=$2 cmd=$3
	log "$name"
	bash -c "$prepare"
	if ! bash -c "$cmd" >"$tmp/check.log" 2>&1; then
		tail -20 "$tmp/check.log" >&2
		printf '%s\tn/a: failed, see above\n' "$name" >>"$results"
		return 0
	fi
	if [[ -n $HYPERFINE ]]; then
		local csv="$tmp/$name.csv"
		if ! "$HYPERFINE" --shell bash --style basic --warmup "$WARMUP" --runs "$RUNS" \
			--prepare "$prepare" --export-csv "$csv" -n "$name" "$cmd" >&2; then
			printf '%s\tn/a: failed while timed\n' "$name" >>"$results"
			return 0
		fi
		# columns: command,mean,stddev,median,user,system,min,max
		printf '%s\t%s\n' "$name" "$(awk -F, 'NR == 2 { print $2 }' "$csv")" >>"$results"
		return 0
	fi
	local i start end total=0
	for ((i = 0; i < WARMUP; i++)); do bash -c "$prepare"; bash -c "$cmd" >/dev/null 2>&1; done
	for ((i = 0; i < RUNS; i++)); do
		bash -c "$prepare"
		start=$(date +%s.%N)
		bash -c "$cmd" >/dev/null 2>&1
		end=$(date +%s.%N)
		total=$(awk -v t="$total" -v s="$start" -v e="$end" 'BEGIN { print t + e - s }')
	done
	printf '%s\t%s\n' "$name" "$(awk -v t="$total" -v n="$RUNS" 'BEGIN { print t / n }')" >>"$results"
}

na() { printf '%s\tn/a: %s\n' "$1" "$2" >>"$results"; log "$1: n/a: $2"; }

# ---------------------------------------------------------------- sluice

log "building sluice"
if (cd "$root" && go build -o "$tmp/bin/sluice" ./cmd/sluice) 2>"$tmp/build.log"; then
	for shape in parallel chain; do
		gen_sluice "$shape" "$tmp/work/sluice-$shape.yaml"
		measure "sluice-$shape" "rm -rf '$tmp/data-$shape'" \
			"'$tmp/bin/sluice' run -f '$tmp/work/sluice-$shape.yaml' --data '$tmp/data-$shape' --parallel $PARALLEL --plain"
	done
else
	cat "$tmp/build.log" >&2
	na sluice-parallel "go build ./cmd/sluice failed"
	na sluice-chain "go build ./cmd/sluice failed"
fi

# ---------------------------------------------------------------- baseline

measure shell-loop "true" "for ((i = 0; i < $STEPS; i++)); do bash -c true; done"

# ---------------------------------------------------------------- peers

# go_install PKG...: installs the first package that builds into $tmp/bin;
# prints nothing on failure and leaves the reasons in $tmp/install.log.
go_install() {
	local pkg
	: >"$tmp/install.log"
	for pkg in "$@"; do
		echo "\$ go install $pkg" >>"$tmp/install.log"
		if (cd "$tmp" && GOBIN="$tmp/bin" go install "$pkg") >>"$tmp/install.log" 2>&1; then
			return 0
		fi
	done
	return 1
}

# first_error: the last error line of the last install attempt, for the table.
first_error() { grep -E 'go: |error' "$tmp/install.log" | tail -1 | cut -c1-160; }

for peer in $PEERS; do
	case $peer in
	woodpecker)
		wp="${WOODPECKER_CLI:-$(command -v woodpecker-cli || true)}"
		if [[ -z $wp ]]; then
			log "installing woodpecker-cli"
			if go_install go.woodpecker-ci.org/woodpecker/v3/cmd/cli@latest go.woodpecker-ci.org/woodpecker/v2/cmd/cli@latest; then
				wp="$tmp/bin/cli"
			else
				cat "$tmp/install.log" >&2
				na woodpecker-parallel "install failed: $(first_error)"
				na woodpecker-chain "install failed: $(first_error)"
				continue
			fi
		fi
		for shape in parallel chain; do
			gen_woodpecker "$shape" "$tmp/work/woodpecker-$shape.yaml"
			measure "woodpecker-$shape" "true" \
				"cd '$tmp/work' && '$wp' --log-level error exec --backend-engine local --local '$tmp/work/woodpecker-$shape.yaml'"
		done
		;;
	task)
		tb="${TASK_BIN:-}"
		if [[ -z $tb ]]; then
			log "installing go-task $TASK_VERSION"
			if go_install "github.com/go-task/task/v3/cmd/task@$TASK_VERSION"; then
				tb="$tmp/bin/task"
			else
				cat "$tmp/install.log" >&2
				na task-parallel "install failed: $(first_error)"
				na task-chain "install failed: $(first_error)"
				continue
			fi
		fi
		for shape in parallel chain; do
			mkdir -p "$tmp/work/task-$shape"
			gen_task "$shape" "$tmp/work/task-$shape/Taskfile.yml"
			measure "task-$shape" "true" \
				"'$tb' --silent --concurrency $PARALLEL --dir '$tmp/work/task-$shape'"
		done
		;;
	*) na "$peer" "unknown peer (known: woodpecker task)" ;;
	esac
done

# ---------------------------------------------------------------- report

awk -F'\t' -v steps="$STEPS" -v peers="$PEERS" -v runs="$RUNS" -v par="$PARALLEL" '
	{ val[$1] = $2 }
	function num(k) { return (k in val) && val[k] !~ /^n\/a/ }
	function cell(k) { return (k in val) ? (num(k) ? sprintf("%.3f s", val[k]) : "n/a (see notes)") : "-" }
	END {
		printf "\n%d steps, mean of %d runs, --parallel %d\n\n", steps, runs, par
		printf "| %-20s | %-15s | %-26s |\n", "what", "wall time", "overhead per step vs shell"
		printf "|%s|%s|%s|\n", "----------------------", "-----------------", "----------------------------"
		printf "| %-20s | %-15s | %-26s |\n", "shell-loop", cell("shell-loop"), "(baseline)"
		n = split("sluice " peers, tools, " ")
		for (t = 1; t <= n; t++) for (s = 1; s <= 2; s++) {
			k = tools[t] "-" (s == 1 ? "parallel" : "chain")
			over = (num(k) && num("shell-loop")) ? sprintf("%.2f ms", (val[k] - val["shell-loop"]) / steps * 1000) : "-"
			printf "| %-20s | %-15s | %-26s |\n", k, cell(k), over
		}
		printf "\n"
		for (t = 2; t <= n; t++) for (s = 1; s <= 2; s++) {
			shape = (s == 1 ? "parallel" : "chain")
			a = "sluice-" shape; b = tools[t] "-" shape
			if (num(a) && num(b)) printf "sluice / %s (%s): %.2fx\n", tools[t], shape, val[a] / val[b]
			else printf "sluice / %s (%s): n/a\n", tools[t], shape
		}
		for (k in val) if (!num(k)) printf "note: %s: %s\n", k, val[k]
	}' "$results"
