/* Unit tests of the trend buckets of SPEC §11 (src/domain/insights_trend.c): alignment of from
 * to the start of its day, ISO week and month (also before 1970, where division rounds the
 * other way), month steps across years and leap Februaries, the defaults, to exclusive with a
 * partial last bucket, and the 366-bucket limit; and the rounded figures of insights.c. */
#include <jansson.h>

#include "domain/insights.h"
#include "domain/insights_internal.h"
#include "test.h"
#include "util/timeparse.h"

#define DAY 86400000LL

static long long day_ms(int y, int m, int d)
{
	return days_from_civil(y, m, d) * DAY;
}

/* Computes a range that must be valid. */
static void range(enum trend_interval iv, bool has_from, long long from, bool has_to, long long to,
		  long long now, struct trend_range *r)
{
	const char *field = NULL;
	const char *why = trend_range_compute(iv, has_from, from, has_to, to, now, r, &field);
	CHECK(why == NULL);
}

TEST(day_buckets_align_and_end_at_to)
{
	struct trend_range r;
	range(TREND_DAY, true, day_ms(2024, 1, 7) + 12 * 3600000LL, true, day_ms(2024, 1, 9) + 1, 0,
	      &r);
	CHECK_INT(r.from, day_ms(2024, 1, 7));
	CHECK_INT(r.to, day_ms(2024, 1, 9) + 1);
	CHECK_INT(r.nbuckets, 3);
	CHECK_INT(r.bounds[1], day_ms(2024, 1, 8));
	CHECK_INT(r.bounds[2], day_ms(2024, 1, 9));
	CHECK_INT(r.bounds[3], day_ms(2024, 1, 9) + 1);
	trend_range_free(&r);
	/* from == to: no bucket */
	range(TREND_DAY, true, day_ms(2024, 1, 8), true, day_ms(2024, 1, 8), 0, &r);
	CHECK_INT(r.nbuckets, 0);
	trend_range_free(&r);
}

TEST(weeks_start_on_monday_also_before_1970)
{
	struct trend_range r;
	/* 2024-01-03 is a Wednesday; its Monday is 2024-01-01. */
	range(TREND_WEEK, true, day_ms(2024, 1, 3), true, day_ms(2024, 1, 16), 0, &r);
	CHECK_INT(r.from, day_ms(2024, 1, 1));
	CHECK_INT(r.nbuckets, 3);
	CHECK_INT(r.bounds[2], day_ms(2024, 1, 15));
	trend_range_free(&r);
	/* 1969-12-31 is a Wednesday; its Monday is 1969-12-29. */
	range(TREND_WEEK, true, day_ms(1969, 12, 31) + 5, true, day_ms(1970, 1, 1), 0, &r);
	CHECK_INT(r.from, day_ms(1969, 12, 29));
	CHECK_INT(r.nbuckets, 1);
	trend_range_free(&r);
	/* A Monday stays put; 1900-01-01 was a Monday. */
	range(TREND_WEEK, true, day_ms(1900, 1, 1), true, day_ms(1900, 1, 2), 0, &r);
	CHECK_INT(r.from, day_ms(1900, 1, 1));
	trend_range_free(&r);
}

TEST(months_step_over_years_and_leap_februaries)
{
	struct trend_range r;
	range(TREND_MONTH, true, day_ms(2023, 11, 20), true, day_ms(2024, 3, 1) + 1, 0, &r);
	CHECK_INT(r.from, day_ms(2023, 11, 1));
	CHECK_INT(r.nbuckets, 5);
	CHECK_INT(r.bounds[1], day_ms(2023, 12, 1));
	CHECK_INT(r.bounds[2], day_ms(2024, 1, 1));
	CHECK_INT(r.bounds[3], day_ms(2024, 2, 1));
	CHECK_INT(r.bounds[4], day_ms(2024, 3, 1));
	trend_range_free(&r);
	range(TREND_MONTH, true, day_ms(1969, 12, 31), true, day_ms(1970, 1, 2), 0, &r);
	CHECK_INT(r.from, day_ms(1969, 12, 1));
	CHECK_INT(r.nbuckets, 2);
	trend_range_free(&r);
}

TEST(defaults_and_limits)
{
	struct trend_range r;
	long long now = day_ms(2024, 3, 10) + 5 * 3600000LL; /* a Sunday */
	range(TREND_DAY, false, 0, false, 0, now, &r);
	CHECK_INT(r.to, now);
	CHECK_INT(r.from, day_ms(2024, 2, 9));
	CHECK_INT(r.nbuckets, 31);
	trend_range_free(&r);
	range(TREND_WEEK, false, 0, false, 0, now, &r);
	CHECK_INT(r.from, day_ms(2023, 12, 11)); /* the Monday of now − 84 days (Sunday 12-17) */
	CHECK_INT(r.nbuckets, 13);
	trend_range_free(&r);
	range(TREND_MONTH, false, 0, true, day_ms(2024, 3, 1), now, &r);
	CHECK_INT(r.from, day_ms(2023, 3, 1));
	CHECK_INT(r.nbuckets, 12);
	trend_range_free(&r);

	const char *field = NULL;
	range(TREND_DAY, true, day_ms(2023, 1, 1), true, day_ms(2024, 1, 2), 0, &r);
	CHECK_INT(r.nbuckets, 366);
	trend_range_free(&r);
	CHECK_STR(trend_range_compute(TREND_DAY, true, day_ms(2022, 12, 31), true,
				      day_ms(2024, 1, 2), 0, &r, &field),
		  "out_of_range");
	CHECK_STR(field, "from");
	CHECK(r.bounds == NULL);
	CHECK_STR(trend_range_compute(TREND_DAY, true, 2, true, 1, 0, &r, &field), "out_of_range");
	CHECK_STR(field, "to");
	/* from after the default to (now) */
	CHECK_STR(trend_range_compute(TREND_WEEK, true, now + 1, false, 0, now, &r, &field),
		  "out_of_range");
	CHECK_STR(field, "to");
}

TEST(interval_names)
{
	enum trend_interval iv = TREND_DAY;
	CHECK(trend_interval_parse("month", &iv) && iv == TREND_MONTH);
	CHECK(trend_interval_parse("week", &iv) && iv == TREND_WEEK);
	CHECK(trend_interval_parse("day", &iv) && iv == TREND_DAY);
	CHECK(!trend_interval_parse("Day", &iv));
	CHECK(!trend_interval_parse("year", &iv));
}

/* The JSON text of a rounded figure. */
static void check_decimal(long long num, long long den, int scale, const char *want)
{
	json_t *v = insights_decimal(num, den, scale);
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	CHECK_STR(s, want);
	free(s);
	json_decref(v);
}

TEST(rounded_figures)
{
	check_decimal(9, 7, 2, "1.29");
	check_decimal(5, 2, 2, "2.5");
	check_decimal(6, 3, 2, "2");
	check_decimal(0, 0, 2, "0");
	check_decimal(1, 8, 2, "0.13"); /* 0.125 rounds half up */
	check_decimal(39 * DAY, 2 * DAY, 1, "19.5");
	check_decimal(68 * DAY, 2 * DAY, 1, "34");
	check_decimal(DAY + DAY / 20, DAY, 1, "1.1"); /* 1.05 rounds half up */
	CHECK_INT(insight_floor_div(-1, DAY), -1);
	CHECK_INT(insight_floor_div(-DAY, DAY), -1);
	CHECK_INT(insight_floor_div(DAY - 1, DAY), 0);
}

int main(void)
{
	return RUN_TESTS();
}
