-- POST /auth/login, spread over the generated users user1..user$LOGIN_USERS@bench.example, which
-- run.sh gives the bench account's password (BENCH_PASSWORD): one identifier may log in only 100
-- times an hour (SPEC §4), so a single account would measure 429s. Every request still pays one
-- Argon2id verification: this measures the hashing-bound throughput.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local password = os.getenv("BENCH_PASSWORD")
local users = tonumber(os.getenv("LOGIN_USERS") or "1")
local n = math.random(users)
request = function()
  n = n % users + 1
  return wrk.format(nil, nil, nil,
    string.format('{"email":"user%d@bench.example","password":"%s"}', n, password))
end
