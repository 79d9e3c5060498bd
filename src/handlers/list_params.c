/* Shared list query parameters (see list_params.h). */
#include "handlers/list_params.h"

#include <stdlib.h>
#include <string.h>

#include "util/timeparse.h"

int query_int(struct request *req, const char *name, int lo, int hi, int def, json_t **details)
{
	const char *v = http_query(req, name);
	if (!v)
		return def;
	if (!*v || strlen(v) > 12) {
		details_add(details, name, *v ? "out_of_range" : "invalid_format");
		return def;
	}
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || (v[0] == '0' && v[1]) || v[0] == '+' || (v[0] == '-' && v[1] == '0')) {
		details_add(details, name, "invalid_format");
		return def;
	}
	if (n < lo || n > hi) {
		details_add(details, name, "out_of_range");
		return def;
	}
	return (int)n;
}

bool query_bool(struct request *req, const char *name, bool def, json_t **details)
{
	const char *v = http_query(req, name);
	if (!v)
		return def;
	if (strcmp(v, "true") == 0)
		return true;
	if (strcmp(v, "false") == 0)
		return false;
	details_add(details, name, "invalid_value");
	return def;
}

void list_params_basic(struct request *req, struct list_params *p, int def, int hi,
		       json_t **details)
{
	memset(p, 0, sizeof *p);
	p->limit = query_int(req, "limit", 1, hi, def, details);
	p->cursor = http_query(req, "cursor");
	if (p->cursor && !*p->cursor) {
		details_add(details, "cursor", "invalid_format");
		p->cursor = NULL;
	}
	p->include_total = query_bool(req, "includeTotal", false, details);
}

static bool parse_one(struct request *req, const char *name, bool is_to, long long *out,
		      json_t **details)
{
	const char *v = http_query(req, name);
	if (!v)
		return false;
	long long ms;
	bool date_only = false;
	enum ts_result r = parse_timestamp(v, true, &ms, &date_only);
	if (r != TS_OK) {
		details_add(details, name, r == TS_OUT_OF_RANGE ? "out_of_range" : "invalid_format");
		return false;
	}
	/* A date-only `to` includes that whole UTC day. */
	if (is_to && date_only)
		ms += 86400000LL;
	*out = ms;
	return true;
}

void list_params_range(struct request *req, struct list_params *p, const char *from_name,
		       const char *to_name, json_t **details)
{
	p->has_from = parse_one(req, from_name, false, &p->from, details);
	p->has_to = parse_one(req, to_name, true, &p->to, details);
	if (p->has_from && p->has_to && p->from > p->to)
		details_add(details, to_name, "out_of_range");
}

void list_params_updated_since(struct request *req, struct list_params *p, int retention_days,
			       long long now, json_t **details)
{
	const char *v = http_query(req, "updatedSince");
	if (!v)
		return;
	long long ms;
	enum ts_result r = parse_timestamp(v, false, &ms, NULL);
	if (r != TS_OK) {
		details_add(details, "updatedSince",
			    r == TS_OUT_OF_RANGE ? "out_of_range" : "invalid_format");
		return;
	}
	if (ms < now - (long long)retention_days * 86400000LL) {
		details_add(details, "updatedSince", "too_old");
		return;
	}
	p->updated_since = ms;
	p->has_updated_since = true;
}
