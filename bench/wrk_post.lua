-- wrk script: POST a JSON body (a GraphQL request) over and over.
-- Usage: wrk -s wrk_post.lua URL -- BODYFILE
-- Placeholders in the body, replaced per request (the answers are checked by bench.py
-- before timing, with the same substitutions; nothing here parses a response):
--   `__N__`      a string no other request has: "<BENCH_RUN>-<thread>-<request>" (COLD: an
--                unused variable, so no response is served from a cache; WRITES: the
--                idempotency key). BENCH_RUN (default: the clock) keeps two runs of the same
--                body apart, so a later run is never served what an earlier one cached.
--   `__TEXT__`   a line of BENCH_TEXTS (a file, one complaint a line) followed by that
--                number: a different complaint every request (LOOKUP-UNIQUE).
--   `"__DEPT__"` (with its quotes) a line of BENCH_IDS (a file, one JSON literal a line: a
--                quoted global id for Qingdan, an integer for the peer), picked at random per
--                request (VARIED).
-- Counts, while timing, only HTTP non-2xx (wrk's own "status" errors), 2xx responses
-- carrying a GraphQL "errors" member, and 2xx responses containing BENCH_BAD (e.g. a
-- non-empty userErrors list) — plain substring searches: a pattern match over every large
-- answer made wrk the bottleneck. The first response of each thread must also contain
-- BENCH_EXPECT if given (once per thread: `first_bad`).
-- Prints one line "WRK_JSON {...}" with req/s and latency percentiles (ms).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local function escape(s)
  return (s:gsub('\\', '\\\\'):gsub('"', '\\"'))
end

local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

function init(args)
  local path = args[1]
  local f = assert(io.open(path, "rb"), "cannot open body file " .. tostring(path))
  template = f:read("*a")
  f:close()
  wrk.body = template
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  -- BENCH_AUTH: a bearer token, for operations that need a role
  local auth = env("BENCH_AUTH")
  if auth ~= nil then wrk.headers["Authorization"] = "Bearer " .. auth end
  has_n = string.find(template, "__N__", 1, true) ~= nil
  has_text = string.find(template, "__TEXT__", 1, true) ~= nil
  has_dept = string.find(template, '"__DEPT__"', 1, true) ~= nil
  varies = has_n or has_text or has_dept
  run = env("BENCH_RUN") or tostring(os.time())
  texts = {}
  local list = env("BENCH_TEXTS")
  if list ~= nil then
    for line in io.lines(list) do
      if #line > 0 then table.insert(texts, escape(line)) end
    end
  end
  ids = {}
  list = env("BENCH_IDS")
  if list ~= nil then
    for line in io.lines(list) do
      if #line > 0 then table.insert(ids, line) end
    end
  end
  assert(not has_dept or #ids > 0, "the body names __DEPT__ but BENCH_IDS has no ids")
  math.randomseed(id * 7919)
  bad_text = env("BENCH_BAD")
  expect = env("BENCH_EXPECT")
  first = true
  n = 0
  gql_errors = 0
  bad = 0
  first_bad = 0
  bytes_min, bytes_max = nil, 0
end

function request()
  if not varies then
    return wrk.format()
  end
  n = n + 1
  local unique = run .. "-" .. tostring(id) .. "-" .. tostring(n)
  local body = template
  if has_n then body = body:gsub("__N__", unique) end
  if has_text and #texts > 0 then
    local text = texts[(n * 7 + id) % #texts + 1] .. " " .. unique
    body = body:gsub("__TEXT__", function() return text end)
  end
  if has_dept then
    local dept = ids[math.random(#ids)]
    body = body:gsub('"__DEPT__"', function() return dept end)
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 and body ~= nil then
    if string.find(body, '"errors":', 1, true) then gql_errors = gql_errors + 1 end
    if bad_text ~= nil and string.find(body, bad_text, 1, true) then bad = bad + 1 end
    if first then
      first = false
      if expect ~= nil and not string.find(body, expect, 1, true) then
        first_bad = first_bad + 1
        io.stderr:write("first answer lacks BENCH_EXPECT: " .. string.sub(body, 1, 300) .. "\n")
      end
    end
    local len = #body
    if bytes_min == nil or len < bytes_min then bytes_min = len end
    if len > bytes_max then bytes_max = len end
  end
end

function done(summary, latency, requests)
  local gql, nbad, nfirst, bmin, bmax = 0, 0, 0, nil, 0
  for _, t in ipairs(threads) do
    gql = gql + (t:get("gql_errors") or 0)
    nbad = nbad + (t:get("bad") or 0)
    nfirst = nfirst + (t:get("first_bad") or 0)
    local a, b = t:get("bytes_min"), t:get("bytes_max") or 0
    if a ~= nil and (bmin == nil or a < bmin) then bmin = a end
    if b > bmax then bmax = b end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
    '"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"mean_ms":%.2f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"gql_errors":%d,"bad":%d,"first_bad":%d,"resp_bytes_min":%d,"resp_bytes_max":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout,
    gql, nbad, nfirst, bmin or 0, bmax))
end
