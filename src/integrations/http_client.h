/* The one outbound HTTP client of the service (SPEC §17: connect 5 s, total 10 s, response
 * ≤ 1 MiB), a thin libcurl wrapper shared by the OAuth providers and, later, Stripe. It never
 * follows redirects, speaks only http and https, sets CURLOPT_NOSIGNAL (safe on any thread) and
 * keeps every header it is given out of the logs. Blocking: call it from a job-pool thread
 * (http_defer), never from a polling thread. */
#ifndef CRM_INTEGRATIONS_HTTP_CLIENT_H
#define CRM_INTEGRATIONS_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

#define HTTP_CLIENT_CONNECT_TIMEOUT_MS 5000L
#define HTTP_CLIENT_TOTAL_TIMEOUT_MS 10000L
#define HTTP_CLIENT_MAX_RESPONSE (1024u * 1024u)

/* One request. Everything is borrowed for the duration of the call; NULL/0 members take the
 * default named beside them. */
struct http_client_request {
	const char *method;	    /* "GET" (default when NULL), "POST", "DELETE", ... */
	const char *url;	    /* absolute http:// or https:// URL (required) */
	const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
	const char *form;	    /* application/x-www-form-urlencoded body, or NULL */
	const char *body;	    /* any other body (with content_type), used when form is NULL */
	size_t body_len;
	const char *content_type;    /* Content-Type of body */
	const char *bearer;	     /* sends "Authorization: Bearer <bearer>" when not NULL */
	const char *idempotency_key; /* sends "Idempotency-Key: <key>" when not NULL (Stripe) */
	long connect_timeout_ms;     /* 0: HTTP_CLIENT_CONNECT_TIMEOUT_MS */
	long timeout_ms;	     /* 0: HTTP_CLIENT_TOTAL_TIMEOUT_MS */
	size_t max_response;	     /* 0: HTTP_CLIENT_MAX_RESPONSE; a longer body fails the call */
};

struct http_client_header {
	char *name, *value; /* as received, value trimmed */
};

/* What came back. status is 0 when no HTTP answer was read. body is NUL-terminated (never
 * NULL after a call that returned HC_OK). */
struct http_client_response {
	long status;
	char *body;
	size_t body_len;
	struct http_client_header *headers; /* of the final answer only */
	size_t nheaders;
};

enum http_client_result {
	HC_OK = 0,    /* an HTTP answer was read (any status: the caller judges it) */
	HC_CONNECT,   /* DNS or connection failure */
	HC_TIMEOUT,   /* connect or total timeout */
	HC_TOO_LARGE, /* the body passed max_response */
	HC_ERROR,     /* anything else (TLS, protocol, bad URL) */
};

/* Sends rq and fills *out (zeroed first; the caller frees it with http_client_response_free
 * whatever the result). Returns HC_OK when an answer was read, else why not; failures are
 * logged at warn level with the method, the URL without its query and libcurl's reason,
 * never with headers or bodies. */
enum http_client_result http_client_send(const struct http_client_request *rq,
					 struct http_client_response *out);

/* The value of the first response header called name (case-insensitive), or NULL. Valid as
 * long as r. */
const char *http_client_header(const struct http_client_response *r, const char *name);

/* Frees what http_client_send put in r and zeroes it. NULL is ignored. */
void http_client_response_free(struct http_client_response *r);

/* Appends "name=value" to a form body in b (with '&' before it when b is not empty), both
 * percent-encoded as application/x-www-form-urlencoded wants. value NULL appends nothing. */
void http_form_add(struct buf *b, const char *name, const char *value);

/* A short static name of a result for logs ("connect", "timeout", ...). */
const char *http_client_result_name(enum http_client_result r);

#endif
