/* The listing pieces notes and interactions share (see notes_internal.h): the store query of a
 * listing with its keyset cursor (SPEC §1.4), the page object (§1.3) and the change-feed items
 * (§9.2). A cursor holds the sort name, a digest of the filters and the last row's (key, id),
 * where the key is the sort column's value in Unix ms (updatedAt in the feed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/cursor.h"
#include "domain/notes_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fields.h"
#include "util/fold.h"
#include "util/json.h"
#include "util/json_row.h"
#include "util/timefmt.h"

enum err_code notes_tx_result(int rc, enum err_code e)
{
	if (rc == NOTES_TX_ABORT)
		return e;
	if (rc < 0)
		return err_from_store(rc);
	return e;
}

/* A timestamp as its ISO 8601 string (new reference). */
static json_t *timeline_time(long long ms)
{
	char buf[40];
	return json_string(format_iso8601(ms, buf, sizeof buf));
}

static long long at_i64(const void *row, size_t offset)
{
	return *(const long long *)((const char *)row + offset);
}

static bool is_deleted(const struct timeline_forms *f, const void *row)
{
	return *(const bool *)((const char *)row + f->deleted);
}

json_t *timeline_item_json(const struct timeline_forms *f, const void *row, bool feed)
{
	json_t *o = json_object();
	if (is_deleted(f, row)) {
		json_object_set_new(o, "id", json_integer(at_i64(row, f->id)));
		json_object_set_new(o, "deleted", json_true());
		json_object_set_new(o, "updatedAt", timeline_time(at_i64(row, f->updated_at)));
		return o;
	}
	json_row_set(o, f->keys, f->nkeys, row);
	if (feed)
		json_object_set_new(o, "deleted", json_false());
	return o;
}

void timeline_item_put(struct buf *out, const struct timeline_forms *f, const void *row, bool feed)
{
	buf_putc(out, '{');
	if (is_deleted(f, row)) {
		JSON_PUT_LIT(out, "\"id\":");
		buf_put_i64(out, at_i64(row, f->id));
		JSON_PUT_LIT(out, ",\"deleted\":true,\"updatedAt\":");
		json_put_time(out, at_i64(row, f->updated_at));
	} else {
		json_row_put_members(out, f->keys, f->nkeys, row);
		if (feed)
			JSON_PUT_LIT(out, ",\"deleted\":false");
	}
	buf_putc(out, '}');
}

void timeline_answer(const struct timeline_list_in *in, const struct timeline_forms *f,
		     const void *rows, int shown, bool feed, json_t **data, json_t **page)
{
	const char *row = rows;
	if (!in->text) {
		json_t *arr = json_array();
		for (int i = 0; i < shown; i++)
			json_array_append_new(
			    arr, timeline_item_json(f, row + (size_t)i * f->size, feed));
		*data = arr;
		return;
	}
	struct buf *out = in->text;
	JSON_PUT_LIT(out, "{\"data\":[");
	for (int i = 0; i < shown; i++) {
		if (i)
			buf_putc(out, ',');
		timeline_item_put(out, f, row + (size_t)i * f->size, feed);
	}
	JSON_PUT_LIT(out, "],\"page\":");
	json_put_compact(out, *page);
	json_decref(*page);
	*page = NULL;
	buf_putc(out, '}');
	*data = NULL;
}

static const char *sort_field(enum list_sort_col c)
{
	switch (c) {
	case SORT_UPDATED_AT:
		return "updatedAt";
	case SORT_OCCURRED_AT:
		return "occurredAt";
	case SORT_CREATED_AT:
		break;
	}
	return "createdAt";
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The canonical text of the filters (not the sort, limit or cursor): two listings share a
 * cursor exactly when this text is the same. Types are sorted, since their order does not
 * change the result. */
static char *canonical_filters(const struct timeline_list_in *in, const char *kind,
			       const char *title_key)
{
	struct buf b = {0};
	buf_printf(&b, "%s|c=%lld|t=%s", kind, in->contact_id, title_key ? title_key : "-");
	const char *types[INTERACTION_MAX_TYPE_FILTERS];
	int n = in->ntypes;
	memcpy(types, in->types, sizeof(const char *) * (size_t)n);
	qsort(types, (size_t)n, sizeof types[0], cmp_str);
	buf_puts(&b, "|ty=");
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", types[i]);
	if (in->has_from)
		buf_printf(&b, "|f=%lld", in->from);
	if (in->has_to)
		buf_printf(&b, "|to=%lld", in->to);
	if (in->has_since)
		buf_printf(&b, "|s=%lld", in->since);
	return buf_steal(&b);
}

enum err_code timeline_query(const struct timeline_list_in *in, const char *kind,
			     struct list_query *q, char **key_owned, char *sort_out,
			     char digest[17], json_t **details)
{
	memset(q, 0, sizeof *q);
	*key_owned = in->title ? fold(in->title) : NULL;
	q->contact_id = in->contact_id;
	q->title_key = *key_owned;
	for (int i = 0; i < in->ntypes && i < INTERACTION_MAX_TYPE_FILTERS; i++)
		q->types[q->ntypes++] = in->types[i];
	q->has_from = in->has_from;
	q->from = in->from;
	q->has_to = in->has_to;
	q->to = in->to;
	q->feed = in->has_since;
	q->since = in->since;
	q->sort = in->has_since ? SORT_UPDATED_AT : in->sort;
	q->desc = in->has_since ? false : in->desc;
	q->limit = in->limit + 1;
	if (q->feed)
		snprintf(sort_out, 24, "feed:updatedAt");
	else
		snprintf(sort_out, 24, "%s%s", q->desc ? "-" : "", sort_field(q->sort));
	char *canon = canonical_filters(in, kind, *key_owned);
	cursor_filter_digest(canon, digest);
	free(canon);
	if (!in->cursor)
		return ERR_NONE;
	json_t *keys = NULL;
	long long id = 0;
	enum cursor_result cr = cursor_decode(in->cursor, sort_out, digest, &keys, &id);
	if (cr == CURSOR_OK &&
	    (json_array_size(keys) != 1 || !json_is_integer(json_array_get(keys, 0))))
		cr = CURSOR_INVALID;
	if (cr != CURSOR_OK) {
		json_decref(keys);
		details_add(details, "cursor",
			    cr == CURSOR_MISMATCH ? "mismatch" : "invalid_format");
		return ERR_VALIDATION_FAILED;
	}
	q->has_after = true;
	q->after_key = json_integer_value(json_array_get(keys, 0));
	q->after_id = id;
	json_decref(keys);
	return ERR_NONE;
}

json_t *timeline_page(const struct timeline_list_in *in, const char *sort, const char *digest,
		      bool has_more, long long key, long long id, long long total)
{
	json_t *page = json_object();
	json_object_set_new(page, "limit", json_integer(in->limit));
	if (has_more) {
		json_t *keys = json_array();
		json_array_append_new(keys, json_integer(key));
		char *c = cursor_encode(sort, digest, keys, id);
		json_object_set_new(page, "nextCursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(page, "nextCursor", json_null());
	}
	json_object_set_new(page, "hasMore", json_boolean(has_more));
	if (in->include_total)
		json_object_set_new(page, "total", json_integer(total));
	return page;
}

void timeline_cursor_check(const char *cursor, json_t **details)
{
	if (!cursor)
		return;
	json_t *keys = NULL;
	long long id;
	/* No real cursor carries an empty sort, so a decodable one is a mismatch here. */
	if (cursor_decode(cursor, "", "", &keys, &id) == CURSOR_INVALID)
		details_add(details, "cursor", "invalid_format");
	json_decref(keys);
}
