/* The V1Contact read of the compatibility routes (see contacts_v1.h). */
#include "domain/contacts_v1.h"

#include <string.h>

#include "domain/contacts_internal.h"

/* V1Contact keys in the order of §15.1; "userId" and "tags" are filled here, the others are
 * copied from the resource Contact object. */
static const char *const V1_KEYS[] = {
    "id",	 "firstName", "lastName", "email",	  "phone",
    "address",	 "company",   "jobRole",  "customFields", "lastContacted",
    "createdAt", "updatedAt", "userId",	  "birthday",	  "tags",
};

static json_t *v1_tags(const struct tag_ref *tags, int n, long long user_id)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *tag = json_object();
		json_object_set_new(tag, "id", json_integer(tags[i].id));
		json_object_set_new(tag, "name", json_string(tags[i].name));
		json_object_set_new(tag, "userId", json_integer(user_id));
		json_t *link = json_object();
		json_object_set_new(link, "id", json_integer(tags[i].link_id));
		json_object_set_new(link, "contactId", json_integer(tags[i].contact_id));
		json_object_set_new(link, "tagId", json_integer(tags[i].id));
		json_object_set_new(link, "tag", tag);
		json_array_append_new(arr, link);
	}
	return arr;
}

static json_t *v1_contact(const struct contact_row *c, const struct tag_ref *tags, int n,
			  long long user_id)
{
	json_t *res = contact_to_json(c, tags, n);
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof V1_KEYS / sizeof V1_KEYS[0]; i++) {
		const char *k = V1_KEYS[i];
		json_t *v;
		if (strcmp(k, "userId") == 0)
			v = json_integer(user_id);
		else if (strcmp(k, "tags") == 0)
			v = v1_tags(tags, n, user_id);
		else
			v = json_incref(json_object_get(res, k));
		/* The v1 client API had no customFields until one was set. */
		if (strcmp(k, "customFields") == 0 && json_object_size(v) == 0) {
			json_decref(v);
			v = json_null();
		}
		json_object_set_new(o, k, v ? v : json_null());
	}
	json_decref(res);
	return o;
}

struct v1_get_tx {
	struct actx *a;
	long long id;
	json_t *out;
};

static int v1_get_run(struct db *db, void *ctx)
{
	struct v1_get_tx *x = ctx;
	struct actx *a = x->a;
	json_decref(x->out); /* a retried attempt starts afresh */
	x->out = NULL;
	struct contact_row c = {0};
	int rc = COPS(a)->contacts_select(db, a->user_id, x->id, &c);
	if (rc <= 0)
		return rc;
	struct tag_ref *tags = NULL;
	int n = COPS(a)->contact_tags_select(db, a->user_id, &x->id, 1, &tags);
	if (n >= 0)
		x->out = v1_contact(&c, tags, n, a->user_id);
	tag_refs_free(tags, n > 0 ? n : 0);
	contact_row_free(&c);
	return n < 0 ? n : 1;
}

enum err_code contacts_v1_get(struct actx *a, long long id, json_t **out)
{
	struct v1_get_tx x = {a, id, NULL};
	int rc = store_tx(a->app->store, false, v1_get_run, &x);
	if (rc < 0) {
		json_decref(x.out);
		return err_from_store(rc);
	}
	if (rc == 0 || !x.out)
		return ERR_NOT_FOUND;
	*out = x.out;
	return ERR_NONE;
}
