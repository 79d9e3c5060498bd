/* Security events (SPEC §13.6): one audit_log row, one log line and one metrics count each. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "domain/accounts.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "store/store.h"

void audit_event(struct actx *a, struct db *db, long long user_id, const char *event,
		 const char *details_json)
{
	struct audit_new row = {
		.user_id = user_id,
		.event = event,
		.ip = a->ip,
		.user_agent = a->user_agent,
		.request_id = a->request_id,
		.details_json = details_json,
	};
	struct store *st = a->app->store;
	int rc;
	if (db) {
		rc = st->ops->audit_insert(db, &row, a->now);
	} else {
		struct db *own;
		rc = store_acquire(st, &own);
		if (rc >= 0) {
			rc = st->ops->audit_insert(own, &row, a->now);
			store_release(st, own);
		}
	}
	char uid[24];
	snprintf(uid, sizeof uid, "%lld", user_id);
	bool warn = strstr(event, "failed") || strstr(event, "reused") || strstr(event, "rejected") ||
		    strstr(event, "throttled") || strstr(event, "signature");
	log_line(warn ? LOG_WARN : LOG_INFO, a->request_id, "security event", "event", event,
		 "userId", user_id ? uid : NULL, "ip", a->ip, "stored", rc >= 0 ? "true" : "false",
		 (const char *)NULL);
	const char *short_name = strchr(event, '.') ? strchr(event, '.') + 1 : event;
	metrics_count(a->app->metrics, "crm_auth_events_total", short_name);
}
