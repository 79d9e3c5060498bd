-- POST /contacts for the bench account (run.sh exports BENCH_TOKEN): each request creates one
-- contact without an email (so no uniqueness conflicts), with a name, company, phone and a tag:
-- one write transaction with the plan and cap checks, the tag get-or-create and link, and the
-- contact's search words.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"firstName":"Load%d","lastName":"Bench","company":"Acme %d","phone":"+1 415 555 %04d","tags":["load"]}',
    n, n % 50, n % 10000))
end
