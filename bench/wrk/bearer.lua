-- Shared helper for routes that need an access token: sends
-- "Authorization: Bearer $BENCH_TOKEN" when run.sh exports BENCH_TOKEN (otherwise nothing).
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
