/* Route matching over decoded path segments (see router.h). The routes of the request's
 * segment count are scanned in table order and ranked (literal beats parameter, segment by
 * segment); groups of routes sharing a pattern give 405's Allow list. */
#include "http/router.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/utf8.h"

static const struct {
	enum http_method m;
	const char *name;
} method_names[] = {
	{HTTP_GET, "GET"},       {HTTP_HEAD, "HEAD"},       {HTTP_POST, "POST"},
	{HTTP_PATCH, "PATCH"},   {HTTP_DELETE, "DELETE"},   {HTTP_OPTIONS, "OPTIONS"},
	{HTTP_PUT, "PUT"},
};

const char *http_method_name(enum http_method m)
{
	for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
		if (method_names[i].m == m)
			return method_names[i].name;
	return "OTHER";
}

enum http_method http_method_from(const char *name)
{
	for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
		if (strcmp(method_names[i].name, name) == 0)
			return method_names[i].m;
	return HTTP_OTHER;
}

static char **split_pattern(const char *pattern, int *n)
{
	char **segs = NULL;
	int count = 0;
	const char *p = pattern;
	while (*p == '/') {
		p++;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		segs = xrealloc(segs, sizeof *segs * (size_t)(count + 1));
		segs[count++] = xstrndup(p, len);
		p += len;
	}
	*n = count;
	return segs;
}

/* The routes a request of n segments can match, in table order: those of n segments and the
 * compatibility routes of n - 1 (a tolerated trailing slash). A request then compares its
 * segments with a few patterns instead of the whole table. */
#define ROUTER_MAX_SEGS 16
static int *candidates[ROUTER_MAX_SEGS + 1];
static int ncandidates[ROUTER_MAX_SEGS + 1];

static void add_candidate(int n, int route)
{
	if (n > ROUTER_MAX_SEGS)
		abort(); /* a pattern longer than any the table has */
	size_t size = sizeof *candidates[n] * (size_t)(ncandidates[n] + 1);
	candidates[n] = xrealloc(candidates[n], size);
	candidates[n][ncandidates[n]++] = route;
}

void router_init(void)
{
	static bool indexed;
	for (int i = 0; i < routes_count; i++) {
		if (routes[i].segs)
			continue;
		routes[i].segs = split_pattern(routes[i].pattern, &routes[i].nsegs);
		routes[i].group = i;
		for (int j = 0; j < i; j++)
			if (strcmp(routes[j].pattern, routes[i].pattern) == 0) {
				routes[i].group = routes[j].group;
				break;
			}
	}
	if (indexed)
		return;
	indexed = true;
	for (int i = 0; i < routes_count; i++) {
		add_candidate(routes[i].nsegs, i);
		if (routes[i].flags & RF_COMPAT)
			add_candidate(routes[i].nsegs + 1, i);
	}
}

static bool is_param(const char *seg)
{
	return seg[0] == '{';
}

/* Writes the parameter name of "{name:type}" into out. */
static void param_name(const char *seg, char *out, size_t n)
{
	size_t len = strcspn(seg + 1, ":}");
	if (len >= n)
		len = n - 1;
	memcpy(out, seg + 1, len);
	out[len] = '\0';
}

static bool param_is_id(const char *seg)
{
	return strstr(seg, ":id}") != NULL;
}

/* Does route r's pattern match segs? Sets *rank to a bitmask where a literal segment near the
 * start weighs more than any combination after it. */
static bool pattern_matches(const struct route *r, char **segs, int nsegs, unsigned long long *rank)
{
	bool compat = r->flags & RF_COMPAT;
	if (compat && nsegs == r->nsegs + 1 && segs[nsegs - 1][0] == '\0')
		nsegs--; /* one tolerated trailing slash */
	if (nsegs != r->nsegs)
		return false;
	/* From the last segment: patterns mostly differ there, and all begin with /api/v1. */
	unsigned long long score = 0;
	for (int i = nsegs - 1; i >= 0; i--) {
		const char *p = r->segs[i];
		if (is_param(p)) {
			if (segs[i][0] == '\0')
				return false;
			continue;
		}
		if (compat ? strcasecmp(p, segs[i]) != 0 : strcmp(p, segs[i]) != 0)
			return false;
		score |= 1ULL << (nsegs - 1 - i);
	}
	*rank = score;
	return true;
}

bool parse_id(const char *s, long long *out)
{
	size_t len = strlen(s);
	if (len < 1 || len > 19 || s[0] < '1' || s[0] > '9')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return false;
	if (out)
		*out = v;
	return true;
}

static void allow_add(char *allow, size_t n, const char *name)
{
	if (strstr(allow, name))
		return;
	size_t len = strlen(allow);
	snprintf(allow + len, n - len, "%s%s", len ? ", " : "", name);
}

enum route_result router_match(enum http_method method, char **segs, int nsegs, bool dev,
			       const struct route **out, const char *params[HTTP_MAX_PARAMS],
			       char *allow, size_t allow_len, const char **bad_param)
{
	int best = -1;
	unsigned long long best_rank = 0;
	int ncand = nsegs >= 0 && nsegs <= ROUTER_MAX_SEGS ? ncandidates[nsegs] : 0;
	for (int k = 0; k < ncand; k++) {
		int i = candidates[nsegs][k];
		const struct route *r = &routes[i];
		if ((r->flags & RF_DEV_ONLY) && !dev)
			continue;
		unsigned long long rank;
		if (!pattern_matches(r, segs, nsegs, &rank))
			continue;
		if (best < 0 || rank > best_rank) {
			best = i;
			best_rank = rank;
		}
	}
	if (best < 0)
		return ROUTE_NOT_FOUND;

	int group = routes[best].group;
	const struct route *found = NULL;
	allow[0] = '\0';
	/* a group starts at its first route */
	for (int i = group; i < routes_count && !found; i++) {
		const struct route *r = &routes[i];
		if (r->group == group &&
		    (r->method == method || (method == HTTP_HEAD && r->method == HTTP_GET &&
					     !(r->flags & RF_NO_HEAD))))
			found = r;
	}
	if (!found) {
		for (int i = group; i < routes_count; i++) {
			const struct route *r = &routes[i];
			if (r->group != group)
				continue;
			allow_add(allow, allow_len, http_method_name(r->method));
			if (r->method == HTTP_GET && !(r->flags & RF_NO_HEAD))
				allow_add(allow, allow_len, "HEAD");
		}
		return ROUTE_METHOD_NOT_ALLOWED;
	}

	int np = 0;
	for (int i = 0; i < found->nsegs; i++) {
		if (!is_param(found->segs[i]))
			continue;
		if (param_is_id(found->segs[i]) && !parse_id(segs[i], NULL)) {
			static __thread char name[64];
			param_name(found->segs[i], name, sizeof name);
			*bad_param = name;
			*out = found; /* so the 400 is answered as this route's (§15.1 status) */
			return ROUTE_BAD_PARAM;
		}
		if (np < HTTP_MAX_PARAMS)
			params[np++] = segs[i];
	}
	*out = found;
	return ROUTE_FOUND;
}

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

char *router_decode_segment(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
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
