-- wrk script of `scripts/bench webhooks`: POSTs one signed GitHub push delivery over and over.
-- Usage: wrk ... -s push.lua http://127.0.0.1:PORT/webhooks/github -- BODY_FILE SIGNATURE RUN_ID
--   BODY_FILE  the exact payload bytes the signature was computed over
--   SIGNATURE  the X-Hub-Signature-256 value (sha256=<hex HMAC of BODY_FILE with the repo's secret>)
--   RUN_ID     makes the delivery ids unique to this run
-- X-GitHub-Delivery is not covered by the signature, so every request carries a fresh one
-- (run id, wrk thread number, per-thread counter) and is a genuinely new delivery that the
-- server must accept once, store and answer 202 {"status":"accepted",...}.
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
expected_status = 202
dofile(here .. "report.lua")

local body, signature, run_id
local counter = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  signature = args[2]
  run_id = args[3] or "bench"
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = "push",
    ["X-GitHub-Delivery"] = string.format("%s-t%d-%d", run_id, thread_no, counter),
    ["X-Hub-Signature-256"] = signature,
  }, body)
end
