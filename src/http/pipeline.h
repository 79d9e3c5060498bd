/* The request pipeline of SPEC §1.6, independent of the HTTP library: server.c calls
 * pipeline_head once the request head is in, and pipeline_body when the body is complete. */
#ifndef CRM_HTTP_PIPELINE_H
#define CRM_HTTP_PIPELINE_H

#include "http/http.h"

struct app;

/* Prepares process-wide state (allowed origins, route table). Call once before serving. */
void pipeline_init(const struct app *app);
void pipeline_free(void);

/* Steps 1–4: request id, framing (414, 431, 400), CORS preflight, route lookup (404/405),
 * Accept (406) and declared body length (413). Returns true when a reply is already set. */
bool pipeline_head(struct request *req);

/* Steps 5–11 and the handler. On return either req->resp is set or req->job was deferred. */
void pipeline_body(struct request *req);

/* The security headers every response carries with the same value (§13.5), ending with a
 * NULL name. They are not copied into req->resp: server.c adds them to the wire response
 * itself, and they replace any header of the same name a handler set. */
struct http_fixed_header {
	const char *name, *value;
};
extern const struct http_fixed_header pipeline_fixed_headers[];
/* Is name (any case) one of pipeline_fixed_headers? */
bool pipeline_fixed_header(const char *name);

/* Adds the other headers every response carries (§13.5, §13.6: Cache-Control unless set,
 * X-Request-Id, Vary, RateLimit-*, HSTS, CORS) to req->resp. */
void pipeline_finish_headers(struct request *req);

/* Is o (an exact origin) in the CORS allowlist of §13.5? */
bool pipeline_origin_allowed(const char *o);
/* BASE_URL is https: cookies carry Secure. */
bool pipeline_secure_cookies(void);

/* Label for metrics and logs: the matched pattern, or "unmatched". */
const char *pipeline_route_label(const struct request *req);

#endif
