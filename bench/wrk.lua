-- wrk script for the page benchmark (bench/pages.py writes the plan it reads).
--
--   wrk -t1 -c6 -d20s -s bench/wrk.lua http://127.0.0.1:PORT -- PLAN.lua NONCE
--
-- The plan is a Lua file returning {expect = status, location = "text the Location header must contain" or
-- nil, requests = {{method, path, headers, body_prefix, body_suffix}, ...}}. Requests are sent round-robin;
-- a POST body gets a fresh idempotency key (a UUID) between its prefix and suffix. Every response whose
-- status (or Location) is not the expected one counts as unexpected. done() prints one JSON line.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  plan = dofile(args[1])
  nonce = tonumber(args[2]) or 0
  items = plan.requests
  count = #items
  position = (id * 7) % count
  sent = 0
  unexpected = 0
  first_unexpected = ""
end

function request()
  position = position % count + 1
  local item = items[position]
  local body = nil
  if item.body_prefix then
    sent = sent + 1
    local key = string.format("%08x-%04x-4%03x-8%03x-%012x", nonce, id, sent % 4096, position % 4096, sent)
    body = item.body_prefix .. key .. item.body_suffix
  end
  return wrk.format(item.method, item.path, item.headers, body)
end

function response(status, headers, body)
  local ok = status == plan.expect
  if ok and plan.location then
    ok = string.find(headers["Location"] or "", plan.location, 1, true) ~= nil
  end
  if not ok then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = string.format("%d %s", status, string.sub(body or "", 1, 200))
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  local example = ""
  for _, thread in ipairs(threads) do
    total = total + (thread:get("unexpected") or 0)
    local first = thread:get("first_unexpected") or ""
    if example == "" then example = first end
  end
  example = string.gsub(example, '[%c"\\]', " ")
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, "unexpected": %d, "example": "%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, total, example))
end
