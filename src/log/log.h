/* Logging: one line per event on standard output, JSON (default) or key=value text.
 * Every line of a request carries its request id. Values are escaped so user input cannot
 * forge lines. Thread-safe: each line is written with one write(2). */
#ifndef CRM_LOG_H
#define CRM_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* format: enum log_format of config.h; level: minimum level written. */
void log_init(int format, int level);
bool log_enabled(int level);

/* An application line: {"ts","level","msg","requestId",...fields}. request_id may be NULL.
 * The variadic part is pairs of (const char *key, const char *value) ended by NULL; a NULL
 * value is written as null. */
void log_line(int level, const char *request_id, const char *msg, ...);

/* printf-style convenience for lines without fields. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct access_record {
	const char *request_id, *method, *route, *ip, *user_agent;
	int status;
	double latency_ms;
	unsigned long long bytes;
	long long user_id; /* 0 = none */
};
/* The access line, written once per request after the response. */
void log_access(const struct access_record *r);

#endif
