/* SQLite store functions for the login-failure throttle (SPEC §3.8): one row per failed login,
 * keyed by the SHA-256 hex of the folded identifier and the client address, counted in a
 * sliding window per address or over all addresses. Each query has a variant with and one
 * without the address so both use their index. */
#include "store/sqlite/sq.h"
#include "store/sqlite/sq_accounts.h"
#include "store/store.h"

/* Records a failure; an unknown client address (NULL) is recorded as "" so the failure still
 * counts towards the all-addresses limit. */
int sq_login_failures_insert(struct db *db, const char *key_hash, const char *ip, long long now)
{
	static const char SQL[] = "INSERT INTO login_failures (identifier_key_hash, ip, created_at)"
				  " VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, key_hash);
	sq_bind_text(st, 2, ip ? ip : "");
	sqlite3_bind_int64(st, 3, now);
	return sq_run(db, st);
}

/* Runs a bound one-integer query into *out (0 when it returns no row). */
static int query_int(struct db *db, sqlite3_stmt *st, long long *out)
{
	*out = 0;
	int rc = sq_step(db, st);
	if (rc > 0) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

/* Counts the window; when it holds max or more, the release time is the created_at of the
 * (count - max)-th oldest failure (0-based; ties by id): once it leaves the window, max - 1
 * remain. */
int sq_login_failures_window(struct db *db, const char *key_hash, const char *ip, long long since,
			     int max, int *count, long long *release_at)
{
	static const char COUNT_IP_SQL[] =
	    "SELECT count(*) FROM login_failures"
	    " WHERE identifier_key_hash = ?1 AND ip = ?2 AND created_at >= ?3";
	static const char COUNT_ALL_SQL[] = "SELECT count(*) FROM login_failures"
					    " WHERE identifier_key_hash = ?1 AND created_at >= ?3";
	static const char NTH_IP_SQL[] =
	    "SELECT created_at FROM login_failures"
	    " WHERE identifier_key_hash = ?1 AND ip = ?2 AND created_at >= ?3"
	    " ORDER BY created_at, id LIMIT 1 OFFSET ?4";
	static const char NTH_ALL_SQL[] = "SELECT created_at FROM login_failures"
					  " WHERE identifier_key_hash = ?1 AND created_at >= ?3"
					  " ORDER BY created_at, id LIMIT 1 OFFSET ?4";
	*count = 0;
	*release_at = 0;
	sqlite3_stmt *st = sq_prepare(db, ip ? COUNT_IP_SQL : COUNT_ALL_SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, key_hash);
	if (ip)
		sq_bind_text(st, 2, ip);
	sqlite3_bind_int64(st, 3, since);
	long long n;
	int rc = query_int(db, st, &n);
	if (rc < 0)
		return rc;
	*count = (int)n;
	if (max <= 0 || n < max)
		return 1;
	st = sq_prepare(db, ip ? NTH_IP_SQL : NTH_ALL_SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, key_hash);
	if (ip)
		sq_bind_text(st, 2, ip);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int64(st, 4, n - max);
	rc = query_int(db, st, release_at);
	return rc < 0 ? rc : 1;
}

/* Deletes the failures of key_hash from ip, or from every address when ip is NULL. */
int sq_login_failures_clear(struct db *db, const char *key_hash, const char *ip)
{
	static const char IP_SQL[] =
	    "DELETE FROM login_failures WHERE identifier_key_hash = ?1 AND ip = ?2";
	static const char ALL_SQL[] = "DELETE FROM login_failures WHERE identifier_key_hash = ?1";
	sqlite3_stmt *st = sq_prepare(db, ip ? IP_SQL : ALL_SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, key_hash);
	if (ip)
		sq_bind_text(st, 2, ip);
	return sq_run(db, st);
}

/* Deletes the failures older than both windows (the caller's `before`). */
int sq_login_failures_purge(struct db *db, long long before)
{
	static const char SQL[] = "DELETE FROM login_failures WHERE created_at < ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, before);
	return sq_run(db, st);
}
