/* Query-string parsing and the shared parameter checks (see query.h). */
#include "http/query.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/utf8.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form decoding: '+' is a space, %XX a byte. NULL when malformed or not clean UTF-8 text. */
static char *form_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int h = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int l = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (h < 0 || l < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (!utf8_valid(out, o) || utf8_has_controls(out, o, false)) {
		free(out);
		return NULL;
	}
	return out;
}

bool query_parse(struct request *req, const char **bad)
{
	const char *q = strchr(req->target, '?');
	if (!q)
		return true;
	q++;
	while (*q) {
		const char *end = strchr(q, '&');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		if (len) {
			const char *eq = memchr(q, '=', len);
			size_t nlen = eq ? (size_t)(eq - q) : len;
			char *name = form_decode(q, nlen);
			char *value = eq ? form_decode(eq + 1, len - nlen - 1) : xstrdup("");
			if (!name || !value) {
				static __thread char badname[128];
				snprintf(badname, sizeof badname, "%s", name ? name : "query");
				*bad = badname;
				free(name);
				free(value);
				return false;
			}
			if (req->nquery >= HTTP_MAX_QUERY) {
				req->query_too_many = true;
				free(name);
				free(value);
			} else {
				/* Allocated here, not inside struct request: a request without a
				 * query then stays small enough for malloc's per-thread cache. */
				if (!req->query)
					req->query = xcalloc(HTTP_MAX_QUERY, sizeof *req->query);
				req->query[req->nquery].name = name;
				req->query[req->nquery].value = value;
				req->nquery++;
			}
		}
		q += len;
		if (*q == '&')
			q++;
	}
	return true;
}

void query_free(struct request *req)
{
	for (int i = 0; i < req->nquery; i++) {
		free(req->query[i].name);
		free(req->query[i].value);
	}
	free(req->query);
	req->query = NULL;
	req->nquery = 0;
}

/* Finds name in the comma-separated allowed list; *repeatable set from a trailing '*'. */
static bool allowed_has(const char *allowed, const char *name, bool *repeatable)
{
	if (!allowed)
		return false;
	size_t n = strlen(name);
	const char *p = allowed;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool rep = len && p[len - 1] == '*';
		size_t base = rep ? len - 1 : len;
		if (base == n && memcmp(p, name, n) == 0) {
			*repeatable = rep;
			return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

bool query_check(struct request *req, const char *allowed, bool loose, json_t **details)
{
	bool ok = true;
	if (req->query_too_many) {
		details_add(details, "query", "too_many");
		ok = false;
	}
	for (int i = 0; i < req->nquery; i++) {
		const char *name = req->query[i].name;
		bool repeatable = false;
		bool known = allowed_has(allowed, name, &repeatable);
		if (!known) {
			if (loose)
				continue;
			bool seen = false;
			for (int j = 0; j < i; j++)
				seen |= strcmp(req->query[j].name, name) == 0;
			if (!seen)
				details_add(details, name, "unknown_field");
			ok = false;
			continue;
		}
		if (repeatable)
			continue;
		int first = -1;
		for (int j = 0; j < req->nquery; j++)
			if (strcmp(req->query[j].name, name) == 0) {
				first = j;
				break;
			}
		if (first != i) {
			/* report a duplicate once, at its second occurrence */
			int count = 0;
			for (int j = 0; j <= i; j++)
				count += strcmp(req->query[j].name, name) == 0;
			if (count == 2)
				details_add(details, name, "duplicate");
			ok = false;
		}
	}
	return ok;
}

int query_count(struct request *req, const char *name)
{
	int n = 0;
	for (int i = 0; i < req->nquery; i++)
		n += strcmp(req->query[i].name, name) == 0;
	return n;
}

const char *query_nth(struct request *req, const char *name, int k)
{
	for (int i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0 && k-- == 0)
			return req->query[i].value;
	return NULL;
}

const char *http_query(struct request *req, const char *name)
{
	return query_nth(req, name, 0);
}
