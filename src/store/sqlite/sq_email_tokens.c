/* SQLite store functions for email tokens (SPEC §3.7): verification and reset tokens, stored as
 * SHA-256 hex, single use. A token is live while unused, uninvalidated and unexpired; the
 * password hash a re-registration token carries is erased as soon as it is used or
 * invalidated. */
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_accounts.h"
#include "store/store.h"

/* Invalidates the user's older unused tokens of the purpose, then stores the new one. Run it
 * inside a write transaction so both happen or neither. Returns 1 (the insert). */
int sq_email_tokens_insert(struct db *db, long long user_id, const char *purpose,
			   const char *token_hash, const char *email, const char *password_hash,
			   long long now, long long expires_at)
{
	static const char INVALIDATE_SQL[] =
	    "UPDATE email_tokens SET invalidated_at = ?3, password_hash = NULL"
	    " WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL AND invalidated_at IS NULL";
	static const char SQL[] =
	    "INSERT INTO email_tokens (user_id, purpose, token_hash, email, password_hash,"
	    " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = sq_prepare(db, INVALIDATE_SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, purpose);
	sqlite3_bind_int64(st, 3, now);
	int rc = sq_run(db, st);
	if (rc < 0)
		return rc;
	st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, purpose);
	sq_bind_text(st, 3, token_hash);
	sq_bind_text(st, 4, email);
	sq_bind_text(st, 5, password_hash);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, expires_at);
	return sq_run(db, st);
}

/* Reads a token in any state into out (zeroed first; caller frees with email_token_row_free). */
int sq_email_tokens_select(struct db *db, const char *token_hash, struct email_token_row *out)
{
	static const char SQL[] =
	    "SELECT id, user_id, purpose, email, password_hash, created_at, expires_at, used_at,"
	    " invalidated_at FROM email_tokens WHERE token_hash = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, token_hash);
	int rc = sq_step(db, st);
	if (rc > 0) {
		out->id = sqlite3_column_int64(st, 0);
		out->user_id = sqlite3_column_int64(st, 1);
		out->purpose = sq_col_strdup(st, 2);
		out->email = sq_col_strdup(st, 3);
		out->password_hash = sq_col_strdup(st, 4);
		out->created_at = sqlite3_column_int64(st, 5);
		out->expires_at = sqlite3_column_int64(st, 6);
		out->used_at = sqlite3_column_int64(st, 7);
		out->invalidated_at = sqlite3_column_int64(st, 8);
		sqlite3_reset(st);
	}
	return rc;
}

/* Uses a live token, conditionally, so it is used at most once: 1 now used, 0 not live. */
int sq_email_tokens_use(struct db *db, long long id, long long now)
{
	static const char SQL[] =
	    "UPDATE email_tokens SET used_at = ?2, password_hash = NULL"
	    " WHERE id = ?1 AND used_at IS NULL AND invalidated_at IS NULL AND expires_at > ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	return sq_run(db, st);
}

/* Invalidates the live tokens of (user, purpose). Returns how many. */
int sq_email_tokens_invalidate(struct db *db, long long user_id, const char *purpose, long long now)
{
	static const char SQL[] =
	    "UPDATE email_tokens SET invalidated_at = ?3, password_hash = NULL"
	    " WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL AND invalidated_at IS NULL"
	    " AND expires_at > ?3";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, purpose);
	sqlite3_bind_int64(st, 3, now);
	return sq_run(db, st);
}
