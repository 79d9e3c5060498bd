/* Contact writes and reads (SPEC §5, §6, §9.1): the interface functions notes and interactions
 * use (contact_exists, contact_touch), create with the plan limit, hard caps and email
 * uniqueness, the partial update with the customFields merge and tag-set replacement, delete
 * and all-or-nothing bulk delete, and the single read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "domain/contact_fields.h"
#include "domain/contacts_internal.h"
#include "domain/plan.h"
#include "domain/search.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"
#include "util/json.h"

int contact_exists(struct actx *a, struct db *db, long long contact_id)
{
	return COPS(a)->contacts_exists(db, a->user_id, contact_id);
}

int contact_touch(struct actx *a, struct db *db, long long contact_id, long long t)
{
	return COPS(a)->contacts_touch(db, a->user_id, contact_id, t);
}

enum err_code tx_result(int rc, enum err_code e)
{
	if (rc == TX_ABORT)
		return e != ERR_NONE ? e : ERR_INTERNAL;
	if (rc < 0)
		return err_from_store(rc);
	return e;
}

/* The columns to write and the strings that own them. */
struct write_buf {
	struct contact_write w;
	char *first_key, *last_key, *email_key, *digits, *company_key, *custom;
};

static void write_buf_free(struct write_buf *b)
{
	free(b->first_key);
	free(b->last_key);
	free(b->email_key);
	free(b->digits);
	free(b->company_key);
	free(b->custom);
}

/* Fills b from the current row cur (NULL on create) with the fields of in applied; cf is the
 * resulting customFields object (NULL: keep cur's). */
static void write_fill(struct write_buf *b, const struct contact_row *cur,
		       const struct contact_input *in, const json_t *cf)
{
	static const struct contact_row none;
	if (!cur)
		cur = &none;
	memset(b, 0, sizeof *b);
	struct contact_write *w = &b->w;
	w->first_name = in->has_first_name ? in->first_name : cur->first_name;
	w->last_name = in->has_last_name ? in->last_name : cur->last_name;
	w->email = in->has_email ? in->email : cur->email;
	w->phone = in->has_phone ? in->phone : cur->phone;
	w->address = in->has_address ? in->address : cur->address;
	w->company = in->has_company ? in->company : cur->company;
	w->job_role = in->has_job_role ? in->job_role : cur->job_role;
	if (in->has_birthday) {
		w->birthday_year = in->birthday_year;
		w->birthday_month = in->birthday_month;
		w->birthday_day = in->birthday_day;
	} else {
		w->birthday_year = cur->birthday_year;
		w->birthday_month = cur->birthday_month;
		w->birthday_day = cur->birthday_day;
	}
	w->first_name_key = b->first_key = fold(w->first_name ? w->first_name : "");
	w->last_name_key = b->last_key = w->last_name ? fold(w->last_name) : xstrdup("");
	w->email_key = b->email_key = w->email ? ascii_lower(w->email) : NULL;
	w->phone_digits = b->digits = w->phone ? phone_digits(w->phone) : NULL;
	w->company_key = b->company_key = w->company ? fold(w->company) : NULL;
	if (cf) {
		w->custom_fields = b->custom = cf_serialize(cf);
	} else {
		w->custom_fields = cur->custom_fields;
	}
}

static enum err_code email_conflict(json_t **details)
{
	details_add(details, "email", "duplicate");
	return ERR_CONFLICT;
}

/* ---- create ---- */

struct create_tx {
	struct actx *a;
	const struct contact_input *in;
	enum err_code err;
	json_t *details, *out;
};

/* Links the contact with the input's tags (created as needed). */
static int link_tags(struct actx *a, struct db *db, long long id, const struct contact_input *in,
		     long long t)
{
	if (in->ntags == 0)
		return 0;
	long long *ids = xcalloc((size_t)in->ntags, sizeof *ids);
	int rc = resolve_tags_create(a, db, in->tags, in->ntags, ids, t);
	if (rc >= 0)
		rc = COPS(a)->contact_tags_insert(db, a->user_id, &id, 1, ids, in->ntags, t);
	free(ids);
	return rc;
}

/* The tag cap check for the input's tags (no writes). */
static int tags_precheck(struct actx *a, struct db *db, const struct contact_input *in,
			 enum err_code *err, json_t **details)
{
	if (!in->has_tags || in->ntags == 0)
		return 0;
	long long *ids = xcalloc((size_t)in->ntags, sizeof *ids);
	int missing = 0;
	int rc = resolve_tags_lookup(a, db, in->tags, in->ntags, ids, &missing);
	free(ids);
	if (rc < 0)
		return rc;
	*err = check_tag_cap(a, db, missing, &rc, details);
	return rc < 0 ? rc : 0;
}

static int create_run(struct db *db, void *ctx)
{
	struct create_tx *x = ctx;
	struct actx *a = x->a;
	const struct store_ops *ops = COPS(a);
	long long t, count = 0;
	int rc = ops->users_write_time(db, a->user_id, a->now, &t);
	if (rc <= 0) {
		x->err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	if ((rc = ops->contacts_count(db, a->user_id, &count)) < 0)
		return rc;
	if (count >= a->app->cfg->free_contact_limit && !user_is_premium(a, db)) {
		details_add(&x->details, "contacts", "out_of_range");
		x->err = ERR_PLAN_LIMIT_REACHED;
		return TX_ABORT;
	}
	if (count >= CONTACTS_HARD_CAP) {
		details_add(&x->details, "contacts", "too_many");
		x->err = ERR_LIMIT_EXCEEDED;
		return TX_ABORT;
	}
	if ((rc = tags_precheck(a, db, x->in, &x->err, &x->details)) < 0)
		return rc;
	if (x->err != ERR_NONE)
		return TX_ABORT;
	json_t *cf = cf_normalize(x->in->custom_fields);
	struct write_buf b;
	write_fill(&b, NULL, x->in, cf);
	json_decref(cf);
	long long id = 0, other = 0;
	if (b.w.email_key) {
		rc = ops->contacts_select_by_email_key(db, a->user_id, b.w.email_key, 0, &other);
		if (rc > 0)
			x->err = email_conflict(&x->details);
	}
	if (rc >= 0 && x->err == ERR_NONE) {
		rc = ops->contacts_insert(db, a->user_id, &b.w, t, &id);
		if (rc == ST_CONFLICT)
			x->err = email_conflict(&x->details);
	}
	write_buf_free(&b);
	if (x->err != ERR_NONE)
		return TX_ABORT;
	if (rc < 0 || (rc = link_tags(a, db, id, x->in, t)) < 0 ||
	    (rc = contact_search_refresh(a, db, id)) < 0)
		return rc;
	rc = load_contact_json(a, db, id, &x->out);
	return rc < 0 ? rc : 1;
}

enum err_code contacts_create(struct actx *a, const struct contact_input *in, json_t **out,
			      json_t **details)
{
	struct create_tx x = {.a = a, .in = in};
	int rc = store_tx(a->app->store, true, create_run, &x);
	enum err_code e = tx_result(rc, x.err);
	if (e == ERR_NONE && !x.out)
		e = ERR_INTERNAL;
	if (e != ERR_NONE) {
		json_decref(x.out);
		*details = x.details;
		return e;
	}
	json_decref(x.details);
	*out = x.out;
	return ERR_NONE;
}

/* ---- read ---- */

/* Reads contact id with its tags into r (r->rc: 1 found, 0 none, < 0 a store status). One
 * statement on a pooled connection: no transaction round trips. */
static void read_one(struct actx *a, long long id, struct contact_read *r)
{
	*r = (struct contact_read){.user_id = a->user_id, .id = id};
	struct db *db;
	r->rc = store_acquire(a->app->store, &db);
	if (r->rc < 0)
		return;
	r->rc =
	    COPS(a)->contacts_select_with_tags(db, a->user_id, id, &r->row, &r->tags, &r->ntags);
	store_release(a->app->store, db);
}

static enum err_code read_result(const struct contact_read *r)
{
	if (r->rc < 0)
		return err_from_store(r->rc);
	return r->rc == 0 ? ERR_NOT_FOUND : ERR_NONE;
}

enum err_code contacts_get(struct actx *a, long long id, json_t **out)
{
	struct contact_read r;
	read_one(a, id, &r);
	enum err_code e = read_result(&r);
	if (e == ERR_NONE)
		*out = contact_to_json(&r.row, r.tags, r.ntags);
	tag_refs_free(r.tags, r.ntags);
	contact_row_free(&r.row);
	return e;
}

enum err_code contacts_get_text(struct actx *a, long long id, const struct contact_read *read,
				struct buf *out)
{
	struct contact_read own;
	const struct contact_read *r = read;
	if (!r) {
		read_one(a, id, &own);
		r = &own;
	}
	enum err_code e = read_result(r);
	if (e == ERR_NONE) {
		JSON_PUT_LIT(out, "{\"data\":{");
		contact_put_members(out, &r->row, r->tags, r->ntags);
		JSON_PUT_LIT(out, "}}");
	}
	if (!read) {
		tag_refs_free(own.tags, own.ntags);
		contact_row_free(&own.row);
	}
	return e;
}

/* ---- update ---- */

struct update_tx {
	struct actx *a;
	long long id;
	const struct contact_input *in;
	enum err_code err;
	json_t *details, *out;
};

static bool touches_search(const struct contact_input *in)
{
	return in->has_first_name || in->has_last_name || in->has_email || in->has_company ||
	       in->has_job_role || in->has_phone;
}

static int update_write(struct update_tx *x, struct db *db, const struct contact_row *cur,
			const json_t *cf, long long t)
{
	struct actx *a = x->a;
	const struct store_ops *ops = COPS(a);
	struct write_buf b;
	write_fill(&b, cur, x->in, cf);
	int rc = 0;
	long long other = 0;
	if (b.w.email_key && x->in->has_email) {
		rc =
		    ops->contacts_select_by_email_key(db, a->user_id, b.w.email_key, x->id, &other);
		if (rc > 0)
			x->err = email_conflict(&x->details);
	}
	if (rc >= 0 && x->err == ERR_NONE) {
		rc = ops->contacts_update(db, a->user_id, x->id, &b.w, t);
		if (rc == ST_CONFLICT)
			x->err = email_conflict(&x->details);
	}
	write_buf_free(&b);
	if (x->err != ERR_NONE)
		return TX_ABORT;
	if (rc >= 0 && x->in->has_tags) {
		rc = ops->contact_tags_delete(db, a->user_id, &x->id, 1, NULL, -1);
		if (rc >= 0)
			rc = link_tags(a, db, x->id, x->in, t);
	}
	if (rc >= 0 && touches_search(x->in))
		rc = contact_search_refresh(a, db, x->id);
	return rc;
}

static int update_run(struct db *db, void *ctx)
{
	struct update_tx *x = ctx;
	struct actx *a = x->a;
	long long t;
	int rc = COPS(a)->users_write_time(db, a->user_id, a->now, &t);
	if (rc <= 0) {
		x->err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	struct contact_row cur = {0};
	rc = COPS(a)->contacts_select(db, a->user_id, x->id, &cur);
	if (rc <= 0) {
		x->err = ERR_NOT_FOUND;
		return rc < 0 ? rc : TX_ABORT;
	}
	json_t *cf = NULL;
	if (x->in->has_custom_fields) {
		json_t *base = cf_parse(cur.custom_fields);
		cf = x->in->custom_fields_replace ? cf_normalize(x->in->custom_fields)
						  : cf_merge(base, x->in->custom_fields);
		json_decref(base);
		if (!cf_check_totals(cf, &x->details))
			x->err = ERR_VALIDATION_FAILED;
	}
	if (x->err == ERR_NONE)
		rc = tags_precheck(a, db, x->in, &x->err, &x->details);
	if (rc >= 0 && x->err == ERR_NONE)
		rc = update_write(x, db, &cur, cf, t);
	json_decref(cf);
	contact_row_free(&cur);
	if (x->err != ERR_NONE)
		return TX_ABORT;
	if (rc < 0)
		return rc;
	rc = load_contact_json(a, db, x->id, &x->out);
	return rc < 0 ? rc : 1;
}

enum err_code contacts_update(struct actx *a, long long id, const struct contact_input *in,
			      json_t **out, json_t **details)
{
	struct update_tx x = {.a = a, .id = id, .in = in};
	int rc = store_tx(a->app->store, true, update_run, &x);
	enum err_code e = tx_result(rc, x.err);
	if (e == ERR_NONE && !x.out)
		e = ERR_INTERNAL;
	if (e != ERR_NONE) {
		json_decref(x.out);
		*details = x.details;
		return e;
	}
	json_decref(x.details);
	*out = x.out;
	return ERR_NONE;
}

/* ---- delete ---- */

struct delete_tx {
	struct actx *a;
	const long long *ids;
	int n;
	bool bulk;
	enum err_code err;
	json_t *details;
	int deleted;
};

static int delete_run(struct db *db, void *ctx)
{
	struct delete_tx *x = ctx;
	struct actx *a = x->a;
	long long t;
	int rc = COPS(a)->users_write_time(db, a->user_id, a->now, &t);
	if (rc <= 0) {
		x->err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	if (x->bulk) {
		bool *found = xcalloc((size_t)x->n, sizeof *found);
		rc = COPS(a)->contacts_owned(db, a->user_id, x->ids, x->n, found);
		for (int i = 0; rc >= 0 && i < x->n; i++)
			if (!found[i]) {
				char f[32];
				snprintf(f, sizeof f, "ids[%d]", i);
				details_add(&x->details, f, "not_found");
				x->err = ERR_NOT_FOUND;
			}
		free(found);
		if (rc < 0)
			return rc;
		if (x->err != ERR_NONE)
			return TX_ABORT;
	}
	rc = COPS(a)->contacts_delete(db, a->user_id, x->ids, x->n, t);
	if (rc < 0)
		return rc;
	if (rc == 0 && !x->bulk) {
		x->err = ERR_NOT_FOUND;
		return TX_ABORT;
	}
	x->deleted = rc;
	return rc;
}

enum err_code contacts_delete(struct actx *a, long long id)
{
	struct delete_tx x = {.a = a, .ids = &id, .n = 1};
	int rc = store_tx(a->app->store, true, delete_run, &x);
	json_decref(x.details);
	return tx_result(rc, x.err);
}

enum err_code contacts_bulk_delete(struct actx *a, const long long *ids, int n, int *deleted,
				   json_t **details)
{
	struct delete_tx x = {.a = a, .ids = ids, .n = n, .bulk = true};
	int rc = store_tx(a->app->store, true, delete_run, &x);
	enum err_code e = tx_result(rc, x.err);
	if (e != ERR_NONE) {
		*details = x.details;
		return e;
	}
	json_decref(x.details);
	*deleted = x.deleted;
	return ERR_NONE;
}
