/* v1 compatibility routes C1–C6 (SPEC §15.2): add, read, update, delete and bulk-delete
 * contacts and add tags to one, under the v1 paths, field names and messages, answering with
 * V1Contact objects. Each calls the domain operation of its resource route (contacts_create,
 * contacts_get, contacts_update, contacts_delete, contacts_bulk_delete, contact_tags_add) with
 * the same field rules (§2.2); ids may be digit strings (§15.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contact_fields.h"
#include "domain/contacts.h"
#include "domain/contacts_v1.h"
#include "domain/tags.h"
#include "handlers/auth_common.h"
#include "handlers/contact_body.h"
#include "handlers/compat_common.h"
#include "handlers/handlers.h"
#include "http/router.h"
#include "util/validate.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

/* Fields indexed as in handlers/contact_body.h; F_CONTACT only in C3. */
enum { F_CONTACT = CB__COUNT };

/* C1: the fields of POST /contacts. */
static const struct field_spec add_spec[] = {
    [CB_FIRST] = {"firstName", FT_TEXT, FF_REQUIRED, 1, 100},
    [CB_LAST] = {"lastName", FT_TEXT, FF_NULLABLE, 0, 100},
    [CB_EMAIL] = {"email", FT_TEXT, FF_NULLABLE, 0, 254},
    [CB_PHONE] = {"phone", FT_TEXT, FF_NULLABLE, 0, 32},
    [CB_ADDRESS] = {"address", FT_TEXT_ML, FF_NULLABLE, 0, 500},
    [CB_COMPANY] = {"company", FT_TEXT, FF_NULLABLE, 0, 200},
    [CB_JOB] = {"jobRole", FT_TEXT, FF_NULLABLE, 0, 200},
    [CB_BIRTHDAY] = {"birthday", FT_TEXT, FF_NULLABLE, 0, 0},
    [CB_CF] = {"customFields", FT_JSON, FF_NULLABLE, 0, 0},
    [CB_TAGS] = {"tags", FT_JSON, 0, 0, 0},
};

/* C3: contactId and the fields of PATCH /contacts/{id} (firstName may not be cleared). */
static const struct field_spec update_spec[] = {
    [CB_FIRST] = {"firstName", FT_TEXT, FF_NULLABLE, 1, 100},
    [CB_LAST] = {"lastName", FT_TEXT, FF_NULLABLE, 0, 100},
    [CB_EMAIL] = {"email", FT_TEXT, FF_NULLABLE, 0, 254},
    [CB_PHONE] = {"phone", FT_TEXT, FF_NULLABLE, 0, 32},
    [CB_ADDRESS] = {"address", FT_TEXT_ML, FF_NULLABLE, 0, 500},
    [CB_COMPANY] = {"company", FT_TEXT, FF_NULLABLE, 0, 200},
    [CB_JOB] = {"jobRole", FT_TEXT, FF_NULLABLE, 0, 200},
    [CB_BIRTHDAY] = {"birthday", FT_TEXT, FF_NULLABLE, 0, 0},
    [CB_CF] = {"customFields", FT_JSON, FF_NULLABLE, 0, 0},
    [CB_TAGS] = {"tags", FT_JSON, 0, 0, 0},
    [F_CONTACT] = {"contactId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
};

/* Answers status with the contact's V1Contact, read after the write committed. */
static void reply_v1_contact(struct request *req, struct actx *a, int status, long long id,
			     const char *message)
{
	json_t *c = NULL;
	enum err_code e = contacts_v1_get(a, id, &c);
	if (e != ERR_NONE) {
		reply_domain_error(req, a, e, NULL);
		return;
	}
	v1_reply(req, status, message, "data", c);
	if (status == 201) {
		char loc[64];
		snprintf(loc, sizeof loc, "/api/v1/contacts/%lld", id);
		reply_header(req, "Location", loc);
	}
}

/* C1 (update false) and C3. */
static void write_contact(struct request *req, bool update)
{
	const struct field_spec *spec = update ? update_spec : add_spec;
	int n = update ? N(update_spec) : N(add_spec);
	struct field_value v[N(update_spec)];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, spec, n, v, &details);
	struct actx a;
	actx_from(req, &a);
	struct contact_body b = {0};
	ok &= contact_body_parse(v, update ? CB_REPLACE : CB_CREATE, a.now, &b, &details);
	if (ok && update) {
		bool any = false;
		for (int i = 0; i < F_CONTACT; i++)
			any |= v[i].present;
		if (!any) {
			details_add(&details, "body", "no_fields");
			ok = false;
		}
	}
	if (!ok) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	} else {
		json_t *out = NULL, *dd = NULL;
		long long id = update ? v[F_CONTACT].num : 0;
		enum err_code e = update ? contacts_update(&a, id, &b.in, &out, &dd)
					 : contacts_create(&a, &b.in, &out, &dd);
		if (e != ERR_NONE) {
			reply_domain_error(req, &a, e, dd);
		} else {
			id = json_integer_value(json_object_get(out, "id"));
			json_decref(out);
			reply_v1_contact(req, &a, update ? 200 : 201, id,
					 update ? "Successfully updated contact"
						: "Contact successfully added.");
		}
	}
	contact_body_free(&b);
	fields_free(v, n);
}

void h_v1_add_contact(struct request *req)
{
	write_contact(req, false);
}

void h_v1_update_contact(struct request *req)
{
	write_contact(req, true);
}

/* C2 */
void h_v1_get_contact(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	reply_v1_contact(req, &a, 200, id, "Contact details found");
}

static const struct field_spec contact_id_spec[] = {
    {"contactId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
};

/* C4 */
void h_v1_delete_contact(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, contact_id_spec, 1, v))
		return;
	struct actx a;
	actx_from(req, &a);
	enum err_code e = contacts_delete(&a, v[0].num);
	fields_free(v, 1);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		v1_reply(req, 200, "Contact Successfully deleted", NULL, NULL);
}

static const struct field_spec contact_ids_spec[] = {{"contactIds", FT_JSON, FF_REQUIRED, 0, 0}};

/* C5 */
void h_v1_delete_contacts(struct request *req)
{
	struct field_value v[1];
	json_t *details = NULL;
	long long *ids = NULL;
	int n = 0;
	bool ok = fields_parse(req->json, contact_ids_spec, 1, v, &details);
	if (ok) {
		json_t *arr = v1_id_array(v[0].json);
		ok = id_array_parse(arr, "contactIds", 1, 500, &ids, &n, &details);
		json_decref(arr);
	}
	fields_free(v, 1);
	if (!ok) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	int deleted = 0;
	enum err_code e = contacts_bulk_delete(&a, ids, n, &deleted, &details);
	free(ids);
	if (e != ERR_NONE) {
		v1_details_rename(details, "ids", "contactIds");
		reply_domain_error(req, &a, e, details);
		return;
	}
	char msg[48];
	snprintf(msg, sizeof msg, "Successfully deleted %d", deleted);
	json_t *doc = json_object();
	json_object_set_new(doc, "count", json_integer(deleted));
	v1_reply_doc(req, 200, msg, doc);
}

static const struct field_spec add_tag_spec[] = {
    {"contactId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
    {"tags", FT_JSON, FF_REQUIRED, 0, 0},
};

/* C6 */
void h_v1_add_tag(struct request *req)
{
	struct field_value v[2];
	json_t *details = NULL;
	char **names = NULL;
	int n = 0;
	bool ok = fields_parse(req->json, add_tag_spec, 2, v, &details);
	if (v[1].json)
		ok &= tag_names_parse(v[1].json, "tags", 1, 50, &names, NULL, NULL, &n, &details);
	long long id = v[0].num;
	fields_free(v, 2);
	if (!ok) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		names_free(names, n);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	json_t *out = NULL;
	int added = 0;
	enum err_code e =
	    contact_tags_add(&a, id, (const char *const *)names, n, &out, &added, &details);
	names_free(names, n);
	if (e != ERR_NONE) {
		v1_details_rename(details, "names", "tags");
		reply_domain_error(req, &a, e, details);
		return;
	}
	json_decref(out);
	reply_v1_contact(req, &a, 200, id,
			 added > 0 ? "Success! Tags added to contact"
				   : "No new tags to add. All tags are already linked to contact");
}
