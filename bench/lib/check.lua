-- wrk script of bench/run: one request shape per run, every response's status checked.
--
-- Environment: BENCH_NAME, BENCH_METHOD (GET), BENCH_PATH, BENCH_TOKEN, BENCH_BODY_FILE,
-- BENCH_EXPECT (statuses, e.g. "200" or "409"), BENCH_THREADS (wrk -t).
-- Check-out/check-in pairs: BENCH_PAIRS_FILE (item ids, one a line), BENCH_SLICE and
-- BENCH_SLICES (which part of the list this run uses, so runs never share an item),
-- BENCH_USER (the holder). Each wrk thread has one connection (-t = -c) and its own items, and
-- issues and returns each of them in turn.
-- Prints one line: RESULT name=... rps=... p50_ms=... p99_ms=... p999_ms=... requests=... bad=...

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function read(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  path = os.getenv("BENCH_PATH") or "/"
  headers = { ["content-type"] = "application/json" }
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    headers["authorization"] = "Bearer " .. token
  end
  local body_file = os.getenv("BENCH_BODY_FILE")
  body = nil
  if body_file and body_file ~= "" then
    body = read(body_file)
  end
  expect = {}
  for s in string.gmatch(os.getenv("BENCH_EXPECT") or "200", "%d+") do
    expect[tonumber(s)] = true
  end
  bad = 0
  total = 0
  shown = 0
  local pairs_file = os.getenv("BENCH_PAIRS_FILE")
  items = nil
  if pairs_file and pairs_file ~= "" then
    local nthreads = tonumber(os.getenv("BENCH_THREADS"))
    local slice = tonumber(os.getenv("BENCH_SLICE") or "0")
    local slices = tonumber(os.getenv("BENCH_SLICES") or "1")
    local all = {}
    for line in string.gmatch(read(pairs_file), "[^\n]+") do
      table.insert(all, line)
    end
    local per = math.floor(#all / slices)
    items = {}
    for i = slice * per + 1, (slice + 1) * per do
      if (i - 1) % nthreads == id then
        table.insert(items, all[i])
      end
    end
    assert(#items > 0, "not enough items for the check-out/check-in pairs")
    holder = '{"kind":"issue","holder_user_id":"' .. os.getenv("BENCH_USER") .. '"}'
    current = 1
    issued = false
  end
end

function request()
  if items then
    -- What to send follows the item's state, which changes only on an answer: wrk may build a
    -- request it never sends (one connection per thread, so answers come in order).
    local b = issued and '{"kind":"return"}' or holder
    return wrk.format("POST", "/api/v1/inventory/items/" .. items[current] .. "/movements", headers, b)
  end
  return wrk.format(method, path, headers, body)
end

function response(status, hdrs, resp)
  total = total + 1
  if items and expect[status] then
    issued = not issued
    if not issued then
      current = current % #items + 1
    end
  end
  if not expect[status] then
    bad = bad + 1
    if shown < 3 then
      shown = shown + 1
      io.stderr:write("unexpected " .. status .. ": " .. string.sub(resp or "", 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local b, t = 0, 0
  for _, thread in ipairs(threads) do
    b = b + thread:get("bad")
    t = t + thread:get("total")
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  print(string.format(
    "RESULT name=%s rps=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f requests=%d bad=%d errors=%d",
    os.getenv("BENCH_NAME") or "?", summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    t, b, errors))
end
