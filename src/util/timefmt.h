/* Clocks and the one timestamp format of responses and logs (ISO 8601 UTC, milliseconds). */
#ifndef CRM_UTIL_TIMEFMT_H
#define CRM_UTIL_TIMEFMT_H

#include <stddef.h>

/* Wall clock in Unix milliseconds. */
long long now_ms(void);
/* Monotonic clock in seconds. */
double mono_seconds(void);
/* Writes "2025-06-30T13:32:14.000Z" for ms into out (at least 32 bytes); returns out. */
char *format_iso8601(long long ms, char *out, size_t n);

#endif
