/* PostgreSQL store functions for the users table (SPEC §6): the row lock of the write order,
 * insert, the three lookups (id, email_key, username_key), the partial update and the account
 * deletion (cascading foreign keys, plus the audit rows, which have none).
 *
 * A failed statement aborts the whole PostgreSQL transaction, whereas SQLite only fails the
 * statement. So that a taken email or username leaves the transaction usable on both stores,
 * insert and update detect it in SQL (ON CONFLICT DO NOTHING; a check of username_key) and
 * answer ST_CONFLICT without an error. Only a conflict with a concurrent, not yet committed
 * transaction still surfaces as a unique violation (ST_CONFLICT too, transaction aborted). */
#include <string.h>

#include "store/pg/pg_accounts.h"
#include "store/pg/pgs.h"
#include "store/store.h"

/* The column list every user lookup reads, in the order read_user expects. */
#define USER_COLS                                                                                  \
	"id, email, email_key, username, username_key, password_hash, first_name, last_name,"      \
	" avatar_url, email_verified, active, role, " PG_MS("created_at") ", " PG_MS(              \
	    "updated_at") ", " PG_MS("last_login_at") ", " PG_MS("deactivated_at")

static void read_user(const PGresult *r, struct user_row *u)
{
	u->id = pg_get_i64(r, 0, 0);
	u->email = pg_get_strdup(r, 0, 1);
	u->email_key = pg_get_strdup(r, 0, 2);
	u->username = pg_get_strdup(r, 0, 3);
	u->username_key = pg_get_strdup(r, 0, 4);
	u->password_hash = pg_get_strdup(r, 0, 5);
	u->first_name = pg_get_strdup(r, 0, 6);
	u->last_name = pg_get_strdup(r, 0, 7);
	u->avatar_url = pg_get_strdup(r, 0, 8);
	u->email_verified = pg_get_bool(r, 0, 9);
	u->active = pg_get_bool(r, 0, 10);
	u->role = pg_get_strdup(r, 0, 11);
	u->created_at = pg_get_i64(r, 0, 12);
	u->updated_at = pg_get_i64(r, 0, 13);
	u->last_login_at = pg_get_i64(r, 0, 14);
	u->deactivated_at = pg_get_i64(r, 0, 15);
}

/* Runs a one-parameter user lookup: 1 (out filled), 0 none, or < 0. */
static int select_one(struct db *db, const char *name, const char *sql, const char *param,
		      struct user_row *out)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, 1, &param, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_user(r, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Locks the user's row until the transaction ends (the write order of SPEC §6); needs a write
 * transaction. 1 when the user exists, else 0. */
int pg_users_lock(struct db *db, long long user_id)
{
	static const char SQL[] = "SELECT 1 FROM users WHERE id = $1::bigint FOR UPDATE";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	int rc = pg_run(db, "users_lock", SQL, p.n, p.v);
	return rc < 0 ? rc : rc > 0;
}

/* Locks the user's row and advances last_write_at to max(now, last_write_at + 1 ms), in one
 * statement (SPEC §6 write order). 1 with *t set, 0 when the user does not exist. */
int pg_users_write_time(struct db *db, long long user_id, long long now, long long *t)
{
	static const char SQL[] =
	    "UPDATE users SET last_write_at = GREATEST(" PG_TS("$2") ","
	    " last_write_at + interval '1 millisecond') WHERE id = $1::bigint"
	    " RETURNING " PG_MS("last_write_at");
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = pg_exec_prepared(db, "users_write_time", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*t = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Inserts an active USER; a taken email_key or username_key is ST_CONFLICT (see above). */
int pg_users_insert(struct db *db, const struct user_new *in, long long now, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO users (email, email_key, username, username_key, password_hash,"
	    " first_name, last_name, email_verified, created_at, updated_at)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::boolean, " PG_TS("$9") ", " PG_TS(
		"$9") ")"
		      " ON CONFLICT DO NOTHING RETURNING id";
	struct pg_params p = {0};
	pg_param_str(&p, in->email);
	pg_param_str(&p, in->email_key);
	pg_param_str(&p, in->username);
	pg_param_str(&p, in->username_key);
	pg_param_str(&p, in->password_hash);
	pg_param_str(&p, in->first_name);
	pg_param_str(&p, in->last_name);
	pg_param_bool(&p, in->email_verified);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = pg_exec_prepared(db, "users_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : ST_CONFLICT;
}

/* Reads the user with this id into out (zeroed first). */
int pg_users_select(struct db *db, long long id, struct user_row *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE id = $1::bigint";
	memset(out, 0, sizeof *out);
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	return select_one(db, "users_select", SQL, p.v[0], out);
}

/* Reads the user whose folded email is email_key into out (zeroed first). */
int pg_users_select_by_email_key(struct db *db, const char *email_key, struct user_row *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE email_key = $1";
	memset(out, 0, sizeof *out);
	return select_one(db, "users_select_by_email_key", SQL, email_key, out);
}

/* Reads the user whose folded username is username_key into out (zeroed first). */
int pg_users_select_by_username_key(struct db *db, const char *username_key, struct user_row *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE username_key = $1";
	memset(out, 0, sizeof *out);
	return select_one(db, "users_select_by_username_key", SQL, username_key, out);
}

/* One static statement for every patch: each column keeps its value unless its set_* flag
 * says otherwise. `taken` finds another user holding the new username_key, in which case
 * nothing is updated and the answer is ST_CONFLICT (0 when the user does not exist at all,
 * as on SQLite). */
int pg_users_update(struct db *db, long long id, const struct user_patch *p, long long now)
{
	static const char SQL[] =
	    "WITH taken AS (SELECT 1 FROM users WHERE $7::boolean AND username_key = $9::text"
	    " AND id <> $1::bigint),"
	    " upd AS (UPDATE users SET"
	    " first_name = CASE WHEN $3::boolean THEN $4::text ELSE first_name END,"
	    " last_name = CASE WHEN $5::boolean THEN $6::text ELSE last_name END,"
	    " username = CASE WHEN $7::boolean THEN $8::text ELSE username END,"
	    " username_key = CASE WHEN $7::boolean THEN $9::text ELSE username_key END,"
	    " avatar_url = CASE WHEN $10::boolean THEN $11::text ELSE avatar_url END,"
	    " password_hash = CASE WHEN $12::boolean THEN $13::text ELSE password_hash END,"
	    " email_verified = CASE WHEN $14::boolean THEN $15::boolean ELSE email_verified END,"
	    " active = CASE WHEN $16::boolean THEN $17::boolean ELSE active END,"
	    " deactivated_at = CASE WHEN $16::boolean THEN (CASE WHEN $17::boolean THEN NULL"
	    " ELSE " PG_TS(
		"$2") " END) ELSE deactivated_at END,"
		      " last_login_at = CASE WHEN $18::boolean THEN " PG_TS(
			  "$2") " ELSE last_login_at END,"
				" updated_at = " PG_TS(
				    "$2") " WHERE id = $1::bigint AND NOT EXISTS (SELECT 1 FROM "
					  "taken)"
					  " RETURNING 1)"
					  " SELECT (SELECT count(*) FROM upd), EXISTS (SELECT 1 "
					  "FROM taken),"
					  " EXISTS (SELECT 1 FROM users WHERE id = $1::bigint)";
	struct pg_params q = {0};
	pg_param_i64(&q, id);
	pg_param_i64(&q, now);
	pg_param_bool(&q, p->set_first_name);
	pg_param_str(&q, p->first_name);
	pg_param_bool(&q, p->set_last_name);
	pg_param_str(&q, p->last_name);
	pg_param_bool(&q, p->set_username);
	pg_param_str(&q, p->username);
	pg_param_str(&q, p->username_key);
	pg_param_bool(&q, p->set_avatar_url);
	pg_param_str(&q, p->avatar_url);
	pg_param_bool(&q, p->set_password_hash);
	pg_param_str(&q, p->password_hash);
	pg_param_bool(&q, p->set_email_verified);
	pg_param_bool(&q, p->email_verified);
	pg_param_bool(&q, p->set_active);
	pg_param_bool(&q, p->active);
	pg_param_bool(&q, p->set_last_login);
	int rc;
	PGresult *r = pg_exec_prepared(db, "users_update", SQL, q.n, q.v, &rc);
	if (!r)
		return rc;
	long long updated = pg_get_i64(r, 0, 0);
	bool taken = pg_get_bool(r, 0, 1), exists = pg_get_bool(r, 0, 2);
	PQclear(r);
	if (!exists)
		return 0;
	return taken ? ST_CONFLICT : (int)updated;
}

/* Deletes the user (foreign keys cascade to every table carrying user_id) and, in the same
 * statement and only when the user existed, its audit rows, which have no foreign key: a
 * repeated delete never removes the account.deleted row written after the first. */
int pg_users_delete(struct db *db, long long id)
{
	static const char SQL[] =
	    "WITH u AS (DELETE FROM users WHERE id = $1::bigint RETURNING id),"
	    " a AS (DELETE FROM audit_log WHERE user_id IN (SELECT id FROM u))"
	    " SELECT count(*) FROM u";
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "users_delete", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	rc = (int)pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc;
}
