-- wrk script: GET /auth/verify as a proxy asks it, each request with the
-- next of several signed-in sessions (BENCH_COOKIES, separated by "|"), so
-- that requests in flight together carry different sessions, as when many
-- people use the guarded tools at once. Set by benches/run.
local cookies = {}
for cookie in string.gmatch(os.getenv("BENCH_COOKIES"), "[^|]+") do
    cookies[#cookies + 1] = cookie
end
local next_one = 0
local forwarded = {
    ["X-Forwarded-Proto"] = "http",
    ["X-Forwarded-Host"] = os.getenv("BENCH_HOST"),
    ["X-Forwarded-Uri"] = "/",
}

request = function()
    next_one = next_one % #cookies + 1
    forwarded["Cookie"] = cookies[next_one]
    return wrk.format("GET", nil, forwarded)
end
