/* The request/response model that handlers see. Only http/server.c knows libmicrohttpd; the
 * rest of the program speaks in these types. A request owns all its memory and frees it when
 * the connection reports completion, whatever path the handler took. */
#ifndef CRM_HTTP_H
#define CRM_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors/errors.h"
#include "util/buf.h"
#include "util/fields.h"

struct app;
struct route;

enum http_method {
	HTTP_OTHER = 0,
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PATCH = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_OPTIONS = 1 << 5,
	HTTP_PUT = 1 << 6,
};

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_QUERY 64

struct query_param {
	char *name;  /* decoded */
	char *value; /* decoded; "" when written without '=' */
};

struct resp_header {
	char *name, *value;
};

/* A streamed body: next() writes the next piece into out (append) and returns 1 while more
 * follows, 0 at the end, < 0 to abort the connection. It runs on the connection's polling
 * thread whenever the client can take more, so each call must be short (one store read). */
struct stream {
	int (*next)(void *ctx, struct buf *out);
	void (*free)(void *ctx);
	void *ctx;
};

/* What a handler answers. Exactly one reply_* call fills it. */
struct response {
	int status;
	char *content_type; /* NULL: no body (204, redirects) */
	struct buf body;
	struct resp_header *headers;
	size_t nheaders;
	bool close; /* ask the server to close the connection after answering */
	struct stream stream; /* set by reply_stream: the body is produced piece by piece */
	bool set;   /* a reply was produced */
};

struct request {
	struct app *app;
	void *conn; /* the server's connection handle; opaque outside server.c */
	char request_id[72];
	enum http_method method;
	const char *method_name;
	char *target;      /* raw request target as received (path and query) */
	char *path;        /* raw path, undecoded */
	char **segments;   /* decoded path segments after the leading '/' */
	int nsegments;
	struct query_param *query; /* room for HTTP_MAX_QUERY, allocated by the first one */
	int nquery;
	bool query_too_many;
	const struct route *route;
	const char *params[HTTP_MAX_PARAMS]; /* decoded values of the route's {params} */
	char ip[64];                         /* client address (§4), normalised */
	const char *origin;                  /* Origin header when it is allowed for CORS */
	struct buf body;                     /* raw body bytes */
	bool has_body;
	json_t *json; /* parsed body object (owned), or NULL */
	long long user_id; /* authenticated user, 0 = none */
	long long session_id;
	long long session_created_at;
	enum err_code auth_err; /* outcome of the credential check (ERR_NONE when authenticated) */
	bool token_presented;   /* a credential was sent (for WWW-Authenticate's error=) */
	bool via_cookie;        /* the access token came from the accessToken cookie */
	bool admin;
	bool premium; /* the plan read with the session (§5): no second query per request */
	/* RF_READS_CONTACT: the contact read with the session check, once the session proved to
	 * be the user's (else NULL); freed with the request. */
	struct contact_read *contact_read;
	/* RF_READS_PAGE: the page planned from the query and read with the session check, once
	 * the session proved to be the user's (else NULL); freed with the request. */
	struct contacts_page *contacts_page;

	/* Handler state carried into a deferred job; ctx_free releases it at completion. */
	void *ctx;
	void (*ctx_free)(void *ctx);
	double started;    /* monotonic seconds */
	struct response resp;

	/* Framing facts measured by the server before the pipeline runs. */
	size_t header_bytes;
	int header_count;
	bool framing_conflict;     /* Content-Length with Transfer-Encoding, or two lengths */
	long long content_length;  /* declared, or -1 */
	bool body_too_large;
	bool linger; /* drain the socket after answering (early 413) */

	/* Step 6 (§4): the bucket with the fewest remaining requests, for the RateLimit headers
	 * that pipeline_finish_headers adds to whatever reply is produced later. */
	bool rl_applied;
	long rl_limit, rl_remaining, rl_reset;

	/* Deferred work (see http_defer): run on the job pool off the polling thread. */
	void (*job)(struct request *req);
	int phase;
};

/* Header lookup (case-insensitive name); NULL when absent. The value lives as long as req. */
const char *http_header(struct request *req, const char *name);
/* Number of request headers called name. */
int http_header_count(struct request *req, const char *name);
/* Cookie value by name from the Cookie header(s); NULL when absent. Valid as long as req. */
const char *http_cookie(struct request *req, const char *name);

/* The value of query parameter name, or NULL. */
const char *http_query(struct request *req, const char *name);

/* Moves blocking work off the polling thread: the connection is suspended, job(req) runs on
 * the job pool and must produce the reply; then the connection is resumed and answered.
 * A handler that calls this returns right away without replying. */
void http_defer(struct request *req, void (*job)(struct request *req));

/* Handler signature: reply exactly once through reply_* (or http_defer). */
typedef void (*handler_fn)(struct request *req);

/* ---- replies (reply.c) ---- */

/* Success envelope {"data": data, "message"?}; takes ownership of data (may be NULL → null). */
void reply_data_steal(struct request *req, int status, json_t *data, const char *message);
/* Any JSON document as the body, not wrapped; takes ownership of doc. */
void reply_json_steal(struct request *req, int status, json_t *doc);
/* A JSON document already written as text (a page of contacts) as the body; takes the contents
 * of text, which is left empty. Not for compatibility routes (their bodies carry "status"). */
void reply_json_text_steal(struct request *req, int status, struct buf *text);
/* Error envelope from the registry; details (array of {field, reason}) stolen, may be NULL;
 * message NULL uses the registry's default. */
void reply_error(struct request *req, enum err_code code, json_t *details, const char *message);
/* Shorthand for a validation error naming one field and reason. */
void reply_invalid(struct request *req, const char *field, const char *reason);
/* A body that is not JSON (text, CSV); copies the bytes. */
void reply_text(struct request *req, int status, const char *content_type, const char *text,
		size_t len);
/* A streamed body (chunked transfer encoding). The stream's ctx is owned by the response
 * from here on and released with stream.free, whatever happens to the connection. */
void reply_stream(struct request *req, int status, const char *content_type, struct stream st);
/* No body (204). */
void reply_empty(struct request *req, int status);
/* 302 to location (copied). */
void reply_redirect(struct request *req, const char *location);
/* Adds a response header (both strings copied). Works before or after the reply call. */
void reply_header(struct request *req, const char *name, const char *value);

#endif
