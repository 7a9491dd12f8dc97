-- wrk script: POST a sign-in form with valid credentials (set by benches/run).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.body = "login=" .. os.getenv("BENCH_LOGIN")
    .. "&password=" .. os.getenv("BENCH_PASSWORD")
    .. "&csrf_token=" .. os.getenv("BENCH_TOKEN")

-- A successful login answers 303; count anything else so the table can say so.
failures = 0
response = function(status, headers, body)
    if status ~= 303 then
        failures = failures + 1
    end
end
