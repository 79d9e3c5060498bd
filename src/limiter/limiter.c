/* The limiter's front (see limiter.h): picks the backend for each request, runs the circuit
 * breaker, falls back to the local log on any Redis failure, turns what a backend saw into the
 * numbers of the RateLimit headers, and counts rejections. The breaker is three atomics, so
 * the common path (closed, Redis answering) takes no lock of its own. */
#include "limiter/limiter.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "limiter/limiter_internal.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "util/alloc.h"

#define LOCAL_SHARDS 64
#define WARN_EVERY_MS 60000

struct limiter {
	struct rl_local *local;
	struct rl_redis *redis; /* NULL without REDIS_URL */
	struct metrics *metrics;

	/* Circuit breaker: open while open_until_ms != 0; past that time one caller (the one
	 * that sets trial) tries Redis again while the others stay local. */
	atomic_int failures;
	atomic_llong open_until_ms;
	atomic_bool trial;
	atomic_llong last_warn_ms;

	/* Members of the Redis logs must be unique across nodes and requests. */
	char node[17];
	atomic_ullong seq;

	long long (*clock)(void *arg);
	void *clock_arg;
};

static long long mono_ms(void *arg)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct limiter *limiter_new_custom(size_t max_keys, int shards, const char *redis_url,
				   int redis_pool, struct metrics *m)
{
	if (sodium_init() < 0)
		abort();
	struct limiter *l = xcalloc(1, sizeof *l);
	l->local = rl_local_new(max_keys, shards);
	l->metrics = m;
	l->clock = mono_ms;
	atomic_init(&l->last_warn_ms, -2LL * WARN_EVERY_MS);
	unsigned char id[8];
	randombytes_buf(id, sizeof id);
	for (int i = 0; i < 8; i++)
		snprintf(l->node + 2 * i, 3, "%02x", id[i]);
	if (redis_url) {
		const char *why = NULL;
		l->redis = rl_redis_new(redis_url, redis_pool, LIMITER_REDIS_TIMEOUT_MS, &why);
		if (!l->redis)
			log_line(LOG_WARN, NULL, "rate limiter: Redis disabled, limits are per node",
				 "reason", why, (const char *)NULL);
	}
	return l;
}

struct limiter *limiter_new(const struct config *cfg, struct metrics *m)
{
	/* The checks run on the HTTP polling threads: one connection each, plus slack. */
	int pool = cfg->worker_threads + 2;
	return limiter_new_custom(LIMITER_LOCAL_KEYS, LOCAL_SHARDS, cfg->redis_url, pool, m);
}

void limiter_free(struct limiter *l)
{
	if (!l)
		return;
	rl_redis_free(l->redis);
	rl_local_free(l->local);
	free(l);
}

void limiter_set_clock(struct limiter *l, long long (*clock)(void *arg), void *arg)
{
	l->clock = clock ? clock : mono_ms;
	l->clock_arg = arg;
}

const char *limiter_backend(struct limiter *l)
{
	if (!l || !l->redis || atomic_load(&l->open_until_ms) != 0)
		return "local";
	return "redis";
}

size_t limiter_local_keys(struct limiter *l)
{
	return rl_local_keys(l->local);
}

/* Whether this request may use Redis; *trial when it is the one probe of a half-open breaker. */
static bool breaker_allows(struct limiter *l, long long now, bool *trial)
{
	*trial = false;
	long long until = atomic_load(&l->open_until_ms);
	if (until == 0)
		return true;
	if (now < until)
		return false;
	bool expected = false;
	if (atomic_compare_exchange_strong(&l->trial, &expected, true)) {
		*trial = true;
		return true;
	}
	return false;
}

static void breaker_success(struct limiter *l, bool trial)
{
	atomic_store(&l->failures, 0);
	if (atomic_exchange(&l->open_until_ms, 0) != 0)
		log_line(LOG_INFO, NULL, "rate limiter: Redis is reachable again, limits are shared",
			 (const char *)NULL);
	if (trial)
		atomic_store(&l->trial, false);
}

static void breaker_failure(struct limiter *l, long long now, bool trial, const char *err)
{
	int f = atomic_fetch_add(&l->failures, 1) + 1;
	if (trial || f >= LIMITER_BREAKER_FAILURES)
		atomic_store(&l->open_until_ms, now + LIMITER_BREAKER_OPEN_MS);
	if (trial)
		atomic_store(&l->trial, false);
	long long last = atomic_load(&l->last_warn_ms);
	if (now - last >= WARN_EVERY_MS &&
	    atomic_compare_exchange_strong(&l->last_warn_ms, &last, now))
		log_line(LOG_WARN, NULL, "rate limiter: Redis unavailable, using the local limiter",
			 "reason", err, (const char *)NULL);
}

static long ceil_seconds(long long ms)
{
	if (ms <= 0)
		return 0;
	return (long)((ms + 999) / 1000);
}

void rl_result_from(const struct rl_check *checks, const struct rl_seen *seen, int n,
		    long long now_ms, bool admitted, struct rl_result *out)
{
	memset(out, 0, sizeof *out);
	out->allowed = admitted;
	int best = -1;
	for (int i = 0; i < n; i++) {
		long long win = checks[i].window * 1000LL;
		long long count = seen[i].count;
		long remaining;
		long reset;
		if (admitted) {
			remaining = checks[i].max - (long)count - 1;
			if (remaining < 0)
				remaining = 0;
			/* After this request the window holds at least it: the oldest entry is an
			 * earlier one, or this request, which leaves after a whole window. */
			reset = count > 0 ? ceil_seconds(seen[i].edge_ms + win - now_ms)
					  : ceil_seconds(win);
		} else {
			if (count < checks[i].max)
				continue;
			remaining = 0;
			reset = ceil_seconds(seen[i].edge_ms + win - now_ms);
		}
		bool better;
		if (best < 0)
			better = true;
		else if (admitted)
			better = remaining < out->remaining ||
				 (remaining == out->remaining && reset > out->reset);
		else
			better = reset > out->reset;
		if (better) {
			best = i;
			out->bucket = checks[i].bucket;
			out->limit = checks[i].max;
			out->remaining = remaining;
			out->reset = reset;
		}
	}
	if (!admitted) {
		if (out->reset < 1)
			out->reset = 1;
		out->retry_after = out->reset;
	}
}

/* Counts one rejection per full bucket (a bucket with two full keys counts once). */
static void count_rejections(struct limiter *l, const struct rl_check *checks,
			     const struct rl_seen *seen, int n)
{
	if (!l->metrics)
		return;
	for (int i = 0; i < n; i++) {
		if (seen[i].count < checks[i].max)
			continue;
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= seen[j].count >= checks[j].max &&
			       strcmp(checks[j].bucket, checks[i].bucket) == 0;
		if (!dup)
			metrics_count(l->metrics, "crm_rate_limit_rejections_total", checks[i].bucket);
	}
}

bool limiter_check(struct limiter *l, const struct rl_check *checks, int n, struct rl_result *out)
{
	if (n < 1 || n > LIMITER_MAX_CHECKS) {
		memset(out, 0, sizeof *out);
		out->allowed = true; /* a caller bug never turns into a rejection */
		return true;
	}
	char *keys[LIMITER_MAX_CHECKS];
	for (int i = 0; i < n; i++)
		keys[i] = xasprintf("rl:%s:%s", checks[i].bucket, checks[i].key);
	struct rl_seen seen[LIMITER_MAX_CHECKS];
	long long now = l->clock(l->clock_arg);
	bool trial = false;
	int rc = -1;
	if (l->redis && breaker_allows(l, now, &trial)) {
		char member[48], err[256] = "";
		snprintf(member, sizeof member, "%s-%" PRIx64, l->node,
			 (uint64_t)atomic_fetch_add(&l->seq, 1));
		long long redis_now = 0;
		rc = rl_redis_check(l->redis, checks, keys, n, member, seen, &redis_now, err,
				    sizeof err);
		if (rc >= 0) {
			breaker_success(l, trial);
			rl_result_from(checks, seen, n, redis_now, rc == 1, out);
		} else {
			breaker_failure(l, l->clock(l->clock_arg), trial, err);
		}
	}
	if (rc < 0) {
		bool ok = rl_local_check(l->local, checks, keys, n, now, seen);
		rl_result_from(checks, seen, n, now, ok, out);
	}
	if (!out->allowed)
		count_rejections(l, checks, seen, n);
	for (int i = 0; i < n; i++)
		free(keys[i]);
	return out->allowed;
}
