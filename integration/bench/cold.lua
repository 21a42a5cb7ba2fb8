-- Sends every request as another signed-in visitor, so each page needs a
-- token that is not cached yet, and counts the pages that carry the
-- identification script. The header X-Auth-Request-Email is
-- cold-<run>-<thread>-<n>@example.com, where <run> is the first script
-- argument and keeps apart the visitors of runs against the same Caddy.
-- run.sh appends this file to summary.lua.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("thread_id", #threads)
end

function init(args)
	run_id = args[1] or "run"
	sent = 0
	injected = 0
end

function request()
	sent = sent + 1
	wrk.headers["X-Auth-Request-Email"] =
		string.format("cold-%s-%d-%d@example.com", run_id, thread_id, sent)
	return wrk.format()
end

function response(status, headers, body)
	if body:find("hsConversationsSettings", 1, true) then
		injected = injected + 1
	end
end

function injected_pages()
	local total = 0
	for _, thread in ipairs(threads) do
		total = total + thread:get("injected")
	end
	return total
end
