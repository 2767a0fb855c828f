-- wrk script for the baseline of `scripts/bench webhooks`: GET /healthz, every answer must be 200.
-- Usage: wrk ... -s healthz.lua http://127.0.0.1:PORT/healthz
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
expected_status = 200
dofile(here .. "report.lua")
