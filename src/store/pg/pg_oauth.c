/* PostgreSQL store functions for oauth_accounts (SPEC §6, §7.3): linking an identity, the
 * three lookups (by identity, by user and provider, all of a user), unlinking, and the sign-in
 * touch. The insert detects a taken identity in SQL (ON CONFLICT DO NOTHING) and answers
 * ST_CONFLICT without aborting the transaction, as the SQLite store's failed statement does. */
#include <string.h>

#include "store/pg/pg_oauth.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

/* The column list every lookup reads, in the order read_row expects. */
#define OAUTH_COLS                                                                                 \
	"id, user_id, provider, provider_user_id, email, " PG_MS("created_at") ", " PG_MS(         \
	    "last_login_at")

static void read_row(const PGresult *r, int i, struct oauth_account_row *o)
{
	o->id = pg_get_i64(r, i, 0);
	o->user_id = pg_get_i64(r, i, 1);
	o->provider = pg_get_strdup(r, i, 2);
	o->provider_user_id = pg_get_strdup(r, i, 3);
	o->email = pg_get_strdup(r, i, 4);
	o->created_at = pg_get_i64(r, i, 5);
	o->last_login_at = pg_get_i64(r, i, 6);
}

/* Runs a single-row lookup: 1 (out filled), 0 none, or < 0. */
static int select_one(struct db *db, const char *name, const char *sql, struct pg_params *p,
		      struct oauth_account_row *out)
{
	memset(out, 0, sizeof *out);
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_row(r, 0, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_oauth_accounts_insert(struct db *db, long long user_id, const char *provider,
			     const char *provider_user_id, const char *email, long long now,
			     long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO oauth_accounts (user_id, provider, provider_user_id, email, created_at,"
	    " last_login_at) VALUES ($1::bigint, $2, $3, $4, " PG_TS("$5") ", " PG_TS(
		"$5") ")"
		      " ON CONFLICT DO NOTHING RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, provider);
	pg_param_str(&p, provider_user_id);
	pg_param_str(&p, email);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = pg_exec_prepared(db, "oauth_accounts_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : ST_CONFLICT;
}

int pg_oauth_accounts_select(struct db *db, const char *provider, const char *provider_user_id,
			     struct oauth_account_row *out)
{
	static const char SQL[] = "SELECT " OAUTH_COLS " FROM oauth_accounts"
				  " WHERE provider = $1 AND provider_user_id = $2";
	struct pg_params p = {0};
	pg_param_str(&p, provider);
	pg_param_str(&p, provider_user_id);
	return select_one(db, "oauth_accounts_select", SQL, &p, out);
}

int pg_oauth_accounts_select_by_user(struct db *db, long long user_id, const char *provider,
				     struct oauth_account_row *out)
{
	static const char SQL[] = "SELECT " OAUTH_COLS " FROM oauth_accounts"
				  " WHERE user_id = $1::bigint AND provider = $2";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, provider);
	return select_one(db, "oauth_accounts_select_by_user", SQL, &p, out);
}

int pg_oauth_accounts_select_many(struct db *db, long long user_id, struct oauth_account_row **rows)
{
	static const char SQL[] = "SELECT " OAUTH_COLS " FROM oauth_accounts"
				  " WHERE user_id = $1::bigint ORDER BY provider COLLATE \"C\", id";
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "oauth_accounts_select_many", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	struct oauth_account_row *arr = xcalloc(rc > 0 ? (size_t)rc : 1, sizeof *arr);
	for (int i = 0; i < rc; i++)
		read_row(r, i, &arr[i]);
	PQclear(r);
	*rows = arr;
	return rc;
}

int pg_oauth_accounts_delete(struct db *db, long long user_id, const char *provider)
{
	static const char SQL[] =
	    "DELETE FROM oauth_accounts WHERE user_id = $1::bigint AND provider = $2";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, provider);
	return pg_run(db, "oauth_accounts_delete", SQL, p.n, p.v);
}

int pg_oauth_accounts_touch(struct db *db, long long id, long long now, const char *email)
{
	static const char SQL[] = "UPDATE oauth_accounts SET last_login_at = " PG_TS(
	    "$2") ", email = COALESCE($3, email) WHERE id = $1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	pg_param_i64(&p, now);
	pg_param_str(&p, email);
	return pg_run(db, "oauth_accounts_touch", SQL, p.n, p.v);
}
