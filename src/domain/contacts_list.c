/* GET /contacts (SPEC §9.2): search terms, tag/company/email filters, the five sorts with their
 * keyset cursors (sort, filter digest, last row's keys and id), includeTotal, and the change
 * feed, which merges live contacts updated since a time with the tombstones of contacts
 * deleted since then, in (updatedAt, id) order. The page and its tags are read in one read
 * transaction, so they are consistent with each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contact_fields.h"
#include "domain/contacts_internal.h"
#include "domain/cursor.h"
#include "domain/search.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"
#include "util/json.h"

static const char *const sort_names[] = {
    [CSORT_FIRST_NAME] = "firstName",	      [CSORT_LAST_NAME] = "lastName",
    [CSORT_CREATED_AT] = "createdAt",	      [CSORT_UPDATED_AT] = "updatedAt",
    [CSORT_LAST_CONTACTED] = "lastContacted",
};

/* Everything one listing owns: the store query and the strings it points at. */
struct plan {
	struct contact_query q;
	struct word_set terms;
	char **hi;
	char **tag_keys;
	int ntags;
	char *company_key, *email_key;
	json_t *cursor_keys; /* the decoded cursor's keys: the query points into them */
	char sort[24];
	char digest[17];
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->terms.n; i++)
		free(p->hi[i]);
	free(p->hi);
	word_set_free(&p->terms);
	names_free(p->tag_keys, p->ntags);
	json_decref(p->cursor_keys);
	free(p->company_key);
	free(p->email_key);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds the query and the canonical filter digest from the validated parameters. */
static void plan_build(struct plan *p, const struct contact_list_in *in)
{
	memset(p, 0, sizeof *p);
	struct contact_query *q = &p->q;
	if (in->q && search_query_terms(in->q, &p->terms) > 0) {
		p->hi = xcalloc(p->terms.n, sizeof *p->hi);
		for (size_t i = 0; i < p->terms.n; i++)
			p->hi[i] = prefix_upper(p->terms.words[i]);
		q->term_lo = (const char *const *)p->terms.words;
		q->term_hi = (const char *const *)p->hi;
		q->nterms = (int)p->terms.n;
	}
	if (in->ntags > 0) {
		p->tag_keys = xcalloc((size_t)in->ntags, sizeof *p->tag_keys);
		for (int i = 0; i < in->ntags; i++) {
			char *k = fold(in->tags[i]);
			bool dup = false;
			for (int j = 0; j < p->ntags && !dup; j++)
				dup = strcmp(p->tag_keys[j], k) == 0;
			if (dup)
				free(k);
			else
				p->tag_keys[p->ntags++] = k;
		}
		qsort(p->tag_keys, (size_t)p->ntags, sizeof *p->tag_keys, cmp_str);
		q->tag_keys = (const char *const *)p->tag_keys;
		q->ntags = p->ntags;
		q->tag_all = in->tag_all;
	}
	q->company_key = p->company_key = in->company ? fold(in->company) : NULL;
	q->email_key = p->email_key = in->email ? fold(in->email) : NULL;
	q->sort = in->has_since ? CSORT_UPDATED_AT : in->sort;
	q->desc = in->has_since ? false : in->desc;
	q->has_since = in->has_since;
	q->since = in->since;
	q->limit = in->limit + 1;
	if (in->has_since)
		snprintf(p->sort, sizeof p->sort, "feed");
	else
		snprintf(p->sort, sizeof p->sort, "%s%s", q->desc ? "-" : "", sort_names[q->sort]);

	json_t *terms = json_array(), *tags = json_array();
	for (int i = 0; i < q->nterms; i++)
		json_array_append_new(terms, json_string(q->term_lo[i]));
	for (int i = 0; i < q->ntags; i++)
		json_array_append_new(tags, json_string(q->tag_keys[i]));
	json_t *canon =
	    json_pack("[ooss?s?I]", terms, tags, q->ntags ? (q->tag_all ? "all" : "any") : "",
		      q->company_key, q->email_key, (json_int_t)(q->has_since ? q->since : -1));
	char *text = json_dumps(canon, JSON_COMPACT);
	json_decref(canon);
	cursor_filter_digest(text, p->digest);
	free(text);
}

/* Applies a decoded cursor's keys to the query; false when they do not fit the sort. */
static bool plan_after(struct plan *p, json_t *keys, long long id)
{
	struct contact_query *q = &p->q;
	json_t *k0 = json_array_get(keys, 0), *k1 = json_array_get(keys, 1);
	switch (q->sort) {
	case CSORT_FIRST_NAME:
	case CSORT_LAST_NAME:
		if (json_array_size(keys) != 2 || !json_is_string(k0) || !json_is_string(k1))
			return false;
		q->after_s1 = json_string_value(k0);
		q->after_s2 = json_string_value(k1);
		break;
	case CSORT_LAST_CONTACTED:
		if (json_array_size(keys) == 1 && json_is_null(k0)) {
			q->after_null = true;
			break;
		}
		/* fall through */
	case CSORT_CREATED_AT:
	case CSORT_UPDATED_AT:
		if (json_array_size(keys) != 1 || !json_is_integer(k0))
			return false;
		q->after_n = json_integer_value(k0);
		break;
	}
	q->has_after = true;
	q->after_id = id;
	return true;
}

/* The cursor keys of a live row for the query's sort. New array. */
static json_t *row_keys(const struct contact_query *q, const struct contact_row *c)
{
	switch (q->sort) {
	case CSORT_FIRST_NAME:
		return json_pack("[ss]", c->first_name_key, c->last_name_key);
	case CSORT_LAST_NAME:
		return json_pack("[ss]", c->last_name_key, c->first_name_key);
	case CSORT_CREATED_AT:
		return json_pack("[I]", (json_int_t)c->created_at);
	case CSORT_UPDATED_AT:
		return json_pack("[I]", (json_int_t)c->updated_at);
	case CSORT_LAST_CONTACTED:
		return c->last_contacted ? json_pack("[I]", (json_int_t)c->last_contacted)
					 : json_pack("[n]");
	}
	return json_array();
}

/* ---- the read ---- */

struct list_tx {
	struct actx *a;
	struct plan *p;
	bool want_total;
	struct contact_row *rows;
	int n;
	struct tombstone_row *tombs;
	int nt;
	struct tag_ref *tags;
	int ntagrefs;
	long long total;
};

static int list_run(struct db *db, void *ctx)
{
	struct list_tx *x = ctx;
	struct actx *a = x->a;
	const struct contact_query *q = &x->p->q;
	const struct store_ops *ops = COPS(a);
	/* a retried attempt starts afresh */
	contact_rows_free(x->rows, x->n > 0 ? x->n : 0);
	tag_refs_free(x->tags, x->ntagrefs > 0 ? x->ntagrefs : 0);
	free(x->tombs);
	x->rows = NULL;
	x->tags = NULL;
	x->tombs = NULL;
	x->n = x->ntagrefs = x->nt = 0;
	x->n = ops->contacts_select_page(db, a->user_id, q, &x->rows, &x->tags, &x->ntagrefs);
	if (x->n < 0)
		return x->n;
	if (q->has_since) {
		x->nt =
		    ops->tombstones_select_page(db, a->user_id, "contact", q->since, q->has_after,
						q->after_n, q->after_id, q->limit, &x->tombs);
		if (x->nt < 0)
			return x->nt;
	}
	if (x->want_total) {
		int rc = ops->contacts_count_matching(db, a->user_id, q, &x->total);
		if (rc < 0)
			return rc;
		if (q->has_since) {
			long long dead = 0;
			rc = ops->tombstones_count(db, a->user_id, "contact", q->since, &dead);
			if (rc < 0)
				return rc;
			x->total += dead;
		}
	}
	return 0;
}

/* Appends the Contact object of live row i with its tags (the refs are grouped by contact_id),
 * and extra (members of the change feed's item) before its closing brace. */
static void put_live(struct buf *out, const struct list_tx *x, int i, const char *extra)
{
	const struct contact_row *c = &x->rows[i];
	int start = 0;
	while (start < x->ntagrefs && x->tags[start].contact_id != c->id)
		start++;
	int end = start;
	while (end < x->ntagrefs && x->tags[end].contact_id == c->id)
		end++;
	buf_putc(out, '{');
	contact_put_members(out, c, x->tags + start, end - start);
	buf_puts(out, extra);
	buf_putc(out, '}');
}

/* Appends the items of an ordinary listing; *next is the next cursor (or stays NULL). */
static void put_plain_items(struct buf *out, const struct list_tx *x, int limit, char **next)
{
	int shown = x->n > limit ? limit : x->n;
	for (int i = 0; i < shown; i++) {
		if (i)
			buf_putc(out, ',');
		put_live(out, x, i, "");
	}
	if (x->n > limit) {
		const struct contact_row *last = &x->rows[shown - 1];
		*next = cursor_encode(x->p->sort, x->p->digest, row_keys(&x->p->q, last), last->id);
	}
}

/* Appends the items of the change feed: live rows and tombstones merged in (updatedAt, id)
 * order, each with "deleted". */
static void put_feed_items(struct buf *out, const struct list_tx *x, int limit, char **next)
{
	int i = 0, j = 0, shown = 0;
	long long last_t = 0, last_id = 0;
	while (shown < limit && (i < x->n || j < x->nt)) {
		bool take_live;
		if (i >= x->n)
			take_live = false;
		else if (j >= x->nt)
			take_live = true;
		else
			take_live = x->rows[i].updated_at < x->tombs[j].deleted_at ||
				    (x->rows[i].updated_at == x->tombs[j].deleted_at &&
				     x->rows[i].id < x->tombs[j].id);
		if (shown)
			buf_putc(out, ',');
		if (take_live) {
			put_live(out, x, i, ",\"deleted\":false");
			last_t = x->rows[i].updated_at;
			last_id = x->rows[i++].id;
		} else {
			json_t *item = json_object();
			json_object_set_new(item, "id", json_integer(x->tombs[j].id));
			json_object_set_new(item, "deleted", json_true());
			json_object_set_new(item, "updatedAt",
					    json_time_or_null(x->tombs[j].deleted_at));
			json_put_compact(out, item);
			json_decref(item);
			last_t = x->tombs[j].deleted_at;
			last_id = x->tombs[j++].id;
		}
		shown++;
	}
	if (i < x->n || j < x->nt)
		*next = cursor_encode(x->p->sort, x->p->digest,
				      json_pack("[I]", (json_int_t)last_t), last_id);
}

/* The plan of in, its cursor applied; on a bad cursor ERR_VALIDATION_FAILED with its detail,
 * and nothing left to free. */
static enum err_code plan_make(struct plan *p, const struct contact_list_in *in, json_t **details)
{
	plan_build(p, in);
	if (!in->cursor)
		return ERR_NONE;
	json_t *keys = NULL;
	long long id = 0;
	enum err_code e = ERR_NONE;
	if (!cursor_take(in->cursor, p->sort, p->digest, &keys, &id, details)) {
		e = ERR_VALIDATION_FAILED;
	} else if (!plan_after(p, keys, id)) {
		details_add(details, "cursor", "invalid_format");
		e = ERR_VALIDATION_FAILED;
	}
	if (e != ERR_NONE) {
		json_decref(keys);
		plan_free(p);
		return e;
	}
	p->cursor_keys = keys;
	return ERR_NONE;
}

/* Appends the envelope of the page x read: limit shown, the change feed's items with feed,
 * the total with with_total. */
static void put_list(struct buf *out, const struct list_tx *x, int limit, bool feed,
		     bool with_total)
{
	char *next = NULL;
	JSON_PUT_LIT(out, "{\"data\":[");
	if (feed)
		put_feed_items(out, x, limit, &next);
	else
		put_plain_items(out, x, limit, &next);
	JSON_PUT_LIT(out, "],\"page\":");
	json_t *page = page_json(limit, next, with_total, x->total);
	json_put_compact(out, page);
	json_decref(page);
	buf_putc(out, '}');
	free(next);
}

static void list_tx_free(struct list_tx *x)
{
	contact_rows_free(x->rows, x->n > 0 ? x->n : 0);
	free(x->tombs);
	tag_refs_free(x->tags, x->ntagrefs > 0 ? x->ntagrefs : 0);
}

enum err_code contacts_list(struct actx *a, const struct contact_list_in *in, struct buf *out,
			    json_t **details)
{
	struct plan p;
	enum err_code e = plan_make(&p, in, details);
	if (e != ERR_NONE)
		return e;
	struct list_tx x = {.a = a, .p = &p, .want_total = in->include_total};
	int rc;
	if (COPS(a)->page_one_statement && !in->include_total && !in->has_since) {
		/* one statement (the page and its tags): no transaction round trips */
		struct db *db;
		rc = store_acquire(a->app->store, &db);
		if (rc >= 0) {
			rc = list_run(db, &x);
			store_release(a->app->store, db);
		}
	} else {
		rc = store_tx(a->app->store, false, list_run, &x);
	}
	if (rc < 0)
		e = err_from_store(rc);
	else
		put_list(out, &x, in->limit, in->has_since, in->include_total);
	list_tx_free(&x);
	plan_free(&p);
	return e;
}

/* ---- a page read with the session check ---- */

struct contacts_page {
	struct plan p;
	int limit;
	struct contact_page_read read;
};

struct contacts_page *contacts_list_plan(const struct contact_list_in *in)
{
	if (in->include_total || in->has_since)
		return NULL; /* more than one statement */
	struct contacts_page *cp = xcalloc(1, sizeof *cp);
	json_t *details = NULL;
	if (plan_make(&cp->p, in, &details) != ERR_NONE) {
		json_decref(details); /* contacts_list reports it, after the session check */
		free(cp);
		return NULL;
	}
	cp->limit = in->limit;
	cp->read.q = &cp->p.q;
	return cp;
}

struct contact_page_read *contacts_page_read(struct contacts_page *cp)
{
	return &cp->read;
}

enum err_code contacts_list_planned(struct actx *a, struct contacts_page *cp, struct buf *out)
{
	struct contact_page_read *r = &cp->read;
	if (r->rc < 0)
		return err_from_store(r->rc);
	struct list_tx x = {.a = a,
			    .p = &cp->p,
			    .rows = r->rows,
			    .n = r->rc,
			    .tags = r->tags,
			    .ntagrefs = r->ntags};
	put_list(out, &x, cp->limit, false, false);
	return ERR_NONE;
}

void contacts_page_free(struct contacts_page *cp)
{
	if (!cp)
		return;
	struct contact_page_read *r = &cp->read;
	contact_rows_free(r->rows, r->rc > 0 ? r->rc : 0);
	tag_refs_free(r->tags, r->ntags);
	plan_free(&cp->p);
	free(cp);
}
