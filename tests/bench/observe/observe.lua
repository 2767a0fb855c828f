-- wrk script of `scripts/bench observe`: POSTs batches of observation rows (JSON lines) over and
-- over, each request with a fresh batch_id, so every one is a new batch the server must store.
-- The batches are COUNT files (BODY_PATTERN with %d = 0 .. COUNT-1) whose row ids differ, posted
-- in turn, so the kept rows of a window fill up as with a real serving system's request ids.
-- Usage: wrk ... -s observe.lua http://127.0.0.1:PORT/api/v1/repos/R/environments/E/observations
--          -- BODY_PATTERN TOKEN RUN_ID EXPECTED_STATUS COUNT
-- The same script against …/observations/parse (serve --test-endpoints) gives the floor: the same
-- caller check, body and parsing, nothing stored (expected status 200).
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local bodies = {}
local token, run_id
local counter = 0

function init(args)
  local count = tonumber(args[5] or "1")
  for i = 0, count - 1 do
    local f = assert(io.open(string.format(args[1], i), "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  token = args[2]
  run_id = args[3] or "bench"
  expected_status = tonumber(args[4] or "202")
end

expected_status = 202
dofile(here .. "../webhooks/report.lua")

function request()
  counter = counter + 1
  local path = string.format("%s?batch_id=%s-t%d-%d", wrk.path, run_id, thread_no, counter)
  -- The two threads start half-way apart in the list.
  local body = bodies[(counter + (thread_no or 1) * math.floor(#bodies / 2)) % #bodies + 1]
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-ndjson",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
