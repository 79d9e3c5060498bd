/* Shared listing parameters and envelopes of the notes and interactions handlers (see
 * notes_common.h; SPEC §1.3, §1.4, §9.2, §10). */
#include "handlers/notes_common.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "handlers/auth_common.h"
#include "handlers/list_params.h"
#include "http/router.h"
#include "util/timefmt.h"

void timeline_params(struct request *req, struct timeline_list_in *in, long long path_contact,
		     const struct timeline_sort *sorts, int nsorts, enum list_sort_col def_col,
		     json_t **details)
{
	memset(in, 0, sizeof *in);
	struct list_params lp;
	list_params_basic(req, &lp, 25, 100, details);
	list_params_range(req, &lp, "from", "to", details);
	list_params_updated_since(req, &lp, req->app->cfg->tombstone_retention_days, now_ms(),
				  details);
	in->limit = lp.limit;
	in->cursor = lp.cursor;
	in->include_total = lp.include_total;
	in->has_from = lp.has_from;
	in->from = lp.from;
	in->has_to = lp.has_to;
	in->to = lp.to;
	in->has_since = lp.has_updated_since;
	in->since = lp.updated_since;

	in->contact_id = path_contact;
	const char *cid = path_contact ? NULL : http_query(req, "contactId");
	if (cid && !parse_id(cid, &in->contact_id))
		details_add(details, "contactId", "invalid_format");

	in->sort = def_col;
	in->desc = true;
	const char *s = http_query(req, "sort");
	if (!s)
		return;
	if (in->has_since) {
		/* The feed has one order: (updatedAt, id) ascending. */
		if (strcmp(s, "updatedAt") != 0)
			details_add(details, "sort", "conflicting");
		return;
	}
	bool desc = s[0] == '-';
	const char *name = desc ? s + 1 : s;
	for (int i = 0; i < nsorts; i++)
		if (strcmp(name, sorts[i].name) == 0) {
			in->sort = sorts[i].col;
			in->desc = desc;
			return;
		}
	details_add(details, "sort", "invalid_value");
}

void timeline_reply_list(struct request *req, struct actx *a, struct timeline_list_in *in,
			 timeline_list_fn fn, json_t *details)
{
	struct buf body = {0};
	in->text = &body;
	json_t *data = NULL, *page = NULL;
	enum err_code e = fn(a, in, &data, &page, &details);
	in->text = NULL;
	if (e != ERR_NONE)
		reply_domain_error(req, a, e, details);
	else
		reply_json_text_steal(req, 200, &body);
	buf_free(&body);
}

void timeline_reply_created(struct request *req, const char *collection, long long id, json_t *obj)
{
	char loc[96];
	snprintf(loc, sizeof loc, "/api/v1/%s/%lld", collection, id);
	reply_data_steal(req, 201, obj, NULL);
	reply_header(req, "Location", loc);
}
