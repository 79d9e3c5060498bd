/* Timestamps in requests (SPEC §1.2): RFC 3339 date-times with Z or a numeric offset, seconds
 * required, 0–9 fraction digits kept to the millisecond (truncated), and where allowed a
 * date-only YYYY-MM-DD meaning 00:00:00.000 UTC. Range 1900-01-01 .. 2100-12-31. */
#ifndef CRM_UTIL_TIMEPARSE_H
#define CRM_UTIL_TIMEPARSE_H

#include <stdbool.h>

enum ts_result {
	TS_OK,
	TS_INVALID,      /* not a timestamp: reason invalid_format */
	TS_OUT_OF_RANGE, /* a valid timestamp outside 1900..2100: reason out_of_range */
};

/* Parses s into Unix ms. date_allowed accepts YYYY-MM-DD; *date_only (may be NULL) tells
 * which form was given. */
enum ts_result parse_timestamp(const char *s, bool date_allowed, long long *ms, bool *date_only);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
long long days_from_civil(int y, int m, int d);
/* Is y-m-d a real calendar date? */
bool valid_date(int y, int m, int d);

#endif
