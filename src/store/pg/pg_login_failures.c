/* PostgreSQL store functions for the login-failure throttle (SPEC §3.8): one row per failed
 * login, keyed by the SHA-256 hex of the folded identifier and the client address, counted in
 * a sliding window per address or over all addresses. Each query has a variant with and one
 * without the address so both use their index. */
#include "store/pg/pg_accounts.h"
#include "store/pg/pgs.h"
#include "store/store.h"

/* Records a failure; an unknown client address (NULL) is recorded as "" so the failure still
 * counts towards the all-addresses limit. */
int pg_login_failures_insert(struct db *db, const char *key_hash, const char *ip, long long now)
{
	static const char SQL[] = "INSERT INTO login_failures (identifier_key_hash, ip, created_at)"
				  " VALUES ($1, $2, " PG_TS("$3") ")";
	struct pg_params p = {0};
	pg_param_str(&p, key_hash);
	pg_param_str(&p, ip ? ip : "");
	pg_param_i64(&p, now);
	return pg_run(db, "login_failures_insert", SQL, p.n, p.v);
}

/* Runs a one-row, one-bigint query into *out (0 when no row). Returns 1, 0 or < 0. */
static int query_i64(struct db *db, const char *name, const char *sql, const struct pg_params *p,
		     long long *out)
{
	*out = 0;
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Counts the window; when it holds max or more, the release time is the created_at of the
 * (count - max)-th oldest failure (0-based; ties by id): once it leaves the window, max - 1
 * remain. */
int pg_login_failures_window(struct db *db, const char *key_hash, const char *ip, long long since,
			     int max, int *count, long long *release_at)
{
	static const char COUNT_IP_SQL[] =
	    "SELECT count(*) FROM login_failures WHERE identifier_key_hash = $1 AND ip = $2"
	    " AND created_at >= " PG_TS("$3");
	static const char COUNT_ALL_SQL[] =
	    "SELECT count(*) FROM login_failures WHERE identifier_key_hash = $1"
	    " AND created_at >= " PG_TS("$2");
	static const char NTH_IP_SQL[] = "SELECT " PG_MS(
	    "created_at") " FROM login_failures WHERE identifier_key_hash = $1"
			  " AND ip = $2 AND created_at >= " PG_TS(
			      "$3") " ORDER BY created_at, id LIMIT 1 OFFSET $4::bigint";
	static const char NTH_ALL_SQL[] = "SELECT " PG_MS(
	    "created_at") " FROM login_failures WHERE identifier_key_hash = $1"
			  " AND created_at >= " PG_TS(
			      "$2") " ORDER BY created_at, id LIMIT 1 OFFSET $3::bigint";
	*count = 0;
	*release_at = 0;
	struct pg_params p = {0};
	pg_param_str(&p, key_hash);
	if (ip)
		pg_param_str(&p, ip);
	pg_param_i64(&p, since);
	long long n;
	int rc = ip ? query_i64(db, "login_failures_window_ip", COUNT_IP_SQL, &p, &n)
		    : query_i64(db, "login_failures_window_all", COUNT_ALL_SQL, &p, &n);
	if (rc < 0)
		return rc;
	*count = (int)n;
	if (max <= 0 || n < max)
		return 1;
	pg_param_i64(&p, n - max);
	rc = ip ? query_i64(db, "login_failures_window_ip_nth", NTH_IP_SQL, &p, release_at)
		: query_i64(db, "login_failures_window_all_nth", NTH_ALL_SQL, &p, release_at);
	return rc < 0 ? rc : 1;
}

/* Deletes the failures of key_hash from ip, or from every address when ip is NULL. */
int pg_login_failures_clear(struct db *db, const char *key_hash, const char *ip)
{
	static const char IP_SQL[] =
	    "DELETE FROM login_failures WHERE identifier_key_hash = $1 AND ip = $2";
	static const char ALL_SQL[] = "DELETE FROM login_failures WHERE identifier_key_hash = $1";
	const char *v[] = {key_hash, ip};
	if (ip)
		return pg_run(db, "login_failures_clear_ip", IP_SQL, 2, v);
	return pg_run(db, "login_failures_clear_all", ALL_SQL, 1, v);
}

/* Deletes the failures older than both windows (the caller's `before`). */
int pg_login_failures_purge(struct db *db, long long before)
{
	static const char SQL[] = "DELETE FROM login_failures WHERE created_at < " PG_TS("$1");
	struct pg_params p = {0};
	pg_param_i64(&p, before);
	return pg_run(db, "login_failures_purge", SQL, p.n, p.v);
}
