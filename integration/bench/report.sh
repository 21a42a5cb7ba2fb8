# Functions that turn the results of run.sh into the Markdown table it
# prints. run.sh sources this file; it is no script of its own.
#
# The results file has one line per wrk run,
#   KEY requests/s p50_us p99_us errors other_cpu_percent requests injected
# with KEY such as visitor/proxy/30k/base, and one line per 100 MB transfer,
#   big/PATH/CONFIG rss_growth_kb ttfb_ms bytes
# and one line per wrk run with what the emulator counted,
#   hubspot/KEY token_requests connections

# machine prints what the numbers were measured on.
machine() {
	echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "- memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- kernel: $(uname -sr)"
	echo "- $(go version)"
	echo "- $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1,2)"
	echo "- load: wrk -t$threads -c$connections -d$duration, $rounds rounds, median shown"
}

# bench_value FILE NAME UNIT prints the value reported in UNIT by the Go
# benchmark NAME, without the -GOMAXPROCS suffix.
bench_value() {
	awk -v name="$2" -v unit="$3" '
		{ sub(/-[0-9]+$/, "", $1) }
		$1 == name { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }
	' "$1"
}

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

# paired KIND KEY FIELD compares the module with plain Caddy round by round
# and prints the median, the lowest and the highest of the per-round
# values: module / base for KIND "ratio", module - base for KIND "diff".
paired() {
	awk -v kind="$1" -v base="$2/base" -v module="$2/module" -v field="$3" '
		$1 == base { b[++nb] = $field }
		$1 == module { m[++nm] = $field }
		END {
			n = (nb < nm ? nb : nm)
			if (n == 0) { print "nan nan nan"; exit }
			for (i = 1; i <= n; i++)
				v[i] = (kind == "ratio" ? (b[i] ? m[i] / b[i] : 0) : m[i] - b[i])
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
					t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
				}
			mid = (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
			print mid, v[1], v[n]
		}
	' "$work/results"
}

# calc FORMAT A B EXPRESSION prints the awk EXPRESSION of the variables a
# and b with the printf FORMAT.
calc() {
	awk -v a="$2" -v b="$3" "BEGIN { printf \"$1\", $4 }"
}

# spread FORMAT SCALE MEDIAN LOW HIGH prints "median (low to high)", each
# value divided by SCALE and printed with FORMAT.
spread() {
	awk -v format="$1" -v scale="$2" -v mid="$3" -v low="$4" -v high="$5" \
		'BEGIN { printf format " (" format " to " format ")", mid / scale, low / scale, high / scale }'
}

# verdict CONDITION A B prints pass if the awk CONDITION on a and b holds.
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

# throughput_row KEY LABEL TARGET prints the requests per second of a case.
# TARGET is the least ratio to plain Caddy, or empty for none.
throughput_row() {
	local key=$1 label=$2 target=$3 result="—" ratio
	read -r -a ratio <<<"$(paired ratio "$key" 2)"
	if [[ -n $target ]]; then
		result=$(verdict "a >= $target" "${ratio[0]}" "")
	fi
	row "$label" "req/s" "$(calc '%.0f' "$(median "$key/base" 2)" "" a)" "$(calc '%.0f' "$(median "$key/module" 2)" "" a)" \
		"$(spread '%.3f' 1 "${ratio[@]}")" "${target:+≥ $target}" "$result"
}

# latency_row KEY LABEL NAME FIELD TARGET prints a latency percentile in
# ms. TARGET is "ratio" for a ratio to plain Caddy of at most 1/0.99, the
# inverse of the throughput target, a number for the most ms added, or
# empty for none.
latency_row() {
	local key=$1 label=$2 name=$3 field=$4 target=$5 goal="" result="—" change change_text
	if [[ $target == ratio ]]; then
		read -r -a change <<<"$(paired ratio "$key" "$field")"
		change_text=$(spread '%.3f' 1 "${change[@]}")
		goal="≤ 1.010"
		result=$(verdict "a <= 1 / 0.99" "${change[0]}" "")
	else
		read -r -a change <<<"$(paired diff "$key" "$field")"
		change_text="$(spread '%+.2f' 1000 "${change[@]}") ms"
		if [[ -n $target ]]; then
			goal="< +$target ms"
			result=$(verdict "a / 1000 < $target" "${change[0]}" "")
		fi
	fi
	row "$label" "$name latency (ms)" "$(calc '%.2f' "$(median "$key/base" "$field")" "" 'a / 1000')" \
		"$(calc '%.2f' "$(median "$key/module" "$field")" "" 'a / 1000')" "$change_text" "$goal" "$result"
}

# load_rows KEY LABEL THROUGHPUT_TARGET P50_TARGET P99_TARGET prints the
# three rows of a wrk case.
load_rows() {
	throughput_row "$1" "$2" "$3"
	latency_row "$1" "$2" p50 3 "$4"
	latency_row "$1" "$2" p99 4 "$5"
}

# handler_rows prints the time, allocations and bytes per request of the
# handler benchmark for each page size, and whether the allocations depend
# on the size.
handler_rows() {
	local upstream size plain visitor plain_ns visitor_ns plain_allocs visitor_allocs allocs same
	for upstream in proxy file; do
		allocs=()
		for size in 30KB 300KB 100MB; do
			plain="BenchmarkServeHTTP/$upstream/$size/plain"
			visitor="BenchmarkServeHTTP/$upstream/$size/visitor"
			plain_ns=$(bench_value "$work/handler.bench" "$plain" ns/op)
			visitor_ns=$(bench_value "$work/handler.bench" "$visitor" ns/op)
			plain_allocs=$(bench_value "$work/handler.bench" "$plain" allocs/op)
			visitor_allocs=$(bench_value "$work/handler.bench" "$visitor" allocs/op)
			allocs+=("$visitor_allocs")
			row "2. visitor, handler benchmark, $upstream $size" "time, allocs, bytes per request" \
				"$(calc '%.0f ns' "$plain_ns" "" a), $plain_allocs, $(bench_value "$work/handler.bench" "$plain" B/op) B" \
				"$(calc '%.0f ns' "$visitor_ns" "" a), $visitor_allocs, $(bench_value "$work/handler.bench" "$visitor" B/op) B" \
				"$(calc '%+.0f ns' "$plain_ns" "$visitor_ns" 'b - a'), +$((visitor_allocs - plain_allocs)) allocs" "" ""
		done

		same=FAIL
		if [[ ${allocs[0]} == "${allocs[1]}" && ${allocs[1]} == "${allocs[2]}" ]]; then
			same=pass
		fi
		row "2. visitor, handler benchmark, $upstream" "allocs per request for 30 KB, 300 KB, 100 MB" "" "${allocs[*]}" "" \
			"independent of size" "$same"
	done
}

# cold_rows prints the latency of pages for visitors without a cached
# token, which is held to the slower of the upstream and HubSpot plus 5 ms.
cold_rows() {
	local overlap_ms=$((upstream_delay_ms > hubspot_latency_ms ? upstream_delay_ms : hubspot_latency_ms))
	local label="3. cold visitors, upstream ${upstream_delay_ms} ms, HubSpot ${hubspot_latency_ms} ms"
	local percentile name field module_latency change
	for percentile in p50:3 p99:4; do
		name=${percentile%:*}
		field=${percentile#*:}
		module_latency=$(median cold/module "$field")
		read -r -a change <<<"$(paired diff cold "$field")"
		row "$label" "$name latency (ms)" "$(calc '%.1f' "$(median cold/base "$field")" "" 'a / 1000')" \
			"$(calc '%.1f' "$module_latency" "" 'a / 1000')" "$(spread '%+.1f' 1000 "${change[@]}") ms" \
			"≤ $((overlap_ms + 5)) ms" "$(verdict "a / 1000 <= $((overlap_ms + 5))" "$module_latency" "")"
	done
	row "$label" "req/s" "$(calc '%.0f' "$(median cold/base 2)" "" a)" "$(calc '%.0f' "$(median cold/module 2)" "" a)" "" "" ""

	# Pages that went out without a token did not wait for HubSpot, so
	# their latency does not show the overlap.
	local share
	share=$(awk '$1 == "cold/module" { requests += $7; injected += $8 } END { printf "%.1f", requests ? 100 * injected / requests : 0 }' "$work/results")
	row "$label" "pages injected (%)" "" "$share" "" "100" "$(verdict 'a >= 99.5' "$share" "")"

	local per_call
	per_call=$(awk '$1 == "hubspot/cold/module" { calls += $2; connections += $3 } END { printf "%.2f", calls ? connections / calls : 0 }' "$work/results")
	row "$label" "new connections to HubSpot per token request" "" "$per_call" "" "" ""
}

# big_page_rows prints the memory and the time to first byte of the 100 MB
# page. The first byte of the proxied page is held to arrive before the
# upstream's pause after its first 64 KiB, the injector's scan window.
big_page_rows() {
	local path base_growth module_growth base_ttfb module_ttfb injected ttfb_goal ttfb_result
	for path in proxy/100m.html files/100m.html; do
		base_growth=$(median "big/$path/base" 2)
		module_growth=$(median "big/$path/module" 2)
		base_ttfb=$(median "big/$path/base" 3)
		module_ttfb=$(median "big/$path/module" 3)
		injected=$(verdict "a > $page_100m" "$(median "big/$path/module" 4)" "")

		row "4. 100 MB page, /$path" "peak RSS over idle (MB)" "$(calc '%.1f' "$base_growth" "" 'a / 1024')" \
			"$(calc '%.1f' "$module_growth" "" 'a / 1024')" "$(calc '%+.1f MB' "$base_growth" "$module_growth" '(b - a) / 1024')" \
			"< 8 MB" "$(verdict 'b / 1024 < 8' "$base_growth" "$module_growth")"

		ttfb_goal=""
		ttfb_result="—"
		if [[ $path == proxy/* ]]; then
			ttfb_goal="< ${stream_pause_ms} ms"
			ttfb_result=$(verdict "b < $stream_pause_ms" "$base_ttfb" "$module_ttfb")
		fi
		row "4. 100 MB page, /$path" "time to first byte (ms)" "$base_ttfb" "$module_ttfb" \
			"$(calc '%+.1f ms' "$base_ttfb" "$module_ttfb" 'b - a')" "$ttfb_goal" "$ttfb_result"
		row "4. 100 MB page, /$path" "snippet injected" "" "$([[ $injected == pass ]] && echo yes || echo no)" "" "yes" "$injected"
	done
}

# go_bench_rows prints the token cache's memory and the injector's speed.
go_bench_rows() {
	local per_token name copy after
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
}

# print_report prints the machine, the table and the notes below it.
print_report() {
	local errors load_other disturbed

	echo
	echo "## Machine"
	echo
	machine
	echo
	echo "Medians over the rounds. Ratios and changes are computed per round, between the two"
	echo "configs measured back to back, and the range over the rounds follows in brackets."
	echo
	echo "| Case | Measure | Plain Caddy | hubspot_identify | Ratio or change | Target | Result |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	load_rows anonymous/proxy/30k "1. anonymous, reverse_proxy 30 KB" 0.99 ratio ratio
	load_rows anonymous/files/30k "1. anonymous, file_server 30 KB" 0.99 ratio ratio
	load_rows visitor/proxy/30k "2. visitor, reverse_proxy 30 KB" 0.95 "" 0.2
	load_rows visitor/proxy/300k "2. visitor, reverse_proxy 300 KB" "" "" 0.2
	load_rows visitor/files/30k "2. visitor, file_server 30 KB" 0.90 "" 0.2
	load_rows visitor/files/300k "2. visitor, file_server 300 KB" 0.90 "" 0.2
	handler_rows
	cold_rows
	big_page_rows
	go_bench_rows

	errors=$(awk '$1 !~ /^(big|hubspot)\// { sum += $5 } END { print sum + 0 }' "$work/results")
	load_other=$(awk '$1 !~ /^(big|hubspot)\// { print $6 }' "$work/results" | sort -g | awk '
		{ values[NR] = $1 }
		END { printf "a median of %.1f%% and at most %.1f%%", values[int((NR + 1) / 2)], values[NR] }')
	echo
	echo "Plain Caddy is the same binary and Caddyfile without hubspot_identify. wrk reported $errors errors over all runs."
	disturbed=$(awk -v max="$quiet_percent" '$1 !~ /^(big|hubspot)\// && $6 >= max { n++ } END { print n + 0 }' "$work/results")
	echo "Other processes on the machine used $load_other of the CPUs during the wrk runs,"
	echo "$bench_other% during the Go benchmarks and $big_other% during the 100 MB transfers."
	echo "$remeasured pairs of wrk runs were measured again because other processes used $quiet_percent% of the CPUs or more;"
	echo "$disturbed of the wrk runs in the table were still disturbed. The script waited $waited s for other processes."
}
