/* Request timestamp parsing (see timeparse.h). */
#include "util/timeparse.h"

#include <ctype.h>
#include <string.h>

long long days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's algorithm: exact for the whole proleptic Gregorian calendar. */
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1)
		return false;
	int max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* Reads exactly n digits at *p into *out and advances; false when they are not digits. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

enum ts_result parse_timestamp(const char *s, bool date_allowed, long long *ms, bool *date_only)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return TS_INVALID;
	if (!valid_date(y, mo, d))
		return TS_INVALID;
	long long frac_ms = 0;
	long long offset_min = 0;
	bool only_date = *p == '\0';
	if (only_date) {
		if (!date_allowed)
			return TS_INVALID;
	} else {
		if (*p != 'T' && *p != 't')
			return TS_INVALID;
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
		    !digits(&p, 2, &sec))
			return TS_INVALID;
		if (h > 23 || mi > 59 || sec > 59)
			return TS_INVALID;
		if (*p == '.') {
			p++;
			int n = 0;
			while (isdigit((unsigned char)*p)) {
				if (n < 3)
					frac_ms = frac_ms * 10 + (*p - '0');
				n++;
				p++;
			}
			if (n == 0 || n > 9)
				return TS_INVALID;
			for (int i = n; i < 3; i++)
				frac_ms *= 10;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 ||
			    om > 59)
				return TS_INVALID;
			offset_min = sign * (oh * 60 + om);
		} else {
			return TS_INVALID;
		}
		if (*p != '\0')
			return TS_INVALID;
	}
	long long days = days_from_civil(y, mo, d);
	long long t = ((days * 24 + h) * 60 + mi) * 60 + sec;
	t -= offset_min * 60;
	long long v = t * 1000 + frac_ms;
	/* 1900-01-01T00:00:00Z .. 2100-12-31T23:59:59.999Z */
	long long lo = days_from_civil(1900, 1, 1) * 86400000LL;
	long long hi = (days_from_civil(2101, 1, 1)) * 86400000LL - 1;
	if (v < lo || v > hi)
		return TS_OUT_OF_RANGE;
	*ms = v;
	if (date_only)
		*date_only = only_date;
	return TS_OK;
}
