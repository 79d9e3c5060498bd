/* The page/limit listings of the compatibility routes N2, N3, I2 and I3 (see compat_common.h;
 * SPEC §15.1, §17). The domain pages by keyset cursor only, so page p is reached by walking
 * the keyset pages over the (p - 1) × limit rows before it, in chunks of at most 1000 rows;
 * page × limit ≤ 100,000 bounds that walk, and a page past the end costs one read, since the
 * first read also counts the matching rows. */
#include <stdlib.h>
#include <string.h>

#include "handlers/compat_common.h"
#include "handlers/list_params.h"
#include "http/router.h"
#include "util/alloc.h"

#define V1_LIMIT_MAX 1000
#define V1_LIMIT_DEFAULT 1000
#define V1_WINDOW_MAX 100000 /* page × limit */
#define SKIP_CHUNK 1000

void v1_paging_parse(struct request *req, struct v1_paging *p, json_t **details)
{
	p->page = query_int(req, "page", 1, V1_WINDOW_MAX, 1, details);
	p->limit = query_int(req, "limit", 1, V1_LIMIT_MAX, V1_LIMIT_DEFAULT, details);
	if ((long long)p->page * p->limit > V1_WINDOW_MAX)
		details_add(details, "page", "out_of_range");
}

json_t *v1_pagination(const struct v1_paging *p, long long total)
{
	json_t *o = json_object();
	json_object_set_new(o, "currentPage", json_integer(p->page));
	json_object_set_new(o, "pageSize", json_integer(p->limit));
	json_object_set_new(o, "totalItems", json_integer(total));
	json_object_set_new(o, "totalPages", json_integer((total + p->limit - 1) / p->limit));
	return o;
}

long long v1_query_id(struct request *req, const char *name, json_t **details)
{
	const char *v = http_query(req, name);
	long long id = 0;
	if (v && !parse_id(v, &id))
		details_add(details, name, "invalid_format");
	return id;
}

enum err_code v1_timeline_page(struct actx *a, timeline_list_fn fn, struct timeline_list_in *in,
			       const struct v1_paging *p, json_t **items, long long *total,
			       json_t **details)
{
	long long skip = (long long)(p->page - 1) * p->limit;
	char *cursor = NULL;
	bool first = true;
	*items = NULL;
	*total = 0;
	for (;;) {
		in->cursor = cursor;
		in->include_total = first;
		in->limit = skip > 0 ? (int)(skip < SKIP_CHUNK ? skip : SKIP_CHUNK) : p->limit;
		json_t *data = NULL, *page = NULL;
		enum err_code e = fn(a, in, &data, &page, details);
		if (e != ERR_NONE) {
			free(cursor);
			return e;
		}
		bool more = json_is_true(json_object_get(page, "hasMore"));
		free(cursor);
		cursor = NULL;
		if (skip == 0) {
			if (first)
				*total = json_integer_value(json_object_get(page, "total"));
			*items = data;
			json_decref(page);
			return ERR_NONE;
		}
		if (first) {
			*total = json_integer_value(json_object_get(page, "total"));
			more &= skip < *total;
			first = false;
		}
		skip -= (long long)json_array_size(data);
		json_decref(data);
		if (more)
			cursor = xstrdup(json_string_value(json_object_get(page, "nextCursor")));
		json_decref(page);
		if (!cursor) {
			*items = json_array(); /* the page lies past the last row */
			return ERR_NONE;
		}
	}
}
