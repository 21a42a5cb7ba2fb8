-- Prints the result of a wrk run as one line that run.sh parses:
-- RESULT <requests/s> <p50 latency µs> <p99 latency µs> <requests> <errors>
-- Errors are failed connects, reads and writes, timeouts and responses
-- with a status of 400 or more.
function done(summary, latency, requests)
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write
		+ summary.errors.timeout + summary.errors.status
	io.write(string.format("RESULT %.1f %d %d %d %d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99),
		summary.requests, errors))
end
