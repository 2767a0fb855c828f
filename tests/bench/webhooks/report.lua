-- Shared by the wrk scripts of `scripts/bench webhooks` (loaded with dofile by push.lua and
-- healthz.lua). Each wrk thread counts the answers whose status is not the one expected; done()
-- prints one machine-readable line that scripts/bench parses:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N connect=N read=N write=N timeout=N status=N unexpected=N
-- `status` is wrk's own count of answers >= 400; `unexpected` is the count of answers whose status
-- is not `expected_status` (set by the loading script before it dofile()s this file).

local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

unexpected = 0
first_unexpected = ""

function response(status, headers, body)
  if status ~= expected_status then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + (t:get("unexpected") or 0)
    local f = t:get("first_unexpected")
    if first == "" and f and f ~= "" then first = f end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d timeout=%d status=%d unexpected=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status, bad))
  if first ~= "" then
    io.write("BENCH_FIRST_UNEXPECTED " .. string.gsub(first, "[\r\n]", " ") .. "\n")
  end
end
