/* The interactions trend (SPEC §11 "Trend rules"; see insights.h): UTC buckets of a day, an ISO
 * week (Monday 00:00) or a calendar month over [from, to), with from moved back to the start of
 * its bucket, and one count per bucket from the store (empty buckets count 0). The calendar is
 * done here in integer arithmetic so both stores get the very same bounds. */
#include <stdlib.h>
#include <string.h>

#include "domain/contacts.h"
#include "domain/insights.h"
#include "domain/insights_internal.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/timeparse.h"

/* The civil date of a day number (days since 1970-01-01; Howard Hinnant's algorithm, the
 * inverse of days_from_civil). */
static void civil_from_days(long long z, int *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The start of the bucket holding ms. */
static long long bucket_start(enum trend_interval iv, long long ms)
{
	long long day = insight_utc_day(ms);
	switch (iv) {
	case TREND_DAY:
		break;
	case TREND_WEEK: {
		/* 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays. */
		long long wd = (day + 3) % 7;
		if (wd < 0)
			wd += 7;
		day -= wd;
		break;
	}
	case TREND_MONTH: {
		int y, m, d;
		civil_from_days(day, &y, &m, &d);
		day = days_from_civil(y, m, 1);
		break;
	}
	}
	return day * INSIGHT_DAY_MS;
}

/* The start of the bucket after the one starting at start. */
static long long bucket_next(enum trend_interval iv, long long start)
{
	if (iv == TREND_DAY)
		return start + INSIGHT_DAY_MS;
	if (iv == TREND_WEEK)
		return start + 7 * INSIGHT_DAY_MS;
	int y, m, d;
	civil_from_days(insight_utc_day(start), &y, &m, &d);
	return days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * INSIGHT_DAY_MS;
}

/* The default from: to minus 30 days, 12 weeks or 12 calendar months (same day and time of the
 * month, the day clamped to the month's length; only its bucket matters). */
static long long default_from(enum trend_interval iv, long long to)
{
	if (iv == TREND_DAY)
		return to - 30 * INSIGHT_DAY_MS;
	if (iv == TREND_WEEK)
		return to - 84 * INSIGHT_DAY_MS;
	long long day = insight_utc_day(to);
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	(void)d;
	return days_from_civil(y - 1, m, 1) * INSIGHT_DAY_MS;
}

bool trend_interval_parse(const char *s, enum trend_interval *out)
{
	static const struct {
		const char *name;
		enum trend_interval iv;
	} names[] = {{"day", TREND_DAY}, {"week", TREND_WEEK}, {"month", TREND_MONTH}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].iv;
			return true;
		}
	return false;
}

void trend_range_free(struct trend_range *r)
{
	free(r->bounds);
	r->bounds = NULL;
	r->nbuckets = 0;
}

const char *trend_range_compute(enum trend_interval iv, bool has_from, long long from, bool has_to,
				long long to, long long now, struct trend_range *out,
				const char **field)
{
	memset(out, 0, sizeof *out);
	out->interval = iv;
	long long end = has_to ? to : now;
	long long begin = has_from ? from : default_from(iv, end);
	if (begin > end) {
		*field = "to";
		return "out_of_range";
	}
	long long start = bucket_start(iv, begin);
	int n = 0;
	for (long long b = start; b < end; b = bucket_next(iv, b))
		if (++n > INSIGHTS_MAX_BUCKETS) {
			*field = "from";
			return "out_of_range";
		}
	out->from = start;
	out->to = end;
	out->nbuckets = n;
	out->bounds = xcalloc((size_t)n + 1, sizeof *out->bounds);
	long long b = start;
	for (int i = 0; i < n; i++, b = bucket_next(iv, b))
		out->bounds[i] = b;
	out->bounds[n] = end;
	return NULL;
}

struct trend_tx {
	struct actx *a;
	const struct insights_trend_in *in;
	long long *counts;
	bool foreign_contact;
};

static int trend_run(struct db *db, void *ctx)
{
	struct trend_tx *x = ctx;
	const struct insights_trend_in *in = x->in;
	if (in->contact_id) {
		int rc = contact_exists(x->a, db, in->contact_id);
		if (rc < 0)
			return rc;
		if (!rc) {
			x->foreign_contact = true;
			return INSIGHTS_TX_ABORT;
		}
	}
	if (in->range->nbuckets == 0)
		return 0;
	struct insight_trend_query q = {
	    .contact_id = in->contact_id,
	    .ntypes = in->ntypes,
	    .bounds = in->range->bounds,
	    .nbuckets = in->range->nbuckets,
	};
	memcpy(q.types, in->types, sizeof q.types);
	if (in->contact_id)
		return IOPS(x->a)->insights_trend(db, x->a->user_id, &q, x->counts);
	/* Every bound is a UTC midnight but perhaps the last (to): the whole days come from the
	 * per-day figures, the rest of the last bucket from the interactions themselves. */
	int n = q.nbuckets;
	long long *days = xcalloc((size_t)n + 1, sizeof *days);
	memcpy(days, q.bounds, (size_t)n * sizeof *days);
	long long to = q.bounds[n], midnight = insight_utc_day(to) * INSIGHT_DAY_MS;
	days[n] = midnight;
	q.bounds = days;
	int rc = IOPS(x->a)->insights_trend_days(db, x->a->user_id, &q, x->counts);
	if (rc >= 0 && midnight < to) {
		long long tail[2] = {midnight, to}, count = 0;
		q.bounds = tail;
		q.nbuckets = 1;
		rc = IOPS(x->a)->insights_trend(db, x->a->user_id, &q, &count);
		x->counts[n - 1] += count;
	}
	free(days);
	return rc;
}

static const char *interval_name(enum trend_interval iv)
{
	return iv == TREND_DAY ? "day" : iv == TREND_MONTH ? "month" : "week";
}

enum err_code insights_trend(struct actx *a, const struct insights_trend_in *in, json_t **data,
			     json_t **details)
{
	const struct trend_range *r = in->range;
	struct trend_tx x = {.a = a, .in = in};
	x.counts = xcalloc((size_t)r->nbuckets + 1, sizeof *x.counts);
	enum err_code e;
	if (insights_read(a, trend_run, &x, &e) < 0) {
		free(x.counts);
		if (x.foreign_contact) {
			details_add(details, "contactId", "not_found");
			return ERR_NOT_FOUND;
		}
		return e;
	}
	json_t *buckets = json_array();
	long long total = 0;
	for (int i = 0; i < r->nbuckets; i++) {
		json_t *b = json_object();
		json_object_set_new(b, "start", insights_time(true, r->bounds[i]));
		json_object_set_new(b, "count", json_integer(x.counts[i]));
		json_array_append_new(buckets, b);
		total += x.counts[i];
	}
	free(x.counts);
	json_t *o = json_object();
	json_object_set_new(o, "interval", json_string(interval_name(r->interval)));
	json_object_set_new(o, "from", insights_time(true, r->from));
	json_object_set_new(o, "to", insights_time(true, r->to));
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "buckets", buckets);
	*data = o;
	return ERR_NONE;
}
