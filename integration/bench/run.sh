#!/usr/bin/env bash
# Measures hubspot_identify against plain Caddy on this machine and prints a
# Markdown table of the results with the targets they are held to.
#
# Both configs run the same Caddy binary, built from cmd/caddy, with the same
# Caddyfile except for the hubspot_identify block. They serve the same pages
# from a reverse_proxy upstream and from file_server. wrk loads them in
# turns, ROUNDS times, and the table shows the median of the rounds. The Go
# benchmarks of the handler, the token cache and the injector run first,
# while the machine is otherwise idle.
#
# Everything listens on 127.0.0.1 and stops when the script exits.
#
# Usage: integration/bench/run.sh
# Environment, with defaults:
#   DURATION=10s     length of each wrk run
#   ROUNDS=3         wrk runs per case and config; the median is reported
#   THREADS=2        wrk threads
#   CONNECTIONS=32   wrk connections
#   BENCHTIME=1s     -benchtime of the Go benchmarks
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
benchtime=${BENCHTIME:-1s}

# Latencies of the helpers, in milliseconds. The targets of the cold case
# are computed from them.
upstream_delay_ms=100
hubspot_latency_ms=150
stream_pause_ms=200

page_100m=$((100 << 20))
visitor_email=ada.lovelace@example.com
accept_header='Accept: text/html,application/xhtml+xml,*/*;q=0.8'
visitor_header="X-Auth-Request-Email: $visitor_email"

require() {
	if ! command -v "$1" >/dev/null; then
		echo "run.sh: $1 not found; $2" >&2
		exit 1
	fi
}
require go "install Go 1.26 or newer"
require wrk "install it with: apt-get install -y wrk"
require curl "install it with: apt-get install -y curl"

work=$(mktemp -d "${TMPDIR:-/tmp}/hubspot-bench.XXXXXX")
pids=()

# cleanup stops every process the script started and removes the work
# directory. After a failure it shows the end of each log first.
cleanup() {
	local status=$? pid log
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if ((status != 0)); then
		for log in "$work"/*.log; do
			[[ -e $log ]] || continue
			echo "--- last lines of $(basename "$log")" >&2
			tail -n 15 "$log" >&2
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_process PID stops one process that the script started.
stop_process() {
	local pid=$1 kept=() other
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for other in "${pids[@]}"; do
		[[ $other == "$pid" ]] || kept+=("$other")
	done
	pids=("${kept[@]}")
}

# pick_port sets port to a port on 127.0.0.1 that nothing listens on and
# that this script has not picked before.
used_ports=" "
pick_port() {
	local attempt
	for ((attempt = 0; attempt < 100; attempt++)); do
		port=$((20000 + RANDOM % 30000))
		[[ $used_ports == *" $port "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			used_ports+="$port "
			return 0
		fi
	done
	echo "run.sh: found no free port" >&2
	return 1
}

# wait_for_file PATH waits up to 10 s for a helper to write its address.
wait_for_file() {
	local attempt
	for ((attempt = 0; attempt < 100; attempt++)); do
		[[ -s $1 ]] && return 0
		sleep 0.1
	done
	echo "run.sh: timed out waiting for $1" >&2
	return 1
}

# machine prints what the numbers were measured on.
machine() {
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "- memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -sr)"
	echo "- $(go version)"
	echo "- $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1,2)"
	echo "- load: wrk -t$threads -c$connections -d$duration, $rounds rounds, median shown"
}

echo "building Caddy and the helpers in $work" >&2
(
	cd "$repo"
	go build -o "$work/caddy" ./cmd/caddy
	go build -o "$work/upstream" ./integration/bench/upstream
	go build -o "$work/emulator" ./integration/bench/emulator
)

# --- Go benchmarks, on an idle machine

echo "running the Go benchmarks" >&2
(
	cd "$repo"
	go test -run '^$' -bench '^BenchmarkServeHTTP$' -benchmem -benchtime "$benchtime" ./caddymodule >"$work/handler.bench"
	go test -run '^$' -bench '^BenchmarkCacheMemory$' -benchtime 3x ./caddymodule/internal/tokens >"$work/tokens.bench"
	go test -run '^$' -bench . -benchmem -benchtime "$benchtime" ./caddymodule/internal/inject >"$work/inject.bench"
)

# bench_value FILE NAME UNIT prints the value reported in UNIT by the Go
# benchmark NAME, without the -GOMAXPROCS suffix.
bench_value() {
	awk -v name="$2" -v unit="$3" '
		{ sub(/-[0-9]+$/, "", $1) }
		$1 == name { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }
	' "$1"
}

# --- servers

HUBSPOT_ACCESS_TOKEN="pat-bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
export HUBSPOT_ACCESS_TOKEN

"$work/upstream" -addr-file "$work/upstream.addr" -dir "$work/site" \
	-delay "${upstream_delay_ms}ms" -pause "${stream_pause_ms}ms" 2>"$work/upstream.log" &
pids+=("$!")
"$work/emulator" -addr-file "$work/emulator.addr" -latency "${hubspot_latency_ms}ms" 2>"$work/emulator.log" &
pids+=("$!")
wait_for_file "$work/upstream.addr"
wait_for_file "$work/emulator.addr"
upstream=$(<"$work/upstream.addr")
emulator=$(<"$work/emulator.addr")

# write_caddyfile NAME PORT MODULE writes NAME.Caddyfile for a site on
# PORT, with the hubspot_identify block if MODULE is "module".
write_caddyfile() {
	local name=$1 port=$2 module=$3
	{
		cat <<EOF
{
	admin off
	auto_https off
	persist_config off
	storage file_system $work/data-$name
}

http://127.0.0.1:$port {
EOF
		if [[ $module == module ]]; then
			cat <<EOF
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email {http.request.header.X-Auth-Request-Email}
		endpoint $emulator/visitor-identification/2026-03/tokens/create
	}

EOF
		fi
		cat <<EOF
	handle_path /proxy/* {
		reverse_proxy $upstream
	}
	handle_path /files/* {
		root * $work/site
		file_server
	}
	handle /slow/* {
		reverse_proxy $upstream
	}
}
EOF
	} >"$work/$name.Caddyfile"
}

# start_caddy NAME PORT starts Caddy with NAME.Caddyfile, waits until it
# serves a page and sets caddy_pid.
start_caddy() {
	local name=$1 port=$2 attempt
	"$work/caddy" run --config "$work/$name.Caddyfile" --adapter caddyfile >"$work/$name.log" 2>&1 &
	caddy_pid=$!
	pids+=("$caddy_pid")
	for ((attempt = 0; attempt < 100; attempt++)); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/proxy/30k.html" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$caddy_pid" 2>/dev/null; then
			echo "run.sh: Caddy ($name) exited" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "run.sh: Caddy ($name) did not answer on port $port" >&2
	return 1
}

# fetch URL [curl options...] prints the body of a browser's page request.
fetch() {
	local url=$1
	shift
	curl -fsS -H "$accept_header" "$@" "$url"
}

# expect_injected URL EMAIL fails unless the page for EMAIL carries the
# identification script, and warms the token cache for EMAIL.
expect_injected() {
	fetch "$1" -H "X-Auth-Request-Email: $2" >"$work/page.html"
	if ! grep -q hsConversationsSettings "$work/page.html"; then
		echo "run.sh: $1 for $2 was not injected; the module measurement would be wrong" >&2
		return 1
	fi
}

# expect_unchanged URL [curl options...] fails if the page was injected.
expect_unchanged() {
	fetch "$@" >"$work/page.html"
	if grep -q hsConversationsSettings "$work/page.html"; then
		echo "run.sh: $1 was injected, but the request has no visitor or the site no module" >&2
		return 1
	fi
}

pick_port
base_port=$port
pick_port
module_port=$port
write_caddyfile base "$base_port" plain
write_caddyfile module "$module_port" module
start_caddy base "$base_port"
start_caddy module "$module_port"
base_url="http://127.0.0.1:$base_port"
module_url="http://127.0.0.1:$module_port"

for page in proxy/30k.html proxy/300k.html files/30k.html files/300k.html; do
	expect_injected "$module_url/$page" "$visitor_email"
	expect_unchanged "$module_url/$page"
	expect_unchanged "$base_url/$page" -H "$visitor_header"
done
expect_injected "$module_url/slow/30k.html" "cold-check@example.com"

# --- load with wrk

cat "$here/summary.lua" >"$work/summary.lua"
cat "$here/summary.lua" "$here/cold.lua" >"$work/cold.lua"
touch "$work/results"

# measure KEY WRK_ARGS... runs wrk once and appends "KEY requests/s p50_us
# p99_us errors" to the results.
measure() {
	local key=$1 output result rps p50 p99 errors
	shift
	echo "  $key" >&2
	output=$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout 5s -H "$accept_header" "$@")
	if ! result=$(grep '^RESULT ' <<<"$output"); then
		echo "run.sh: wrk printed no result for $key:" >&2
		echo "$output" >&2
		return 1
	fi
	read -r _ rps p50 p99 _ errors <<<"$result"
	echo "$key $rps $p50 $p99 $errors" >>"$work/results"
}

# url_of CONFIG prints the base URL of config "base" or "module".
url_of() {
	if [[ $1 == base ]]; then echo "$base_url"; else echo "$module_url"; fi
}

echo "warming up" >&2
wrk -t"$threads" -c"$connections" -d3s -H "$accept_header" -H "$visitor_header" "$base_url/proxy/30k.html" >/dev/null
wrk -t"$threads" -c"$connections" -d3s -H "$accept_header" -H "$visitor_header" "$module_url/proxy/30k.html" >/dev/null

for ((round = 1; round <= rounds; round++)); do
	# Alternate which config goes first, so a drift in the machine's speed
	# does not favour one of them.
	if ((round % 2)); then configs=(base module); else configs=(module base); fi
	echo "round $round of $rounds" >&2

	for page in proxy/30k files/30k; do
		for config in "${configs[@]}"; do
			measure "anonymous/$page/$config" -s "$work/summary.lua" "$(url_of "$config")/$page.html"
		done
	done

	for page in proxy/30k proxy/300k files/30k files/300k; do
		for config in "${configs[@]}"; do
			measure "visitor/$page/$config" -s "$work/summary.lua" -H "$visitor_header" "$(url_of "$config")/$page.html"
		done
	done

	for config in "${configs[@]}"; do
		measure "cold/$config" -s "$work/cold.lua" "$(url_of "$config")/slow/30k.html" -- "r$round$config"
	done
done

# --- one 100 MB page

# memory_kb PID FIELD prints FIELD of /proc/PID/status, such as VmRSS, in kB.
memory_kb() {
	awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"
}

# big_pages CONFIG ROUND starts a fresh Caddy, fetches the 100 MB page
# from reverse_proxy and from file_server as the visitor and appends
# "big/PATH/CONFIG rss_growth_kb ttfb_ms bytes" to the results for each.
# The growth is the peak resident set during the transfer (VmHWM, reset
# just before it) over the resident set just before it. Small pages for the
# visitor first warm the token cache and both code paths, and the wait
# after them lets Caddy finish the work it does after startup, which
# otherwise adds several MB.
big_pages() {
	local config=$1 round=$2 path idle peak timing ttfb bytes
	pick_port
	write_caddyfile "big-$config-$round" "$port" "$config"
	start_caddy "big-$config-$round" "$port"
	fetch "http://127.0.0.1:$port/proxy/30k.html" -H "$visitor_header" >/dev/null
	fetch "http://127.0.0.1:$port/files/30k.html" -H "$visitor_header" >/dev/null
	sleep 3

	for path in proxy/100m.html files/100m.html; do
		idle=$(memory_kb "$caddy_pid" VmRSS)
		echo 5 >"/proc/$caddy_pid/clear_refs" # resets VmHWM to the current resident set
		timing=$(curl -fsS -o /dev/null -w '%{time_starttransfer} %{size_download}' \
			-H "$accept_header" -H "$visitor_header" "http://127.0.0.1:$port/$path")
		peak=$(memory_kb "$caddy_pid" VmHWM)

		read -r ttfb bytes <<<"$timing"
		ttfb=$(awk -v seconds="$ttfb" 'BEGIN { printf "%.1f", seconds * 1000 }')
		echo "big/$path/$config $((peak - idle)) $ttfb $bytes" >>"$work/results"
	done
	stop_process "$caddy_pid"
}

echo "fetching the 100 MB page" >&2
for ((round = 1; round <= rounds; round++)); do
	for config in base module; do
		big_pages "$config" "$round"
	done
done

# --- table

# median KEY FIELD prints the median of FIELD (2 for the first value) over
# the results of KEY.
median() {
	awk -v key="$1" -v field="$2" '
		$1 == key { values[++n] = $field }
		END {
			if (n == 0) { print "nan"; exit }
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && values[j - 1] > values[j]; j--) {
					t = values[j]; values[j] = values[j - 1]; values[j - 1] = t
				}
			if (n % 2) print values[(n + 1) / 2]
			else print (values[n / 2] + values[n / 2 + 1]) / 2
		}
	' "$work/results"
}

# calc EXPRESSION prints the awk EXPRESSION with the variables a and b.
calc() {
	awk -v a="$2" -v b="$3" "BEGIN { printf \"$1\", $4 }"
}

# verdict OK prints pass if the awk condition OK on a and b holds.
verdict() {
	awk -v a="$2" -v b="$3" "BEGIN { print (($1) ? \"pass\" : \"FAIL\") }"
}

# row CELLS... prints one row of the Markdown table.
row() {
	local line="|" cell
	for cell in "$@"; do
		line+=" $cell |"
	done
	echo "$line"
}

echo
echo "## Machine"
echo
machine
echo
echo "| Case | Measure | Plain Caddy | hubspot_identify | Ratio or change | Target | Result |"
echo "| --- | --- | --- | --- | --- | --- | --- |"

# throughput_rows CASE LABEL TARGET_RATIO prints req/s, p50 and p99 for a
# pair of wrk results. An empty TARGET_RATIO means the case has no target.
throughput_rows() {
	local key=$1 label=$2 target=$3 base_rps module_rps base_p50 module_p50 base_p99 module_p99 result
	base_rps=$(median "$key/base" 2)
	module_rps=$(median "$key/module" 2)
	base_p50=$(median "$key/base" 3)
	module_p50=$(median "$key/module" 3)
	base_p99=$(median "$key/base" 4)
	module_p99=$(median "$key/module" 4)

	result="—"
	if [[ -n $target ]]; then
		result=$(verdict "b / a >= $target" "$base_rps" "$module_rps")
	fi
	row "$label" "req/s" "$(calc '%.0f' "$base_rps" "" a)" "$(calc '%.0f' "$module_rps" "" a)" \
		"$(calc '%.3f' "$base_rps" "$module_rps" 'b / a')" "${target:+≥ $target}" "$result"
	latency_row "$label" p50 "$base_p50" "$module_p50" "$4"
	latency_row "$label" p99 "$base_p99" "$module_p99" "$5"
}

# latency_row LABEL NAME BASE_US MODULE_US TARGET prints a latency in ms
# with the ratio and the added time. TARGET is "ratio" for a ratio of at
# most 1/0.99, a number of ms for the most added time, or empty for none.
latency_row() {
	local label=$1 name=$2 base=$3 module=$4 target=$5 goal="" result="—"
	case $target in
	ratio)
		goal="≤ 1.010"
		result=$(verdict "b / a <= 1 / 0.99" "$base" "$module")
		;;
	"") ;;
	*)
		goal="+ < $target ms"
		result=$(verdict "(b - a) / 1000 < $target" "$base" "$module")
		;;
	esac
	row "$label" "$name latency (ms)" "$(calc '%.2f' "$base" "" 'a / 1000')" "$(calc '%.2f' "$module" "" 'a / 1000')" \
		"$(calc '%.3f, %+.2f ms' "$base" "$module" 'b / a, (b - a) / 1000')" "$goal" "$result"
}

throughput_rows anonymous/proxy/30k "1. anonymous, reverse_proxy 30 KB" 0.99 ratio ratio
throughput_rows anonymous/files/30k "1. anonymous, file_server 30 KB" 0.99 ratio ratio
throughput_rows visitor/proxy/30k "2. visitor, reverse_proxy 30 KB" 0.95 "" 0.2
throughput_rows visitor/proxy/300k "2. visitor, reverse_proxy 300 KB" "" "" 0.2
throughput_rows visitor/files/30k "2. visitor, file_server 30 KB" 0.90 "" 0.2
throughput_rows visitor/files/300k "2. visitor, file_server 300 KB" 0.90 "" 0.2

for upstream in proxy file; do
	allocs=()
	for size in 30KB 300KB 100MB; do
		plain=$(bench_value "$work/handler.bench" "BenchmarkServeHTTP/$upstream/$size/plain" allocs/op)
		visitor=$(bench_value "$work/handler.bench" "BenchmarkServeHTTP/$upstream/$size/visitor" allocs/op)
		plain_bytes=$(bench_value "$work/handler.bench" "BenchmarkServeHTTP/$upstream/$size/plain" B/op)
		visitor_bytes=$(bench_value "$work/handler.bench" "BenchmarkServeHTTP/$upstream/$size/visitor" B/op)
		allocs+=("$visitor")
		row "2. visitor, handler benchmark, $upstream $size" "allocs (bytes) per request" "$plain ($plain_bytes B)" \
			"$visitor ($visitor_bytes B)" "+$((visitor - plain)) allocs" "" ""
	done
	same=$([[ ${allocs[0]} == "${allocs[1]}" && ${allocs[1]} == "${allocs[2]}" ]] && echo pass || echo FAIL)
	row "2. visitor, handler benchmark, $upstream" "allocs per request by page size" "" "${allocs[*]}" "" "independent of size" "$same"
done

base_p50=$(median cold/base 3)
module_p50=$(median cold/module 3)
base_p99=$(median cold/base 4)
module_p99=$(median cold/module 4)
overlap_ms=$((upstream_delay_ms > hubspot_latency_ms ? upstream_delay_ms : hubspot_latency_ms))
row "3. cold visitors, upstream ${upstream_delay_ms} ms, HubSpot ${hubspot_latency_ms} ms" "p50 latency (ms)" \
	"$(calc '%.1f' "$base_p50" "" 'a / 1000')" "$(calc '%.1f' "$module_p50" "" 'a / 1000')" \
	"$(calc '%+.1f ms' "$base_p50" "$module_p50" '(b - a) / 1000')" "≤ $((overlap_ms + 5)) ms" \
	"$(verdict "b / 1000 <= $((overlap_ms + 5))" "$base_p50" "$module_p50")"
row "3. cold visitors, upstream ${upstream_delay_ms} ms, HubSpot ${hubspot_latency_ms} ms" "p99 latency (ms)" \
	"$(calc '%.1f' "$base_p99" "" 'a / 1000')" "$(calc '%.1f' "$module_p99" "" 'a / 1000')" \
	"$(calc '%+.1f ms' "$base_p99" "$module_p99" '(b - a) / 1000')" "≤ $((overlap_ms + 5)) ms" \
	"$(verdict "b / 1000 <= $((overlap_ms + 5))" "$base_p99" "$module_p99")"
row "3. cold visitors" "req/s" "$(calc '%.0f' "$(median cold/base 2)" "" a)" "$(calc '%.0f' "$(median cold/module 2)" "" a)" "" "" ""

for path in proxy/100m.html files/100m.html; do
	base_growth=$(median "big/$path/base" 2)
	module_growth=$(median "big/$path/module" 2)
	base_ttfb=$(median "big/$path/base" 3)
	module_ttfb=$(median "big/$path/module" 3)
	module_bytes=$(median "big/$path/module" 4)
	injected=$(verdict "a > $page_100m" "$module_bytes" "")
	row "4. 100 MB page, /$path" "peak RSS over idle (MB)" "$(calc '%.1f' "$base_growth" "" 'a / 1024')" \
		"$(calc '%.1f' "$module_growth" "" 'a / 1024')" "$(calc '%+.1f MB' "$base_growth" "$module_growth" '(b - a) / 1024')" \
		"< 8 MB" "$(verdict 'b / 1024 < 8' "$base_growth" "$module_growth")"
	if [[ $path == proxy/* ]]; then
		ttfb_goal="< ${stream_pause_ms} ms"
		ttfb_result=$(verdict "b < $stream_pause_ms" "$base_ttfb" "$module_ttfb")
	else
		ttfb_goal=""
		ttfb_result="—"
	fi
	row "4. 100 MB page, /$path" "time to first byte (ms)" "$base_ttfb" "$module_ttfb" \
		"$(calc '%+.1f ms' "$base_ttfb" "$module_ttfb" 'b - a')" "$ttfb_goal" "$ttfb_result"
	row "4. 100 MB page, /$path" "snippet injected" "" "$([[ $injected == pass ]] && echo yes || echo no)" "" "yes" "$injected"
done

per_token=$(bench_value "$work/tokens.bench" BenchmarkCacheMemory B/token)
row "5. 100k cached visitors" "bytes per token beyond its own" "" "$(calc '%.0f' "$per_token" "" a)" "" "< 1024" \
	"$(verdict 'a < 1024' "$per_token" "")"

for name in BenchmarkScanComment BenchmarkWriter/30KB BenchmarkWriter/300KB "BenchmarkWriter/30KB/64B_writes"; do
	row "6. injector" "${name#Benchmark} (MB/s)" "" "$(bench_value "$work/inject.bench" "$name" MB/s)" "" "" ""
done
copy=$(bench_value "$work/inject.bench" "BenchmarkCopy/io.Copy" MB/s)
after=$(bench_value "$work/inject.bench" "BenchmarkCopy/Writer_after_injection" MB/s)
row "6. injector" "copy after injection (MB/s)" "$copy" "$after" "$(calc '%.3f' "$copy" "$after" 'b / a')" "≥ 0.90" \
	"$(verdict 'b / a >= 0.90' "$copy" "$after")"

errors=$(awk '$1 !~ /^big\// { sum += $5 } END { print sum + 0 }' "$work/results")
echo
echo "wrk reported $errors errors over all runs; plain Caddy is the baseline column, and the module's column is the same Caddy with hubspot_identify."
