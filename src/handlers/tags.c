/* Resource API: tags (SPEC §9.3, §9.4): a contact's tags (list, add, remove by name), the bulk
 * add/remove across contacts, and the /tags collection (list, read, rename, delete). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contact_fields.h"
#include "domain/tags.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "handlers/list_params.h"
#include "http/router.h"
#include "util/fold.h"

static long long path_id(struct request *req, int i)
{
	long long id = 0;
	parse_id(req->params[i], &id);
	return id;
}

void h_contact_tags_list(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	enum err_code e = contact_tags_get(&a, path_id(req, 0), &out);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_data_steal(req, 200, out, NULL);
}

static const struct field_spec names_spec[] = {{"names", FT_JSON, FF_REQUIRED, 0, 0}};

void h_contact_tags_add(struct request *req)
{
	struct field_value v[1];
	json_t *details = NULL;
	char **names = NULL;
	int n = 0;
	bool ok = fields_parse(req->json, names_spec, 1, v, &details);
	if (ok)
		ok = tag_names_parse(v[0].json, "names", 1, 50, &names, NULL, NULL, &n, &details);
	fields_free(v, 1);
	if (!ok) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	int added = 0;
	enum err_code e = contact_tags_add(&a, path_id(req, 0), (const char *const *)names, n, &out,
					   &added, &details);
	names_free(names, n);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, details);
		return;
	}
	char msg[48];
	snprintf(msg, sizeof msg, "%d tag(s) added.", added);
	reply_data_steal(req, 200, out, msg);
}

void h_contact_tags_remove(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	enum err_code e = contact_tags_remove(&a, path_id(req, 0), req->params[1]);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}

static const struct field_spec bulk_spec[] = {
    {"contactIds", FT_JSON, FF_REQUIRED, 0, 0},
    {"add", FT_JSON, 0, 0, 0},
    {"remove", FT_JSON, 0, 0, 0},
};

void h_contact_tags_bulk(struct request *req)
{
	struct field_value v[3];
	json_t *details = NULL;
	long long *ids = NULL;
	char **add = NULL, **add_keys = NULL, **rem = NULL, **rem_keys = NULL;
	int *rem_pos = NULL;
	int nc = 0, na = 0, nr = 0;
	bool ok = fields_parse(req->json, bulk_spec, 3, v, &details);
	if (v[0].present && v[0].json)
		ok &= id_array_parse(v[0].json, "contactIds", 1, 500, &ids, &nc, &details);
	if (v[1].present && v[1].json)
		ok &=
		    tag_names_parse(v[1].json, "add", 0, 50, &add, &add_keys, NULL, &na, &details);
	if (v[2].present && v[2].json)
		ok &= tag_names_parse(v[2].json, "remove", 0, 50, &rem, &rem_keys, &rem_pos, &nr,
				      &details);
	if (ok && na == 0 && nr == 0) {
		details_add(&details, "add", "required");
		ok = false;
	}
	for (int i = 0; ok && i < nr; i++)
		for (int j = 0; j < na; j++)
			if (strcmp(rem_keys[i], add_keys[j]) == 0) {
				char f[32];
				snprintf(f, sizeof f, "remove[%d]", rem_pos[i]);
				details_add(&details, f, "conflicting");
			}
	if (details)
		ok = false;
	fields_free(v, 3);
	if (!ok) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	} else {
		struct actx a;
		actx_from(req, &a);
		struct tags_bulk_in in = {
		    .contact_ids = ids,
		    .nc = nc,
		    .add = (const char *const *)add,
		    .na = na,
		    .remove = (const char *const *)rem,
		    .nr = nr,
		    .remove_pos = rem_pos,
		};
		json_t *out = NULL;
		enum err_code e = contact_tags_bulk(&a, &in, &out, &details);
		if (e != ERR_NONE)
			reply_domain_error(req, &a, e, details);
		else
			reply_data_steal(req, 200, out, NULL);
	}
	free(ids);
	free(rem_pos);
	names_free(add, na);
	names_free(add_keys, na);
	names_free(rem, nr);
	names_free(rem_keys, nr);
}

/* ---- /tags ---- */

/* A text query parameter, trimmed, 1..max code points (absent → NULL; bad → detail). */
static char *query_text(struct request *req, const char *name, int max, json_t **details)
{
	const char *v = http_query(req, name);
	if (!v)
		return NULL;
	char *t = NULL;
	const char *why = field_check_text(v, strlen(v), FT_TEXT, 1, max, true, &t);
	if (why)
		details_add(details, name, strcmp(why, "required") == 0 ? "too_short" : why);
	return t;
}

void h_tags_list(struct request *req)
{
	json_t *details = NULL;
	struct list_params lp;
	list_params_basic(req, &lp, 25, 100, &details);
	char *q = query_text(req, "q", 200, &details);
	char *name = query_text(req, "name", 50, &details);
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	} else {
		struct tag_list_in in = {.q = q,
					 .name = name,
					 .limit = lp.limit,
					 .cursor = lp.cursor,
					 .include_total = lp.include_total};
		struct actx a;
		actx_from(req, &a);
		json_t *data = NULL, *page = NULL;
		enum err_code e = tags_list(&a, &in, &data, &page, &details);
		if (e != ERR_NONE) {
			reply_domain_error(req, &a, e, details);
		} else {
			json_t *env = json_object();
			json_object_set_new(env, "data", data);
			json_object_set_new(env, "page", page);
			reply_json_steal(req, 200, env);
		}
	}
	free(q);
	free(name);
}

void h_tags_get(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	enum err_code e = tags_get(&a, path_id(req, 0), &out);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_data_steal(req, 200, out, NULL);
}

static const struct field_spec rename_spec[] = {{"name", FT_TEXT, FF_REQUIRED, 1, 50}};

void h_tags_update(struct request *req)
{
	struct field_value v[1];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, rename_spec, 1, v, &details);
	if (ok && strchr(v[0].text, ',')) {
		details_add(&details, "name", "invalid_characters");
		ok = false;
	}
	if (!ok) {
		fields_free(v, 1);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	enum err_code e = tags_rename(&a, path_id(req, 0), v[0].text, &out, &details);
	fields_free(v, 1);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, details);
	else
		reply_data_steal(req, 200, out, NULL);
}

void h_tags_delete(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	enum err_code e = tags_delete(&a, path_id(req, 0));
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}
