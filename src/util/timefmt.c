/* Clocks and timestamp formatting (see timefmt.h). */
#include "util/timefmt.h"

#include <stdio.h>
#include <time.h>

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes v as exactly width decimal digits (v >= 0 and below 10^width). */
static char *digits(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void utc_fields(long long secs, struct utc_time *t)
{
	long long days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	t->hour = (int)(rem / 3600);
	t->min = (int)(rem / 60 % 60);
	t->sec = (int)(rem % 60);
	/* days since 1970-01-01 to the proleptic Gregorian date, in eras of 400 years that start
	 * on 1 March (so that the leap day ends a year) */
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;					 /* [0, 146096] */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		 /* [0, 365] */
	long long mp = (5 * doy + 2) / 153;					 /* March is 0 */
	t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = yoe + era * 400 + (t->month <= 2);
}

char *format_iso8601(long long ms, char *out, size_t n)
{
	long long secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int frac = (int)(ms - secs * 1000);
	struct utc_time tm;
	utc_fields(secs, &tm);
	if (tm.year < 0 || tm.year > 9999 || n < 25) {
		snprintf(out, n, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.year, tm.month, tm.day,
			 tm.hour, tm.min, tm.sec, frac);
		return out;
	}
	/* Every response carries several of these: digits by hand, not through snprintf. */
	char *p = digits(out, (int)tm.year, 4);
	*p++ = '-';
	p = digits(p, tm.month, 2);
	*p++ = '-';
	p = digits(p, tm.day, 2);
	*p++ = 'T';
	p = digits(p, tm.hour, 2);
	*p++ = ':';
	p = digits(p, tm.min, 2);
	*p++ = ':';
	p = digits(p, tm.sec, 2);
	*p++ = '.';
	p = digits(p, frac, 3);
	*p++ = 'Z';
	*p = '\0';
	return out;
}
