/* Reply helpers: the success and error envelopes of SPEC §1.3 and the raw bodies. Each fills
 * req->resp; http/server.c turns it into the wire response. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/router.h"
#include "util/alloc.h"
#include "util/json.h"

static void set_body(struct request *req, int status, const char *type)
{
	struct response *r = &req->resp;
	buf_free(&r->body);
	free(r->content_type);
	r->status = status;
	r->content_type = type ? xstrdup(type) : NULL;
	r->set = true;
}

void reply_json_steal(struct request *req, int status, json_t *doc)
{
	/* Compatibility routes carry the HTTP status in every JSON body (SPEC §15.1). */
	if (req->route && (req->route->flags & RF_COMPAT) && json_is_object(doc) &&
	    !json_object_get(doc, "status"))
		json_object_set_new(doc, "status", json_integer(status));
	set_body(req, status, "application/json; charset=utf-8");
	json_put_compact(&req->resp.body, doc);
	json_decref(doc);
}

void reply_json_text_steal(struct request *req, int status, struct buf *text)
{
	set_body(req, status, "application/json; charset=utf-8");
	req->resp.body = *text;
	*text = (struct buf){0};
}

void reply_data_steal(struct request *req, int status, json_t *data, const char *message)
{
	json_t *env = json_object();
	json_object_set_new(env, "data", data ? data : json_null());
	if (message)
		json_object_set_new(env, "message", json_string(message));
	reply_json_steal(req, status, env);
}

void reply_error(struct request *req, enum err_code code, json_t *details, const char *message)
{
	const struct err_info *e = err_info(code);
	json_t *env = json_object();
	json_object_set_new(env, "message", json_string(message ? message : e->message));
	json_object_set_new(env, "code", json_string(e->slug));
	if (details)
		json_object_set_new(env, "details", details);
	json_object_set_new(env, "requestId", json_string(req->request_id));
	reply_json_steal(req, e->status, env);
}

void reply_invalid(struct request *req, const char *field, const char *reason)
{
	json_t *details = NULL;
	details_add(&details, field, reason);
	reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
}

void reply_text(struct request *req, int status, const char *content_type, const char *text,
		size_t len)
{
	set_body(req, status, content_type);
	buf_append(&req->resp.body, text, len);
}

void reply_stream(struct request *req, int status, const char *content_type, struct stream st)
{
	set_body(req, status, content_type);
	req->resp.stream = st;
}

void reply_empty(struct request *req, int status)
{
	set_body(req, status, NULL);
}

void reply_redirect(struct request *req, const char *location)
{
	set_body(req, 302, NULL);
	reply_header(req, "Location", location);
}

void reply_header(struct request *req, const char *name, const char *value)
{
	struct response *r = &req->resp;
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0 && strcasecmp(name, "Set-Cookie") != 0) {
			free(r->headers[i].value);
			r->headers[i].value = xstrdup(value);
			return;
		}
	/* room for 8, then doubled: a response has about ten (pipeline_finish_headers) */
	size_t n = r->nheaders;
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
		r->headers = xrealloc(r->headers, sizeof *r->headers * (n ? 2 * n : 8));
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value);
	r->nheaders++;
}
