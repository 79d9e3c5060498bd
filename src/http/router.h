/* The declarative route table and the router that matches decoded path segments against it.
 * Patterns are written like "/api/v1/contacts/{id:id}/tags/{tagName}"; a literal segment wins
 * over a parameter; `:id` parameters must be positive 64-bit decimal ids (else 400). */
#ifndef CRM_HTTP_ROUTER_H
#define CRM_HTTP_ROUTER_H

#include <stdbool.h>

#include "http/http.h"

enum auth_level {
	AUTH_NONE,     /* public: credentials are not looked at */
	AUTH_OPTIONAL, /* credentials read when present */
	AUTH_REQUIRED, /* 401 without a valid session */
};

enum rate_class {
	RL_GENERAL, /* the general bucket only */
	RL_EXEMPT,  /* health, ready, metrics, webhook */
	RL_LOGIN,
	RL_REGISTER,
	RL_FORGOT,
	RL_RESEND,
	RL_EXPORT,
};

enum route_flags {
	RF_NO_HEAD = 1 << 0,      /* GET route with side effects: HEAD → 405 */
	RF_COMPAT = 1 << 1,       /* v1 compatibility route: case-insensitive, one trailing '/' */
	RF_ANY_BODY_TYPE = 1 << 2, /* raw body of any Content-Type (Stripe webhook) */
	RF_BODY_ON_DELETE = 1 << 3, /* resource DELETE that takes a JSON body (DELETE /me) */
	RF_LOOSE_QUERY = 1 << 4,  /* unknown query parameters are ignored */
	RF_BODY_FIRST = 1 << 5,   /* parse the body before rate limiting and auth (§1.6) */
	RF_DEV_ONLY = 1 << 6,     /* exists only in development */
	RF_BROWSER = 1 << 7,      /* browser-facing: errors redirect instead of JSON */
	/* The answer is the contact of params[0]: the session check reads it in the same
	 * round trip (request.contact_read). Only for routes without side effects. */
	RF_READS_CONTACT = 1 << 8,
	/* The answer is a page of contacts planned from the query: the session check reads it in
	 * the same round trip where the store can (request.contacts_page). */
	RF_READS_PAGE = 1 << 9,
};

struct route {
	enum http_method method;
	const char *pattern;
	handler_fn handler;
	enum auth_level auth;
	long body_limit; /* 0: MAX_BODY_BYTES */
	enum rate_class rate;
	unsigned flags;
	/* Allowed query parameters, comma-separated; a trailing '*' marks a repeatable one
	 * ("tag*,match,limit"). NULL: none allowed. */
	const char *query;
	/* Precomputed by router_init. */
	int nsegs;
	char **segs;
	int group; /* routes with the same pattern share a group */
};

enum route_result {
	ROUTE_FOUND,
	ROUTE_NOT_FOUND,
	ROUTE_METHOD_NOT_ALLOWED, /* *allow set */
	ROUTE_BAD_PARAM,          /* *bad_param names the parameter */
};

extern struct route routes[];
extern const int routes_count;

/* Splits the patterns once; call before the first match. */
void router_init(void);

/* Matches method and decoded segments. On ROUTE_FOUND sets *out and fills params (pointers
 * into segs). On 405 writes the Allow value into allow (size allow_len). On ROUTE_BAD_PARAM
 * sets *bad_param to the parameter's name and *out to the route. dev: whether development-only routes exist. */
enum route_result router_match(enum http_method method, char **segs, int nsegs, bool dev,
			       const struct route **out, const char *params[HTTP_MAX_PARAMS],
			       char *allow, size_t allow_len, const char **bad_param);

/* Percent-decodes one path segment (exactly once; '+' is literal). Returns a new string
 * (caller frees) or NULL when an escape is malformed, or the result is invalid UTF-8 or holds
 * a control character. */
char *router_decode_segment(const char *s, size_t len);

/* True when s is a canonical positive 64-bit id (^[1-9][0-9]{0,18}$, ≤ INT64_MAX). */
bool parse_id(const char *s, long long *out);

const char *http_method_name(enum http_method m);
enum http_method http_method_from(const char *name);

#endif
