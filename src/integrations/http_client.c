/* The outbound HTTP client through libcurl (see http_client.h). One easy handle per call:
 * calls are rare (a sign-in, a checkout) and a fresh handle shares no state between threads.
 * libcurl itself is initialised once for the process by smtp_global_init (the mail outbox
 * calls it at start; calling it again here is a no-op behind pthread_once). */
#include "integrations/http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "integrations/mail/smtp.h"
#include "log/log.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAX_HEADERS 200
#define USER_AGENT "personal-crm/" CRM_VERSION

/* The answer being received. */
struct sink {
	struct buf body;
	size_t max;
	bool too_large;
	struct http_client_response *out;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	if (s->body.len + n > s->max) {
		s->too_large = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	buf_append(&s->body, ptr, n);
	return n;
}

static void headers_clear(struct http_client_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

/* Keeps the headers of the last answer: a status line (a 100 Continue, then the final one)
 * starts the list again. */
static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	struct http_client_response *r = s->out;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		headers_clear(r);
		return n;
	}
	const char *colon = memchr(ptr, ':', n);
	if (!colon || r->nheaders >= MAX_HEADERS)
		return n;
	size_t nlen = (size_t)(colon - ptr);
	const char *v = colon + 1;
	size_t vlen = n - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	r->headers = xrealloc(r->headers, sizeof *r->headers * (r->nheaders + 1));
	r->headers[r->nheaders].name = xstrndup(ptr, nlen);
	r->headers[r->nheaders].value = xstrndup(v, vlen);
	r->nheaders++;
	return n;
}

/* The URL up to its query, for log lines (a query could carry something private). */
static char *url_for_log(const char *url)
{
	size_t n = strcspn(url, "?#");
	return xstrndup(url, n);
}

const char *http_client_result_name(enum http_client_result r)
{
	switch (r) {
	case HC_OK:
		return "ok";
	case HC_CONNECT:
		return "connect";
	case HC_TIMEOUT:
		return "timeout";
	case HC_TOO_LARGE:
		return "too_large";
	case HC_ERROR:
		break;
	}
	return "error";
}

static enum http_client_result map_curl(CURLcode cc, bool too_large)
{
	if (cc == CURLE_OK)
		return HC_OK;
	if (too_large || cc == CURLE_FILESIZE_EXCEEDED)
		return HC_TOO_LARGE;
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return HC_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HC_CONNECT;
	default:
		return HC_ERROR;
	}
}

enum http_client_result http_client_send(const struct http_client_request *rq,
					 struct http_client_response *out)
{
	memset(out, 0, sizeof *out);
	if (!rq->url)
		return HC_ERROR;
	smtp_global_init();
	CURL *c = curl_easy_init();
	if (!c)
		return HC_ERROR;
	struct sink s = {.max = rq->max_response ? rq->max_response : HTTP_CLIENT_MAX_RESPONSE,
			 .out = out};
	const char *method = rq->method ? rq->method : "GET";
	struct curl_slist *hl = NULL;
	char *line = NULL;

	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms
						    : HTTP_CLIENT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 rq->timeout_ms > 0 ? rq->timeout_ms : HTTP_CLIENT_TOTAL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);

	if (rq->form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(rq->form));
		hl = curl_slist_append(hl, "Content-Type: application/x-www-form-urlencoded");
	} else if (rq->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		line = xasprintf("Content-Type: %s",
				 rq->content_type ? rq->content_type : "application/octet-stream");
		hl = curl_slist_append(hl, line);
		free(line);
	}
	bool has_body = rq->form || rq->body;
	if (!has_body && strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (!has_body && strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	} else if (strcmp(method, "POST") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
	if (rq->bearer) {
		line = xasprintf("Authorization: Bearer %s", rq->bearer);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	if (rq->idempotency_key) {
		line = xasprintf("Idempotency-Key: %s", rq->idempotency_key);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	for (const char *const *h = rq->headers; h && *h; h++)
		hl = curl_slist_append(hl, *h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

	CURLcode cc = curl_easy_perform(c);
	enum http_client_result res = map_curl(cc, s.too_large);
	if (res == HC_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		buf_puts(&s.body, "");
		out->body_len = s.body.len;
		out->body = buf_steal(&s.body);
	} else {
		char *u = url_for_log(rq->url);
		log_line(LOG_WARN, NULL, "outbound request failed", "method", method, "url", u,
			 "result", http_client_result_name(res), "reason", curl_easy_strerror(cc),
			 (const char *)NULL);
		free(u);
		buf_free(&s.body);
		headers_clear(out);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return res;
}

const char *http_client_header(const struct http_client_response *r, const char *name)
{
	for (size_t i = 0; r && i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

void http_client_response_free(struct http_client_response *r)
{
	if (!r)
		return;
	headers_clear(r);
	free(r->body);
	memset(r, 0, sizeof *r);
}

static void put_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_putc(b, (char)*p);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

void http_form_add(struct buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	if (b->len)
		buf_putc(b, '&');
	put_encoded(b, name);
	buf_putc(b, '=');
	put_encoded(b, value);
}
