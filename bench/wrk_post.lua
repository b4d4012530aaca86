-- wrk script: POST a JSON body (a GraphQL request) over and over.
-- Usage: wrk -s wrk_post.lua URL -- BODYFILE
-- A body holding `__N__` gets a number no other request of the run has (COLD: an unused
-- variable, so no response is served from a cache). A body holding `__TEXT__` gets a line
-- of BENCH_TEXTS (a file, one complaint a line) followed by that number: a different
-- complaint every request (LOOKUP-UNIQUE).
-- Counts HTTP non-2xx (wrk's own "status" errors) and, separately, 2xx responses carrying
-- a GraphQL "errors" member (a plain substring search: a pattern match over every large
-- answer made wrk the bottleneck).
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
  local auth = os.getenv("BENCH_AUTH")
  if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = "Bearer " .. auth end
  varies = string.find(template, "__N__", 1, true) ~= nil or string.find(template, "__TEXT__", 1, true) ~= nil
  texts = {}
  local list = os.getenv("BENCH_TEXTS")
  if list ~= nil and list ~= "" then
    for line in io.lines(list) do
      if #line > 0 then table.insert(texts, escape(line)) end
    end
  end
  n = 0
  gql_errors = 0
  bytes_min, bytes_max = nil, 0
end

function request()
  if not varies then
    return wrk.format()
  end
  n = n + 1
  local unique = tostring(id) .. "-" .. tostring(n)
  local body = template:gsub("__N__", unique)
  if #texts > 0 then
    local text = texts[(n * 7 + id) % #texts + 1] .. " " .. unique
    body = body:gsub("__TEXT__", function() return text end)
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 and body ~= nil then
    if string.find(body, '"errors":', 1, true) then gql_errors = gql_errors + 1 end
    local n = #body
    if bytes_min == nil or n < bytes_min then bytes_min = n end
    if n > bytes_max then bytes_max = n end
  end
end

function done(summary, latency, requests)
  local gql, bmin, bmax = 0, nil, 0
  for _, t in ipairs(threads) do
    gql = gql + (t:get("gql_errors") or 0)
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
    '"gql_errors":%d,"resp_bytes_min":%d,"resp_bytes_max":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout,
    gql, bmin or 0, bmax))
end
