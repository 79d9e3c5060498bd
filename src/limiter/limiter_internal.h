/* What the limiter's front (limiter.c) and its two backends (local.c, redis_log.c) share. A
 * backend answers, for each check, what it saw before this request; the front turns that into
 * the headers' numbers, so both backends round and choose exactly alike. */
#ifndef CRM_LIMITER_INTERNAL_H
#define CRM_LIMITER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "limiter/limiter.h"

/* A backend's view of one check, before this request was recorded. */
struct rl_seen {
	long long count; /* admitted requests inside the window */
	/* When count ≥ max: the admission time (ms) of the entry whose departure makes room, i.e.
	 * the (count − max + 1)-th oldest. Otherwise the oldest entry's time (unused when count is
	 * 0). */
	long long edge_ms;
};

/* Fills *out from the backend's answer for checks[0..n) at now_ms (the backend's clock).
 * admitted: whether the backend recorded the request. */
void rl_result_from(const struct rl_check *checks, const struct rl_seen *seen, int n,
		    long long now_ms, bool admitted, struct rl_result *out);

/* ---- the in-process log (local.c) ---- */

struct rl_local;

/* A log bounded to max_keys keys in shards shards (each holds max_keys / shards, at least 1);
 * the least recently used key of a full shard is evicted. */
struct rl_local *rl_local_new(size_t max_keys, int shards);
void rl_local_free(struct rl_local *lo);

/* Checks keys[i] (the full key, e.g. "rl:general:ip:1.2.3.4") against checks[i] for i < n at
 * now_ms; records now_ms under every key only when each has room. Atomic with respect to other
 * callers. Fills seen[0..n). Returns true when admitted. */
bool rl_local_check(struct rl_local *lo, const struct rl_check *checks, char *const *keys, int n,
		    long long now_ms, struct rl_seen *seen);

/* Keys held now. */
size_t rl_local_keys(struct rl_local *lo);

/* ---- the shared log in Redis (redis_log.c) ---- */

struct rl_redis;

/* A pool of pool_size lazily opened connections to url (redis://); NULL when url does not
 * parse or asks for TLS (the caller logs why through *why, a static string). */
struct rl_redis *rl_redis_new(const char *url, int pool_size, int timeout_ms, const char **why);
void rl_redis_free(struct rl_redis *r);

/* Runs the check script once for all of keys[0..n): trim, count, and when every key has room
 * add member with Redis's own time and set the expiry. Returns 1 when admitted, 0 when
 * rejected (seen[] and *now_ms filled in both cases), -1 on any failure (timeout, connection,
 * protocol; *err names it, a static string or hiredis's text copied into err_buf). */
int rl_redis_check(struct rl_redis *r, const struct rl_check *checks, char *const *keys, int n,
		   const char *member, struct rl_seen *seen, long long *now_ms, char *err_buf,
		   size_t err_len);

#endif
