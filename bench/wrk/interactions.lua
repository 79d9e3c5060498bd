-- POST /interactions for the bench account: one interaction with its contact BENCH_CONTACT_ID
-- (run.sh exports it and BENCH_TOKEN). Every request is one write transaction on that account:
-- the write time (which locks the user's row, so the account's writes serialise), the contact's
-- ownership, the cap check, the insert and the contact's lastContacted recompute.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
wrk.body = string.format(
  '{"contactId":%s,"type":"call","occurredAt":"2025-06-30T13:32:14Z","notes":"bench","durationMinutes":5}',
  os.getenv("BENCH_CONTACT_ID") or "0")
