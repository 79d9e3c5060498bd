/* SQLite store functions for oauth_accounts (SPEC §6, §7.3): linking an identity, the three
 * lookups (by identity, by user and provider, all of a user), unlinking, and the sign-in
 * touch. A unique violation fails only the statement on SQLite and is reported ST_CONFLICT. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_oauth.h"
#include "store/store.h"
#include "util/alloc.h"

/* The column list every lookup reads, in the order read_row expects. */
#define OAUTH_COLS "id, user_id, provider, provider_user_id, email, created_at, last_login_at"

static void read_row(sqlite3_stmt *st, struct oauth_account_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->user_id = sqlite3_column_int64(st, 1);
	r->provider = sq_col_strdup(st, 2);
	r->provider_user_id = sq_col_strdup(st, 3);
	r->email = sq_col_strdup(st, 4);
	r->created_at = sqlite3_column_int64(st, 5);
	r->last_login_at = sqlite3_column_int64(st, 6);
}

/* Steps a bound single-row lookup: 1 (out filled), 0 none, or < 0. */
static int select_one(struct db *db, sqlite3_stmt *st, struct oauth_account_row *out)
{
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_row(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int sq_oauth_accounts_insert(struct db *db, long long user_id, const char *provider,
			     const char *provider_user_id, const char *email, long long now,
			     long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO oauth_accounts (user_id, provider, provider_user_id, email, created_at,"
	    " last_login_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, provider);
	sq_bind_text(st, 3, provider_user_id);
	sq_bind_text(st, 4, email);
	sqlite3_bind_int64(st, 5, now);
	int rc = sq_run(db, st);
	if (rc > 0 && id_out)
		*id_out = sq_last_insert_id(db);
	return rc;
}

int sq_oauth_accounts_select(struct db *db, const char *provider, const char *provider_user_id,
			     struct oauth_account_row *out)
{
	static const char SQL[] =
	    "SELECT " OAUTH_COLS
	    " FROM oauth_accounts WHERE provider = ?1 AND provider_user_id = ?2";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, provider);
	sq_bind_text(st, 2, provider_user_id);
	return select_one(db, st, out);
}

int sq_oauth_accounts_select_by_user(struct db *db, long long user_id, const char *provider,
				     struct oauth_account_row *out)
{
	static const char SQL[] =
	    "SELECT " OAUTH_COLS " FROM oauth_accounts WHERE user_id = ?1 AND provider = ?2";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, provider);
	return select_one(db, st, out);
}

int sq_oauth_accounts_select_many(struct db *db, long long user_id, struct oauth_account_row **rows)
{
	static const char SQL[] =
	    "SELECT " OAUTH_COLS " FROM oauth_accounts WHERE user_id = ?1 ORDER BY provider, id";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	struct oauth_account_row *arr = NULL;
	int n = 0, rc;
	while ((rc = sq_step(db, st)) > 0) {
		arr = xrealloc(arr, sizeof *arr * (size_t)(n + 1));
		memset(&arr[n], 0, sizeof arr[n]);
		read_row(st, &arr[n]);
		n++;
	}
	if (rc < 0) {
		for (int i = 0; i < n; i++)
			oauth_account_row_free(&arr[i]);
		free(arr);
		return rc;
	}
	*rows = arr ? arr : xcalloc(1, sizeof *arr);
	return n;
}

int sq_oauth_accounts_delete(struct db *db, long long user_id, const char *provider)
{
	static const char SQL[] = "DELETE FROM oauth_accounts WHERE user_id = ?1 AND provider = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, provider);
	return sq_run(db, st);
}

int sq_oauth_accounts_touch(struct db *db, long long id, long long now, const char *email)
{
	static const char SQL[] = "UPDATE oauth_accounts SET last_login_at = ?2,"
				  " email = COALESCE(?3, email) WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sq_bind_text(st, 3, email);
	return sq_run(db, st);
}
