-- wrk script: registration attempts. Each request is POST /api/v1/register for the next card of
-- this thread's own range. With a members file (card,name,birth,unit per line, as members.csv),
-- each attempt is a member's right details (a durable registration); without, made-up details
-- that match nobody (a roster lookup and the one answer every mismatch gets).
--
--   wrk -t2 -c32 -d15s -s register.lua http://127.0.0.1:PORT -- [members.csv]

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local members = {}
local i = 0
counts = {}  -- a global: done() reads it from each thread

function init(args)
  if args[1] then
    local n = 0
    for line in io.lines(args[1]) do
      n = n + 1
      -- Threads take every other member, so no two register the same one.
      if n > 1 and (n % 2) == tid then
        local card, name, birth, unit = line:match("^([^,]*),([^,]*),([^,]*),([^,]*)")
        if card then table.insert(members, { card, name, birth, unit }) end
      end
    end
  end
end

function request()
  i = i + 1
  local body
  if #members > 0 then
    local m = members[((i - 1) % #members) + 1]
    body = string.format('{"card_number":"%s","full_name":"%s","birth_date":"%s","unit_code":"%s"}', m[1], m[2], m[3], m[4])
  else
    body = string.format('{"card_number":"%d","full_name":"Không Có Tên","birth_date":"1970-01-01","unit_code":"CB1"}', 60000000 + tid * 10000000 + i)
  end
  return wrk.format("POST", "/api/v1/register", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local by = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for s, n in pairs(c) do by[s] = (by[s] or 0) + n end
  end
  local parts = {}
  for s, n in pairs(by) do table.insert(parts, string.format("s%d=%d", s, n)) end
  io.write(string.format("RESULT requests=%d duration_us=%d latency_p50_ms=%.2f latency_p99_ms=%.2f %s\n",
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    table.concat(parts, " ")))
end
