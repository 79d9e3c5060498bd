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

char *format_iso8601(long long ms, char *out, size_t n)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (long long)secs * 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int year = tm.tm_year + 1900;
	if (year < 0 || year > 9999 || n < 25) {
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
		return out;
	}
	/* Every response carries several of these: digits by hand, not through snprintf. */
	char *p = digits(out, year, 4);
	*p++ = '-';
	p = digits(p, tm.tm_mon + 1, 2);
	*p++ = '-';
	p = digits(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = digits(p, tm.tm_sec, 2);
	*p++ = '.';
	p = digits(p, frac, 3);
	*p++ = 'Z';
	*p = '\0';
	return out;
}
