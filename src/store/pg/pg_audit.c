/* PostgreSQL store function for the audit log (SPEC §6): one row per security event. audit_log
 * has no foreign key, so the account.deleted row outlives its user; users_delete removes the
 * rest. */
#include "store/pg/pg_accounts.h"
#include "store/pg/pgs.h"
#include "store/store.h"

/* Writes one audit row; user_id 0 is stored as NULL, details_json must be valid JSON or NULL
 * (the jsonb cast checks it). */
int pg_audit_insert(struct db *db, const struct audit_new *a, long long now)
{
	static const char SQL[] =
	    "INSERT INTO audit_log (user_id, event, ip, user_agent, request_id, details, "
	    "created_at)"
	    " VALUES (NULLIF($1::bigint, 0), $2, $3, $4, $5, $6::jsonb, " PG_TS("$7") ")";
	struct pg_params p = {0};
	pg_param_i64(&p, a->user_id);
	pg_param_str(&p, a->event);
	pg_param_str(&p, a->ip);
	pg_param_str(&p, a->user_agent);
	pg_param_str(&p, a->request_id);
	pg_param_str(&p, a->details_json);
	pg_param_i64(&p, now);
	return pg_run(db, "audit_insert", SQL, p.n, p.v);
}
