/* Tags on contacts (SPEC §9.3): the get-or-create of tags by folded name under the user lock,
 * the tag cap, a contact's tag list, adding and removing tags on one contact, and the bulk
 * add/remove across many contacts in one all-or-nothing transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contacts_internal.h"
#include "domain/tags.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"

int resolve_tags_lookup(struct actx *a, struct db *db, const char *const *names, int n,
			long long *ids, int *missing)
{
	*missing = 0;
	if (n == 0)
		return 0;
	char **keys = xcalloc((size_t)n, sizeof *keys);
	for (int i = 0; i < n; i++) {
		keys[i] = fold(names[i]);
		ids[i] = 0;
	}
	struct tag_row *rows = NULL;
	int found =
	    COPS(a)->tags_select_by_keys(db, a->user_id, (const char *const *)keys, n, &rows);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < found; j++)
			if (strcmp(rows[j].name_key, keys[i]) == 0)
				ids[i] = rows[j].id;
		if (!ids[i])
			(*missing)++;
	}
	tag_rows_free(rows, found > 0 ? found : 0);
	for (int i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return found < 0 ? found : 0;
}

int resolve_tags_create(struct actx *a, struct db *db, const char *const *names, int n,
			long long *ids, long long t)
{
	int missing = 0;
	int rc = resolve_tags_lookup(a, db, names, n, ids, &missing);
	for (int i = 0; rc >= 0 && i < n; i++) {
		if (ids[i])
			continue;
		char *key = fold(names[i]);
		rc = COPS(a)->tags_insert(db, a->user_id, names[i], key, t, &ids[i]);
		free(key);
		if (rc == 0)
			rc = ST_ERROR; /* impossible under the user lock: the lookup saw no such tag
					*/
	}
	return rc < 0 ? rc : 0;
}

enum err_code check_tag_cap(struct actx *a, struct db *db, int missing, int *rc, json_t **details)
{
	*rc = 0;
	if (missing == 0)
		return ERR_NONE;
	long long count = 0;
	*rc = COPS(a)->tags_count(db, a->user_id, &count);
	if (*rc < 0)
		return ERR_NONE;
	if (count + missing <= TAGS_PER_ACCOUNT)
		return ERR_NONE;
	details_add(details, "tags", "too_many");
	return ERR_LIMIT_EXCEEDED;
}

/* Starts a write: the write time, and the contact must be the caller's. */
static int begin_contact_write(struct actx *a, struct db *db, long long contact_id, long long *t,
			       enum err_code *err)
{
	int rc = COPS(a)->users_write_time(db, a->user_id, a->now, t);
	if (rc <= 0) {
		*err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	rc = contact_exists(a, db, contact_id);
	if (rc <= 0) {
		*err = ERR_NOT_FOUND;
		return rc < 0 ? rc : TX_ABORT;
	}
	return 1;
}

static int tag_list_json(struct actx *a, struct db *db, long long contact_id, json_t **out)
{
	struct tag_ref *tags = NULL;
	int n = COPS(a)->contact_tags_select(db, a->user_id, &contact_id, 1, &tags);
	if (n >= 0)
		*out = tag_refs_to_json(tags, n);
	tag_refs_free(tags, n > 0 ? n : 0);
	return n;
}

/* ---- GET /contacts/{id}/tags ---- */

struct list_tx {
	struct actx *a;
	long long id;
	json_t *out;
};

static int list_run(struct db *db, void *ctx)
{
	struct list_tx *x = ctx;
	int rc = contact_exists(x->a, db, x->id);
	if (rc <= 0)
		return rc;
	rc = tag_list_json(x->a, db, x->id, &x->out);
	return rc < 0 ? rc : 1;
}

enum err_code contact_tags_get(struct actx *a, long long contact_id, json_t **out)
{
	struct list_tx x = {a, contact_id, NULL};
	int rc = store_tx(a->app->store, false, list_run, &x);
	if (rc < 0)
		return err_from_store(rc);
	if (rc == 0 || !x.out)
		return ERR_NOT_FOUND;
	*out = x.out;
	return ERR_NONE;
}

/* ---- POST /contacts/{id}/tags ---- */

struct add_tx {
	struct actx *a;
	long long id;
	const char *const *names;
	int n;
	enum err_code err;
	int added;
	json_t *out, *details;
};

static bool has_id(const struct tag_ref *tags, int n, long long id)
{
	for (int i = 0; i < n; i++)
		if (tags[i].id == id)
			return true;
	return false;
}

static int add_run(struct db *db, void *ctx)
{
	struct add_tx *x = ctx;
	struct actx *a = x->a;
	long long t;
	int rc = begin_contact_write(a, db, x->id, &t, &x->err);
	if (rc < 0)
		return rc;
	long long *ids = xcalloc((size_t)x->n, sizeof *ids);
	int missing = 0;
	struct tag_ref *linked = NULL;
	int nl = 0;
	rc = resolve_tags_lookup(a, db, x->names, x->n, ids, &missing);
	if (rc >= 0)
		x->err = check_tag_cap(a, db, missing, &rc, &x->details);
	if (rc >= 0 && x->err == ERR_NONE)
		rc = nl = COPS(a)->contact_tags_select(db, a->user_id, &x->id, 1, &linked);
	if (rc >= 0 && x->err == ERR_NONE) {
		int new_links = 0;
		for (int i = 0; i < x->n; i++)
			new_links += !ids[i] || !has_id(linked, nl, ids[i]);
		if (nl + new_links > TAGS_PER_CONTACT) {
			details_add(&x->details, "names", "too_many");
			x->err = ERR_LIMIT_EXCEEDED;
		}
	}
	tag_refs_free(linked, nl > 0 ? nl : 0);
	if (rc >= 0 && x->err == ERR_NONE)
		rc = resolve_tags_create(a, db, x->names, x->n, ids, t);
	if (rc >= 0 && x->err == ERR_NONE)
		rc = x->added =
		    COPS(a)->contact_tags_insert(db, a->user_id, &x->id, 1, ids, x->n, t);
	free(ids);
	if (x->err != ERR_NONE)
		return TX_ABORT;
	if (rc >= 0 && x->added > 0)
		rc = contact_touch(a, db, x->id, t);
	if (rc >= 0)
		rc = tag_list_json(a, db, x->id, &x->out);
	return rc < 0 ? rc : 1;
}

enum err_code contact_tags_add(struct actx *a, long long contact_id, const char *const *names,
			       int n, json_t **out, int *added, json_t **details)
{
	struct add_tx x = {.a = a, .id = contact_id, .names = names, .n = n};
	int rc = store_tx(a->app->store, true, add_run, &x);
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
	*added = x.added;
	return ERR_NONE;
}

/* ---- DELETE /contacts/{id}/tags/{tagName} ---- */

struct remove_tx {
	struct actx *a;
	long long id;
	const char *name;
	enum err_code err;
};

static int remove_run(struct db *db, void *ctx)
{
	struct remove_tx *x = ctx;
	struct actx *a = x->a;
	long long t;
	int rc = begin_contact_write(a, db, x->id, &t, &x->err);
	if (rc < 0)
		return rc;
	long long tag_id = 0;
	int missing = 0;
	rc = resolve_tags_lookup(a, db, &x->name, 1, &tag_id, &missing);
	if (rc >= 0 && tag_id)
		rc = COPS(a)->contact_tags_delete(db, a->user_id, &x->id, 1, &tag_id, 1);
	if (rc < 0)
		return rc;
	if (!tag_id || rc == 0) {
		x->err = ERR_NOT_FOUND;
		return TX_ABORT;
	}
	return contact_touch(a, db, x->id, t);
}

enum err_code contact_tags_remove(struct actx *a, long long contact_id, const char *name)
{
	struct remove_tx x = {.a = a, .id = contact_id, .name = name};
	int rc = store_tx(a->app->store, true, remove_run, &x);
	return tx_result(rc, x.err);
}

/* ---- POST /contacts/tags ---- */

struct bulk_tx {
	struct actx *a;
	const struct tags_bulk_in *in;
	enum err_code err;
	json_t *details;
	int added, removed;
};

static void detail_index(json_t **details, const char *field, int i, const char *reason)
{
	char f[48];
	snprintf(f, sizeof f, "%s[%d]", field, i);
	details_add(details, f, reason);
}

/* Ownership of every contact and existence of every removed tag (404 with details). */
static int bulk_check_refs(struct bulk_tx *x, struct db *db, long long *remove_ids)
{
	struct actx *a = x->a;
	const struct tags_bulk_in *in = x->in;
	bool *found = xcalloc((size_t)in->nc, sizeof *found);
	int rc = COPS(a)->contacts_owned(db, a->user_id, in->contact_ids, in->nc, found);
	for (int i = 0; rc >= 0 && i < in->nc; i++)
		if (!found[i]) {
			detail_index(&x->details, "contactIds", i, "not_found");
			x->err = ERR_NOT_FOUND;
		}
	free(found);
	int missing = 0;
	if (rc >= 0)
		rc = resolve_tags_lookup(a, db, in->remove, in->nr, remove_ids, &missing);
	for (int i = 0; rc >= 0 && i < in->nr; i++)
		if (!remove_ids[i]) {
			detail_index(&x->details, "remove", in->remove_pos ? in->remove_pos[i] : i,
				     "not_found");
			x->err = ERR_NOT_FOUND;
		}
	return rc;
}

/* Per contact: the tag count after the change must stay within TAGS_PER_CONTACT; *changed
 * (nc entries) says whose tag set changes. add_ids[i] == 0 is a tag to be created. */
static int bulk_check_counts(struct bulk_tx *x, struct db *db, const long long *add_ids,
			     const long long *remove_ids, bool *changed)
{
	struct actx *a = x->a;
	const struct tags_bulk_in *in = x->in;
	struct tag_ref *links = NULL;
	int nl = COPS(a)->contact_tags_select(db, a->user_id, in->contact_ids, in->nc, &links);
	if (nl < 0)
		return nl;
	for (int c = 0; c < in->nc; c++) {
		/* links are ordered by contact_id: find this contact's run (≤ 50 rows) */
		long long cid = in->contact_ids[c];
		int lo = 0, hi = nl;
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;
			if (links[mid].contact_id < cid)
				lo = mid + 1;
			else
				hi = mid;
		}
		int end = lo;
		while (end < nl && links[end].contact_id == cid)
			end++;
		int count = end - lo, removed = 0, added = 0;
		for (int j = lo; j < end; j++)
			for (int r = 0; r < in->nr; r++)
				removed += links[j].id == remove_ids[r];
		for (int i = 0; i < in->na; i++) {
			bool linked = false;
			for (int j = lo; add_ids[i] && j < end && !linked; j++)
				linked = links[j].id == add_ids[i];
			added += !linked;
		}
		changed[c] = added > 0 || removed > 0;
		if (count - removed + added > TAGS_PER_CONTACT) {
			detail_index(&x->details, "contactIds", c, "too_many");
			x->err = ERR_LIMIT_EXCEEDED;
		}
	}
	tag_refs_free(links, nl);
	return 0;
}

static int bulk_run(struct db *db, void *ctx)
{
	struct bulk_tx *x = ctx;
	struct actx *a = x->a;
	const struct tags_bulk_in *in = x->in;
	long long t;
	int rc = COPS(a)->users_write_time(db, a->user_id, a->now, &t);
	if (rc <= 0) {
		x->err = ERR_UNAUTHENTICATED;
		return rc < 0 ? rc : TX_ABORT;
	}
	long long *remove_ids = xcalloc((size_t)in->nr + 1, sizeof *remove_ids);
	long long *add_ids = xcalloc((size_t)in->na + 1, sizeof *add_ids);
	bool *changed = xcalloc((size_t)in->nc, sizeof *changed);
	int missing = 0;
	rc = bulk_check_refs(x, db, remove_ids);
	if (rc >= 0 && x->err == ERR_NONE)
		rc = resolve_tags_lookup(a, db, in->add, in->na, add_ids, &missing);
	if (rc >= 0 && x->err == ERR_NONE)
		x->err = check_tag_cap(a, db, missing, &rc, &x->details);
	if (rc >= 0 && x->err == ERR_NONE)
		rc = bulk_check_counts(x, db, add_ids, remove_ids, changed);
	if (rc >= 0 && x->err == ERR_NONE && in->nr > 0)
		rc = x->removed = COPS(a)->contact_tags_delete(db, a->user_id, in->contact_ids,
							       in->nc, remove_ids, in->nr);
	if (rc >= 0 && x->err == ERR_NONE && in->na > 0) {
		rc = resolve_tags_create(a, db, in->add, in->na, add_ids, t);
		if (rc >= 0)
			rc = x->added = COPS(a)->contact_tags_insert(
			    db, a->user_id, in->contact_ids, in->nc, add_ids, in->na, t);
	}
	for (int c = 0; rc >= 0 && x->err == ERR_NONE && c < in->nc; c++)
		if (changed[c])
			rc = contact_touch(a, db, in->contact_ids[c], t);
	free(remove_ids);
	free(add_ids);
	free(changed);
	if (x->err != ERR_NONE)
		return TX_ABORT;
	return rc < 0 ? rc : 1;
}

enum err_code contact_tags_bulk(struct actx *a, const struct tags_bulk_in *in, json_t **out,
				json_t **details)
{
	struct bulk_tx x = {.a = a, .in = in};
	int rc = store_tx(a->app->store, true, bulk_run, &x);
	enum err_code e = tx_result(rc, x.err);
	if (e != ERR_NONE) {
		*details = x.details;
		return e;
	}
	json_decref(x.details);
	json_t *o = json_object();
	json_object_set_new(o, "contactCount", json_integer(in->nc));
	json_object_set_new(o, "linksAdded", json_integer(x.added));
	json_object_set_new(o, "linksRemoved", json_integer(x.removed));
	*out = o;
	return ERR_NONE;
}
