/* Relationships (see relationships.h). Creation runs under the user's write lock, so the cap
 * and the duplicate check cannot be passed by concurrent requests. */
#include <stdlib.h>
#include <string.h>

#include "domain/contacts_internal.h"
#include "domain/relationships.h"
#include "util/fields.h"

static const char *const inverses[][2] = {
    {"spouse", "spouse"},   {"parent", "child"},   {"child", "parent"},
    {"sibling", "sibling"}, {"friend", "friend"},  {"colleague", "colleague"},
    {"manager", "report"},  {"report", "manager"}, {"other", "other"},
};

const char *relationship_inverse(const char *type)
{
	for (size_t i = 0; i < sizeof inverses / sizeof inverses[0]; i++)
		if (strcmp(inverses[i][0], type) == 0)
			return inverses[i][1];
	return NULL;
}

/* ---- list ---- */

struct rlist_tx {
	struct actx *a;
	long long id;
	json_t *out;
};

static int rlist_run(struct db *db, void *ctx)
{
	struct rlist_tx *x = ctx;
	int rc = contact_exists(x->a, db, x->id);
	if (rc <= 0)
		return rc;
	struct relationship_row *rows = NULL;
	int n = COPS(x->a)->relationships_select(db, x->a->user_id, x->id, &rows);
	if (n < 0)
		return n;
	x->out = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(x->out, relationship_to_json(&rows[i]));
	relationship_rows_free(rows, n);
	return 1;
}

enum err_code relationships_list(struct actx *a, long long contact_id, json_t **out)
{
	struct rlist_tx x = {a, contact_id, NULL};
	int rc = store_tx(a->app->store, false, rlist_run, &x);
	if (rc < 0) {
		json_decref(x.out);
		return err_from_store(rc);
	}
	if (rc == 0 || !x.out)
		return ERR_NOT_FOUND;
	*out = x.out;
	return ERR_NONE;
}

/* ---- create ---- */

struct rcreate_tx {
	struct actx *a;
	long long id, related;
	const char *type, *label;
	enum err_code err;
	json_t *details, *out;
};

static int over_cap(struct actx *a, struct db *db, long long contact_id, bool *over)
{
	long long n = 0;
	int rc = COPS(a)->relationships_count(db, a->user_id, contact_id, &n);
	*over = *over || n >= RELATIONSHIPS_PER_CONTACT;
	return rc;
}

static int rcreate_run(struct db *db, void *ctx)
{
	struct rcreate_tx *x = ctx;
	struct actx *a = x->a;
	const struct store_ops *ops = COPS(a);
	long long t;
	int rc = ops->users_write_time(db, a->user_id, a->now, &t);
	if (rc <= 0) {
		x->err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	/* Ownership: the path contact, then the related one (named in details). */
	if ((rc = contact_exists(a, db, x->id)) <= 0) {
		x->err = ERR_NOT_FOUND;
		return rc < 0 ? rc : TX_ABORT;
	}
	if ((rc = contact_exists(a, db, x->related)) <= 0) {
		details_add(&x->details, "relatedContactId", "not_found");
		x->err = ERR_NOT_FOUND;
		return rc < 0 ? rc : TX_ABORT;
	}
	bool over = false;
	if ((rc = over_cap(a, db, x->id, &over)) < 0 ||
	    (rc = over_cap(a, db, x->related, &over)) < 0)
		return rc;
	if (over) {
		details_add(&x->details, "relationships", "too_many");
		x->err = ERR_LIMIT_EXCEEDED;
		return TX_ABORT;
	}
	const char *inverse = relationship_inverse(x->type);
	rc = ops->relationships_exists(db, a->user_id, x->id, x->related, x->type);
	if (rc == 0)
		rc = ops->relationships_exists(db, a->user_id, x->related, x->id, inverse);
	if (rc < 0)
		return rc;
	long long rel_id = 0;
	if (rc == 0)
		rc = ops->relationships_insert_pair(db, a->user_id, x->id, x->related, x->type,
						    inverse, x->label, t, &rel_id);
	else
		rc = ST_CONFLICT;
	if (rc == ST_CONFLICT) {
		details_add(&x->details, "type", "duplicate");
		x->err = ERR_CONFLICT;
		return TX_ABORT;
	}
	if (rc < 0)
		return rc;
	struct relationship_row r = {0};
	rc = ops->relationships_select_one(db, a->user_id, rel_id, &r);
	if (rc > 0)
		x->out = relationship_to_json(&r);
	relationship_row_free(&r);
	return rc < 0 ? rc : 1;
}

enum err_code relationships_create(struct actx *a, long long contact_id, long long related_id,
				   const char *type, const char *label, json_t **out,
				   json_t **details)
{
	struct rcreate_tx x = {
	    .a = a, .id = contact_id, .related = related_id, .type = type, .label = label};
	int rc = store_tx(a->app->store, true, rcreate_run, &x);
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

struct rdel_tx {
	struct actx *a;
	long long id, rel;
};

static int rdel_run(struct db *db, void *ctx)
{
	struct rdel_tx *x = ctx;
	long long t;
	int rc = COPS(x->a)->users_write_time(db, x->a->user_id, x->a->now, &t);
	if (rc <= 0)
		return rc < 0 ? rc : 0;
	return COPS(x->a)->relationships_delete(db, x->a->user_id, x->id, x->rel);
}

enum err_code relationships_delete(struct actx *a, long long contact_id, long long rel_id)
{
	struct rdel_tx x = {a, contact_id, rel_id};
	int rc = store_tx(a->app->store, true, rdel_run, &x);
	if (rc < 0)
		return err_from_store(rc);
	return rc == 0 ? ERR_NOT_FOUND : ERR_NONE;
}
