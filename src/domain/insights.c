/* Insights (SPEC §11, §15.2 S1–S5; see insights.h): overview, recently contacted, stale
 * contacts with their keyset cursor, most interacted, per-contact summary and tag insights.
 * Each reads the store in one read transaction and shapes the figures into the JSON of the
 * surface asking. Rounded figures are computed from integers (half up), so both stores give
 * the same digits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "domain/accounts.h"
#include "domain/cursor.h"
#include "domain/insights.h"
#include "domain/insights_internal.h"
#include "store/store.h"
#include "util/fields.h"
#include "util/timefmt.h"

/* ---- JSON pieces ---- */

json_t *insights_time(bool has, long long ms)
{
	if (!has)
		return json_null();
	char buf[40];
	return json_string(format_iso8601(ms, buf, sizeof buf));
}

/* A text column as JSON (null when absent). */
static json_t *text(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *insights_decimal(long long num, long long den, int scale)
{
	if (den <= 0)
		return json_integer(0);
	/* scale decimals, half up: round(num / den * 10^scale) / 10^scale */
	long long mul = scale == 1 ? 10 : 100;
	long long r = (2 * num * mul + den) / (2 * den);
	if (r % mul == 0)
		return json_integer(r / mul);
	return json_real((double)r / (double)mul);
}

/* The ContactBrief of §11. */
static json_t *brief_json(const struct insight_contact_row *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "firstName", text(c->first_name));
	json_object_set_new(o, "lastName", text(c->last_name));
	json_object_set_new(o, "company", text(c->company));
	json_object_set_new(o, "jobRole", text(c->job_role));
	json_object_set_new(o, "lastContacted",
			    insights_time(c->has_last_contacted, c->last_contacted));
	return o;
}

/* ---- transactions ---- */

int insights_read(struct actx *a, store_tx_fn fn, void *ctx, enum err_code *err)
{
	*err = ERR_NONE;
	int rc = store_tx(a->app->store, false, fn, ctx);
	if (rc == INSIGHTS_TX_ABORT)
		return -1;
	if (rc < 0) {
		*err = err_from_store(rc);
		return -1;
	}
	return 0;
}

/* ---- overview (§11; S4) ---- */

struct overview_tx {
	struct actx *a;
	struct insights_overview_row row;
};

static int overview_run(struct db *db, void *ctx)
{
	struct overview_tx *x = ctx;
	long long now = x->a->now;
	return IOPS(x->a)->insights_overview(
	    db, x->a->user_id, now - INSIGHTS_OVERVIEW_DAYS * INSIGHT_DAY_MS, now, &x->row);
}

enum err_code insights_overview(struct actx *a, bool compat, json_t **data)
{
	struct overview_tx x = {.a = a};
	enum err_code e;
	if (insights_read(a, overview_run, &x, &e) < 0)
		return e;
	const struct insights_overview_row *r = &x.row;
	json_t *o = json_object();
	json_object_set_new(o, "totalContacts", json_integer(r->contacts));
	json_object_set_new(o, "totalInteractions", json_integer(r->interactions));
	if (compat) {
		json_object_set_new(o, "avgInteractionPerContact",
				    insights_decimal(r->interactions, r->contacts, 2));
		json_object_set_new(o, "totalTags", json_integer(r->tags));
	} else {
		json_object_set_new(o, "totalNotes", json_integer(r->notes));
		json_object_set_new(o, "totalTags", json_integer(r->tags));
		json_object_set_new(o, "avgInteractionsPerContact",
				    insights_decimal(r->interactions, r->contacts, 2));
		json_object_set_new(o, "contactsNeverContacted", json_integer(r->never_contacted));
		json_object_set_new(o, "interactionsLast30Days",
				    json_integer(r->interactions_recent));
		json_object_set_new(o, "staleContacts", json_integer(r->stale));
	}
	*data = o;
	return ERR_NONE;
}

/* ---- recently contacted (§11; S1) ---- */

struct rows_tx {
	struct actx *a;
	int limit;
	bool has_from, has_to;
	long long from, to;
	struct insight_contact_row *rows;
	int n;
};

static void rows_reset(struct rows_tx *x)
{
	insight_contact_rows_free(x->rows, x->n); /* a retried attempt starts afresh */
	x->rows = NULL;
	x->n = 0;
}

static int recent_run(struct db *db, void *ctx)
{
	struct rows_tx *x = ctx;
	rows_reset(x);
	int rc = IOPS(x->a)->insights_recently_contacted(db, x->a->user_id, x->limit, &x->rows);
	if (rc >= 0)
		x->n = rc;
	return rc;
}

enum err_code insights_recently_contacted(struct actx *a, int limit, json_t **data)
{
	struct rows_tx x = {.a = a, .limit = limit};
	enum err_code e;
	if (insights_read(a, recent_run, &x, &e) < 0) {
		rows_reset(&x);
		return e;
	}
	json_t *arr = json_array();
	for (int i = 0; i < x.n; i++)
		json_array_append_new(arr, brief_json(&x.rows[i]));
	rows_reset(&x);
	*data = arr;
	return ERR_NONE;
}

/* ---- stale contacts (§11, §1.4; S2) ---- */

/* The cursor's sort name and filter digest: a cursor belongs to one `days` value. */
static void stale_digest(int days, char digest[17])
{
	char canon[32];
	snprintf(canon, sizeof canon, "stale|days=%d", days);
	cursor_filter_digest(canon, digest);
}

#define STALE_SORT "stale"

void insights_stale_cursor_check(const char *cursor, json_t **details)
{
	if (!cursor)
		return;
	json_t *keys = NULL;
	long long id;
	/* No real cursor carries an empty sort, so a decodable one is a mismatch here. */
	if (cursor_decode(cursor, "", "", &keys, &id) == CURSOR_INVALID)
		details_add(details, "cursor", "invalid_format");
	json_decref(keys);
}

/* Decodes in->cursor into *pos: keys are [lastContacted ms] or [null] (never contacted). */
static bool stale_position_parse(const struct insights_stale_in *in, const char *digest,
				 struct stale_position *pos, json_t **details)
{
	memset(pos, 0, sizeof *pos);
	if (!in->cursor)
		return true;
	json_t *keys = NULL;
	long long id = 0;
	enum cursor_result cr = cursor_decode(in->cursor, STALE_SORT, digest, &keys, &id);
	json_t *k = cr == CURSOR_OK ? json_array_get(keys, 0) : NULL;
	if (cr == CURSOR_OK &&
	    (json_array_size(keys) != 1 || !(json_is_null(k) || json_is_integer(k))))
		cr = CURSOR_INVALID;
	if (cr == CURSOR_OK) {
		pos->phase = json_is_null(k) ? STALE_AFTER_NEVER : STALE_AFTER_DATED;
		pos->after_lc = json_is_integer(k) ? json_integer_value(k) : 0;
		pos->after_id = id;
	}
	json_decref(keys);
	if (cr == CURSOR_OK)
		return true;
	details_add(details, "cursor", cr == CURSOR_MISMATCH ? "mismatch" : "invalid_format");
	return false;
}

struct stale_tx {
	struct rows_tx r;
	long long cutoff;
	const struct stale_position *pos;
	bool count;
	long long total;
};

static int stale_run(struct db *db, void *ctx)
{
	struct stale_tx *x = ctx;
	const struct store_ops *o = IOPS(x->r.a);
	rows_reset(&x->r);
	int rc =
	    o->insights_stale_page(db, x->r.a->user_id, x->cutoff, x->pos, x->r.limit, &x->r.rows);
	if (rc < 0)
		return rc;
	x->r.n = rc;
	if (x->count)
		rc = o->insights_stale_count(db, x->r.a->user_id, x->cutoff, &x->total);
	return rc < 0 ? rc : 0;
}

/* The page object of §1.3; the cursor carries the last row's (lastContacted | null, id). */
static json_t *stale_page(const struct insights_stale_in *in, const char *digest, bool more,
			  const struct insight_contact_row *last, long long total)
{
	json_t *page = json_object();
	json_object_set_new(page, "limit", json_integer(in->limit));
	if (more) {
		json_t *keys = json_array();
		json_array_append_new(keys, last->has_last_contacted
						? json_integer(last->last_contacted)
						: json_null());
		char *c = cursor_encode(STALE_SORT, digest, keys, last->id);
		json_object_set_new(page, "nextCursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(page, "nextCursor", json_null());
	}
	json_object_set_new(page, "hasMore", json_boolean(more));
	if (in->include_total)
		json_object_set_new(page, "total", json_integer(total));
	return page;
}

enum err_code insights_stale(struct actx *a, const struct insights_stale_in *in, json_t **data,
			     json_t **page, json_t **details)
{
	char digest[17];
	stale_digest(in->days, digest);
	struct stale_position pos;
	if (!in->compat && !stale_position_parse(in, digest, &pos, details))
		return ERR_VALIDATION_FAILED;
	if (in->compat)
		memset(&pos, 0, sizeof pos);
	struct stale_tx x = {
	    .r = {.a = a, .limit = in->compat ? INSIGHTS_COMPAT_STALE_MAX : in->limit + 1},
	    .cutoff = a->now - (long long)in->days * INSIGHT_DAY_MS,
	    .pos = &pos,
	    .count = !in->compat && in->include_total,
	};
	enum err_code e;
	if (insights_read(a, stale_run, &x, &e) < 0) {
		rows_reset(&x.r);
		return e;
	}
	bool more = !in->compat && x.r.n > in->limit;
	int shown = more ? in->limit : x.r.n;
	json_t *arr = json_array();
	for (int i = 0; i < shown; i++) {
		const struct insight_contact_row *c = &x.r.rows[i];
		json_t *o = brief_json(c);
		if (!in->compat)
			json_object_set_new(o, "daysSinceContact",
					    c->has_last_contacted
						? json_integer(insight_floor_div(
						      a->now - c->last_contacted, INSIGHT_DAY_MS))
						: json_null());
		json_array_append_new(arr, o);
	}
	*data = arr;
	*page = in->compat
		    ? NULL
		    : stale_page(in, digest, more, shown ? &x.r.rows[shown - 1] : NULL, x.total);
	rows_reset(&x.r);
	return ERR_NONE;
}

/* ---- most interacted (§11; S5) ---- */

/* Over a range, the counts of every contact with an interaction in it are one grouped pass
 * over the range (about 100 ms for 120,000 interactions). When the counts are skewed, as they
 * usually are, the top is found from far fewer rows: the range counts of the MOST_SAMPLE
 * contacts with the most interactions of all time give a floor (their limit-th largest), which
 * the true limit-th largest count is at least; a contact with fewer interactions of all time
 * than the floor cannot reach it, so counting only the others in the range gives the exact top
 * (the same rows and order). Used when that leaves at most MOST_MAX_CANDIDATES contacts. */
#define MOST_SAMPLE 100
#define MOST_MAX_CANDIDATES 2000
#define TIME_MIN_MS (-62135596800000LL) /* 0001-01-01 */
#define TIME_MAX_MS 253402300800000LL	/* 10000-01-01 */

static int most_run(struct db *db, void *ctx)
{
	struct rows_tx *x = ctx;
	rows_reset(x);
	const struct store_ops *ops = IOPS(x->a);
	if (x->has_from || x->has_to) {
		long long from = x->has_from ? x->from : TIME_MIN_MS;
		long long to = x->has_to ? x->to : TIME_MAX_MS, floor = 0, candidates = 0;
		int rc =
		    ops->insights_most_floor(db, x->a->user_id, from, to, x->limit, MOST_SAMPLE,
					     MOST_MAX_CANDIDATES + 1, &floor, &candidates);
		if (rc < 0)
			return rc;
		if (floor >= 1 && candidates <= MOST_MAX_CANDIDATES) {
			rc = ops->insights_most_interacted_floor(db, x->a->user_id, from, to,
								 x->limit, floor, &x->rows);
			if (rc >= 0)
				x->n = rc;
			return rc;
		}
	}
	int rc = ops->insights_most_interacted(db, x->a->user_id, x->has_from, x->from, x->has_to,
					       x->to, x->limit, &x->rows);
	if (rc >= 0)
		x->n = rc;
	return rc;
}

enum err_code insights_most_interacted(struct actx *a, int limit, bool has_from, long long from,
				       bool has_to, long long to, json_t **data)
{
	struct rows_tx x = {
	    .a = a, .limit = limit, .has_from = has_from, .from = from, .has_to = has_to, .to = to};
	enum err_code e;
	if (insights_read(a, most_run, &x, &e) < 0) {
		rows_reset(&x);
		return e;
	}
	json_t *arr = json_array();
	for (int i = 0; i < x.n; i++) {
		const struct insight_contact_row *c = &x.rows[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(c->id));
		json_object_set_new(o, "firstName", text(c->first_name));
		json_object_set_new(o, "lastName", text(c->last_name));
		json_object_set_new(o, "email", text(c->email));
		json_object_set_new(o, "phone", text(c->phone));
		json_object_set_new(o, "company", text(c->company));
		json_object_set_new(o, "jobRole", text(c->job_role));
		json_object_set_new(o, "interactionCount", json_integer(c->count));
		json_array_append_new(arr, o);
	}
	rows_reset(&x);
	*data = arr;
	return ERR_NONE;
}

/* ---- contact summary (§11; S3) ---- */

struct summary_tx {
	struct actx *a;
	long long contact_id;
	struct insight_summary_row row;
	struct insight_type_count *types;
	int ntypes;
};

static int summary_run(struct db *db, void *ctx)
{
	struct summary_tx *x = ctx;
	const struct store_ops *o = IOPS(x->a);
	insight_type_counts_free(x->types, x->ntypes); /* a retried attempt starts afresh */
	x->types = NULL;
	x->ntypes = 0;
	long long now = x->a->now;
	int rc = o->insights_summary(db, x->a->user_id, x->contact_id,
				     now - INSIGHTS_OVERVIEW_DAYS * INSIGHT_DAY_MS, now, &x->row);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return INSIGHTS_TX_ABORT; /* not the caller's contact */
	rc = o->insights_summary_types(db, x->a->user_id, x->contact_id, &x->types);
	if (rc < 0)
		return rc;
	x->ntypes = rc;
	return 0;
}

enum err_code insights_summary(struct actx *a, long long contact_id, bool compat, json_t **data)
{
	struct summary_tx x = {.a = a, .contact_id = contact_id};
	enum err_code e;
	if (insights_read(a, summary_run, &x, &e) < 0) {
		insight_type_counts_free(x.types, x.ntypes);
		return e == ERR_NONE ? ERR_NOT_FOUND : e;
	}
	json_t *by_type = json_array();
	for (int i = 0; i < x.ntypes; i++) {
		json_t *t = json_object();
		json_object_set_new(t, "type", json_string(x.types[i].type));
		json_object_set_new(t, compat ? "total_interactions" : "count",
				    json_integer(x.types[i].count));
		json_array_append_new(by_type, t);
	}
	insight_type_counts_free(x.types, x.ntypes);
	if (compat) {
		*data = by_type;
		return ERR_NONE;
	}
	const struct insight_summary_row *r = &x.row;
	json_t *o = json_object();
	json_object_set_new(o, "contactId", json_integer(contact_id));
	json_object_set_new(o, "totalInteractions", json_integer(r->total));
	json_object_set_new(o, "byType", by_type);
	json_object_set_new(o, "firstInteractionAt", insights_time(r->has_first, r->first_at));
	json_object_set_new(o, "lastContacted",
			    insights_time(r->has_last_contacted, r->last_contacted));
	json_object_set_new(o, "interactionsLast30Days", json_integer(r->recent));
	/* The mean gap between consecutive interactions = (last - first) / (n - 1), in days. */
	json_object_set_new(o, "averageDaysBetweenInteractions",
			    r->total >= 2 && r->has_first && r->has_last_contacted
				? insights_decimal(r->last_contacted - r->first_at,
						   (r->total - 1) * INSIGHT_DAY_MS, 1)
				: json_null());
	json_object_set_new(o, "noteCount", json_integer(r->notes));
	json_object_set_new(o, "tagCount", json_integer(r->tags));
	json_object_set_new(o, "relationshipCount", json_integer(r->relationships));
	*data = o;
	return ERR_NONE;
}

/* ---- tag insights (§11) ---- */

struct tags_tx {
	struct actx *a;
	int days;
	struct insight_tag_row *rows;
	int n;
};

static int tags_run(struct db *db, void *ctx)
{
	struct tags_tx *x = ctx;
	insight_tag_rows_free(x->rows, x->n); /* a retried attempt starts afresh */
	x->rows = NULL;
	x->n = 0;
	long long now = x->a->now;
	int rc = IOPS(x->a)->insights_tags(
	    db, x->a->user_id, now - (long long)x->days * INSIGHT_DAY_MS, now, &x->rows);
	if (rc >= 0)
		x->n = rc;
	return rc;
}

enum err_code insights_tags(struct actx *a, int days, json_t **data)
{
	struct tags_tx x = {.a = a, .days = days};
	enum err_code e;
	if (insights_read(a, tags_run, &x, &e) < 0) {
		insight_tag_rows_free(x.rows, x.n);
		return e;
	}
	json_t *arr = json_array();
	for (int i = 0; i < x.n; i++) {
		const struct insight_tag_row *t = &x.rows[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(t->id));
		json_object_set_new(o, "name", json_string(t->name ? t->name : ""));
		json_object_set_new(o, "contactCount", json_integer(t->contacts));
		json_object_set_new(o, "interactionCount", json_integer(t->interactions));
		json_object_set_new(o, "staleContactCount", json_integer(t->stale));
		json_object_set_new(o, "lastContacted",
				    insights_time(t->has_last_contacted, t->last_contacted));
		json_array_append_new(arr, o);
	}
	insight_tag_rows_free(x.rows, x.n);
	*data = arr;
	return ERR_NONE;
}
