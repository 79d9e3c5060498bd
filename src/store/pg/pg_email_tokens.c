/* PostgreSQL store functions for email tokens (SPEC §3.7): verification and reset tokens,
 * stored as SHA-256 hex, single use. A token is live while unused, uninvalidated and
 * unexpired; the password hash a re-registration token carries is erased as soon as it is used
 * or invalidated. */
#include <string.h>

#include "store/pg/pg_accounts.h"
#include "store/pg/pgs.h"
#include "store/store.h"

/* Invalidates the user's older unused tokens of the purpose and stores the new one, in one
 * statement (the UPDATE sees the snapshot from before the INSERT, so never the new token).
 * Returns 1 (the insert). */
int pg_email_tokens_insert(struct db *db, long long user_id, const char *purpose,
			   const char *token_hash, const char *email, const char *password_hash,
			   long long now, long long expires_at)
{
	static const char SQL[] = "WITH inv AS (UPDATE email_tokens SET invalidated_at = " PG_TS(
	    "$6") ","
		  " password_hash = NULL WHERE user_id = $1::bigint AND purpose = $2::text"
		  " AND used_at IS NULL AND invalidated_at IS NULL)"
		  " INSERT INTO email_tokens (user_id, purpose, token_hash, email, password_hash,"
		  " created_at, expires_at) VALUES ($1::bigint, $2::text, $3, $4, $5, " PG_TS(
		      "$6") ", " PG_TS("$7") ")";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, purpose);
	pg_param_str(&p, token_hash);
	pg_param_str(&p, email);
	pg_param_str(&p, password_hash);
	pg_param_i64(&p, now);
	pg_param_i64(&p, expires_at);
	return pg_run(db, "email_tokens_insert", SQL, p.n, p.v);
}

/* Reads a token in any state into out (zeroed first; caller frees with email_token_row_free). */
int pg_email_tokens_select(struct db *db, const char *token_hash, struct email_token_row *out)
{
	static const char SQL[] =
	    "SELECT id, user_id, purpose, email, password_hash, " PG_MS("created_at") ", " PG_MS(
		"expires_at") ", " PG_MS("used_at") ", " PG_MS("invalidated_at") " FROM "
										 "email_tokens "
										 "WHERE token_hash "
										 "= $1";
	memset(out, 0, sizeof *out);
	const char *v[] = {token_hash};
	int rc;
	PGresult *r = pg_exec_prepared(db, "email_tokens_select", SQL, 1, v, &rc);
	if (!r)
		return rc;
	if (rc > 0) {
		out->id = pg_get_i64(r, 0, 0);
		out->user_id = pg_get_i64(r, 0, 1);
		out->purpose = pg_get_strdup(r, 0, 2);
		out->email = pg_get_strdup(r, 0, 3);
		out->password_hash = pg_get_strdup(r, 0, 4);
		out->created_at = pg_get_i64(r, 0, 5);
		out->expires_at = pg_get_i64(r, 0, 6);
		out->used_at = pg_get_i64(r, 0, 7);
		out->invalidated_at = pg_get_i64(r, 0, 8);
	}
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Uses a live token, conditionally, so it is used at most once: 1 now used, 0 not live. */
int pg_email_tokens_use(struct db *db, long long id, long long now)
{
	static const char SQL[] = "UPDATE email_tokens SET used_at = " PG_TS(
	    "$2") ", password_hash = NULL"
		  " WHERE id = $1::bigint AND used_at IS NULL AND invalidated_at IS NULL"
		  " AND expires_at > " PG_TS("$2");
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	pg_param_i64(&p, now);
	return pg_run(db, "email_tokens_use", SQL, p.n, p.v);
}

/* Invalidates the live tokens of (user, purpose). Returns how many. */
int pg_email_tokens_invalidate(struct db *db, long long user_id, const char *purpose, long long now)
{
	static const char SQL[] = "UPDATE email_tokens SET invalidated_at = " PG_TS(
	    "$3") ", password_hash = NULL"
		  " WHERE user_id = $1::bigint AND purpose = $2 AND used_at IS NULL"
		  " AND invalidated_at IS NULL AND expires_at > " PG_TS("$3");
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, purpose);
	pg_param_i64(&p, now);
	return pg_run(db, "email_tokens_invalidate", SQL, p.n, p.v);
}
