/* PostgreSQL store functions for sessions and refresh tokens (SPEC §3.3, §3.5): opening,
 * listing, touching and revoking sessions, the per-request session+user lookup, and the refresh
 * tokens with their atomic single use. A session is live while revoked_at IS NULL AND
 * expires_at > now. */
#include <string.h>

#include "store/pg/pg_accounts.h"
#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

/* The column list of a session row, in the order read_session expects. */
#define SESSION_COLS                                                                               \
	"id, user_id, auth_method, " PG_MS("created_at") ", " PG_MS("last_used_at") ", " PG_MS(    \
	    "expires_at") ", " PG_MS("revoked_at") ", revoke_reason, ip, user_agent"

static void read_session(const PGresult *r, int row, struct session_row *s)
{
	s->id = pg_get_i64(r, row, 0);
	s->user_id = pg_get_i64(r, row, 1);
	s->auth_method = pg_get_strdup(r, row, 2);
	s->created_at = pg_get_i64(r, row, 3);
	s->last_used_at = pg_get_i64(r, row, 4);
	s->expires_at = pg_get_i64(r, row, 5);
	s->revoked_at = pg_get_i64(r, row, 6);
	s->revoke_reason = pg_get_strdup(r, row, 7);
	s->ip = pg_get_strdup(r, row, 8);
	s->user_agent = pg_get_strdup(r, row, 9);
}

/* Opens a session: created_at = last_used_at = now. */
int pg_sessions_insert(struct db *db, long long user_id, const char *auth_method, long long now,
		       long long expires_at, const char *ip, const char *user_agent,
		       long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO sessions (user_id, auth_method, created_at, last_used_at, expires_at, ip,"
	    " user_agent) VALUES ($1::bigint, $2, " PG_TS("$3") ", " PG_TS("$3") ", " PG_TS(
		"$4") ", $5, $6) RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, auth_method);
	pg_param_i64(&p, now);
	pg_param_i64(&p, expires_at);
	pg_param_str(&p, ip);
	pg_param_str(&p, user_agent);
	int rc;
	PGresult *r = pg_exec_prepared(db, "sessions_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* Reads one session in any state into out (zeroed first). */
int pg_sessions_select(struct db *db, long long id, struct session_row *out)
{
	static const char SQL[] = "SELECT " SESSION_COLS " FROM sessions WHERE id = $1::bigint";
	memset(out, 0, sizeof *out);
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "sessions_select", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_session(r, 0, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Live sessions of the user, newest created first. *rows is a new array (NULL on failure). */
int pg_sessions_select_live(struct db *db, long long user_id, long long now,
			    struct session_row **rows)
{
	static const char SQL[] =
	    "SELECT " SESSION_COLS
	    " FROM sessions WHERE user_id = $1::bigint AND revoked_at IS NULL"
	    " AND expires_at > " PG_TS("$2") " ORDER BY created_at DESC, id DESC";
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = pg_exec_prepared(db, "sessions_select_live", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	struct session_row *arr = xcalloc(rc > 0 ? (size_t)rc : 1, sizeof *arr);
	for (int i = 0; i < rc; i++)
		read_session(r, i, &arr[i]);
	PQclear(r);
	*rows = arr;
	return rc;
}

/* Records a use of the session (a refresh): last_used_at and the client seen. */
int pg_sessions_touch(struct db *db, long long id, long long now, const char *ip,
		      const char *user_agent)
{
	static const char SQL[] = "UPDATE sessions SET last_used_at = " PG_TS(
	    "$2") ", ip = $3, user_agent = $4 WHERE id = $1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	pg_param_i64(&p, now);
	pg_param_str(&p, ip);
	pg_param_str(&p, user_agent);
	return pg_run(db, "sessions_touch", SQL, p.n, p.v);
}

/* Revokes one live session of the user: 1, or 0 when it is not a live session of theirs. */
int pg_sessions_revoke(struct db *db, long long user_id, long long id, long long now,
		       const char *reason)
{
	static const char SQL[] = "UPDATE sessions SET revoked_at = " PG_TS(
	    "$3") ", revoke_reason = $4"
		  " WHERE id = $2::bigint AND user_id = $1::bigint AND revoked_at IS NULL"
		  " AND expires_at > " PG_TS("$3");
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	pg_param_i64(&p, now);
	pg_param_str(&p, reason);
	return pg_run(db, "sessions_revoke", SQL, p.n, p.v);
}

/* Revokes every live session of the user but except_id (ids are positive: 0 spares none). */
int pg_sessions_revoke_all(struct db *db, long long user_id, long long except_id, long long now,
			   const char *reason)
{
	static const char SQL[] = "UPDATE sessions SET revoked_at = " PG_TS(
	    "$3") ", revoke_reason = $4"
		  " WHERE user_id = $1::bigint AND id <> $2::bigint AND revoked_at IS NULL"
		  " AND expires_at > " PG_TS("$3");
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, except_id);
	pg_param_i64(&p, now);
	pg_param_str(&p, reason);
	return pg_run(db, "sessions_revoke_all", SQL, p.n, p.v);
}

/* Revokes the live sessions ranked after the keep most recently used (ties: newest id first).
 * Returns the number revoked. */
int pg_sessions_trim(struct db *db, long long user_id, long long now, int keep, const char *reason)
{
	static const char SQL[] = "UPDATE sessions SET revoked_at = " PG_TS(
	    "$2") ", revoke_reason = $4"
		  " WHERE user_id = $1::bigint AND id IN (SELECT id FROM sessions"
		  " WHERE user_id = $1::bigint AND revoked_at IS NULL AND expires_at > " PG_TS(
		      "$2") " ORDER BY last_used_at DESC, id DESC OFFSET $3::bigint)";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, now);
	pg_param_i64(&p, keep > 0 ? keep : 0);
	pg_param_str(&p, reason);
	return pg_run(db, "sessions_trim", SQL, p.n, p.v);
}

/* The per-request check in one primary-key lookup joined to the user. */
/* The per-request session check, as a statement of a pipeline (see pg_auth_read). */
static void auth_stmt(struct pg_stmt *s, long long session_id, long long now)
{
	static const char SQL[] =
	    "SELECT s.user_id, s.id, s.revoked_at IS NULL AND s.expires_at > " PG_TS("$2") ","
	    " u.active, u.role, " PG_MS("s.created_at") ", b.status,"
	    " COALESCE(" PG_MS("b.current_period_end") ", 0),"
	    " COALESCE(" PG_MS("b.payment_failed_at") ", 0)"
	    " FROM sessions s JOIN users u ON u.id = s.user_id"
	    " LEFT JOIN subscriptions b ON b.user_id = s.user_id WHERE s.id = $1::bigint";
	s->name = "auth_lookup";
	s->sql = SQL;
	s->p.n = 0;
	pg_param_i64(&s->p, session_id);
	pg_param_i64(&s->p, now);
}

/* auth_lookup's value from the statement auth_stmt made, which it clears. */
static int auth_read(struct pg_stmt *s, struct auth_row *out)
{
	memset(out, 0, sizeof *out);
	PGresult *r = s->r;
	if (!r)
		return s->rc;
	if (s->rc > 0) {
		out->user_id = pg_get_i64(r, 0, 0);
		out->session_id = pg_get_i64(r, 0, 1);
		out->session_live = pg_get_bool(r, 0, 2);
		out->user_active = pg_get_bool(r, 0, 3);
		out->role = pg_get_strdup(r, 0, 4);
		out->session_created_at = pg_get_i64(r, 0, 5);
		out->sub_status = pg_get_strdup(r, 0, 6);
		out->sub_period_end = pg_get_i64(r, 0, 7);
		out->sub_payment_failed_at = pg_get_i64(r, 0, 8);
	}
	PQclear(r);
	s->r = NULL;
	return s->rc > 0 ? 1 : 0;
}

int pg_auth_lookup(struct db *db, long long session_id, long long now, struct auth_row *out)
{
	struct pg_stmt s;
	auth_stmt(&s, session_id, now);
	s.r = pg_exec_prepared(db, s.name, s.sql, s.p.n, s.p.v, &s.rc);
	return auth_read(&s, out);
}

int pg_auth_lookup_contact(struct db *db, long long session_id, long long now,
			   struct auth_row *out, struct contact_read *read)
{
	struct pg_stmt a, c;
	auth_stmt(&a, session_id, now);
	pg_contact_tags_stmt(&c, read->user_id, read->id);
	struct pg_stmt *s[] = {&a, &c};
	pg_exec_pipeline(db, s, 2);
	read->rc = pg_contact_tags_read(&c, read->id, &read->row, &read->tags, &read->ntags);
	return auth_read(&a, out);
}

int pg_auth_lookup_page(struct db *db, long long session_id, long long now, struct auth_row *out,
			struct contact_page_read *read)
{
	struct pg_stmt a;
	auth_stmt(&a, session_id, now);
	read->rc = pg_contacts_select_page_after(db, &a, read->user_id, read->q, &read->rows,
						 &read->tags, &read->ntags);
	return auth_read(&a, out);
}

/* Stores a refresh token (its SHA-256 hex) of a session. */
int pg_refresh_insert(struct db *db, long long user_id, long long session_id,
		      const char *token_hash, long long now)
{
	static const char SQL[] =
	    "INSERT INTO refresh_tokens (user_id, session_id, token_hash,"
	    " created_at) VALUES ($1::bigint, $2::bigint, $3, " PG_TS("$4") ")";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, session_id);
	pg_param_str(&p, token_hash);
	pg_param_i64(&p, now);
	return pg_run(db, "refresh_insert", SQL, p.n, p.v);
}

/* The columns of a refresh row, in the order read_refresh expects. */
#define REFRESH_COLS "id, user_id, session_id, " PG_MS("created_at") ", " PG_MS("used_at")

static void read_refresh(const PGresult *r, struct refresh_row *out)
{
	out->id = pg_get_i64(r, 0, 0);
	out->user_id = pg_get_i64(r, 0, 1);
	out->session_id = pg_get_i64(r, 0, 2);
	out->created_at = pg_get_i64(r, 0, 3);
	out->used_at = pg_get_i64(r, 0, 4);
}

/* One conditional UPDATE … RETURNING: a concurrent consumer waits for the first one's row lock,
 * then re-checks used_at IS NULL on the updated row and gets 0, so a token is consumed at most
 * once. */
int pg_refresh_consume(struct db *db, const char *token_hash, long long now,
		       struct refresh_row *out)
{
	static const char SQL[] = "UPDATE refresh_tokens SET used_at = " PG_TS(
	    "$2") " WHERE token_hash = $1 AND used_at IS NULL RETURNING " REFRESH_COLS;
	memset(out, 0, sizeof *out);
	struct pg_params p = {0};
	pg_param_str(&p, token_hash);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = pg_exec_prepared(db, "refresh_consume", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_refresh(r, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Reads a refresh token in any state into out (zeroed first). */
int pg_refresh_select(struct db *db, const char *token_hash, struct refresh_row *out)
{
	static const char SQL[] =
	    "SELECT " REFRESH_COLS " FROM refresh_tokens WHERE token_hash = $1";
	memset(out, 0, sizeof *out);
	const char *v[] = {token_hash};
	int rc;
	PGresult *r = pg_exec_prepared(db, "refresh_select", SQL, 1, v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_refresh(r, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}
