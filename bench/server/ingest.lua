-- wrk script: durable event ingest. Every request is POST /api/v1/events with a batch of
-- BATCH events with fresh UUIDs, from the next of many member tokens (round robin per thread).
-- At the end it prints RESULT lines that bench/server/run.sh reads: responses by status and the
-- events the server answered "stored" for.
--
--   wrk -t2 -c64 -d30s -s ingest.lua http://127.0.0.1:PORT -- tokens.txt docs.txt RUNID [BATCH]

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local tokens, docs = {}, {}
local batch = 50
local run_id = 0
local seq = 0
local ti = 0
-- Globals, not locals: done() reads them from each thread with thread:get().
ok, other, stored = 0, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(tokens, line) end
  end
  for line in io.lines(args[2]) do
    if #line > 0 then table.insert(docs, line) end
  end
  run_id = tonumber(args[3]) or 0
  batch = tonumber(args[4] or "50")
  ti = tid * 7919 -- threads start at different tokens
  math.randomseed(run_id + tid * 1000003)
end

function request()
  ti = ti + 1
  local token = tokens[(ti % #tokens) + 1]
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local parts = {}
  for i = 1, batch do
    seq = seq + 1
    -- UUIDv7 as the phones' outbox makes them (themes/default/static/outbox.js): the time first
    -- (seconds here, wrk's Lua has no ms clock, plus a per-thread counter), then random bits.
    local ms = os.time() * 1000 + seq % 1000
    local id = string.format("%08x-%04x-7%03x-%04x-%04x%08x", math.floor(ms / 65536) % 4294967296,
      ms % 65536, math.random(0, 4095), 0x8000 + (tid % 16) * 1024 + math.random(0, 1023),
      math.random(0, 65535), math.random(0, 4294967295) % 4294967296)
    local doc = docs[math.random(1, #docs)]
    if i % 5 == 0 then
      parts[i] = string.format('{"id":"%s","type":"read","doc":"%s","at":"%s","ms":%d}', id, doc, at,
        math.random(60000, 180000))
    else
      parts[i] = string.format('{"id":"%s","type":"view","doc":"%s","at":"%s","ms":1000}', id, doc, at)
    end
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v1/events",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    local _, n = string.gsub(body, '"status":"stored"', "")
    stored = stored + n
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t_ok, t_other, t_stored = 0, 0, 0
  for _, t in ipairs(threads) do
    t_ok = t_ok + t:get("ok")
    t_other = t_other + t:get("other")
    t_stored = t_stored + t:get("stored")
  end
  local e = summary.errors
  io.write(string.format("RESULT ok=%d other=%d stored=%d duration_us=%d requests=%d connect_err=%d read_err=%d write_err=%d timeout=%d\n",
    t_ok, t_other, t_stored, summary.duration, summary.requests, e.connect, e.read, e.write, e.timeout))
  io.write(string.format("RESULT latency_p50_ms=%.2f latency_p99_ms=%.2f latency_max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
