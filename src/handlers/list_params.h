/* Query parameters every list route shares (SPEC §1.4): limit, cursor, includeTotal, and
 * the from/to range and updatedSince timestamps. Each parser adds {field, reason} details. */
#ifndef CRM_HANDLERS_LIST_PARAMS_H
#define CRM_HANDLERS_LIST_PARAMS_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"

struct list_params {
	int limit;            /* 1..100, default 25 */
	const char *cursor;   /* raw, NULL when absent (borrowed from the request) */
	bool include_total;
	long long from, to;   /* Unix ms; 0 = absent; to is exclusive (date-only to = next day) */
	bool has_from, has_to;
	long long updated_since;
	bool has_updated_since;
};

/* Parses limit (bounds lo..hi, default def), cursor and includeTotal. */
void list_params_basic(struct request *req, struct list_params *p, int def, int hi,
		       json_t **details);
/* Parses from/to (names given) with the date rule of §1.4, and from ≤ to. */
void list_params_range(struct request *req, struct list_params *p, const char *from_name,
		       const char *to_name, json_t **details);
/* Parses updatedSince against the tombstone horizon (retention_days). */
void list_params_updated_since(struct request *req, struct list_params *p, int retention_days,
			       long long now, json_t **details);
/* Parses an integer query parameter within lo..hi (def when absent). */
int query_int(struct request *req, const char *name, int lo, int hi, int def, json_t **details);
/* Parses a boolean query parameter (true|false exactly). */
bool query_bool(struct request *req, const char *name, bool def, json_t **details);

#endif
