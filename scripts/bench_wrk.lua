-- wrk script: optional POST bodies cycling over gate ids, and a JSON summary at the end.
local gates = {}
local revisions = {}
local i = 0
local mode = os.getenv("BENCH_MODE") or "get"
local csrf = os.getenv("BENCH_CSRF") or ""
local threads = 0
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")

-- Each wrk thread decides its own share of the gates, so two threads never race for one.
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  if mode ~= "signoff" then return end
  local n = 0
  for id in string.gmatch(os.getenv("BENCH_GATES") or "", "%d+") do
    if n % nthreads == tid then
      gates[#gates + 1] = id
      revisions[id] = 0
    end
    n = n + 1
  end
end

request = function()
  if mode == "signoff" then
    -- Approve every gate, then revoke every gate, and so on: each POST is a real decision.
    local n = #gates
    local gate = gates[(i % n) + 1]
    local verb = (math.floor(i / n) % 2 == 0) and "approve" or "revoke"
    i = i + 1
    -- The form carries the gate's revision; every decision bumps it by one.
    local revision = revisions[gate]
    revisions[gate] = revision + 1
    return wrk.format("POST", "/gates/" .. gate .. "/" .. verb .. "/", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = wrk.headers["Cookie"]
    }, "csrfmiddlewaretoken=" .. csrf .. "&comment=bench&revision=" .. revision)
  elseif mode == "gatecheck" then
    -- A pipeline asking the deployment gate: a token, a JSON body, no cookie.
    return wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
    }, os.getenv("BENCH_BODY") or "{}")
  elseif mode == "insert" then
    -- The signed-in baseline POST: a session cookie and a form that passes the CSRF check.
    return wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = wrk.headers["Cookie"]
    }, "csrfmiddlewaretoken=" .. csrf)
  end
  return wrk.format()
end

done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'BENCH {"requests": %d, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, bad))
end
