-- wrk script of `scripts/bench observe`: POSTs one batch of observation rows (JSON lines) over
-- and over, each request with a fresh batch_id, so every one is a new batch the server must store.
-- Usage: wrk ... -s observe.lua http://127.0.0.1:PORT/api/v1/repos/R/environments/E/observations
--          -- BODY_FILE TOKEN RUN_ID EXPECTED_STATUS
-- The same script against …/observations/parse (serve --test-endpoints) gives the floor: the same
-- caller check, body and parsing, nothing stored (expected status 200).
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local body, token, run_id
local counter = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  token = args[2]
  run_id = args[3] or "bench"
  expected_status = tonumber(args[4] or "202")
end

expected_status = 202
dofile(here .. "../webhooks/report.lua")

function request()
  counter = counter + 1
  local path = string.format("%s?batch_id=%s-t%d-%d", wrk.path, run_id, thread_no, counter)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-ndjson",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
