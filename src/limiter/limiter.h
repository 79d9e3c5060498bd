/* The rate limiter of SPEC §4: a sliding log per (bucket, key). Redis holds the shared log when
 * REDIS_URL is set (one atomic server-side script per request, covering all of its buckets);
 * the in-process log takes over without Redis, whenever a Redis call fails, and while the
 * circuit breaker is open. The limiter fails open to the local log: it never rejects because of
 * its own failure. Thread-safe; all state lives in struct limiter. */
#ifndef CRM_LIMITER_H
#define CRM_LIMITER_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct metrics;
struct limiter;

/* One bucket check of a request: admitted when fewer than max requests were admitted for
 * (bucket, key) in the last window seconds. bucket names the metric label and the Redis key
 * prefix (`rl:<bucket>:<key>`); a bucket with two keys is two checks with the same bucket. */
struct rl_check {
	const char *bucket;
	const char *key; /* any bytes but NUL; the caller bounds its length */
	long max;        /* ≥ 1 */
	long window;     /* seconds, ≥ 1 */
};

/* The outcome, for the headers of §4: the bucket with the fewest remaining requests (on a
 * rejection, the full bucket that frees up last). */
struct rl_result {
	bool allowed;
	const char *bucket; /* points at the check's bucket string */
	long limit;         /* that bucket's max */
	long remaining;     /* after this request (0 on a rejection) */
	long reset;         /* whole seconds, rounded up, until the oldest counted request leaves */
	long retry_after;   /* on a rejection: reset, at least 1; else 0 */
};

/* The local log's bound (SPEC §17); least recently used keys are evicted beyond it. */
#define LIMITER_LOCAL_KEYS 100000
/* At most this many checks per request. */
#define LIMITER_MAX_CHECKS 8
/* Redis: per-call timeout, and the breaker (opens after this many consecutive failures, for
 * this long, then lets one call try). */
#define LIMITER_REDIS_TIMEOUT_MS 100
#define LIMITER_BREAKER_FAILURES 3
#define LIMITER_BREAKER_OPEN_MS 30000

/* Creates the limiter for cfg (REDIS_URL, WORKER_THREADS); counts rejections in m
 * (crm_rate_limit_rejections_total{bucket}) when m is not NULL. Connects to Redis lazily, so an
 * unreachable Redis does not delay startup. Never fails; free with limiter_free. */
struct limiter *limiter_new(const struct config *cfg, struct metrics *m);

/* Like limiter_new without configuration: local log bounded to max_keys spread over shards
 * (shards ≥ 1), and Redis at redis_url when not NULL. For tests and tools. */
struct limiter *limiter_new_custom(size_t max_keys, int shards, const char *redis_url,
				   int redis_pool, struct metrics *m);

/* Closes the Redis connections and frees everything. NULL is ignored. */
void limiter_free(struct limiter *l);

/* Checks the request against checks[0..n) (1 ≤ n ≤ LIMITER_MAX_CHECKS) and records it in all
 * of them only when every one has room. Fills *out and returns out->allowed. A Redis failure
 * falls back to the local log for this request (and feeds the breaker). */
bool limiter_check(struct limiter *l, const struct rl_check *checks, int n, struct rl_result *out);

/* "redis" while Redis is configured and the breaker is closed, else "local" (static string):
 * the backend the next check will use, for crm_rate_limiter_backend. NULL l gives "local". */
const char *limiter_backend(struct limiter *l);

/* Keys currently held by the local log (for tests and diagnostics). */
size_t limiter_local_keys(struct limiter *l);

/* Replaces the clock (monotonic milliseconds) used by the local log and the breaker; for tests.
 * clock(arg) must be non-decreasing. */
void limiter_set_clock(struct limiter *l, long long (*clock)(void *arg), void *arg);

#endif
