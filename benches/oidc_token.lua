-- wrk script: POST the token endpoint, each request with a code (or refresh
-- token) of its own from BENCH_SECRETS (one a line, made by benches/run).
-- Every thread takes every N-th line, so no value is sent twice.
local secrets = {}
for line in io.lines(os.getenv("BENCH_SECRETS")) do
    secrets[#secrets + 1] = line
end
local grant = os.getenv("BENCH_GRANT")
local redirect = os.getenv("BENCH_REDIRECT")
local threads = tonumber(os.getenv("BENCH_THREADS"))
local counter = 0

setup = function(thread)
    counter = counter + 1
    thread:set("offset", counter)
end

init = function()
    next_index = offset
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")

request = function()
    local value = secrets[next_index]
    next_index = next_index + threads
    if value == nil then
        value = "exhausted"
    end
    local body
    if grant == "authorization_code" then
        body = "grant_type=authorization_code&code=" .. value .. "&redirect_uri=" .. redirect
    else
        body = "grant_type=refresh_token&refresh_token=" .. value
    end
    return wrk.format(nil, nil, nil, body)
end
