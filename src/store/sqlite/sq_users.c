/* SQLite store functions for the users table (SPEC §6): the row lock of the write order, insert,
 * the three lookups (id, email_key, username_key), the partial update and the account deletion
 * (cascading foreign keys, plus the audit rows, which have none). */
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_accounts.h"
#include "store/store.h"

/* The column list every user lookup reads, in the order read_user expects. */
#define USER_COLS                                                                                  \
	"id, email, email_key, username, username_key, password_hash, first_name, last_name,"      \
	" avatar_url, email_verified, active, role, created_at, updated_at, last_login_at,"        \
	" deactivated_at"

static void read_user(sqlite3_stmt *st, struct user_row *u)
{
	u->id = sqlite3_column_int64(st, 0);
	u->email = sq_col_strdup(st, 1);
	u->email_key = sq_col_strdup(st, 2);
	u->username = sq_col_strdup(st, 3);
	u->username_key = sq_col_strdup(st, 4);
	u->password_hash = sq_col_strdup(st, 5);
	u->first_name = sq_col_strdup(st, 6);
	u->last_name = sq_col_strdup(st, 7);
	u->avatar_url = sq_col_strdup(st, 8);
	u->email_verified = sqlite3_column_int(st, 9) != 0;
	u->active = sqlite3_column_int(st, 10) != 0;
	u->role = sq_col_strdup(st, 11);
	u->created_at = sqlite3_column_int64(st, 12);
	u->updated_at = sqlite3_column_int64(st, 13);
	u->last_login_at = sqlite3_column_int64(st, 14);
	u->deactivated_at = sqlite3_column_int64(st, 15);
}

/* Steps a bound single-user lookup: 1 (out filled), 0 none, or < 0. */
static int select_one(struct db *db, sqlite3_stmt *st, struct user_row *out)
{
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_user(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* The single writer of SQLite already serialises write transactions: this only reports
 * whether the user exists. */
int sq_users_lock(struct db *db, long long user_id)
{
	static const char SQL[] = "SELECT 1 FROM users WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	int rc = sq_step(db, st);
	if (rc > 0)
		sqlite3_reset(st);
	return rc;
}

/* Advances last_write_at to max(now, last_write_at + 1) and returns it (SPEC §6 write order;
 * the single writer serialises). 1 with *t set, 0 when the user does not exist. */
int sq_users_write_time(struct db *db, long long user_id, long long now, long long *t)
{
	static const char SQL[] = "UPDATE users SET last_write_at = MAX(?2, last_write_at + 1)"
				  " WHERE id = ?1 RETURNING last_write_at";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, now);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*t = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

/* Inserts an active USER; a taken email_key or username_key fails the statement only (SQLite
 * keeps the transaction open), reported as ST_CONFLICT. */
int sq_users_insert(struct db *db, const struct user_new *in, long long now, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO users (email, email_key, username, username_key, password_hash,"
	    " first_name, last_name, email_verified, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, in->email);
	sq_bind_text(st, 2, in->email_key);
	sq_bind_text(st, 3, in->username);
	sq_bind_text(st, 4, in->username_key);
	sq_bind_text(st, 5, in->password_hash);
	sq_bind_text(st, 6, in->first_name);
	sq_bind_text(st, 7, in->last_name);
	sqlite3_bind_int(st, 8, in->email_verified);
	sqlite3_bind_int64(st, 9, now);
	int rc = sq_run(db, st);
	if (rc > 0 && id_out)
		*id_out = sq_last_insert_id(db);
	return rc;
}

/* Reads the user with this id into out (zeroed first). */
int sq_users_select(struct db *db, long long id, struct user_row *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	return select_one(db, st, out);
}

/* Reads the user whose folded email is email_key into out (zeroed first). */
int sq_users_select_by_email_key(struct db *db, const char *email_key, struct user_row *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE email_key = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, email_key);
	return select_one(db, st, out);
}

/* Reads the user whose folded username is username_key into out (zeroed first). */
int sq_users_select_by_username_key(struct db *db, const char *username_key, struct user_row *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE username_key = ?1";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, username_key);
	return select_one(db, st, out);
}

/* One static statement for every patch: each column keeps its value unless its set_* flag
 * (bound as 0/1) says otherwise. A taken username_key is ST_CONFLICT (statement only). */
int sq_users_update(struct db *db, long long id, const struct user_patch *p, long long now)
{
	static const char SQL[] =
	    "UPDATE users SET"
	    " first_name = CASE WHEN ?3 THEN ?4 ELSE first_name END,"
	    " last_name = CASE WHEN ?5 THEN ?6 ELSE last_name END,"
	    " username = CASE WHEN ?7 THEN ?8 ELSE username END,"
	    " username_key = CASE WHEN ?7 THEN ?9 ELSE username_key END,"
	    " avatar_url = CASE WHEN ?10 THEN ?11 ELSE avatar_url END,"
	    " password_hash = CASE WHEN ?12 THEN ?13 ELSE password_hash END,"
	    " email_verified = CASE WHEN ?14 THEN ?15 ELSE email_verified END,"
	    " active = CASE WHEN ?16 THEN ?17 ELSE active END,"
	    " deactivated_at = CASE WHEN ?16 THEN (CASE WHEN ?17 THEN NULL ELSE ?2 END)"
	    " ELSE deactivated_at END,"
	    " last_login_at = CASE WHEN ?18 THEN ?2 ELSE last_login_at END,"
	    " updated_at = ?2"
	    " WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, p->set_first_name);
	sq_bind_text(st, 4, p->first_name);
	sqlite3_bind_int(st, 5, p->set_last_name);
	sq_bind_text(st, 6, p->last_name);
	sqlite3_bind_int(st, 7, p->set_username);
	sq_bind_text(st, 8, p->username);
	sq_bind_text(st, 9, p->username_key);
	sqlite3_bind_int(st, 10, p->set_avatar_url);
	sq_bind_text(st, 11, p->avatar_url);
	sqlite3_bind_int(st, 12, p->set_password_hash);
	sq_bind_text(st, 13, p->password_hash);
	sqlite3_bind_int(st, 14, p->set_email_verified);
	sqlite3_bind_int(st, 15, p->email_verified);
	sqlite3_bind_int(st, 16, p->set_active);
	sqlite3_bind_int(st, 17, p->active);
	sqlite3_bind_int(st, 18, p->set_last_login);
	return sq_run(db, st);
}

/* Deletes the user (foreign keys cascade to every table carrying user_id) and, only when the
 * user existed, its audit rows, which have no foreign key: a repeated delete never removes the
 * account.deleted row written after the first. Run it inside a write transaction. */
int sq_users_delete(struct db *db, long long id)
{
	static const char SQL[] = "DELETE FROM users WHERE id = ?1";
	static const char AUDIT_SQL[] = "DELETE FROM audit_log WHERE user_id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sq_run(db, st);
	if (rc <= 0)
		return rc;
	st = sq_prepare(db, AUDIT_SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int ra = sq_run(db, st);
	return ra < 0 ? ra : rc;
}
