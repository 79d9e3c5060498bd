/* The request pipeline (SPEC §1.6): request ids, framing checks, CORS, routing, body rules,
 * JSON parsing and the shared query checks, then the handler. No libmicrohttpd types here. */
#include "http/pipeline.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "config/config.h"
#include "http/auth.h"
#include "http/query.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "util/alloc.h"

#define MAX_TARGET 8192
#define MAX_HEADERS (32 * 1024)
#define MAX_HEADER_COUNT 100 /* like Apache's LimitRequestFields */
#define MAX_JSON_DEPTH 16

static char **allowed_origins;
static int nallowed;
static bool https_base;
static bool dev_mode;
static long max_body;

static const char CSP[] =
	"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
static const char EXPOSE[] = "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, "
			     "RateLimit-Reset, Retry-After, Location, Content-Disposition";

/* The origin (scheme://host[:port]) of an absolute URL, as a new string. */
static char *origin_of(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return xstrdup(url);
	const char *slash = strchr(p + 3, '/');
	return slash ? xstrndup(url, (size_t)(slash - url)) : xstrdup(url);
}

static void add_origin(char *o)
{
	for (int i = 0; i < nallowed; i++)
		if (strcmp(allowed_origins[i], o) == 0) {
			free(o);
			return;
		}
	allowed_origins = xrealloc(allowed_origins, sizeof *allowed_origins * (size_t)(nallowed + 1));
	allowed_origins[nallowed++] = o;
}

void pipeline_init(const struct app *app)
{
	const struct config *c = app->cfg;
	router_init();
	add_origin(origin_of(c->frontend_url));
	add_origin(origin_of(c->base_url));
	if (c->cors_origins) {
		const char *p = c->cors_origins;
		while (*p) {
			const char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			while (len && isspace((unsigned char)*p))
				p++, len--;
			while (len && isspace((unsigned char)p[len - 1]))
				len--;
			if (len)
				add_origin(xstrndup(p, len));
			p = end ? end + 1 : p + strlen(p);
		}
	}
	https_base = strncmp(c->base_url, "https://", 8) == 0;
	dev_mode = c->env == ENV_DEVELOPMENT;
	max_body = c->max_body_bytes;
}

void pipeline_free(void)
{
	for (int i = 0; i < nallowed; i++)
		free(allowed_origins[i]);
	free(allowed_origins);
	allowed_origins = NULL;
	nallowed = 0;
}

bool pipeline_origin_allowed(const char *o)
{
	if (!o || strcmp(o, "null") == 0)
		return false;
	for (int i = 0; i < nallowed; i++)
		if (strcmp(allowed_origins[i], o) == 0)
			return true;
	return false;
}

static bool valid_request_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 8 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-')
			return false;
	}
	return true;
}

/* A random (version 4) UUID into out. The bytes come from a per-thread block filled by
 * libsodium 256 ids at a time: one getrandom call per request cost as much as the rest of
 * /health. */
static void new_uuid(char out[37])
{
	static __thread unsigned char pool[16 * 256];
	static __thread size_t used = sizeof pool;
	if (used == sizeof pool) {
		randombytes_buf(pool, sizeof pool);
		used = 0;
	}
	unsigned char *b = pool + used;
	used += 16;
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	char hex[33];
	sodium_bin2hex(hex, sizeof hex, b, 16);
	static const int groups[] = {8, 4, 4, 4, 12};
	const char *h = hex;
	char *p = out;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		if (i > 0)
			*p++ = '-';
		memcpy(p, h, (size_t)groups[i]);
		p += groups[i];
		h += groups[i];
	}
	*p = '\0';
}

/* Splits and decodes the path into req->segments. False when a segment is not decodable. */
static bool split_path(struct request *req)
{
	const char *q = strchr(req->target, '?');
	size_t plen = q ? (size_t)(q - req->target) : strlen(req->target);
	req->path = xstrndup(req->target, plen);
	const char *p = req->path;
	if (*p != '/')
		return false;
	while (*p == '/') {
		p++;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *seg = router_decode_segment(p, len);
		if (!seg)
			return false;
		req->segments = xrealloc(req->segments, sizeof *req->segments *
								(size_t)(req->nsegments + 1));
		req->segments[req->nsegments++] = seg;
		p += len;
	}
	return true;
}

/* Does the Accept header admit JSON (or CSV where csv is true)? Absent admits everything. */
static bool accept_ok(const char *accept, bool csv)
{
	if (!accept)
		return true;
	const char *p = accept;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",;");
		char type[128];
		size_t n = len < sizeof type - 1 ? len : sizeof type - 1;
		memcpy(type, p, n);
		while (n && type[n - 1] == ' ')
			n--;
		type[n] = '\0';
		/* a q=0 parameter excludes the type; look for it before the next ',' */
		const char *next = strchr(p, ',');
		size_t span = next ? (size_t)(next - p) : strlen(p);
		char params[256];
		size_t pn = span < sizeof params - 1 ? span : sizeof params - 1;
		memcpy(params, p, pn);
		params[pn] = '\0';
		bool zero = strstr(params, "q=0") && !strstr(params, "q=0.");
		if (!zero && (strcasecmp(type, "application/json") == 0 ||
			      strcasecmp(type, "application/*") == 0 || strcmp(type, "*/*") == 0 ||
			      (csv && strcasecmp(type, "text/csv") == 0)))
			return true;
		p += span;
	}
	return false;
}

bool pipeline_head(struct request *req)
{
	const char *rid = http_header(req, "X-Request-Id");
	if (rid && valid_request_id(rid))
		memcpy(req->request_id, rid, strlen(rid) + 1); /* at most 64 bytes */
	else
		new_uuid(req->request_id);

	const char *origin = http_header(req, "Origin");
	if (pipeline_origin_allowed(origin))
		req->origin = origin;

	/* 1. Framing. */
	if (strlen(req->target) > MAX_TARGET) {
		reply_error(req, ERR_URI_TOO_LONG, NULL, NULL);
		return true;
	}
	if (req->header_bytes > MAX_HEADERS || req->header_count > MAX_HEADER_COUNT) {
		reply_error(req, ERR_HEADERS_TOO_LARGE, NULL, NULL);
		return true;
	}
	if (req->framing_conflict) {
		reply_error(req, ERR_MALFORMED_JSON, NULL, "The request framing is ambiguous.");
		req->resp.close = true;
		return true;
	}

	/* 2. CORS preflight. */
	if (req->method == HTTP_OPTIONS && http_header(req, "Access-Control-Request-Method")) {
		if (!req->origin) {
			reply_error(req, ERR_ORIGIN_NOT_ALLOWED, NULL, NULL);
			return true;
		}
		reply_empty(req, 204);
		reply_header(req, "Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, DELETE");
		reply_header(req, "Access-Control-Allow-Headers",
			     "Authorization, Content-Type, X-Request-Id");
		reply_header(req, "Access-Control-Max-Age", "600");
		return true;
	}

	/* 3. Route lookup. */
	if (!split_path(req)) {
		reply_invalid(req, "path", "invalid_characters");
		return true;
	}
	char allow[128];
	const char *bad = NULL;
	enum route_result rr = router_match(req->method, req->segments, req->nsegments, dev_mode,
					    &req->route, req->params, allow, sizeof allow, &bad);
	if (rr == ROUTE_NOT_FOUND) {
		reply_error(req, ERR_NOT_FOUND, NULL, NULL);
		return true;
	}
	if (rr == ROUTE_METHOD_NOT_ALLOWED) {
		reply_error(req, ERR_METHOD_NOT_ALLOWED, NULL, NULL);
		reply_header(req, "Allow", allow);
		return true;
	}
	if (rr == ROUTE_BAD_PARAM) {
		reply_invalid(req, bad, "invalid_format");
		return true;
	}
	bool csv = strstr(req->route->pattern, ".csv") || strstr(req->route->pattern, "export-contacts");
	if (!accept_ok(http_header(req, "Accept"), csv)) {
		reply_error(req, ERR_NOT_ACCEPTABLE, NULL, NULL);
		return true;
	}

	/* 4. Body length. */
	long limit = req->route->body_limit ? req->route->body_limit : max_body;
	if (req->content_length > limit) {
		/* Answered at once; the server then drains what the client still sends before
		 * closing (a lingering close), so the client is not reset before it reads this. */
		reply_error(req, ERR_PAYLOAD_TOO_LARGE, NULL, NULL);
		req->resp.close = true;
		req->linger = true;
		return true;
	}
	return false;
}

/* Deepest nesting of arrays/objects in v (1 for a flat object). */
static int json_depth(const json_t *v)
{
	int max = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *e;
		json_object_foreach((json_t *)v, k, e) {
			int d = json_depth(e);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			int d = json_depth(e);
			if (d > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}

/* Is the Content-Type application/json with no charset or charset=utf-8? */
static bool content_type_json(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t len = strcspn(ct, ";");
	size_t n = len;
	while (n && ct[n - 1] == ' ')
		n--;
	if (n != 16 || strncasecmp(ct, "application/json", 16) != 0)
		return false;
	const char *p = ct + len;
	while (*p == ';') {
		p++;
		while (*p == ' ')
			p++;
		size_t plen = strcspn(p, ";");
		char param[64];
		size_t pn = plen < sizeof param - 1 ? plen : sizeof param - 1;
		memcpy(param, p, pn);
		while (pn && param[pn - 1] == ' ')
			pn--;
		param[pn] = '\0';
		if (pn == 0) {
			p += plen;
			continue;
		}
		if (strcasecmp(param, "charset=utf-8") != 0 && strcasecmp(param, "charset=\"utf-8\"") != 0)
			return false;
		p += plen;
	}
	return true;
}

/* Step 8 for routes with a JSON body: 415, then malformed_json. True when a reply is set. */
static bool parse_body(struct request *req)
{
	const struct route *r = req->route;
	if (req->body.len == 0)
		return false;
	bool takes_body = r->method == HTTP_POST || r->method == HTTP_PATCH ||
			  (r->method == HTTP_DELETE &&
			   (r->flags & (RF_BODY_ON_DELETE | RF_COMPAT)));
	if (!takes_body) {
		reply_invalid(req, "body", "not_allowed");
		return true;
	}
	if (r->flags & RF_ANY_BODY_TYPE)
		return false; /* the handler verifies raw bytes itself */
	if (!content_type_json(http_header(req, "Content-Type"))) {
		reply_error(req, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		return true;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc || !json_is_object(doc) || json_depth(doc) > MAX_JSON_DEPTH) {
		json_decref(doc);
		reply_error(req, ERR_MALFORMED_JSON, NULL, NULL);
		return true;
	}
	req->json = doc;
	return false;
}

void pipeline_body(struct request *req)
{
	const struct route *r = req->route;
	if (req->body_too_large) {
		reply_error(req, ERR_PAYLOAD_TOO_LARGE, NULL, NULL);
		req->resp.close = true;
		return;
	}
	/* Step 8 runs before 5–7 on the routes whose limits or CSRF check read the body. */
	bool body_first = r->flags & RF_BODY_FIRST;
	if (body_first && parse_body(req))
		return;
	/* Step 9's parse of the query, answered there: a route whose page is read with the
	 * session check (RF_READS_PAGE) plans it from the query at step 5. */
	const char *bad = NULL;
	bool query_parsed = query_parse(req, &bad);
	/* Step 5: credentials (remembered, not yet answered). */
	if (r->auth != AUTH_NONE)
		auth_check(req, query_parsed);
	/* Step 6: rate limiting (§4). Step 7: authentication and CSRF. */
	if (ratelimit_refuse(req))
		return;
	if (r->auth == AUTH_REQUIRED) {
		if (auth_refuse(req))
			return;
		if (req->via_cookie && csrf_refuse(req))
			return;
	}
	if (!body_first && parse_body(req))
		return;
	/* Step 9: the query rules every route shares. */
	json_t *details = NULL;
	if (!query_parsed) {
		if (r->flags & RF_BROWSER) {
			/* Browser-facing routes redirect instead of answering JSON (§1.1): the
			 * handler sees the query as unusable and treats it as bad input. */
			req->query_too_many = true;
			r->handler(req);
			return;
		}
		details_add(&details, bad, "invalid_characters");
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	if (!query_check(req, r->query, r->flags & RF_LOOSE_QUERY, &details)) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	r->handler(req);
}

const char *pipeline_route_label(const struct request *req)
{
	return req->route ? req->route->pattern : "unmatched";
}

const struct http_fixed_header pipeline_fixed_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy", CSP},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {NULL, NULL},
};

bool pipeline_fixed_header(const char *name)
{
	for (const struct http_fixed_header *h = pipeline_fixed_headers; h->name; h++)
		if (strcasecmp(h->name, name) == 0)
			return true;
	return false;
}

void pipeline_finish_headers(struct request *req)
{
	bool has_cache = false;
	for (size_t i = 0; i < req->resp.nheaders; i++)
		has_cache |= strcasecmp(req->resp.headers[i].name, "Cache-Control") == 0;
	if (!has_cache)
		reply_header(req, "Cache-Control", "no-store");
	reply_header(req, "X-Request-Id", req->request_id);
	reply_header(req, "Vary", "Origin");
	ratelimit_headers(req);
	if (https_base)
		reply_header(req, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
	/* A preflight refused for its origin gets no CORS headers; so does any disallowed one. */
	if (req->origin) {
		reply_header(req, "Access-Control-Allow-Origin", req->origin);
		reply_header(req, "Access-Control-Allow-Credentials", "true");
		reply_header(req, "Access-Control-Expose-Headers", EXPOSE);
	}
}

bool pipeline_secure_cookies(void)
{
	return https_base;
}
