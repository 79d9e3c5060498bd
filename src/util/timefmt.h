/* Clocks and the one timestamp format of responses and logs (ISO 8601 UTC, milliseconds). */
#ifndef CRM_UTIL_TIMEFMT_H
#define CRM_UTIL_TIMEFMT_H

#include <stddef.h>

/* Wall clock in Unix milliseconds. */
long long now_ms(void);
/* Monotonic clock in seconds. */
double mono_seconds(void);
/* The UTC calendar fields of a Unix time in seconds (proleptic Gregorian, any year), by
 * arithmetic: glibc's gmtime_r takes the process-wide time zone lock on every call, and a page
 * of contacts formats dozens of times on each polling thread at once. */
struct utc_time {
	long long year;
	int month, day, hour, min, sec; /* month 1-12, day 1-31 */
};
void utc_fields(long long secs, struct utc_time *t);
/* Writes "2025-06-30T13:32:14.000Z" for ms into out (at least 32 bytes); returns out. */
char *format_iso8601(long long ms, char *out, size_t n);

#endif
