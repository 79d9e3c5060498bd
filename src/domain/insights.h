/* Insights (SPEC §11, compatibility S1–S5 of §15.2): engagement figures computed from the
 * caller's contacts, interactions, notes and tags at request time, with no HTTP types. The
 * handlers validate parameters (limits, days, ranges, intervals; §1.4, §17) and the plan gate
 * (§5); the operations here read the store in one read transaction each and build the `data`
 * JSON of both surfaces. Day boundaries and buckets are UTC. "Within the last N days" means
 * occurredAt in [now − N days, now]; a contact is stale when never contacted or last contacted
 * before now − N days. Each operation returns an error code from the registry (ERR_NONE on
 * success). */
#ifndef CRM_DOMAIN_INSIGHTS_H
#define CRM_DOMAIN_INSIGHTS_H

#include <jansson.h>
#include <stdbool.h>

#include "errors/errors.h"
#include "store/types_insights.h"

struct actx;

#define INSIGHTS_LIMIT_DEFAULT 10
#define INSIGHTS_LIMIT_MAX 100
#define INSIGHTS_DAYS_DEFAULT 30
#define INSIGHTS_DAYS_MAX 3650
#define INSIGHTS_STALE_PAGE_DEFAULT 25 /* §1.4: stale-contacts is an ordinary paginated list */
#define INSIGHTS_COMPAT_STALE_MAX 1000 /* S2 answers the first 1000 */
#define INSIGHTS_MAX_BUCKETS 366
#define INSIGHTS_OVERVIEW_DAYS 30

/* GET /insights/overview (compat false) or S4 overall-metrics (compat true): *data is the
 * object of that surface (new reference). */
enum err_code insights_overview(struct actx *a, bool compat, json_t **data);

/* GET /insights/recently-contacted and S1: *data is the array of ContactBrief. */
enum err_code insights_recently_contacted(struct actx *a, int limit, json_t **data);

/* A stale-contacts request as validated by the handler (cursor borrowed, NULL: first page). */
struct insights_stale_in {
	int days, limit;
	const char *cursor;
	bool include_total;
	bool compat; /* S2: the first INSIGHTS_COMPAT_STALE_MAX ContactBriefs, no page */
};
/* GET /insights/stale-contacts: *data the items (ContactBrief + daysSinceContact), *page the
 * page object (§1.3); S2: *data the ContactBriefs and *page NULL. A cursor that does not decode
 * or belongs to other parameters gives ERR_VALIDATION_FAILED with a {"cursor", reason} detail. */
enum err_code insights_stale(struct actx *a, const struct insights_stale_in *in, json_t **data,
			     json_t **page, json_t **details);

/* For a stale-contacts request refused for other parameters: adds {"cursor",
 * "invalid_format"} when the cursor cannot be decoded at all. */
void insights_stale_cursor_check(const char *cursor, json_t **details);

/* GET /insights/most-interacted and S5: interactions counted with occurredAt in [from, to)
 * (an absent bound is open). *data is the array of items. */
enum err_code insights_most_interacted(struct actx *a, int limit, bool has_from, long long from,
				       bool has_to, long long to, json_t **data);

/* GET /insights/contacts/{id}/summary (compat false) or S3 contact-summary (compat true: the
 * byType list as [{"type", "total_interactions"}]). ERR_NOT_FOUND for a contact that is not
 * the caller's. */
enum err_code insights_summary(struct actx *a, long long contact_id, bool compat, json_t **data);

/* GET /insights/tags: every tag with its figures over the last `days` days. */
enum err_code insights_tags(struct actx *a, int days, json_t **data);

/* ---- the interactions trend (insights_trend.c) ---- */

enum trend_interval {
	TREND_DAY,
	TREND_WEEK, /* ISO weeks: Monday 00:00 UTC */
	TREND_MONTH,
};

/* The buckets of a trend request: bounds[0..nbuckets] ascending, bucket i is
 * [bounds[i], bounds[i + 1]); bounds[0] is `from` moved back to the start of its bucket and
 * bounds[nbuckets] is `to` (exclusive), so the last bucket may be partial. */
struct trend_range {
	enum trend_interval interval;
	long long from, to;
	int nbuckets;
	long long *bounds; /* owned; free with trend_range_free */
};
/* Frees r->bounds (r itself is the caller's); r may be all zeros. */
void trend_range_free(struct trend_range *r);

/* Parses an interval name ("day", "week", "month"); false when it is none of them. */
bool trend_interval_parse(const char *s, enum trend_interval *out);

/* Computes the buckets of §11's trend rules: to defaults to now, from to to minus 30 days, 12
 * weeks or 12 months. Returns NULL with *out filled, or the {field, reason} problem: "to"
 * (from after to) or "from" (more than INSIGHTS_MAX_BUCKETS buckets), both out_of_range;
 * *field is set to the field name. */
const char *trend_range_compute(enum trend_interval iv, bool has_from, long long from, bool has_to,
				long long to, long long now, struct trend_range *out,
				const char **field);

/* A trend request as validated by the handler (types lowercase, borrowed). */
struct insights_trend_in {
	const struct trend_range *range;
	long long contact_id; /* 0: every contact; otherwise it must be the caller's (404) */
	const char *types[INSIGHT_MAX_TYPES];
	int ntypes;
};
/* GET /insights/interactions-trend: *data is {"interval", "from", "to", "total", "buckets"}.
 * A contactId that is not the caller's gives ERR_NOT_FOUND with {"contactId", "not_found"}. */
enum err_code insights_trend(struct actx *a, const struct insights_trend_in *in, json_t **data,
			     json_t **details);

#endif
