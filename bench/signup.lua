-- wrk script: every request is a new person signing up (POST JSON), so no request
-- is a duplicate; counts answers that are not 2xx and prints one machine-readable
-- line at the end (bench/load.py reads it).
--
-- wrk -s bench/signup.lua URL -- PREFIX
--   PREFIX  distinct per run on one database (e-mails are PREFIX-thread-n@...)

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "w"
  sent = 0
  non2xx = 0
  first_error = ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local who = string.format("%s-%d-%d", prefix, id, sent)
  local body = string.format(
    '{"email":"%s@example.org","given_name":"Ana","family_name":"Person %s",'
      .. '"organisation":"Organisation %s","job_title":"Programme officer",'
      .. '"affiliation_type":"civil_society","country":"EC","language":"en",'
      .. '"has_un_grounds_pass":false,"consent":true}',
    who, who, who)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if sample == "" then sample = thread:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d timeouts=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, bad, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write("BENCH_FIRST_ERROR " .. sample .. "\n")
end
