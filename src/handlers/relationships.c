/* Resource API: relationships (SPEC §9.5): a contact's list, create (the pair with its inverse)
 * and delete. */
#include <stdio.h>
#include <string.h>

#include "domain/relationships.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "http/router.h"

static long long path_id(struct request *req, int i)
{
	long long id = 0;
	parse_id(req->params[i], &id);
	return id;
}

void h_relationships_list(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	enum err_code e = relationships_list(&a, path_id(req, 0), &out);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_data_steal(req, 200, out, NULL);
}

static const struct field_spec create_spec[] = {
    {"relatedContactId", FT_ID, FF_REQUIRED, 0, 0},
    {"type", FT_TEXT, FF_REQUIRED, 1, 50},
    {"label", FT_TEXT, FF_NULLABLE, 0, 50},
};

void h_relationships_create(struct request *req)
{
	long long id = path_id(req, 0);
	struct field_value v[3];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, create_spec, 3, v, &details);
	if (v[1].text && !relationship_inverse(v[1].text)) {
		details_add(&details, "type", "invalid_value");
		ok = false;
	}
	if (ok && strcmp(v[1].text, "other") == 0 && !v[2].text) {
		details_add(&details, "label", "required");
		ok = false;
	}
	if (v[0].present && v[0].num == id) {
		details_add(&details, "relatedContactId", "invalid_value");
		ok = false;
	}
	if (!ok) {
		fields_free(v, 3);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	enum err_code e =
	    relationships_create(&a, id, v[0].num, v[1].text, v[2].text, &out, &details);
	fields_free(v, 3);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, details);
		return;
	}
	char loc[80];
	snprintf(loc, sizeof loc, "/api/v1/contacts/%lld/relationships", id);
	reply_data_steal(req, 201, out, "Relationship created.");
	reply_header(req, "Location", loc);
}

void h_relationships_delete(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	enum err_code e = relationships_delete(&a, path_id(req, 0), path_id(req, 1));
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}
