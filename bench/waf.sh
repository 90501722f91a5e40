#!/usr/bin/env bash
# bench/waf.sh: what the edge protection's web application firewall
# (internal/gateway/edge: Coraza with the OWASP Core Rule Set v4) costs,
# end to end and in process, and how it does on the CRS's own regression
# suite.
#
# Sections (SECTIONS, default "e2e micro"; the CRS suite is added when
# SLUICE_CRS_TESTS is set):
#   e2e    one small backend (bench/cmd/sluicebench serve) behind
#          `sluice gateway` without edge protection (sluice), with the WAF
#          in detect mode (sluice-detect) and in enforce mode
#          (sluice-enforce, CRS v4, paranoia level 1); behind nginx with
#          ModSecurity v3 and Debian's Core Rule Set (3.3.x, an older rule
#          set than sluice's) in blocking mode (nginx-modsec), and behind
#          nginx alone (nginx), the baseline of nginx-modsec. All on
#          loopback, all driven by wrk with the same connections, duration
#          and warm-up, with a benign browser-like GET (query string,
#          cookies, the usual headers) and optionally a small JSON POST.
#          Before anything is measured every target must answer the benign
#          request with 200, and every WAF must refuse an SQL injection
#          with 403 (detect mode: let it pass and report it); otherwise the
#          script stops without printing numbers. Prints requests/s, p50,
#          p99, errors and the proxy's CPU time per request of each target,
#          and the ratios of each WAF to its own baseline and of
#          sluice-enforce to nginx-modsec, all from the same run.
#   micro  Go benchmarks of the edge's Wrap on one CPU, in process: CPU
#          time per request, the median of COUNT repetitions.
#
# Usage: bench/waf.sh                (from anywhere inside the repository)
# Knobs (environment):
#   SECTIONS="e2e micro"
#   e2e:   CONNS=16 DURATION=8s WARMUP=2s ROUNDS=1 THREADS=$(nproc)
#          TARGETS="sluice sluice-detect sluice-enforce nginx nginx-modsec"
#          REQUESTS="get"            "get post" adds the JSON POST
#   micro: COUNT=3 BENCHTIME=1s      (COUNT=5 BENCHTIME=2s for steadier figures)
#   SLUICE_CRS_TESTS=DIR             also run the CRS regression suite from DIR
#   SLUICE_BIN=PATH                  use this sluice binary instead of building one
#   KEEP=1                           keep the temp folder (configs, logs, outputs)
# Installs wrk, nginx, libnginx-mod-http-modsecurity and modsecurity-crs
# with apt-get when they are missing and it runs as root; a target that
# cannot be had is reported as n/a with the reason.
set -euo pipefail

SECTIONS="${SECTIONS:-e2e micro}"
CONNS="${CONNS:-16}"
DURATION="${DURATION:-8s}"
WARMUP="${WARMUP:-2s}"
ROUNDS="${ROUNDS:-1}"
THREADS="${THREADS:-$(nproc)}"
TARGETS="${TARGETS:-sluice sluice-detect sluice-enforce nginx nginx-modsec}"
REQUESTS="${REQUESTS:-get}"
COUNT="${COUNT:-3}"
BENCHTIME="${BENCHTIME:-1s}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d -t sluice-waf-bench.XXXXXX)"
bin="$tmp/bin"
pids=()

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'waf.sh: %s\n' "$*" >&2; exit 1; }

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

has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }

# ================================================================ e2e

# apt_install PACKAGE...: as root only; failures are reported by the caller.
apt_install() {
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then return 1; fi
	if [[ ! -f $tmp/apt-updated ]]; then
		apt-get update >"$tmp/apt.log" 2>&1 || true
		touch "$tmp/apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$tmp/apt.log" 2>&1
}

# have_modsec: whether Debian's ModSecurity module for nginx and its CRS
# are installed; sets where their files are, as the packages list them.
modsec_module="" crs_setup="" crs_rules="" unicode_map=""
have_modsec() {
	local files
	files="$(dpkg -L libnginx-mod-http-modsecurity modsecurity-crs 2>/dev/null || true)"
	modsec_module="$(grep -m1 '/ngx_http_modsecurity_module\.so$' <<<"$files" || true)"
	unicode_map="$(grep -m1 '/unicode\.mapping$' <<<"$files" || true)"
	crs_setup="$(grep -m1 '/crs-setup\.conf$' <<<"$files" || true)"
	crs_rules="$(grep -m1 '/REQUEST-901-INITIALIZATION\.conf$' <<<"$files" || true)"
	crs_rules="${crs_rules%/*}"
	[[ -f $modsec_module && -f $crs_setup && -d $crs_rules ]]
}

# The benign requests: what a browser sends for a search page, and what a
# single-page app sends to create a record. Host is a name, as from a
# browser (an IP address in Host is itself a CRS finding, 920350).
get_path='/books?author=Suzanne+Collins&page=2&sort=rating&q=hunger+games'
get_headers=(
	"Host: shop.example"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	"Accept-Language: en-US,en;q=0.5"
	"Accept-Encoding: gzip, deflate, br, zstd"
	"Referer: http://shop.example/books?page=1"
	"Cookie: session=3f9a1c2e7b5d4a6f8e0c1b2a; theme=dark"
	"Upgrade-Insecure-Requests: 1"
	"Sec-Fetch-Dest: document"
	"Sec-Fetch-Mode: navigate"
	"Sec-Fetch-Site: same-origin"
)
post_path='/api/books'
post_body='{"title":"The Hunger Games","authors":"Suzanne Collins","isbn":"439023483","average_rating":4.34,"tags":["dystopia","young adult"]}'
post_headers=(
	"Host: shop.example"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	"Accept: application/json"
	"Accept-Language: en-US,en;q=0.5"
	"Accept-Encoding: gzip, deflate, br, zstd"
	"Content-Type: application/json"
	"Origin: http://shop.example"
	"Referer: http://shop.example/books/new"
	"Cookie: session=3f9a1c2e7b5d4a6f8e0c1b2a; theme=dark"
	"Sec-Fetch-Dest: empty"
	"Sec-Fetch-Mode: cors"
	"Sec-Fetch-Site: same-origin"
)
# The attack every WAF must stop: a classic SQL injection in the query.
attack_path="/books?q=%27%20OR%201%3D1--"

# luastr S: S as a Lua string literal.
luastr() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# wrk_script METHOD PATH BODY HEADER...: a wrk script sending one fixed request.
wrk_script() {
	local method=$1 path=$2 body=$3 h
	shift 3
	printf 'wrk.method = %s\nwrk.path = %s\n' "$(luastr "$method")" "$(luastr "$path")"
	if [[ -n $body ]]; then printf 'wrk.body = %s\n' "$(luastr "$body")"; fi
	for h in "$@"; do printf 'wrk.headers[%s] = %s\n' "$(luastr "${h%%: *}")" "$(luastr "${h#*: }")"; done
}

# status KIND BASE [PATH]: the status of the benign request of KIND (get,
# post) to BASE, or of a GET of PATH with the GET headers.
status() {
	local args=() h
	case $1 in
	get) for h in "${get_headers[@]}"; do args+=(-H "$h"); done; args+=("$2${3:-$get_path}") ;;
	post) for h in "${post_headers[@]}"; do args+=(-H "$h"); done; args+=(-X POST --data-binary "$post_body" "$2$post_path") ;;
	esac
	curl -s -o /dev/null -m 10 -w '%{http_code}' "${args[@]}" 2>/dev/null || true
}

# wait_http URL: waits up to 20 s for URL to answer 200 (building the CRS
# takes the gateway a second or two).
wait_http() {
	local i
	for ((i = 0; i < 200; i++)); do
		if [[ $(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null) == 200 ]]; then return 0; fi
		sleep 0.1
	done
	return 1
}

# cpu_ticks PID: user+system CPU clock ticks of PID and its children (the
# nginx workers).
cpu_ticks() {
	local p s=0
	for p in "$1" $(pgrep -P "$1" || true); do
		[[ -r /proc/$p/stat ]] || continue
		s=$((s + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
	done
	echo "$s"
}

# count_lines FILE PATTERN: lines of FILE matching PATTERN, 0 when there is no FILE.
count_lines() { if [[ -f $1 ]]; then grep -c -- "$2" "$1" || true; else echo 0; fi; }

# sluice_conf NAME PORT EDGE: a gateway folder with one environment whose
# edge protection is EDGE (JSON, empty for none).
sluice_conf() {
	local edge=""
	if [[ -n $3 ]]; then edge=",
      \"edge\": $3"; fi
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/routes.json" <<-EOF
		{
		  "generation": 1,
		  "environments": {
		    "bench": {
		      "listen": "127.0.0.1:$2",
		      "releases": [
		        {"id": "r1", "version": "1.0.0", "role": "stable", "weight": 100, "backends": ["$backend"]}
		      ]$edge
		    }
		  }
		}
	EOF
}

# modsec_conf DIR: ModSecurity's main configuration for nginx-modsec:
# ModSecurity's recommended setup (as Debian's module package ships it) in
# blocking mode, with the choices sluice's WAF makes by default (request
# bodies inspected, responses not, bodies over the limit inspected in
# part, the same paranoia level, anomaly thresholds and allowed methods),
# then the CRS as Debian installs it.
modsec_conf() {
	local unicode=""
	if [[ -f $unicode_map ]]; then unicode="SecUnicodeMapFile $unicode_map 20127"; fi
	mkdir -p "$1/tmp"
	cat >"$1/main.conf" <<-EOF
		SecRuleEngine On
		SecRequestBodyAccess On
		SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
		SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
		SecRequestBodyLimit 131072
		SecRequestBodyNoFilesLimit 131072
		SecRequestBodyLimitAction ProcessPartial
		SecRequestBodyJsonDepthLimit 512
		SecArgumentsLimit 1000
		SecRule &ARGS "@ge 1000" "id:200007,phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"
		SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
		SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
		SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:200004,phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"
		SecPcreMatchLimit 1000
		SecPcreMatchLimitRecursion 1000
		SecRule TX:/^MSC_/ "!@streq 0" "id:200005,phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}'"
		SecResponseBodyAccess Off
		SecTmpDir $1/tmp
		SecDataDir $1/tmp
		SecAuditEngine RelevantOnly
		SecAuditLogRelevantStatus "^(?:5|4(?!04))"
		SecAuditLogParts ABIJDEFHZ
		SecAuditLogType Serial
		SecAuditLog $1/audit.log
		SecArgumentSeparator &
		SecCookieFormat 0
		$unicode
		SecStatusEngine Off
		Include $crs_setup
		SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
		SecAction "id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=5,setvar:tx.outbound_anomaly_score_threshold=4"
		SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
		Include $crs_rules/*.conf
	EOF
}

# nginx_conf NAME PORT MODSEC: an nginx reverse proxy to the backend, set
# up as bench/gateway.sh does (workers = the backend's GOMAXPROCS, access
# log off, kept-alive upstream connections); MODSEC=1 adds ModSecurity.
nginx_conf() {
	local dir="$tmp/$1" load="" on=""
	mkdir -p "$dir/logs"
	if [[ $3 == 1 ]]; then
		modsec_conf "$dir/modsec"
		load="load_module $modsec_module;"
		on="modsecurity on; modsecurity_rules_file $dir/modsec/main.conf;"
	fi
	cat >"$dir/nginx.conf" <<-EOF
		$load
		worker_processes $procs;
		daemon off;
		pid $dir/nginx.pid;
		error_log $dir/logs/error.log warn;
		events { worker_connections 4096; }
		http {
		  access_log off;
		  client_body_temp_path $dir/body;
		  proxy_temp_path $dir/proxy;
		  fastcgi_temp_path $dir/fastcgi;
		  uwsgi_temp_path $dir/uwsgi;
		  scgi_temp_path $dir/scgi;
		  upstream backend {
		    server $backend;
		    keepalive 64;
		  }
		  server {
		    listen 127.0.0.1:$2;
		    $on
		    location / {
		      proxy_pass http://backend;
		      proxy_http_version 1.1;
		      proxy_set_header Connection "";
		    }
		  }
		}
	EOF
}

# parse OUT: "rps p50_ms p99_ms errors requests" from wrk's output.
parse() {
	awk '
		function ms(v) {
			if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
			if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
		}
		/^ *50%/ { p50 = ms($2) } /^ *99%/ { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/ requests in / { n = $1 }
		/Non-2xx or 3xx responses:/ { err += $NF }
		/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
		END { printf "%s %s %s %d %d\n", rps, p50, p99, err, n }' "$1"
}

# verify: every target answers the benign requests with 200; every WAF
# stops the attack (detect mode: lets it pass and reports it) and leaves
# the benign requests alone. Exits on the first failure.
verify() {
	local t k code before after i f pat
	for t in $TARGETS; do
		[[ -n ${url[$t]:-} ]] || continue
		for k in $REQUESTS; do
			code="$(status "$k" "${url[$t]}")"
			[[ $code == 200 ]] || die "$t answers the benign $k request with $code, not 200: no numbers are reported"
		done
		code="$(status get "${url[$t]}" "$attack_path")"
		case $t in
		sluice-enforce | nginx-modsec)
			[[ $code == 403 ]] || die "$t answers the SQL injection $attack_path with $code, not 403: no numbers are reported"
			;;
		sluice-detect)
			[[ $code == 200 ]] || die "$t (detect mode) answers the SQL injection with $code, not 200"
			for ((i = 0; i < 50; i++)); do
				if grep -q '"layer":"waf".*"mode":"detect"' "$tmp/$t/security-events.jsonl" 2>/dev/null; then break; fi
				sleep 0.1
			done
			grep -q '"layer":"waf".*"mode":"detect"' "$tmp/$t/security-events.jsonl" 2>/dev/null ||
				die "$t did not report the SQL injection in its security event log: no numbers are reported"
			;;
		*) [[ $code == 200 ]] || die "$t answers $attack_path with $code, not 200" ;;
		esac
		log "$t: benign ${REQUESTS// /, } 200, SQL injection $code"
	done
	# The benign requests must not match anything that is reported: no
	# security event from sluice-detect, no ModSecurity warning from nginx.
	for t in sluice-detect nginx-modsec; do
		[[ -n ${url[$t]:-} ]] || continue
		case $t in
		sluice-detect) f="$tmp/$t/security-events.jsonl" pat='"layer"' ;;
		nginx-modsec) f="$tmp/$t/logs/error.log" pat='ModSecurity: ' ;;
		esac
		sleep 0.5
		before="$(count_lines "$f" "$pat")"
		for k in $REQUESTS; do status "$k" "${url[$t]}" >/dev/null; done
		sleep 1
		after="$(count_lines "$f" "$pat")"
		[[ $before == "$after" ]] || die "$t reported the benign request (see $f; KEEP=1 keeps it): the load would measure logging, not inspection"
	done
}

run_e2e() {
	local t k r n i p ports
	command -v wrk >/dev/null || { log "installing wrk"; apt_install wrk || true; }
	command -v wrk >/dev/null || die "wrk is needed for the end-to-end section (Debian package wrk)"
	declare -gA url note pid
	for t in $TARGETS; do
		case $t in
		nginx | nginx-modsec) command -v nginx >/dev/null || { log "installing nginx"; apt_install nginx-light || apt_install nginx || true; } ;;
		esac
		if [[ $t == nginx-modsec ]] && command -v nginx >/dev/null && ! have_modsec; then
			log "installing ModSecurity for nginx and the Core Rule Set"
			apt_install libnginx-mod-http-modsecurity modsecurity-crs || true
		fi
	done

	mkdir -p "$bin"
	if [[ -n ${SLUICE_BIN:-} ]]; then
		log "using $SLUICE_BIN; building the bench helper"
		cp "$SLUICE_BIN" "$bin/sluice"
	else
		log "building sluice and the bench helper"
		(cd "$root" && go build -o "$bin/sluice" ./cmd/sluice)
	fi
	(cd "$root" && go build -o "$bin/sluicebench" ./bench/cmd/sluicebench)

	"$bin/sluicebench" serve --addr-file "$tmp/backend.addr" 2>"$tmp/backend.log" &
	pids+=($!)
	for ((i = 0; i < 100; i++)); do
		if [[ -s $tmp/backend.addr ]]; then break; fi
		sleep 0.05
	done
	[[ -s $tmp/backend.addr ]] || { cat "$tmp/backend.log" >&2; die "the backend did not start"; }
	backend="$(cat "$tmp/backend.addr")"
	procs="$(sed -n 's/.*GOMAXPROCS \([0-9]*\).*/\1/p' "$tmp/backend.log")"
	log "backend on $backend, GOMAXPROCS $procs"

	n=0
	for t in $TARGETS; do n=$((n + 1)); done
	read -r -a ports <<<"$("$bin/sluicebench" ports "$n" | tr '\n' ' ')"
	i=0
	for t in $TARGETS; do
		p="${ports[$i]}"
		i=$((i + 1))
		case $t in
		sluice | sluice-detect | sluice-enforce)
			case $t in
			sluice) sluice_conf "$t" "$p" "" ;;
			sluice-detect) sluice_conf "$t" "$p" '{"waf": {"mode": "detect"}}' ;;
			sluice-enforce) sluice_conf "$t" "$p" '{"waf": {"mode": "enforce", "paranoia_level": 1}}' ;;
			esac
			"$bin/sluice" gateway --dir "$tmp/$t" >"$tmp/$t.log" 2>&1 &
			;;
		nginx | nginx-modsec)
			if ! command -v nginx >/dev/null; then note[$t]="nginx not installed"; continue; fi
			if [[ $t == nginx-modsec ]] && ! have_modsec; then
				note[$t]="ModSecurity for nginx or the CRS not installed (Debian packages libnginx-mod-http-modsecurity, modsecurity-crs)"
				continue
			fi
			nginx_conf "$t" "$p" "$([[ $t == nginx-modsec ]] && echo 1 || echo 0)"
			if ! nginx -t -p "$tmp/$t" -e "$tmp/$t/logs/error.log" -c "$tmp/$t/nginx.conf" >"$tmp/$t.log" 2>&1; then
				note[$t]="nginx -t refused the configuration: $(grep -m1 emerg "$tmp/$t.log" || tail -1 "$tmp/$t.log")"
				continue
			fi
			nginx -p "$tmp/$t" -e "$tmp/$t/logs/error.log" -c "$tmp/$t/nginx.conf" >>"$tmp/$t.log" 2>&1 &
			;;
		*)
			note[$t]="unknown target (known: sluice sluice-detect sluice-enforce nginx nginx-modsec)"
			continue
			;;
		esac
		pids+=($!)
		pid[$t]=$!
		url[$t]="http://127.0.0.1:$p"
	done
	for t in $TARGETS; do
		[[ -n ${url[$t]:-} ]] || continue
		if ! wait_http "${url[$t]}/"; then
			note[$t]="did not answer 200 at ${url[$t]}/"
			log "$t: ${note[$t]}; its log:"
			tail -5 "$tmp/$t.log" >&2 2>/dev/null || true
			unset "url[$t]"
		fi
	done
	for t in $TARGETS; do
		if [[ -n ${note[$t]:-} ]]; then log "$t: n/a: ${note[$t]}"; fi
	done

	verify

	for k in $REQUESTS; do
		case $k in
		get) wrk_script GET "$get_path" "" "${get_headers[@]}" >"$tmp/$k.lua" ;;
		post) wrk_script POST "$post_path" "$post_body" "${post_headers[@]}" >"$tmp/$k.lua" ;;
		*) die "unknown request kind $k (known: get post)" ;;
		esac
	done

	local results="$tmp/results.txt" c0 c1 out
	: >"$results"
	for ((r = 1; r <= ROUNDS; r++)); do
		for k in $REQUESTS; do
			for t in $TARGETS; do
				[[ -n ${url[$t]:-} ]] || continue
				log "round $r, $k: $t: warm-up $WARMUP, then $DURATION with $CONNS connections"
				wrk -t "$THREADS" -c "$CONNS" -d "$WARMUP" -s "$tmp/$k.lua" "${url[$t]}" >"$tmp/warmup-$k-$t.txt" 2>&1 || true
				out="$tmp/load-$k-$t-$r.txt"
				c0="$(cpu_ticks "${pid[$t]}")"
				if wrk -t "$THREADS" -c "$CONNS" -d "$DURATION" --latency -s "$tmp/$k.lua" "${url[$t]}" >"$out" 2>&1 &&
					grep -q '^Requests/sec:' "$out"; then
					c1="$(cpu_ticks "${pid[$t]}")"
					echo "$k $t $(parse "$out") $((c1 - c0))" >>"$results"
				else
					log "$t: wrk failed, round left out: $(tail -2 "$out")"
				fi
			done
		done
	done

	report_e2e "$results"
}

# report_e2e RESULTS: one table per request kind.
report_e2e() {
	local notes="" t k
	for t in "${!note[@]}"; do notes+="$t=${note[$t]};"; done
	printf '\n## End to end: %s, %s cores, GOMAXPROCS %s, wrk with %s connections (%s threads), %s per target after %s warm-up, %s round(s)\n\n' \
		"$(date -u +%Y-%m-%d)" "$(nproc)" "$procs" "$CONNS" "$THREADS" "$DURATION" "$WARMUP" "$ROUNDS"
	printf 'sluice: Coraza %s with the OWASP CRS %s (embedded), paranoia level 1, anomaly threshold 5\n' \
		"$(cd "$root" && go list -m -f '{{.Version}}' github.com/corazawaf/coraza/v3 2>/dev/null || echo '?')" \
		"$(cd "$root" && go list -m -f '{{.Version}}' github.com/corazawaf/coraza-coreruleset/v4 2>/dev/null || echo '?')"
	if [[ " $TARGETS " == *" nginx-modsec "* ]] && have_modsec; then
		printf 'nginx-modsec: %s, libmodsecurity3 %s, nginx connector %s, OWASP CRS %s (Debian modsecurity-crs), paranoia level 1, anomaly threshold 5\n' \
			"$(nginx -v 2>&1 | sed 's/.*: //')" \
			"$(dpkg-query -W -f='${Version}' libmodsecurity3 2>/dev/null || echo '?')" \
			"$(dpkg-query -W -f='${Version}' libnginx-mod-http-modsecurity 2>/dev/null || echo '?')" \
			"$(dpkg-query -W -f='${Version}' modsecurity-crs 2>/dev/null || echo '?')"
		printf 'note: Debian ships CRS 3.3.x, sluice embeds CRS v4: not the same rule set version, so the two WAFs do not run the same rules.\n'
	fi
	for k in $REQUESTS; do
		case $k in
		get) printf '\n### GET %s, browser headers and cookies\n\n' "$get_path" ;;
		post) printf '\n### POST %s, %d-byte JSON body\n\n' "$post_path" "${#post_body}" ;;
		esac
		awk -v kind="$k" -v order="$TARGETS" -v notes="$notes" -v hz="$(getconf CLK_TCK)" '
			$1 == kind {
				t = $2; n[t]++; rps[t] += $3; p50[t] += $4; p99[t] += $5; err[t] += $6; reqs[t] += $7; cpu[t] += $8
			}
			END {
				for (t in n) { rps[t] /= n[t]; p50[t] /= n[t]; p99[t] /= n[t] }
				base["sluice-detect"] = "sluice"; base["sluice-enforce"] = "sluice"; base["nginx-modsec"] = "nginx"
				printf "| target | requests/s | p50 | p99 | errors | proxy CPU per request | req/s vs own baseline | p50 vs own baseline | req/s vs nginx-modsec | p50 vs nginx-modsec |\n"
				printf "|---|---|---|---|---|---|---|---|---|---|\n"
				k = split(order, ts, " ")
				for (i = 1; i <= k; i++) {
					t = ts[i]
					if (!(t in n)) { printf "| %s | n/a | | | | | | | | |\n", t; continue }
					b = (t in base) ? base[t] : ""
					printf "| %s | %.0f | %.2f ms | %.2f ms | %d | %.3f ms | %s | %s | %s | %s |\n", t, rps[t], p50[t], p99[t], err[t],
						cpums(t), (b == "" ? "(baseline)" : ratio(rps[t], b, rps)), (b == "" ? "(baseline)" : ratio(p50[t], b, p50)),
						ratio(rps[t], "nginx-modsec", rps), ratio(p50[t], "nginx-modsec", p50)
				}
				printf "\n"
				for (i = 1; i <= k; i++) {
					t = ts[i]; b = base[t]
					if ((t in n) && (b in n))
						printf "- %s adds %.2f ms at p50 and %.3f ms of CPU per request over %s; throughput %.2fx of %s\n", t,
							p50[t] - p50[b], cpums(t) - cpums(b), b, rps[t] / rps[b], b
				}
				if (("sluice-enforce" in n) && ("nginx-modsec" in n))
					printf "- sluice-enforce vs nginx-modsec: %.2fx the requests/s, %.2fx the p50, %.2fx the CPU per request\n",
						rps["sluice-enforce"] / rps["nginx-modsec"], p50["sluice-enforce"] / p50["nginx-modsec"],
						cpums("sluice-enforce") / cpums("nginx-modsec")
				m = split(notes, ns, ";")
				for (i = 1; i < m; i++) printf "- n/a: %s\n", ns[i]
			}
			function cpums(t) { return reqs[t] > 0 ? cpu[t] * 1000 / hz / reqs[t] : 0 }
			function ratio(a, b, arr) { return (b in n) && arr[b] > 0 ? sprintf("%.2fx", a / arr[b]) : "-" }' "$1"
	done
	printf '\n(errors: non-2xx answers and socket errors; proxy CPU: user+system time of the proxy process and its workers during the measured run, divided by its requests; with ROUNDS > 1 figures are means over the rounds)\n'
}

# ================================================================ micro

run_micro() {
	local out="$tmp/micro.txt"
	printf '\n## In process: Wrap on a benign request (ms of CPU per request, median of %s, one CPU)\n\n' "$COUNT"
	(cd "$root" && go test -run '^$' -bench 'BenchmarkWrap' -benchmem -cpu 1 -count "$COUNT" -benchtime "$BENCHTIME" \
		./internal/gateway/edge/) | tee "$out" | grep -E '^(Benchmark|ok|FAIL)' >&2 || true
	awk '/^BenchmarkWrap/ { print $1 }' "$out" | sort -u | while read -r name; do
		median="$(awk -v n="$name" '$1 == n { print $3 }' "$out" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
		awk -v n="$name" -v m="$median" 'BEGIN { printf "%-36s %8.3f ms/request\n", n, m / 1e6 }'
	done
}

# ================================================================ CRS suite

run_crs() {
	local report="$tmp/crs-report.txt"
	printf '\n## CRS regression suite (%s), enforce mode\n\n' "$SLUICE_CRS_TESTS"
	(cd "$root" && SLUICE_CRS_REPORT="$report" go test -count 1 -run TestCRSRegressionSuite -v ./internal/gateway/edge/) |
		grep -E 'REQUEST-|RESPONSE-|CRS regression suite' | grep -v '\.yaml' || true
	if [[ ${KEEP:-} == 1 ]]; then echo "per-file results: $report"; else echo "(KEEP=1 keeps the per-file results)"; fi
}

if has_section e2e; then run_e2e; fi
if has_section micro; then run_micro; fi
if [[ -n ${SLUICE_CRS_TESTS:-} ]]; then
	run_crs
else
	printf '\n(set SLUICE_CRS_TESTS to the CRS regression tests folder to run the suite too)\n'
fi
