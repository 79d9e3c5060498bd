/* Logging (see log.h): JSON lines or key=value text on standard output, one write(2) per line
 * so lines from different threads never interleave. */
#include "log/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/timefmt.h"

static int log_format_ = LOG_FMT_JSON;
static int log_level_ = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_init(int format, int level)
{
	log_format_ = format;
	log_level_ = level;
}

bool log_enabled(int level)
{
	return level >= log_level_;
}

/* Appends value escaped for JSON (also control characters), or for text (quoted when it holds
 * spaces, quotes or '='), so input cannot forge lines. */
static void put_value(struct buf *b, const char *v)
{
	if (!v) {
		buf_puts(b, log_format_ == LOG_FMT_JSON ? "null" : "null");
		return;
	}
	bool quote = log_format_ == LOG_FMT_JSON || v[0] == '\0' || strpbrk(v, " \"=\\") != NULL;
	if (quote)
		buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p);
		} else {
			buf_putc(b, (char)*p);
		}
	}
	if (quote)
		buf_putc(b, '"');
}

static void put_field(struct buf *b, const char *key, const char *value, bool raw)
{
	if (log_format_ == LOG_FMT_JSON) {
		buf_printf(b, ",\"%s\":", key);
	} else {
		buf_printf(b, " %s=", key);
	}
	if (raw)
		buf_puts(b, value ? value : "null");
	else
		put_value(b, value);
}

static void begin_line(struct buf *b, int level, const char *msg, const char *request_id)
{
	char ts[40];
	format_iso8601(now_ms(), ts, sizeof ts);
	if (log_format_ == LOG_FMT_JSON) {
		buf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
		put_value(b, msg);
	} else {
		buf_printf(b, "ts=%s level=%s msg=", ts, level_names[level]);
		put_value(b, msg);
	}
	put_field(b, "requestId", request_id, false);
}

static void end_line(struct buf *b)
{
	if (log_format_ == LOG_FMT_JSON)
		buf_putc(b, '}');
	buf_putc(b, '\n');
	ssize_t off = 0;
	while ((size_t)off < b->len) {
		ssize_t w = write(STDOUT_FILENO, b->data + off, b->len - (size_t)off);
		if (w <= 0)
			break;
		off += w;
	}
	buf_free(b);
}

void log_line(int level, const char *request_id, const char *msg, ...)
{
	if (!log_enabled(level))
		return;
	struct buf b = {0};
	begin_line(&b, level, msg, request_id);
	va_list ap;
	va_start(ap, msg);
	const char *key;
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		put_field(&b, key, value, false);
	}
	va_end(ap);
	end_line(&b);
}

void log_msg(int level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct buf b = {0};
	begin_line(&b, level, msg, NULL);
	end_line(&b);
}

void log_access(const struct access_record *r)
{
	if (!log_enabled(LOG_INFO))
		return;
	struct buf b = {0};
	char num[64];
	begin_line(&b, LOG_INFO, "request", r->request_id);
	put_field(&b, "method", r->method, false);
	put_field(&b, "route", r->route, false);
	snprintf(num, sizeof num, "%d", r->status);
	put_field(&b, "status", num, true);
	snprintf(num, sizeof num, "%.3f", r->latency_ms);
	put_field(&b, "latencyMs", num, true);
	snprintf(num, sizeof num, "%llu", r->bytes);
	put_field(&b, "bytes", num, true);
	if (r->user_id > 0) {
		snprintf(num, sizeof num, "%lld", r->user_id);
		put_field(&b, "userId", num, true);
	} else {
		put_field(&b, "userId", NULL, true);
	}
	put_field(&b, "ip", r->ip, false);
	put_field(&b, "userAgent", r->user_agent, false);
	end_line(&b);
}
