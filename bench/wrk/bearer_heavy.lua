-- Shared helper for the heavy account's routes (search, tag filter, export): sends
-- "Authorization: Bearer $BENCH_HEAVY_TOKEN" when run.sh exports it (otherwise nothing). The
-- heavy account holds the contacts, interactions, notes, tags and search words of
-- bench/generate_heavy.sql.
local token = os.getenv("BENCH_HEAVY_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
