/* Interactions (SPEC §10.2; see notes.h): create, read, update (including a move to another
 * contact), delete with its tombstone, and listings with the change feed. Every write
 * recomputes lastContacted (§6) of each contact whose interactions changed, in the same
 * transaction; the contact's updatedAt moves with it when its value changes. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "domain/contacts.h"
#include "domain/notes_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fields.h"
#include "util/json_row.h"
#include "util/timeparse.h"
#include "util/utf8.h"

/* The Interaction's keys in the SPEC's order (§10.2): interaction_to_json and
 * interaction_put_json both read them. */
#define I_KEY(k, kind, field) JSON_ROW_KEY(k, kind, struct interaction_row, field)
static const struct json_row_key interaction_keys[] = {
    I_KEY("id", JSON_ROW_I64, id),
    I_KEY("contactId", JSON_ROW_I64, contact_id),
    I_KEY("type", JSON_ROW_TEXT_EMPTY, type),
    I_KEY("occurredAt", JSON_ROW_TIME, occurred_at),
    I_KEY("notes", JSON_ROW_TEXT, notes),
    JSON_ROW_OPT("durationMinutes", struct interaction_row, duration_minutes, has_duration),
    I_KEY("createdAt", JSON_ROW_TIME, created_at),
    I_KEY("updatedAt", JSON_ROW_TIME, updated_at),
};
#undef I_KEY

static const struct timeline_forms interaction_forms =
    TIMELINE_FORMS(struct interaction_row, interaction_keys);

json_t *interaction_to_json(const struct interaction_row *r)
{
	return timeline_item_json(&interaction_forms, r, false);
}

void interaction_put_json(struct buf *out, const struct interaction_row *r, bool feed)
{
	timeline_item_put(out, &interaction_forms, r, feed);
}

static bool type_char_ok(utf8proc_int32_t cp)
{
	if (cp == ' ' || cp == '_' || cp == '-')
		return true;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
		return true;
	default:
		return false;
	}
}

const char *interaction_type_normalize(const char *type, char **lower)
{
	*lower = NULL;
	size_t len = strlen(type);
	if (!utf8_valid(type, len))
		return "invalid_characters";
	size_t cps = utf8_length(type, len);
	if (cps < 1)
		return "too_short";
	if (cps > 50)
		return "too_long";
	struct buf b = {0};
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)type;
	utf8proc_ssize_t left = (utf8proc_ssize_t)len;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
		if (n <= 0 || !type_char_ok(cp)) {
			buf_free(&b);
			return "invalid_characters";
		}
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), enc);
		buf_append(&b, enc, (size_t)m);
		p += n;
		left -= n;
	}
	*lower = buf_steal(&b);
	return NULL;
}

const char *interaction_time_parse(const char *s, long long now, long long *ms)
{
	enum ts_result r = parse_timestamp(s, true, ms, NULL);
	if (r == TS_INVALID)
		return "invalid_format";
	if (r == TS_OUT_OF_RANGE || *ms > now + INTERACTION_MAX_FUTURE_MS)
		return "out_of_range";
	return NULL;
}

/* State of one write transaction. */
struct ix_tx {
	struct actx *a;
	long long id;
	const struct interaction_new *in;
	const struct interaction_patch *p;
	enum err_code err;
	json_t *details;
	struct interaction_row row;
};

static int fail(struct ix_tx *x, enum err_code e, const char *field, const char *reason)
{
	x->err = e;
	if (field)
		details_add(&x->details, field, reason);
	return NOTES_TX_ABORT;
}

static int write_time(struct ix_tx *x, struct db *db, long long *t)
{
	int rc = NOPS(x->a)->users_write_time(db, x->a->user_id, x->a->now, t);
	if (rc < 0)
		return rc;
	return rc ? 0 : fail(x, ERR_UNAUTHENTICATED, NULL, NULL);
}

static int own_contact(struct ix_tx *x, struct db *db, long long contact_id)
{
	int rc = contact_exists(x->a, db, contact_id);
	if (rc < 0)
		return rc;
	return rc ? 0 : fail(x, ERR_NOT_FOUND, "contactId", "not_found");
}

static int recompute(struct ix_tx *x, struct db *db, long long contact_id, long long t)
{
	int rc = NOPS(x->a)->contacts_recompute_last_contacted(db, x->a->user_id, contact_id, t);
	return rc < 0 ? rc : 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int create_run(struct db *db, void *ctx)
{
	struct ix_tx *x = ctx;
	struct actx *a = x->a;
	const struct interaction_new *in = x->in;
	interaction_row_free(&x->row); /* a retried attempt starts afresh */
	long long t, id = 0;
	int rc = write_time(x, db, &t);
	if (rc < 0)
		return rc;
	if ((rc = own_contact(x, db, in->contact_id)) < 0)
		return rc;
	rc = NOPS(a)->interactions_at_cap(db, a->user_id, INTERACTIONS_PER_ACCOUNT);
	if (rc < 0)
		return rc;
	if (rc)
		return fail(x, ERR_LIMIT_EXCEEDED, "interactions", "too_many");
	if ((rc = NOPS(a)->interactions_insert(db, a->user_id, in, t, &id)) < 0)
		return rc;
	if ((rc = recompute(x, db, in->contact_id, t)) < 0)
		return rc;
	x->row.id = id;
	x->row.contact_id = in->contact_id;
	x->row.type = xstrdup(in->type);
	x->row.occurred_at = in->occurred_at;
	x->row.notes = dup_or_null(in->notes);
	x->row.has_duration = in->has_duration;
	x->row.duration_minutes = in->duration_minutes;
	x->row.created_at = x->row.updated_at = t;
	return 0;
}

/* Hands the transaction's row to *out, or its details to *details on failure. */
static enum err_code finish(struct ix_tx *x, int rc, struct interaction_row *out, json_t **details)
{
	enum err_code e = notes_tx_result(rc, x->err);
	if (e == ERR_NONE) {
		*out = x->row;
		json_decref(x->details);
	} else {
		interaction_row_free(&x->row);
		if (details)
			*details = x->details;
		else
			json_decref(x->details);
	}
	return e;
}

enum err_code interactions_create(struct actx *a, const struct interaction_new *in,
				  struct interaction_row *out, json_t **details)
{
	struct ix_tx x = {.a = a, .in = in};
	int rc = store_tx(a->app->store, true, create_run, &x);
	return finish(&x, rc, out, details);
}

enum err_code interactions_get(struct actx *a, long long id, struct interaction_row *out)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	rc = NOPS(a)->interactions_select(db, a->user_id, id, out);
	store_release(a->app->store, db);
	if (rc < 0)
		return err_from_store(rc);
	return rc ? ERR_NONE : ERR_NOT_FOUND;
}

static int update_run(struct db *db, void *ctx)
{
	struct ix_tx *x = ctx;
	struct actx *a = x->a;
	const struct interaction_patch *p = x->p;
	interaction_row_free(&x->row);
	long long t;
	int rc = write_time(x, db, &t);
	if (rc < 0)
		return rc;
	struct interaction_row *r = &x->row;
	if ((rc = NOPS(a)->interactions_select(db, a->user_id, x->id, r)) < 0)
		return rc;
	if (!rc)
		return fail(x, ERR_NOT_FOUND, NULL, NULL);
	long long from_contact = r->contact_id;
	bool moved = p->set_contact && p->contact_id != from_contact;
	if (moved && (rc = own_contact(x, db, p->contact_id)) < 0)
		return rc;
	struct interaction_patch q = *p;
	q.set_contact = moved;
	if ((rc = NOPS(a)->interactions_update(db, a->user_id, x->id, &q, t)) < 0)
		return rc;
	if (!rc)
		return fail(x, ERR_NOT_FOUND, NULL, NULL);
	if ((rc = recompute(x, db, from_contact, t)) < 0)
		return rc;
	if (moved && (rc = recompute(x, db, p->contact_id, t)) < 0)
		return rc;
	/* The row as now stored, without reading it back. */
	if (moved)
		r->contact_id = p->contact_id;
	if (p->set_type) {
		free(r->type);
		r->type = xstrdup(p->type);
	}
	if (p->set_occurred_at)
		r->occurred_at = p->occurred_at;
	if (p->set_notes) {
		free(r->notes);
		r->notes = dup_or_null(p->notes);
	}
	if (p->set_duration) {
		r->has_duration = p->has_duration;
		r->duration_minutes = p->has_duration ? p->duration_minutes : 0;
	}
	r->updated_at = t;
	return 0;
}

enum err_code interactions_update(struct actx *a, long long id, const struct interaction_patch *p,
				  struct interaction_row *out, json_t **details)
{
	struct ix_tx x = {.a = a, .id = id, .p = p};
	int rc = store_tx(a->app->store, true, update_run, &x);
	return finish(&x, rc, out, details);
}

static int delete_run(struct db *db, void *ctx)
{
	struct ix_tx *x = ctx;
	long long t, contact_id = 0;
	int rc = write_time(x, db, &t);
	if (rc < 0)
		return rc;
	rc = NOPS(x->a)->interactions_delete(db, x->a->user_id, x->id, t, &contact_id);
	if (rc < 0)
		return rc;
	if (!rc)
		return fail(x, ERR_NOT_FOUND, NULL, NULL);
	return recompute(x, db, contact_id, t);
}

enum err_code interactions_delete(struct actx *a, long long id)
{
	struct ix_tx x = {.a = a, .id = id};
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
	struct interaction_row *rows;
	int n;
	long long total;
};

static int list_run(struct db *db, void *ctx)
{
	struct list_tx *x = ctx;
	struct actx *a = x->a;
	interaction_rows_free(x->rows, x->n); /* a retried attempt starts afresh */
	x->rows = NULL;
	x->n = 0;
	int rc;
	if (x->q->contact_id) {
		if ((rc = contact_exists(a, db, x->q->contact_id)) < 0)
			return rc;
		if (!rc) {
			x->err = ERR_NOT_FOUND;
			return NOTES_TX_ABORT;
		}
	}
	if ((rc = NOPS(a)->interactions_select_many(db, a->user_id, x->q, &x->rows)) < 0)
		return rc;
	x->n = rc;
	if (x->in->include_total &&
	    (rc = NOPS(a)->interactions_count(db, a->user_id, x->q, &x->total)) < 0)
		return rc;
	return 0;
}

enum err_code interactions_list(struct actx *a, const struct timeline_list_in *in, json_t **data,
				json_t **page, json_t **details)
{
	struct list_query q;
	char *key = NULL, sort[24], digest[17];
	enum err_code e = timeline_query(in, "interaction", &q, &key, sort, digest, details);
	free(key); /* interactions have no title filter */
	if (e != ERR_NONE)
		return e;
	q.title_key = NULL;
	struct list_tx x = {.a = a, .in = in, .q = &q};
	int rc = store_tx(a->app->store, false, list_run, &x);
	e = notes_tx_result(rc, x.err);
	if (e != ERR_NONE) {
		interaction_rows_free(x.rows, x.n);
		return e;
	}
	bool more = x.n > in->limit;
	int shown = more ? in->limit : x.n;
	long long key_ms = 0, last_id = 0;
	if (shown > 0) {
		const struct interaction_row *last = &x.rows[shown - 1];
		key_ms = q.feed			      ? last->updated_at
			 : q.sort == SORT_OCCURRED_AT ? last->occurred_at
						      : last->created_at;
		last_id = last->id;
	}
	*page = timeline_page(in, sort, digest, more, key_ms, last_id, x.total);
	timeline_answer(in, &interaction_forms, x.rows, shown, q.feed, data, page);
	interaction_rows_free(x.rows, x.n);
	return ERR_NONE;
}
