-- wrk script: static files. Requests cycle through the paths of a file (one per line), each
-- with Accept-Encoding: gzip, so that both servers compress what they would compress for a phone.
--
--   wrk -t2 -c64 -d15s -s static.lua http://127.0.0.1:PORT -- urls.txt

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local reqs = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(reqs, wrk.format("GET", line, { ["Accept-Encoding"] = "gzip" }))
    end
  end
  i = tid * 7
end

function request()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end

function done(summary, latency, requests)
  -- No response() callback: it would copy every body into Lua and slow wrk down. wrk itself
  -- counts answers with a status of 400 or more in errors.status.
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d bytes=%d status_err=%d connect_err=%d read_err=%d write_err=%d timeout=%d latency_p50_ms=%.2f latency_p99_ms=%.2f\n",
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
