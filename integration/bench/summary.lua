-- Prints the result of a wrk run as one line that run.sh parses:
-- RESULT <requests/s> <p50 µs> <p99 µs> <requests> <errors> <injected>
-- Errors are failed connects, reads and writes, timeouts and responses
-- with a status of 400 or more. Injected is the number of pages that
-- carried the identification script, or -1 where the bodies were not read.

-- injected_pages returns the number of injected pages over all threads.
-- cold.lua replaces it, because reading every body slows wrk down.
function injected_pages()
	return -1
end

function done(summary, latency, requests)
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write
		+ summary.errors.timeout + summary.errors.status
	io.write(string.format("RESULT %.1f %d %d %d %d %d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99),
		summary.requests, errors, injected_pages()))
end
