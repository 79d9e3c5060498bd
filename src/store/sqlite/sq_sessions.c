/* SQLite store functions for sessions and refresh tokens (SPEC §3.3, §3.5): opening, listing,
 * touching and revoking sessions, the per-request session+user lookup, and the refresh tokens
 * with their atomic single use. A session is live while revoked_at IS NULL AND
 * expires_at > now. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_accounts.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"

/* The column list of a session row, in the order read_session expects. */
#define SESSION_COLS                                                                               \
	"id, user_id, auth_method, created_at, last_used_at, expires_at, revoked_at,"              \
	" revoke_reason, ip, user_agent"

static void read_session(sqlite3_stmt *st, struct session_row *s)
{
	s->id = sqlite3_column_int64(st, 0);
	s->user_id = sqlite3_column_int64(st, 1);
	s->auth_method = sq_col_strdup(st, 2);
	s->created_at = sqlite3_column_int64(st, 3);
	s->last_used_at = sqlite3_column_int64(st, 4);
	s->expires_at = sqlite3_column_int64(st, 5);
	s->revoked_at = sqlite3_column_int64(st, 6);
	s->revoke_reason = sq_col_strdup(st, 7);
	s->ip = sq_col_strdup(st, 8);
	s->user_agent = sq_col_strdup(st, 9);
}

/* Opens a session: created_at = last_used_at = now. */
int sq_sessions_insert(struct db *db, long long user_id, const char *auth_method, long long now,
		       long long expires_at, const char *ip, const char *user_agent,
		       long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO sessions (user_id, auth_method, created_at, last_used_at, expires_at, ip,"
	    " user_agent) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, auth_method);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, expires_at);
	sq_bind_text(st, 5, ip);
	sq_bind_text(st, 6, user_agent);
	int rc = sq_run(db, st);
	if (rc > 0 && id_out)
		*id_out = sq_last_insert_id(db);
	return rc;
}

/* Reads one session in any state into out (zeroed first). */
int sq_sessions_select(struct db *db, long long id, struct session_row *out)
{
	static const char SQL[] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_session(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* Live sessions of the user, newest created first. *rows is a new array (NULL on failure). */
int sq_sessions_select_live(struct db *db, long long user_id, long long now,
			    struct session_row **rows)
{
	static const char SQL[] = "SELECT " SESSION_COLS " FROM sessions"
				  " WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2"
				  " ORDER BY created_at DESC, id DESC";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, now);
	int cap = 8, n = 0, rc;
	struct session_row *arr = xcalloc((size_t)cap, sizeof *arr);
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			arr = xrealloc(arr, (size_t)cap * 2 * sizeof *arr);
			memset(arr + cap, 0, (size_t)cap * sizeof *arr);
			cap *= 2;
		}
		read_session(st, &arr[n++]);
	}
	if (rc < 0) {
		for (int i = 0; i < n; i++)
			session_row_free(&arr[i]);
		free(arr);
		return rc;
	}
	*rows = arr;
	return n;
}

/* Records a use of the session (a refresh): last_used_at and the client seen. */
int sq_sessions_touch(struct db *db, long long id, long long now, const char *ip,
		      const char *user_agent)
{
	static const char SQL[] =
	    "UPDATE sessions SET last_used_at = ?2, ip = ?3, user_agent = ?4 WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sq_bind_text(st, 3, ip);
	sq_bind_text(st, 4, user_agent);
	return sq_run(db, st);
}

/* Revokes one live session of the user: 1, or 0 when it is not a live session of theirs. */
int sq_sessions_revoke(struct db *db, long long user_id, long long id, long long now,
		       const char *reason)
{
	static const char SQL[] =
	    "UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4"
	    " WHERE id = ?2 AND user_id = ?1 AND revoked_at IS NULL AND expires_at > ?3";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, now);
	sq_bind_text(st, 4, reason);
	return sq_run(db, st);
}

/* Revokes every live session of the user but except_id (ids are positive: 0 spares none). */
int sq_sessions_revoke_all(struct db *db, long long user_id, long long except_id, long long now,
			   const char *reason)
{
	static const char SQL[] =
	    "UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4"
	    " WHERE user_id = ?1 AND id <> ?2 AND revoked_at IS NULL AND expires_at > ?3";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, except_id);
	sqlite3_bind_int64(st, 3, now);
	sq_bind_text(st, 4, reason);
	return sq_run(db, st);
}

/* Revokes the live sessions ranked after the keep most recently used (ties: newest id first).
 * Returns the number revoked. */
int sq_sessions_trim(struct db *db, long long user_id, long long now, int keep, const char *reason)
{
	static const char SQL[] = "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?4"
				  " WHERE user_id = ?1 AND id IN (SELECT id FROM sessions"
				  " WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2"
				  " ORDER BY last_used_at DESC, id DESC LIMIT -1 OFFSET ?3)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, keep > 0 ? keep : 0);
	sq_bind_text(st, 4, reason);
	return sq_run(db, st);
}

/* The per-request check in one primary-key lookup joined to the user. */
int sq_auth_lookup(struct db *db, long long session_id, long long now, struct auth_row *out)
{
	static const char SQL[] =
	    "SELECT s.user_id, s.id, s.revoked_at IS NULL AND s.expires_at > ?2, u.active, u.role,"
	    " s.created_at, b.status, b.current_period_end, b.payment_failed_at"
	    " FROM sessions s JOIN users u ON u.id = s.user_id"
	    " LEFT JOIN subscriptions b ON b.user_id = s.user_id WHERE s.id = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, session_id);
	sqlite3_bind_int64(st, 2, now);
	int rc = sq_step(db, st);
	if (rc > 0) {
		out->user_id = sqlite3_column_int64(st, 0);
		out->session_id = sqlite3_column_int64(st, 1);
		out->session_live = sqlite3_column_int(st, 2) != 0;
		out->user_active = sqlite3_column_int(st, 3) != 0;
		out->role = sq_col_strdup(st, 4);
		out->session_created_at = sqlite3_column_int64(st, 5);
		out->sub_status = sq_col_strdup(st, 6);
		out->sub_period_end = sqlite3_column_int64(st, 7);
		out->sub_payment_failed_at = sqlite3_column_int64(st, 8);
		sqlite3_reset(st);
	}
	return rc;
}

/* No round trip to save in process: the two reads one after the other. */
int sq_auth_lookup_contact(struct db *db, long long session_id, long long now, struct auth_row *out,
			   struct contact_read *read)
{
	int rc = sq_auth_lookup(db, session_id, now, out);
	read->rc = sq_contacts_select_with_tags(db, read->user_id, read->id, &read->row,
						&read->tags, &read->ntags);
	return rc;
}

/* Stores a refresh token (its SHA-256 hex) of a session. */
int sq_refresh_insert(struct db *db, long long user_id, long long session_id,
		      const char *token_hash, long long now)
{
	static const char SQL[] = "INSERT INTO refresh_tokens (user_id, session_id, token_hash,"
				  " created_at) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, session_id);
	sq_bind_text(st, 3, token_hash);
	sqlite3_bind_int64(st, 4, now);
	return sq_run(db, st);
}

static void read_refresh(sqlite3_stmt *st, struct refresh_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->user_id = sqlite3_column_int64(st, 1);
	r->session_id = sqlite3_column_int64(st, 2);
	r->created_at = sqlite3_column_int64(st, 3);
	r->used_at = sqlite3_column_int64(st, 4);
}

/* One conditional UPDATE … RETURNING: of any number of concurrent consumers of a token, only
 * the one whose update still finds used_at NULL gets the row (1); the others get 0. */
int sq_refresh_consume(struct db *db, const char *token_hash, long long now,
		       struct refresh_row *out)
{
	static const char SQL[] =
	    "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL"
	    " RETURNING id, user_id, session_id, created_at, used_at";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, now);
	int rc, n = 0;
	while ((rc = sq_step(db, st)) > 0)
		if (n++ == 0)
			read_refresh(st, out);
	return rc < 0 ? rc : n > 0;
}

/* Reads a refresh token in any state into out (zeroed first). */
int sq_refresh_select(struct db *db, const char *token_hash, struct refresh_row *out)
{
	static const char SQL[] = "SELECT id, user_id, session_id, created_at, used_at"
				  " FROM refresh_tokens WHERE token_hash = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, token_hash);
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_refresh(st, out);
		sqlite3_reset(st);
	}
	return rc;
}
