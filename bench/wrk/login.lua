-- POST /auth/login for the bench account (run.sh exports BENCH_EMAIL and BENCH_PASSWORD).
-- Every request pays one Argon2id verification: this measures the hashing-bound throughput.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"),
  os.getenv("BENCH_PASSWORD"))
