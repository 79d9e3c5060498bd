/* SQLite store function for the audit log (SPEC §6): one row per security event. audit_log has
 * no foreign key, so the account.deleted row outlives its user; users_delete removes the rest. */
#include "store/sqlite/sq.h"
#include "store/sqlite/sq_accounts.h"
#include "store/store.h"

/* Writes one audit row; user_id 0 is stored as NULL, details_json must be valid JSON or NULL
 * (the table checks it). */
int sq_audit_insert(struct db *db, const struct audit_new *a, long long now)
{
	static const char SQL[] = "INSERT INTO audit_log (user_id, event, ip, user_agent, "
				  "request_id, details, created_at)"
				  " VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, a->user_id);
	sq_bind_text(st, 2, a->event);
	sq_bind_text(st, 3, a->ip);
	sq_bind_text(st, 4, a->user_agent);
	sq_bind_text(st, 5, a->request_id);
	sq_bind_text(st, 6, a->details_json);
	sqlite3_bind_int64(st, 7, now);
	return sq_run(db, st);
}
