/* v1 compatibility routes C7–C11 (SPEC §15.2): tags across many contacts, a tag removed from
 * one contact, and the usage and deletion of a tag by name. Each calls the domain operation of
 * its resource route (contact_tags_bulk with add or remove, contact_tags_remove, tags_list with
 * the name filter, tags_delete after that lookup); names are matched by folded form (§2.1,
 * §15.3 item 9). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contact_fields.h"
#include "domain/contacts.h"
#include "domain/tags.h"
#include "handlers/auth_common.h"
#include "handlers/compat_common.h"
#include "handlers/handlers.h"
#include "util/alloc.h"
#include "util/buf.h"

/* The caller's tag whose folded name is that of name: ERR_NONE with *out its Tag object (new
 * reference), ERR_NOT_FOUND when there is none. */
static enum err_code tag_by_name(struct actx *a, const char *name, json_t **out)
{
	struct tag_list_in in = {.name = name, .limit = 1};
	json_t *data = NULL, *page = NULL, *details = NULL;
	enum err_code e = tags_list(a, &in, &data, &page, &details);
	json_decref(page);
	json_decref(details);
	if (e == ERR_NONE && json_array_size(data) == 0)
		e = ERR_NOT_FOUND;
	if (e == ERR_NONE)
		*out = json_incref(json_array_get(data, 0));
	json_decref(data);
	return e;
}

/* A tag name given in a path or body: trimmed, 1..50 code points, single-line. NULL with a
 * {field, reason} detail when it breaks those rules; a name no tag can have (a comma) is left
 * to the lookup, which finds nothing (404), as GET /tags?name= does. */
static char *tag_name_arg(const char *s, const char *field, json_t **details)
{
	char *t = NULL;
	const char *why = field_check_text(s, strlen(s), FT_TEXT, 1, 50, true, &t);
	if (why)
		details_add(details, field, why);
	return t;
}

static const struct field_spec bulk_spec[] = {
    {"contactIds", FT_JSON, FF_REQUIRED, 0, 0},
    {"tags", FT_JSON, FF_REQUIRED, 0, 0},
};

/* Runs C7 (add) or C9 (remove) on parsed input and answers. */
static void bulk_run(struct request *req, bool add, const long long *ids, int nc,
		     char *const *names, int nn, const int *pos)
{
	struct actx a;
	actx_from(req, &a);
	struct tags_bulk_in in = {.contact_ids = ids, .nc = nc};
	if (add) {
		in.add = (const char *const *)names;
		in.na = nn;
	} else {
		in.remove = (const char *const *)names;
		in.nr = nn;
		in.remove_pos = pos;
	}
	json_t *res = NULL, *details = NULL;
	enum err_code e = contact_tags_bulk(&a, &in, &res, &details);
	if (e != ERR_NONE) {
		v1_details_rename(details, add ? "add" : "remove", "tags");
		reply_domain_error(req, &a, e, details);
		return;
	}
	json_t *doc = json_object();
	struct buf msg = {0};
	if (add) {
		buf_puts(&msg, "Successfully added tags to ");
		for (int i = 0; i < nc; i++)
			buf_printf(&msg, "%s%lld", i ? "," : "", ids[i]);
		json_t *added = json_array();
		for (int i = 0; i < nn; i++)
			json_array_append_new(added, json_string(names[i]));
		json_object_set_new(doc, "tagsAdded", added);
		json_object_set(doc, "contactCount", json_object_get(res, "contactCount"));
	} else {
		buf_printf(&msg, "Successfully removed %d tags from %d contacts", nn, nc);
		json_object_set(doc, "deletedAssociations", json_object_get(res, "linksRemoved"));
	}
	json_decref(res);
	char *m = buf_steal(&msg);
	v1_reply_doc(req, 200, m, doc);
	free(m);
}

/* C7 (add) and C9 (remove): POST /contacts/tags with the names as its add or remove list;
 * the names are merged by folded form first (§2.2). */
static void bulk(struct request *req, bool add)
{
	struct field_value v[2];
	json_t *details = NULL;
	long long *ids = NULL;
	char **names = NULL, **keys = NULL;
	int *pos = NULL;
	int nc = 0, nn = 0;
	bool ok = fields_parse(req->json, bulk_spec, 2, v, &details);
	if (v[0].json) {
		json_t *arr = v1_id_array(v[0].json);
		ok &= id_array_parse(arr, "contactIds", 1, 500, &ids, &nc, &details);
		json_decref(arr);
	}
	if (v[1].json)
		ok &= tag_names_parse(v[1].json, "tags", 1, 50, &names, &keys, &pos, &nn, &details);
	fields_free(v, 2);
	if (!ok)
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	else
		bulk_run(req, add, ids, nc, names, nn, pos);
	free(ids);
	free(pos);
	names_free(names, nn);
	names_free(keys, nn);
}

void h_v1_add_tags_bulk(struct request *req)
{
	bulk(req, true);
}

void h_v1_remove_tags_bulk(struct request *req)
{
	bulk(req, false);
}

static const struct field_spec remove_spec[] = {
    {"contactId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
    {"tagName", FT_TEXT, FF_REQUIRED, 1, 50},
};

/* C8 */
void h_v1_remove_tag(struct request *req)
{
	struct field_value v[2];
	if (!parse_fields(req, remove_spec, 2, v))
		return;
	struct actx a;
	actx_from(req, &a);
	long long id = v[0].num;
	enum err_code e = contact_tags_remove(&a, id, v[1].text);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		fields_free(v, 2);
		return;
	}
	/* The message names the stored spellings; the link is gone, the tag and contact stay. */
	json_t *tag = NULL, *contact = NULL;
	const char *tag_name = v[1].text, *first = "contact";
	if (tag_by_name(&a, v[1].text, &tag) == ERR_NONE)
		tag_name = json_string_value(json_object_get(tag, "name"));
	if (contacts_get(&a, id, &contact) == ERR_NONE)
		first = json_string_value(json_object_get(contact, "firstName"));
	char *msg = xasprintf("Successfully removed %s from %s", tag_name, first);
	v1_reply(req, 200, msg, NULL, NULL);
	free(msg);
	json_decref(tag);
	json_decref(contact);
	fields_free(v, 2);
}

/* C10: the path parameter is percent-decoded by the router. */
void h_v1_tag_usage(struct request *req)
{
	json_t *details = NULL;
	char *name = tag_name_arg(req->params[0], "tagName", &details);
	if (!name) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	json_t *tag = NULL;
	enum err_code e = tag_by_name(&a, name, &tag);
	free(name);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	json_t *data = json_object();
	json_object_set(data, "tag", json_object_get(tag, "name"));
	json_object_set(data, "contactCount", json_object_get(tag, "contactCount"));
	json_decref(tag);
	v1_reply(req, 200, "Tag usage information", "data", data);
}

static const struct field_spec delete_spec[] = {{"tagName", FT_TEXT, FF_REQUIRED, 1, 50}};

/* C11 */
void h_v1_delete_tag(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, delete_spec, 1, v))
		return;
	struct actx a;
	actx_from(req, &a);
	json_t *tag = NULL;
	enum err_code e = tag_by_name(&a, v[0].text, &tag);
	fields_free(v, 1);
	if (e == ERR_NONE)
		e = tags_delete(&a, json_integer_value(json_object_get(tag, "id")));
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
	} else {
		char *msg = xasprintf("Successfully removed tag %s",
				      json_string_value(json_object_get(tag, "name")));
		v1_reply(req, 200, msg, NULL, NULL);
		free(msg);
	}
	json_decref(tag);
}
