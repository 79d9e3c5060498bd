/* The /tags collection (SPEC §9.4): the keyset-paginated list sorted by folded name with usage
 * counts, one tag, rename (a change of case or accents only is allowed; another tag's folded
 * name is a conflict) and delete; both touch the linked contacts' updatedAt. */
#include <stdlib.h>
#include <string.h>

#include "domain/contacts_internal.h"
#include "domain/cursor.h"
#include "domain/tags.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"

/* ---- GET /tags ---- */

struct tlist_tx {
	struct actx *a;
	const struct tag_query *q;
	bool total_wanted;
	long long total;
	struct tag_row *rows;
	int n;
};

static int tlist_run(struct db *db, void *ctx)
{
	struct tlist_tx *x = ctx;
	struct actx *a = x->a;
	x->n = COPS(a)->tags_select_page(db, a->user_id, x->q, &x->rows);
	if (x->n < 0)
		return x->n;
	if (x->total_wanted)
		return COPS(a)->tags_count_matching(db, a->user_id, x->q, &x->total);
	return 0;
}

enum err_code tags_list(struct actx *a, const struct tag_list_in *in, json_t **data, json_t **page,
			json_t **details)
{
	char *q_key = in->q ? fold(in->q) : NULL;
	char *name_key = in->name ? fold(in->name) : NULL;
	char *q_hi = q_key && *q_key ? prefix_upper(q_key) : NULL;
	json_t *canon = json_pack("[s?s?]", q_hi ? q_key : NULL, name_key);
	char *ctext = json_dumps(canon, JSON_COMPACT);
	json_decref(canon);
	char digest[17];
	cursor_filter_digest(ctext, digest);
	free(ctext);

	struct tag_query q = {
	    .prefix_lo = q_hi ? q_key : NULL,
	    .prefix_hi = q_hi,
	    .name_key = name_key,
	    .limit = in->limit + 1,
	};
	json_t *keys = NULL;
	enum err_code e = ERR_NONE;
	if (in->cursor) {
		if (!cursor_take(in->cursor, "name", digest, &keys, &q.after_id, details) ||
		    json_array_size(keys) != 1 || !json_is_string(json_array_get(keys, 0))) {
			if (!*details)
				details_add(details, "cursor", "invalid_format");
			e = ERR_VALIDATION_FAILED;
		} else {
			q.has_after = true;
			q.after_key = json_string_value(json_array_get(keys, 0));
		}
	}
	struct tlist_tx x = {.a = a, .q = &q, .total_wanted = in->include_total};
	if (e == ERR_NONE) {
		int rc = store_tx(a->app->store, false, tlist_run, &x);
		if (rc < 0)
			e = err_from_store(rc);
	}
	if (e == ERR_NONE) {
		bool more = x.n > in->limit;
		int shown = more ? in->limit : x.n;
		json_t *arr = json_array();
		for (int i = 0; i < shown; i++)
			json_array_append_new(arr, tag_to_json(&x.rows[i]));
		char *next = NULL;
		if (more) {
			const struct tag_row *last = &x.rows[shown - 1];
			next = cursor_encode("name", digest, json_pack("[s]", last->name_key),
					     last->id);
		}
		*data = arr;
		*page = page_json(in->limit, next, in->include_total, x.total);
		free(next);
	}
	tag_rows_free(x.rows, x.n > 0 ? x.n : 0);
	json_decref(keys);
	free(q_key);
	free(q_hi);
	free(name_key);
	return e;
}

/* ---- GET /tags/{id} ---- */

struct tget_tx {
	struct actx *a;
	long long id;
	json_t *out;
};

static int tget_run(struct db *db, void *ctx)
{
	struct tget_tx *x = ctx;
	struct tag_row t = {0};
	int rc = COPS(x->a)->tags_select(db, x->a->user_id, x->id, &t);
	if (rc > 0)
		x->out = tag_to_json(&t);
	tag_row_free(&t);
	return rc;
}

enum err_code tags_get(struct actx *a, long long id, json_t **out)
{
	struct tget_tx x = {a, id, NULL};
	int rc = store_tx(a->app->store, false, tget_run, &x);
	if (rc < 0)
		return err_from_store(rc);
	if (rc == 0 || !x.out)
		return ERR_NOT_FOUND;
	*out = x.out;
	return ERR_NONE;
}

/* ---- PATCH /tags/{id} ---- */

struct rename_tx {
	struct actx *a;
	long long id;
	const char *name;
	enum err_code err;
	json_t *details, *out;
};

static int rename_run(struct db *db, void *ctx)
{
	struct rename_tx *x = ctx;
	struct actx *a = x->a;
	long long t;
	int rc = COPS(a)->users_write_time(db, a->user_id, a->now, &t);
	if (rc <= 0) {
		x->err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	struct tag_row cur = {0};
	rc = COPS(a)->tags_select(db, a->user_id, x->id, &cur);
	if (rc <= 0) {
		x->err = ERR_NOT_FOUND;
		return rc < 0 ? rc : TX_ABORT;
	}
	char *key = fold(x->name);
	struct tag_row *same = NULL;
	int n = COPS(a)->tags_select_by_keys(db, a->user_id, (const char *const *)&key, 1, &same);
	rc = n < 0 ? n : 0;
	if (n > 0 && same[0].id != x->id) {
		details_add(&x->details, "name", "duplicate");
		x->err = ERR_CONFLICT;
	}
	tag_rows_free(same, n > 0 ? n : 0);
	if (rc >= 0 && x->err == ERR_NONE && strcmp(cur.name, x->name) != 0)
		rc = COPS(a)->tags_update(db, a->user_id, x->id, x->name, key, t);
	free(key);
	tag_row_free(&cur);
	if (x->err != ERR_NONE)
		return TX_ABORT;
	if (rc == ST_CONFLICT) {
		details_add(&x->details, "name", "duplicate");
		x->err = ERR_CONFLICT;
		return TX_ABORT;
	}
	if (rc < 0)
		return rc;
	struct tget_tx g = {a, x->id, NULL};
	rc = tget_run(db, &g);
	x->out = g.out;
	return rc < 0 ? rc : 1;
}

enum err_code tags_rename(struct actx *a, long long id, const char *name, json_t **out,
			  json_t **details)
{
	struct rename_tx x = {.a = a, .id = id, .name = name};
	int rc = store_tx(a->app->store, true, rename_run, &x);
	enum err_code e = tx_result(rc, x.err);
	if (e != ERR_NONE) {
		json_decref(x.out);
		*details = x.details;
		return e;
	}
	json_decref(x.details);
	if (!x.out)
		return ERR_INTERNAL;
	*out = x.out;
	return ERR_NONE;
}

/* ---- DELETE /tags/{id} ---- */

struct tdel_tx {
	struct actx *a;
	long long id;
};

static int tdel_run(struct db *db, void *ctx)
{
	struct tdel_tx *x = ctx;
	long long t;
	int rc = COPS(x->a)->users_write_time(db, x->a->user_id, x->a->now, &t);
	if (rc <= 0)
		return rc < 0 ? rc : 0;
	return COPS(x->a)->tags_delete(db, x->a->user_id, x->id, t);
}

enum err_code tags_delete(struct actx *a, long long id)
{
	struct tdel_tx x = {a, id};
	int rc = store_tx(a->app->store, true, tdel_run, &x);
	if (rc < 0)
		return err_from_store(rc);
	return rc == 0 ? ERR_NOT_FOUND : ERR_NONE;
}
