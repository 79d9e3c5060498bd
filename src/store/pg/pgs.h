/* The PostgreSQL backend's internal API for the store functions of src/store/pg/pg_*.c:
 * statements prepared lazily once per connection and run with bound parameters, libpq errors
 * mapped to enum store_status, and small parameter/result helpers. Nothing outside src/store
 * includes this header (store.c only for pg_store_open).
 *
 * How a store function is written:
 *
 *	int pg_tags_insert(struct db *db, long long user_id, const char *name,
 *			   const char *name_key, long long t, long long *id_out)
 *	{
 *		static const char SQL[] =
 *			"INSERT INTO tags (user_id, name, name_key, created_at, updated_at)"
 *			" VALUES ($1, $2, $3, " PG_TS("$4") ", " PG_TS("$4") ") RETURNING id";
 *		struct pg_params p = {0};
 *		pg_param_i64(&p, user_id);
 *		pg_param_str(&p, name);
 *		pg_param_str(&p, name_key);
 *		pg_param_i64(&p, t);
 *		int rc;
 *		PGresult *r = pg_exec_prepared(db, "tags_insert", SQL, p.n, p.v, &rc);
 *		if (!r)
 *			return rc;                     // ST_CONFLICT, ST_UNAVAILABLE, ...
 *		*id_out = pg_get_i64(r, 0, 0);
 *		PQclear(r);
 *		return rc;                             // 1 row
 *	}
 *
 * The statement name is unique per SQL text across the program (use the function's name).
 * Timestamps travel as bigint Unix milliseconds both ways: write with PG_TS("$n"), read with
 * PG_MS("col"). Inside a transaction, any failed statement aborts the whole transaction on
 * PostgreSQL (unlike SQLite): expected conflicts are handled in SQL (ON CONFLICT ...), not by
 * ignoring ST_CONFLICT and carrying on. */
#ifndef CRM_STORE_PGS_H
#define CRM_STORE_PGS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "util/buf.h"

struct db;
struct config;
struct store;

/* SQL fragments converting bigint Unix ms <-> timestamptz exactly (millisecond precision). PG_MS
 * reads the epoch as a double (date_part) rather than numeric (extract, numeric arithmetic since
 * PostgreSQL 14): a tenth of the bench's tag page (bench/README.md). A timestamp(3) holds whole
 * milliseconds, and the double is within a thousandth of one of them for any date PostgreSQL
 * accepts, so the rounding cast gives it exactly. */
#define PG_TS(param) "('epoch'::timestamptz + (" param ")::bigint * interval '1 millisecond')"
#define PG_MS(col) "(date_part('epoch', " col ") * 1000)::bigint"

/* Opens the PostgreSQL store for cfg->database_url without connecting: the pool of
 * cfg->db_pool_size connections (default WORKER_THREADS) is filled on demand and re-made
 * after an outage. A `schema` query parameter becomes the search_path of every connection.
 * Returns NULL (logged) when the URL cannot be parsed. The caller owns the store. */
struct store *pg_store_open(const struct config *cfg);

/* The raw libpq connection, for what the helpers do not cover. Owned by the pool. */
PGconn *pg_handle(struct db *db);

/* Runs the statement called name with the given text parameters (values[i] NULL = SQL NULL;
 * the server infers types, so cast in SQL where needed: $1::bigint[]). The statement is
 * prepared on this connection the first time name is used and reused afterwards. Returns the
 * result (caller PQclear's it) and sets *status_out to the row count: tuples returned, or rows
 * affected by INSERT/UPDATE/DELETE without RETURNING (0 = none matched). On failure returns NULL
 * and sets *status_out to enum store_status (23505 -> ST_CONFLICT, 23503 -> ST_FK,
 * 40001/40P01 -> ST_RETRY, 57014/55P03 -> ST_TIMEOUT, lost connection -> ST_UNAVAILABLE, which
 * also makes the pool reconnect; unexpected errors are logged). The wait for the answer is
 * bounded by DB_STATEMENT_TIMEOUT_MS plus a margin even if the server stops answering. */
PGresult *pg_exec_prepared(struct db *db, const char *name, const char *sql, int nparams,
			   const char *const *values, int *status_out);

/* Runs sql with bound values as an unnamed statement, planned for these values each time. For
 * list queries whose best plan depends on the values (a rare search term, a small tag): a
 * prepared statement's generic plan can be orders of magnitude slower there. Same results and
 * statuses as pg_exec_prepared. */
PGresult *pg_exec_params(struct db *db, const char *sql, int nparams, const char *const *values,
			 int *status_out);

/* pg_exec_prepared for statements whose rows are not needed: returns the row count or < 0. */
int pg_run(struct db *db, const char *name, const char *sql, int nparams,
	   const char *const *values);

/* The constraint named by the last ST_CONFLICT / ST_FK on this connection (e.g.
 * "users_username_key_uq"), or "": lets a store function tell which unique key was hit. */
const char *pg_last_constraint(struct db *db);

/* Text parameters for pg_exec_prepared, built in order ($1, $2, ...). Numbers are formatted
 * into the struct itself; strings are borrowed and must outlive the call. */
#define PG_MAX_PARAMS 96
struct pg_params {
	int n;
	const char *v[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][FMT_I64_MAX];
};
void pg_param_str(struct pg_params *p, const char *s); /* NULL -> SQL NULL */
void pg_param_i64(struct pg_params *p, long long v);
void pg_param_bool(struct pg_params *p, bool v);
void pg_param_null(struct pg_params *p);

/* One statement of pg_exec_pipeline: name, sql and parameters in (as for pg_exec_prepared;
 * name NULL: an unnamed statement planned for its values, as by pg_exec_params); r and rc
 * out, as pg_exec_prepared's result and *status_out. */
struct pg_stmt {
	const char *name, *sql;
	struct pg_params p;
	PGresult *r;
	int rc;
};

/* Runs *s[0..n) in one round trip (libpq's pipeline mode: every statement sent, then one
 * sync), outside any transaction; the server runs them in order in one implicit transaction,
 * so after a failure the rest fail too. Each s[i]->r is the caller's to PQclear (NULL with
 * s[i]->rc < 0 on failure). Same deadline and error mapping as pg_exec_prepared; a named
 * statement not yet prepared on the connection costs one more round trip the first time. */
void pg_exec_pipeline(struct db *db, struct pg_stmt *const *s, int n);

/* Result columns: NULL reads as 0 / false / NULL. pg_get_strdup's result is the caller's. */
long long pg_get_i64(const PGresult *r, int row, int col);
/* An integer as PostgreSQL writes one in text ("-" and digits; reading stops at anything
 * else), without strtoll, which cost about 250 instructions a call (whitespace, locale, base
 * and overflow handling): a page of 25 contacts reads about 145 (callgrind, bench/README.md). */
long long pg_text_i64(const char *s);
bool pg_get_bool(const PGresult *r, int row, int col);
char *pg_get_strdup(const PGresult *r, int row, int col);

#endif
