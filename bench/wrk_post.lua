-- wrk script: POST one JSON body (a GraphQL request) over and over.
-- Usage: wrk -s wrk_post.lua URL -- BODYFILE
-- Counts HTTP non-2xx (wrk's own "status" errors) and, separately, 2xx
-- responses whose body carries a top-level GraphQL "errors" member.
-- Prints one line "WRK_JSON {...}" with req/s and latency percentiles (ms).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  local f = assert(io.open(path, "rb"), "cannot open body file " .. tostring(path))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  -- BENCH_AUTH: a bearer token, for operations that need a role
  local auth = os.getenv("BENCH_AUTH")
  if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = "Bearer " .. auth end
  gql_errors = 0
  bytes_min, bytes_max = nil, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 and body ~= nil then
    -- a GraphQL response with errors starts with {"errors" or has ,"errors": at top level
    if string.find(body, '"errors"%s*:') then gql_errors = gql_errors + 1 end
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
