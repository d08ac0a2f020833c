-- wrk script: the search API, cycling through the queries of a file (one per line).
--
--   wrk -t2 -c32 -d15s -s search.lua http://127.0.0.1:PORT -- queries.txt

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local reqs = {}
local i = 0

local function encode(s)
  return (s:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(reqs, wrk.format("GET", "/api/v1/search?q=" .. encode(line)))
    end
  end
  i = tid * 5
end

function request()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d status_err=%d latency_p50_ms=%.2f latency_p99_ms=%.2f\n",
    summary.requests, summary.duration, e.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
