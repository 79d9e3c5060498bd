/* Notes (SPEC §10.1; see notes.h): create, read, update (including a move to another contact),
 * delete with its tombstone, and listings with the change feed. Every write refreshes the
 * search words of each contact whose notes changed (§9.2), in the same transaction. */
#include <stdlib.h>
#include <string.h>

#include "domain/contacts.h"
#include "domain/notes_internal.h"
#include "domain/search.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"
#include "util/json_row.h"

/* The Note's keys in the SPEC's order (§10.1): note_to_json and note_put_json both read them. */
#define N_KEY(k, kind, field) JSON_ROW_KEY(k, kind, struct note_row, field)
static const struct json_row_key note_keys[] = {
    N_KEY("id", JSON_ROW_I64, id),
    N_KEY("contactId", JSON_ROW_I64, contact_id),
    N_KEY("title", JSON_ROW_TEXT_EMPTY, title),
    N_KEY("content", JSON_ROW_TEXT_EMPTY, content),
    N_KEY("createdAt", JSON_ROW_TIME, created_at),
    N_KEY("updatedAt", JSON_ROW_TIME, updated_at),
};
#undef N_KEY

static const struct timeline_forms note_forms = TIMELINE_FORMS(struct note_row, note_keys);

json_t *note_to_json(const struct note_row *n)
{
	return timeline_item_json(&note_forms, n, false);
}

void note_put_json(struct buf *out, const struct note_row *n, bool feed)
{
	timeline_item_put(out, &note_forms, n, feed);
}

/* State of one write transaction. */
struct note_tx {
	struct actx *a;
	long long id;
	const struct note_in *in;
	const struct note_patch *p;
	enum err_code err;
	json_t *details;
	struct note_row row;
};

static int fail(struct note_tx *x, enum err_code e, const char *field, const char *reason)
{
	x->err = e;
	if (field)
		details_add(&x->details, field, reason);
	return NOTES_TX_ABORT;
}

/* The first step of every write: the write time t (and the user's row lock). */
static int write_time(struct note_tx *x, struct db *db, long long *t)
{
	int rc = NOPS(x->a)->users_write_time(db, x->a->user_id, x->a->now, t);
	if (rc < 0)
		return rc;
	return rc ? 0 : fail(x, ERR_UNAUTHENTICATED, NULL, NULL);
}

/* 0 when the caller owns contact_id, else the abort (404) or a store status. */
static int own_contact(struct note_tx *x, struct db *db, long long contact_id, const char *field)
{
	int rc = contact_exists(x->a, db, contact_id);
	if (rc < 0)
		return rc;
	return rc ? 0 : fail(x, ERR_NOT_FOUND, field, "not_found");
}

/* 0 when no other note of contact_id has title_key, else the abort (409) or a status. */
static int title_free(struct note_tx *x, struct db *db, long long contact_id, const char *title_key,
		      long long except_id)
{
	int rc = NOPS(x->a)->notes_select_by_title(db, x->a->user_id, contact_id, title_key,
						   except_id, NULL);
	if (rc < 0)
		return rc;
	return rc ? fail(x, ERR_CONFLICT, "title", "duplicate") : 0;
}

static int create_run(struct db *db, void *ctx)
{
	struct note_tx *x = ctx;
	struct actx *a = x->a;
	const struct note_in *in = x->in;
	note_row_free(&x->row); /* a retried attempt starts afresh */
	long long t;
	int rc = write_time(x, db, &t);
	if (rc < 0)
		return rc;
	if ((rc = own_contact(x, db, in->contact_id, "contactId")) < 0)
		return rc;
	rc = NOPS(a)->notes_at_cap(db, a->user_id, NOTES_PER_ACCOUNT);
	if (rc < 0)
		return rc;
	if (rc)
		return fail(x, ERR_LIMIT_EXCEEDED, "notes", "too_many");
	char *key = fold(in->title);
	rc = title_free(x, db, in->contact_id, key, 0);
	long long id = 0;
	if (rc >= 0)
		rc = NOPS(a)->notes_insert(db, a->user_id, in->contact_id, in->title, key,
					   in->content, t, &id);
	free(key);
	if (rc == ST_CONFLICT)
		return fail(x, ERR_CONFLICT, "title", "duplicate");
	if (rc < 0)
		return rc;
	if ((rc = contact_search_refresh(a, db, in->contact_id)) < 0)
		return rc;
	x->row.id = id;
	x->row.contact_id = in->contact_id;
	x->row.title = xstrdup(in->title);
	x->row.content = xstrdup(in->content);
	x->row.created_at = x->row.updated_at = t;
	return 0;
}

enum err_code notes_create(struct actx *a, const struct note_in *in, struct note_row *out,
			   json_t **details)
{
	struct note_tx x = {.a = a, .in = in};
	int rc = store_tx(a->app->store, true, create_run, &x);
	enum err_code e = notes_tx_result(rc, x.err);
	if (e == ERR_NONE) {
		*out = x.row;
		json_decref(x.details);
	} else {
		note_row_free(&x.row);
		*details = x.details;
	}
	return e;
}

enum err_code notes_get(struct actx *a, long long id, struct note_row *out)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	rc = NOPS(a)->notes_select(db, a->user_id, id, out);
	store_release(a->app->store, db);
	if (rc < 0)
		return err_from_store(rc);
	return rc ? ERR_NONE : ERR_NOT_FOUND;
}

static int update_run(struct db *db, void *ctx)
{
	struct note_tx *x = ctx;
	struct actx *a = x->a;
	const struct note_patch *p = x->p;
	note_row_free(&x->row); /* a retried attempt starts afresh */
	long long t;
	int rc = write_time(x, db, &t);
	if (rc < 0)
		return rc;
	struct note_row *old = &x->row;
	rc = NOPS(a)->notes_select(db, a->user_id, x->id, old);
	if (rc < 0)
		return rc;
	if (!rc)
		return fail(x, ERR_NOT_FOUND, NULL, NULL);
	long long from_contact = old->contact_id;
	bool moved = p->set_contact && p->contact_id != from_contact;
	long long to_contact = moved ? p->contact_id : from_contact;
	if (moved && (rc = own_contact(x, db, to_contact, "contactId")) < 0)
		return rc;
	struct note_patch q = *p;
	q.set_contact = moved;
	q.contact_id = to_contact;
	char *key = fold(p->set_title ? p->title : old->title);
	q.title_key = key;
	q.set_title = p->set_title;
	rc = 0;
	if (p->set_title || moved)
		rc = title_free(x, db, to_contact, key, x->id);
	if (rc >= 0)
		rc = NOPS(a)->notes_update(db, a->user_id, x->id, &q, t);
	free(key);
	if (rc == ST_CONFLICT)
		return fail(x, ERR_CONFLICT, "title", "duplicate");
	if (rc < 0)
		return rc;
	if (!rc)
		return fail(x, ERR_NOT_FOUND, NULL, NULL);
	if (p->set_title || p->set_content || moved) {
		if ((rc = contact_search_refresh(a, db, to_contact)) < 0)
			return rc;
		if (moved && (rc = contact_search_refresh(a, db, from_contact)) < 0)
			return rc;
	}
	/* The row as now stored, without reading it back. */
	if (p->set_title) {
		free(old->title);
		old->title = xstrdup(p->title);
	}
	if (p->set_content) {
		free(old->content);
		old->content = xstrdup(p->content);
	}
	old->contact_id = to_contact;
	old->updated_at = t;
	return 0;
}

enum err_code notes_update(struct actx *a, long long id, const struct note_patch *p,
			   struct note_row *out, json_t **details)
{
	struct note_tx x = {.a = a, .id = id, .p = p};
	int rc = store_tx(a->app->store, true, update_run, &x);
	enum err_code e = notes_tx_result(rc, x.err);
	if (e == ERR_NONE) {
		*out = x.row;
		json_decref(x.details);
	} else {
		note_row_free(&x.row);
		*details = x.details;
	}
	return e;
}

static int delete_run(struct db *db, void *ctx)
{
	struct note_tx *x = ctx;
	long long t, contact_id = 0;
	int rc = write_time(x, db, &t);
	if (rc < 0)
		return rc;
	rc = NOPS(x->a)->notes_delete(db, x->a->user_id, x->id, t, &contact_id);
	if (rc < 0)
		return rc;
	if (!rc)
		return fail(x, ERR_NOT_FOUND, NULL, NULL);
	return contact_search_refresh(x->a, db, contact_id);
}

enum err_code notes_delete(struct actx *a, long long id)
{
	struct note_tx x = {.a = a, .id = id};
	int rc = store_tx(a->app->store, true, delete_run, &x);
	json_decref(x.details);
	return notes_tx_result(rc, x.err);
}

/* State of one listing (a read transaction). */
struct list_tx {
	struct actx *a;
	const struct timeline_list_in *in;
	const struct list_query *q;
	enum err_code err;
	struct note_row *rows;
	int n;
	long long total;
};

static int list_run(struct db *db, void *ctx)
{
	struct list_tx *x = ctx;
	struct actx *a = x->a;
	note_rows_free(x->rows, x->n); /* a retried attempt starts afresh */
	x->rows = NULL;
	x->n = 0;
	if (x->q->contact_id) {
		int rc = contact_exists(a, db, x->q->contact_id);
		if (rc < 0)
			return rc;
		if (!rc) {
			x->err = ERR_NOT_FOUND;
			return NOTES_TX_ABORT;
		}
	}
	int rc = NOPS(a)->notes_select_many(db, a->user_id, x->q, &x->rows);
	if (rc < 0)
		return rc;
	x->n = rc;
	if (x->in->include_total &&
	    (rc = NOPS(a)->notes_count(db, a->user_id, x->q, &x->total)) < 0)
		return rc;
	return 0;
}

enum err_code notes_list(struct actx *a, const struct timeline_list_in *in, json_t **data,
			 json_t **page, json_t **details)
{
	struct list_query q;
	char *key = NULL, sort[24], digest[17];
	enum err_code e = timeline_query(in, "note", &q, &key, sort, digest, details);
	if (e != ERR_NONE) {
		free(key);
		return e;
	}
	struct list_tx x = {.a = a, .in = in, .q = &q};
	int rc = store_tx(a->app->store, false, list_run, &x);
	free(key);
	e = notes_tx_result(rc, x.err);
	if (e != ERR_NONE) {
		note_rows_free(x.rows, x.n);
		return e;
	}
	bool more = x.n > in->limit;
	int shown = more ? in->limit : x.n;
	long long key_ms = 0, last_id = 0;
	if (shown > 0) {
		const struct note_row *last = &x.rows[shown - 1];
		key_ms = q.sort == SORT_UPDATED_AT ? last->updated_at : last->created_at;
		last_id = last->id;
	}
	*page = timeline_page(in, sort, digest, more, key_ms, last_id, x.total);
	timeline_answer(in, &note_forms, x.rows, shown, q.feed, data, page);
	note_rows_free(x.rows, x.n);
	return ERR_NONE;
}
