/* Resource API and compatibility C12: the exports (SPEC §8 GET /me/export, §9.6
 * GET /contacts/export.csv and GET /contacts/export-contacts). The route table gives them the
 * export rate-limit bucket; /me/export refuses HEAD. The first piece is produced on the job
 * pool, off the polling thread (§13.7), so a store that is down still gets a proper 503 before
 * any byte of the 200 is sent; every later piece is one short store read (domain/export.h)
 * made when the client can take more, with no connection held in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/export.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "log/log.h"
#include "util/alloc.h"

/* A streamed export: the first piece, made by the job, and the export that writes the rest. */
struct export_stream {
	struct exporter *x;
	enum export_kind kind;
	struct buf first;
	bool first_pending; /* first not handed out yet */
	bool done;	    /* the document ended with the first piece */
	char request_id[72];
};

static void stream_free(void *ctx)
{
	struct export_stream *es = ctx;
	if (!es)
		return;
	export_free(es->x);
	buf_free(&es->first);
	free(es);
}

static int stream_next(void *ctx, struct buf *out)
{
	struct export_stream *es = ctx;
	if (es->first_pending) {
		es->first_pending = false;
		buf_append(out, es->first.data, es->first.len);
		buf_free(&es->first);
		return es->done ? 0 : 1;
	}
	if (es->done)
		return 0;
	enum err_code e;
	int rc = export_next(es->x, out, &e);
	if (rc < 0) {
		/* The 200 and part of the body are on the wire: the connection is cut, so the
		 * client sees an incomplete transfer, never a silently truncated file. */
		log_line(LOG_WARN, es->request_id, "export: store read failed; connection aborted",
			 "code", err_info(e)->slug, (const char *)NULL);
		return -1;
	}
	if (rc == 0)
		es->done = true;
	return rc;
}

/* What each kind is served as. */
struct export_kind_info {
	const char *content_type, *filename;
};
static const struct export_kind_info KIND_INFO[] = {
    [EXPORT_CSV] = {"text/csv; charset=utf-8", "attachment; filename=\"contacts.csv\""},
    [EXPORT_JSON] = {"application/json; charset=utf-8",
		     "attachment; filename=\"personal-crm-export.json\""},
};

static void export_headers(struct request *req, enum export_kind kind)
{
	reply_header(req, "Content-Disposition", KIND_INFO[kind].filename);
	reply_header(req, "Cache-Control", "no-store");
}

/* On the job pool: the first piece, then the streamed answer (or the error). */
static void export_job(struct request *req)
{
	struct export_stream *es = req->ctx;
	struct actx a;
	actx_from(req, &a);
	enum err_code e;
	int rc = export_next(es->x, &es->first, &e);
	if (rc < 0) {
		reply_domain_error(req, &a, e, NULL);
		return; /* es is freed with the request */
	}
	es->first_pending = true;
	es->done = rc == 0;
	enum export_kind kind = es->kind;
	req->ctx = NULL; /* owned by the response from here on */
	req->ctx_free = NULL;
	reply_stream(req, 200, KIND_INFO[kind].content_type,
		     (struct stream){.next = stream_next, .free = stream_free, .ctx = es});
	export_headers(req, kind);
}

static void start(struct request *req, enum export_kind kind)
{
	if (req->method == HTTP_HEAD) {
		/* The CSV's status and headers without reading anything. Not streamed: for a
		 * chunked answer to HEAD, libmicrohttpd 0.9.75 still writes the final "0" chunk,
		 * which the client reads as the start of the next response on a kept-alive
		 * connection. */
		reply_text(req, 200, KIND_INFO[kind].content_type, "", 0);
		export_headers(req, kind);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	struct export_stream *es = xcalloc(1, sizeof *es);
	es->x = export_new(&a, kind);
	es->kind = kind;
	snprintf(es->request_id, sizeof es->request_id, "%s", req->request_id);
	req->ctx = es;
	req->ctx_free = stream_free;
	http_defer(req, export_job);
}

void h_contacts_export_csv(struct request *req)
{
	start(req, EXPORT_CSV);
}

void h_me_export(struct request *req)
{
	start(req, EXPORT_JSON);
}
