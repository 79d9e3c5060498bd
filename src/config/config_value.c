/* Typed values of the settings table: parsing a row's text into its struct config field (with
 * range checks and URL normalisation), formatting it back for `crm config check`, and the
 * small URL helpers (host, loopback, redaction) that configuration needs. Problems are
 * described without the offending value when the row is a secret. */
#include "config/config_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/buf.h"

static void *field(const struct setting *s, struct config *c)
{
	return (char *)c + s->offset;
}

char **config_str_field(const struct setting *s, struct config *c)
{
	return field(s, c);
}

/* Integers are stored through memcpy by the field's size: struct config mixes int, long,
 * bool and int-sized enums, and this keeps one code path without type-punned pointers. */
static void store_int(const struct setting *s, struct config *c, long long v)
{
	if (s->size == sizeof(long)) {
		long x = (long)v;
		memcpy(field(s, c), &x, sizeof x);
	} else if (s->size == sizeof(bool)) {
		bool x = v != 0;
		memcpy(field(s, c), &x, sizeof x);
	} else {
		int x = (int)v;
		memcpy(field(s, c), &x, sizeof x);
	}
}

static long long load_int(const struct setting *s, const struct config *c)
{
	const char *f = (const char *)c + s->offset;
	if (s->size == sizeof(long)) {
		long x;
		memcpy(&x, f, sizeof x);
		return x;
	} else if (s->size == sizeof(bool)) {
		bool x;
		memcpy(&x, f, sizeof x);
		return x;
	}
	int x;
	memcpy(&x, f, sizeof x);
	return x;
}

static void set_str(const struct setting *s, struct config *c, char *v)
{
	char **f = config_str_field(s, c);
	free(*f);
	*f = v;
}

/* Decimal digits with an optional '-', nothing else (strtoll alone would accept blanks and
 * '+'). Returns the end of the digits, or NULL when there are none or on overflow. */
static const char *scan_ll(const char *t, long long *out)
{
	bool neg = *t == '-';
	const char *p = t + neg;
	long long v = 0;
	if (!isdigit((unsigned char)*p))
		return NULL;
	for (; isdigit((unsigned char)*p); p++) {
		int d = *p - '0';
		if (v > (LLONG_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	return p;
}

static void fmt_duration(long long secs, char *out, size_t n)
{
	static const struct {
		long long unit;
		char suffix;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}};
	for (size_t i = 0; secs && i < sizeof units / sizeof units[0]; i++)
		if (secs % units[i].unit == 0) {
			snprintf(out, n, "%lld%c", secs / units[i].unit, units[i].suffix);
			return;
		}
	snprintf(out, n, "%llds", secs);
}

static int parse_duration(const char *t, long long *out)
{
	long long v;
	const char *p = scan_ll(t, &v);
	long long mult = 1;
	if (!p || v < 0)
		return -1;
	switch (*p) {
	case '\0':
		break;
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -1;
	}
	if (*p && p[1])
		return -1;
	if (v > LLONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static bool host_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '.' || ch == '_';
}

/* Checks "http(s)://host[:port]<rest>" and returns a copy with scheme and host in lower case
 * (browsers send Origin that way, so CORS can compare bytes), or NULL with *problem set.
 * *rest points into t after the authority. */
static char *check_http(const char *t, const char **rest, const char **problem)
{
	size_t scheme_len;
	if (strncasecmp(t, "http://", 7) == 0)
		scheme_len = 7;
	else if (strncasecmp(t, "https://", 8) == 0)
		scheme_len = 8;
	else {
		*problem = "must start with http:// or https://";
		return NULL;
	}
	const char *a = t + scheme_len, *p = a;
	if (*p == '[') {
		while (*++p && (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
			;
		if (*p != ']') {
			*problem = "has an invalid IPv6 host";
			return NULL;
		}
		p++;
	} else {
		while (host_char(*p))
			p++;
	}
	if (p == a) {
		*problem = "has no host";
		return NULL;
	}
	if (*p == ':') {
		long long port;
		const char *e = scan_ll(p + 1, &port);
		if (!e || p[1] == '-' || port < 1 || port > 65535) {
			*problem = "has an invalid port";
			return NULL;
		}
		p = e;
	}
	if (*p == '@') {
		*problem = "must not contain credentials";
		return NULL;
	}
	if (*p && *p != '/' && *p != '?' && *p != '#') {
		*problem = "has an invalid host";
		return NULL;
	}
	*rest = p;
	char *out = xstrndup(t, (size_t)(p - t));
	for (char *q = out; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return out;
}

static char *parse_origin(const char *t, const char **problem)
{
	const char *rest;
	char *o = check_http(t, &rest, problem);
	if (!o)
		return NULL;
	rest += strspn(rest, "/");
	if (*rest) {
		*problem = "must be an origin http(s)://host[:port] without a path";
		free(o);
		return NULL;
	}
	return o;
}

static char *parse_url(const char *t, bool trim, const char **problem)
{
	const char *rest;
	char *o = check_http(t, &rest, problem);
	if (!o)
		return NULL;
	if (strpbrk(rest, "?# \t\r\n")) {
		*problem = "must be an absolute http(s) URL without query, fragment or blanks";
		free(o);
		return NULL;
	}
	size_t len = strlen(rest);
	while (trim && len && rest[len - 1] == '/')
		len--;
	char *u = xasprintf("%s%.*s", o, (int)len, rest);
	free(o);
	return u;
}

static char *parse_origins(const char *t, const char **problem)
{
	struct buf out = {0};
	const char *p = t;
	while (*p) {
		size_t len = strcspn(p, ",");
		char *item = xstrndup(p, len), *s = item, *e;
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s) {
			char *o = parse_origin(s, problem);
			if (!o) {
				free(item);
				buf_free(&out);
				return NULL;
			}
			if (out.len)
				buf_putc(&out, ',');
			buf_puts(&out, o);
			free(o);
		}
		free(item);
		p += len + (p[len] == ',');
	}
	return out.len ? buf_steal(&out) : NULL;
}

static int fail(const struct setting *s, const char *text, char *problem, size_t n,
		const char *what)
{
	if (s->flags & (F_SECRET | F_URL_PASSWORD))
		snprintf(problem, n, "%s", what);
	else
		snprintf(problem, n, "\"%s\" %s", text, what);
	return -1;
}

int config_parse_value(const struct setting *s, const char *text, struct config *c, char *problem,
		       size_t n)
{
	char what[160];
	const char *why = NULL;
	long long v;
	char *str;

	switch (s->type) {
	case T_STRING:
		set_str(s, c, xstrdup(text));
		return 0;
	case T_INT: {
		const char *e = scan_ll(text, &v);
		if (!e || *e)
			return fail(s, text, problem, n, "is not an integer");
		if (v < s->min || v > s->max) {
			snprintf(what, sizeof what, "is out of range %lld..%lld", s->min, s->max);
			return fail(s, text, problem, n, what);
		}
		store_int(s, c, v);
		return 0;
	}
	case T_DURATION: {
		char lo[32], hi[32];
		if (parse_duration(text, &v) < 0)
			return fail(s, text, problem, n,
				    "is not a duration (an integer followed by s, m, h or d)");
		if (v < s->min || v > s->max) {
			fmt_duration(s->min, lo, sizeof lo);
			fmt_duration(s->max, hi, sizeof hi);
			snprintf(what, sizeof what, "is out of range %s..%s", lo, hi);
			return fail(s, text, problem, n, what);
		}
		store_int(s, c, v);
		return 0;
	}
	case T_BOOL:
		if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
			store_int(s, c, 1);
		else if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
			store_int(s, c, 0);
		else
			return fail(s, text, problem, n, "is not a boolean (true, false, 1 or 0)");
		return 0;
	case T_ENUM: {
		struct buf list = {0};
		for (int i = 0; i < SETTING_MAX_NAMES && s->names[i]; i++) {
			if (strcasecmp(text, s->names[i]) == 0) {
				buf_free(&list);
				store_int(s, c, s->values[i]);
				return 0;
			}
			buf_printf(&list, "%s%s", i ? ", " : "", s->names[i]);
		}
		snprintf(what, sizeof what, "is not one of %s", list.data ? list.data : "");
		buf_free(&list);
		return fail(s, text, problem, n, what);
	}
	case T_ORIGIN:
		str = parse_origin(text, &why);
		break;
	case T_URL:
		str = parse_url(text, (s->flags & F_TRIM_SLASH) != 0, &why);
		break;
	case T_ORIGINS:
		str = parse_origins(text, &why);
		if (!str && !why)
			return 0; /* only commas and blanks: no extra origins */
		break;
	case T_URI: {
		struct buf list = {0};
		for (int i = 0; i < SETTING_MAX_NAMES && s->names[i]; i++) {
			if (strncasecmp(text, s->names[i], strlen(s->names[i])) == 0) {
				buf_free(&list);
				if (strpbrk(text, " \t\r\n"))
					return fail(s, text, problem, n, "must not contain blanks");
				set_str(s, c, xstrdup(text));
				return 0;
			}
			buf_printf(&list, "%s%s", i ? " or " : "", s->names[i]);
		}
		snprintf(what, sizeof what, "must start with %s", list.data ? list.data : "");
		buf_free(&list);
		return fail(s, text, problem, n, what);
	}
	default:
		return fail(s, text, problem, n, "has an unknown type");
	}
	if (!str)
		return fail(s, text, problem, n, why);
	set_str(s, c, str);
	return 0;
}

char *config_format_value(const struct setting *s, const struct config *c)
{
	char tmp[32];
	long long v;
	switch (s->type) {
	case T_INT:
		return xasprintf("%lld", load_int(s, c));
	case T_DURATION:
		fmt_duration(load_int(s, c), tmp, sizeof tmp);
		return xstrdup(tmp);
	case T_BOOL:
		return xstrdup(load_int(s, c) ? "true" : "false");
	case T_ENUM:
		v = load_int(s, c);
		for (int i = 0; i < SETTING_MAX_NAMES && s->names[i]; i++)
			if (s->values[i] == v)
				return xstrdup(s->names[i]);
		return xasprintf("%lld", v);
	default: {
		const char *str = *config_str_field(s, (struct config *)c);
		if (!str)
			return NULL;
		if (s->flags & F_SECRET)
			return xstrdup("****");
		if (s->flags & F_URL_PASSWORD)
			return config_redacted_url(str);
		return xstrdup(str);
	}
	}
}

/* The authority of url: *a at its start (after "scheme://"), returns its length. -1 when url
 * has no scheme. */
static long authority(const char *url, const char **a)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return -1;
	*a = sep + 3;
	return (long)strcspn(*a, "/?#");
}

char *config_url_host(const char *url)
{
	const char *a;
	long len = authority(url ? url : "", &a);
	if (len < 0)
		return NULL;
	const char *end = a + len, *at = NULL;
	for (const char *p = a; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		a = at + 1;
	if (*a == '[') {
		const char *close = memchr(a, ']', (size_t)(end - a));
		return close ? xstrndup(a + 1, (size_t)(close - a - 1)) : NULL;
	}
	const char *colon = memchr(a, ':', (size_t)(end - a));
	return xstrndup(a, (size_t)((colon ? colon : end) - a));
}

int config_host_is_loopback(const char *host)
{
	unsigned char addr[16];
	size_t len = host ? strlen(host) : 0;
	if (!len)
		return 0;
	if (strcasecmp(host, "localhost") == 0 ||
	    (len > 10 && strcasecmp(host + len - 10, ".localhost") == 0))
		return 1;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	if (inet_pton(AF_INET6, host, addr) == 1) {
		static const unsigned char one[16] = {[15] = 1};
		return memcmp(addr, one, sizeof one) == 0;
	}
	return 0;
}

char *config_redacted_url(const char *url)
{
	if (!url)
		return NULL;
	struct buf out = {0};
	const char *a, *p = url;
	long len = authority(url, &a);
	if (len > 0) {
		const char *end = a + len, *at = NULL, *colon;
		for (const char *q = a; q < end; q++)
			if (*q == '@')
				at = q;
		colon = at ? memchr(a, ':', (size_t)(at - a)) : NULL;
		if (colon && colon + 1 < at) {
			buf_append(&out, url, (size_t)(colon + 1 - url));
			buf_puts(&out, "****");
			p = at;
		}
	}
	/* libpq also accepts the password as a query parameter. */
	const char *query = strchr(p, '?');
	if (query) {
		buf_append(&out, p, (size_t)(query - p));
		p = query;
		while (*p) {
			size_t seg = strcspn(p + 1, "&#") + 1;
			if (strncasecmp(p + 1, "password=", 9) == 0) {
				buf_append(&out, p, 10);
				buf_puts(&out, "****");
			} else {
				buf_append(&out, p, seg);
			}
			p += seg;
			if (*p == '#')
				break;
		}
	}
	buf_puts(&out, p);
	return buf_steal(&out);
}
