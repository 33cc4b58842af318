-- wrk script: POST /api/v1/entries with a bearer token (env MATS_TOKEN).
-- Each request carries a distinct event. Non-201 answers are counted.
local threads = {}
local counter = 0
local id = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("MATS_TOKEN")
  bad = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"type":"upload","subject":"bench/m-%d-%d@1.0","digests":[{"role":"artifact","algorithm":"sha256","hex":"%08x%08x%048d"}]}',
    id, counter, id, counter, 0)
  return wrk.format(nil, "/api/v1/entries", nil, body)
end

function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, t in ipairs(threads) do total_bad = total_bad + (t:get("bad") or 0) end
  io.write(string.format("non-201 answers: %d\n", total_bad))
end
