-- Sends every request as another signed-in visitor, so each page needs a
-- token that is not cached yet. The header X-Auth-Request-Email is
-- cold-<run>-<thread>-<n>@example.com, where <run> is the first script
-- argument and keeps apart the visitors of runs against the same Caddy.
-- run.sh appends this file to summary.lua.
local threads = 0

function setup(thread)
	threads = threads + 1
	thread:set("thread_id", threads)
end

function init(args)
	run_id = args[1] or "run"
	sent = 0
end

function request()
	sent = sent + 1
	wrk.headers["X-Auth-Request-Email"] =
		string.format("cold-%s-%d-%d@example.com", run_id, thread_id, sent)
	return wrk.format()
end
