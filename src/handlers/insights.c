/* Insights on both surfaces: the resource routes of SPEC §11 (GET /insights/overview,
 * recently-contacted, stale-contacts, most-interacted, contacts/{id}/summary, and the PREMIUM
 * interactions-trend and tags) and the compatibility routes S1–S5 of §15.2. Handlers validate
 * every parameter first (400 with all problems, §1.6 step 9), then the plan gate of the
 * PREMIUM routes (402, step 10), then call one domain operation (domain/insights.c). */
#include <stdlib.h>
#include <string.h>

#include "domain/insights.h"
#include "domain/notes.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "handlers/list_params.h"
#include "handlers/premium.h"
#include "http/query.h"
#include "http/router.h"

/* Answers a domain result: 200 {"data": data} or the error (details stolen). */
static void answer(struct request *req, struct actx *a, enum err_code e, json_t *data,
		   json_t *details)
{
	if (e != ERR_NONE)
		reply_domain_error(req, a, e, details);
	else
		reply_data_steal(req, 200, data, NULL);
}

/* Replies 400 with details (stolen) when there are any; true when it did. */
static bool refuse(struct request *req, json_t *details)
{
	if (!details)
		return false;
	reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	return true;
}

/* A decimal integer path segment within lo..hi (compatibility S1, S2): its value, or def with
 * a {name, reason} detail added. */
static int path_int(const char *s, const char *name, int lo, int hi, int def, json_t **details)
{
	size_t len = strlen(s);
	bool digits = len > 0;
	for (size_t i = 0; i < len; i++)
		digits &= s[i] >= '0' && s[i] <= '9';
	if (!digits || (len > 1 && s[0] == '0')) {
		details_add(details, name, "invalid_format");
		return def;
	}
	long v = len > 9 ? (long)hi + 1 : strtol(s, NULL, 10);
	if (v < lo || v > hi) {
		details_add(details, name, "out_of_range");
		return def;
	}
	return (int)v;
}

/* ---- resource routes (§11) ---- */

void h_insights_overview(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL;
	enum err_code e = insights_overview(&a, false, &data);
	answer(req, &a, e, data, NULL);
}

static void recently_contacted(struct request *req, int limit)
{
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL;
	enum err_code e = insights_recently_contacted(&a, limit, &data);
	answer(req, &a, e, data, NULL);
}

void h_insights_recently_contacted(struct request *req)
{
	json_t *details = NULL;
	int limit =
	    query_int(req, "limit", 1, INSIGHTS_LIMIT_MAX, INSIGHTS_LIMIT_DEFAULT, &details);
	if (!refuse(req, details))
		recently_contacted(req, limit);
}

void h_insights_stale_contacts(struct request *req)
{
	json_t *details = NULL;
	struct list_params lp;
	list_params_basic(req, &lp, INSIGHTS_STALE_PAGE_DEFAULT, 100, &details);
	struct insights_stale_in in = {
	    .days = query_int(req, "days", 1, INSIGHTS_DAYS_MAX, INSIGHTS_DAYS_DEFAULT, &details),
	    .limit = lp.limit,
	    .cursor = lp.cursor,
	    .include_total = lp.include_total,
	};
	if (details) {
		insights_stale_cursor_check(lp.cursor, &details);
		refuse(req, details);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL, *page = NULL;
	enum err_code e = insights_stale(&a, &in, &data, &page, &details);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, details);
		return;
	}
	json_t *env = json_object();
	json_object_set_new(env, "data", data);
	json_object_set_new(env, "page", page);
	reply_json_steal(req, 200, env);
}

static void most_interacted(struct request *req, int limit, const struct list_params *lp)
{
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL;
	enum err_code e =
	    insights_most_interacted(&a, limit, lp->has_from, lp->from, lp->has_to, lp->to, &data);
	answer(req, &a, e, data, NULL);
}

void h_insights_most_interacted(struct request *req)
{
	json_t *details = NULL;
	int limit =
	    query_int(req, "limit", 1, INSIGHTS_LIMIT_MAX, INSIGHTS_LIMIT_DEFAULT, &details);
	struct list_params lp = {0};
	list_params_range(req, &lp, "from", "to", &details);
	if (!refuse(req, details))
		most_interacted(req, limit, &lp);
}

static void contact_summary(struct request *req, bool compat)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL;
	enum err_code e = insights_summary(&a, id, compat, &data);
	answer(req, &a, e, data, NULL);
}

void h_insights_contact_summary(struct request *req)
{
	contact_summary(req, false);
}

/* The repeatable `type` filter (≤ 10, each as an interaction type, compared lowercase): the
 * lowercase values into types[] (new strings, caller frees), their number returned. */
static int trend_types(struct request *req, char *types[INSIGHT_MAX_TYPES], json_t **details)
{
	int n = query_count(req, "type");
	if (n > INSIGHT_MAX_TYPES) {
		details_add(details, "type", "too_many");
		return 0;
	}
	int k = 0;
	for (int i = 0; i < n; i++) {
		const char *raw = query_nth(req, "type", i);
		char *trimmed = NULL;
		const char *why =
		    field_check_text(raw, strlen(raw), FT_TEXT, 1, 50, true, &trimmed);
		if (!why)
			why = interaction_type_normalize(trimmed, &types[k]);
		free(trimmed);
		if (why)
			details_add(details, "type", why);
		else
			k++;
	}
	return k;
}

void h_insights_interactions_trend(struct request *req)
{
	json_t *details = NULL;
	enum trend_interval iv = TREND_WEEK;
	const char *s = http_query(req, "interval");
	bool iv_ok = !s || trend_interval_parse(s, &iv);
	if (!iv_ok)
		details_add(&details, "interval", "invalid_value");
	struct list_params lp = {0};
	json_t *range_details = NULL;
	list_params_range(req, &lp, "from", "to", &range_details);
	struct insights_trend_in in = {0};
	const char *cid = http_query(req, "contactId");
	if (cid && !parse_id(cid, &in.contact_id))
		details_add(&details, "contactId", "invalid_format");
	char *types[INSIGHT_MAX_TYPES] = {0};
	in.ntypes = trend_types(req, types, &details);
	for (int i = 0; i < in.ntypes; i++)
		in.types[i] = types[i];
	struct actx a;
	actx_from(req, &a);
	struct trend_range range = {0};
	if (range_details) {
		for (size_t i = 0; i < json_array_size(range_details); i++)
			json_array_append(details ? details : (details = json_array()),
					  json_array_get(range_details, i));
		json_decref(range_details);
	} else if (iv_ok) {
		const char *field = NULL;
		const char *why = trend_range_compute(iv, lp.has_from, lp.from, lp.has_to, lp.to,
						      a.now, &range, &field);
		if (why)
			details_add(&details, field, why);
	}
	in.range = &range;
	if (!refuse(req, details) && require_premium(req)) {
		json_t *data = NULL;
		enum err_code e = insights_trend(&a, &in, &data, &details);
		answer(req, &a, e, data, details);
	}
	trend_range_free(&range);
	for (int i = 0; i < INSIGHT_MAX_TYPES; i++)
		free(types[i]);
}

void h_insights_tags(struct request *req)
{
	json_t *details = NULL;
	int days = query_int(req, "days", 1, INSIGHTS_DAYS_MAX, INSIGHTS_DAYS_DEFAULT, &details);
	if (refuse(req, details) || !require_premium(req))
		return;
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL;
	enum err_code e = insights_tags(&a, days, &data);
	answer(req, &a, e, data, NULL);
}

/* ---- compatibility routes (§15.2 S1–S5; every body gets "status" from the reply) ---- */

void h_v1_insights_recently_contacted(struct request *req)
{
	json_t *details = NULL;
	int limit = path_int(req->params[0], "limit", 1, INSIGHTS_LIMIT_MAX, 0, &details);
	if (!refuse(req, details))
		recently_contacted(req, limit);
}

void h_v1_insights_stale_contacts(struct request *req)
{
	json_t *details = NULL;
	struct insights_stale_in in = {
	    .days = path_int(req->params[0], "days", 1, INSIGHTS_DAYS_MAX, 0, &details),
	    .compat = true,
	};
	if (refuse(req, details))
		return;
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL, *page = NULL;
	enum err_code e = insights_stale(&a, &in, &data, &page, &details);
	json_decref(page);
	answer(req, &a, e, data, details);
}

void h_v1_insights_contact_summary(struct request *req)
{
	contact_summary(req, true);
}

void h_v1_insights_overall_metrics(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *data = NULL;
	enum err_code e = insights_overview(&a, true, &data);
	answer(req, &a, e, data, NULL);
}

void h_v1_insights_most_interacted(struct request *req)
{
	json_t *details = NULL;
	int limit =
	    query_int(req, "limit", 1, INSIGHTS_LIMIT_MAX, INSIGHTS_LIMIT_DEFAULT, &details);
	struct list_params lp = {0};
	if (!refuse(req, details))
		most_interacted(req, limit, &lp);
}
