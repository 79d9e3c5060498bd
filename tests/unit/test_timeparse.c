/* Request timestamps: forms, offsets, fractions, ranges. */
#include <stdio.h>
#include <time.h>

#include "test.h"
#include "util/timefmt.h"
#include "util/timeparse.h"

static const char *iso(const char *in, bool date_allowed)
{
	static char out[40];
	long long ms;
	if (parse_timestamp(in, date_allowed, &ms, NULL) != TS_OK)
		return "invalid";
	return format_iso8601(ms, out, sizeof out);
}

TEST(forms)
{
	CHECK_STR(iso("2025-06-30T13:32:14Z", false), "2025-06-30T13:32:14.000Z");
	CHECK_STR(iso("2025-06-30T15:32:14+02:00", false), "2025-06-30T13:32:14.000Z");
	CHECK_STR(iso("2025-06-30T13:32:14.123456789Z", false), "2025-06-30T13:32:14.123Z");
	CHECK_STR(iso("2025-06-30T13:32:14.5Z", false), "2025-06-30T13:32:14.500Z");
	CHECK_STR(iso("2025-06-30", true), "2025-06-30T00:00:00.000Z");
	CHECK_STR(iso("2025-06-30", false), "invalid");
	CHECK_STR(iso("2025-06-30T13:32Z", false), "invalid"); /* seconds required */
	CHECK_STR(iso("2025-06-30T13:32:14", false), "invalid"); /* zone required */
	CHECK_STR(iso("2025-02-29", true), "invalid");
	CHECK_STR(iso("2024-02-29", true), "2024-02-29T00:00:00.000Z");
	CHECK_STR(iso("2025-06-30T13:32:14.1234567890Z", false), "invalid");
}

TEST(range)
{
	long long ms;
	CHECK_INT(parse_timestamp("1899-12-31T23:59:59Z", false, &ms, NULL), TS_OUT_OF_RANGE);
	CHECK_INT(parse_timestamp("1900-01-01", true, &ms, NULL), TS_OK);
	CHECK_INT(parse_timestamp("2100-12-31T23:59:59.999Z", false, &ms, NULL), TS_OK);
	CHECK_INT(parse_timestamp("2101-01-01", true, &ms, NULL), TS_OUT_OF_RANGE);
}

TEST(format)
{
	char out[40];
	CHECK_STR(format_iso8601(0, out, sizeof out), "1970-01-01T00:00:00.000Z");
	CHECK_STR(format_iso8601(-1, out, sizeof out), "1969-12-31T23:59:59.999Z");
	CHECK_STR(format_iso8601(-2208988800000LL, out, sizeof out), "1900-01-01T00:00:00.000Z");
	CHECK_STR(format_iso8601(4133980799999LL, out, sizeof out), "2100-12-31T23:59:59.999Z");
	CHECK_STR(format_iso8601(1751290334007LL, out, sizeof out), "2025-06-30T13:32:14.007Z");
	CHECK_STR(format_iso8601(253402300800000LL, out, sizeof out), "10000-01-01T00:00:00.000Z");
	char small[12];
	CHECK_STR(format_iso8601(0, small, sizeof small), "1970-01-01T");
}

/* utc_fields against the C library's gmtime_r, every third day of years -2000 to 12000 at a
 * varying time of day, and the seconds around the day and era boundaries. */
static bool same_as_gmtime(long long secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	struct utc_time u;
	if (!gmtime_r(&t, &tm))
		return false;
	utc_fields(secs, &u);
	return u.year == tm.tm_year + 1900LL && u.month == tm.tm_mon + 1 && u.day == tm.tm_mday &&
	       u.hour == tm.tm_hour && u.min == tm.tm_min && u.sec == tm.tm_sec;
}

TEST(utc_fields_agree_with_gmtime)
{
	long long from = -62167219200LL - 2000LL * 31556952, to = 253402300800LL + 2000LL * 31556952;
	int bad = 0;
	for (long long s = from; s < to && bad < 5; s += 3 * 86400 + 7) {
		if (!same_as_gmtime(s) || !same_as_gmtime(s - 1) || !same_as_gmtime(s + 86399)) {
			fprintf(stderr, "utc_fields differs from gmtime_r near %lld\n", s);
			bad++;
		}
	}
	CHECK_INT(bad, 0);
	/* the first day, the leap days around 1900, 2000 and 2100, the last second of 9999 */
	const long long edges[] = {0,	       -1,	    951782400, 951868799, 951868800,
				   -2203977600, 4107456000, 253402300799, -62135596800};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		CHECK(same_as_gmtime(edges[i]));
}

int main(void)
{
	return RUN_TESTS();
}
