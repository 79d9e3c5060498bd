/* v1 compatibility routes N1–N5 (SPEC §15.2): create, list, look up, update and delete notes
 * under the v1 paths, field names and messages, answering with V1Note objects. Each calls the
 * domain operation of its resource route (notes_create, notes_list, notes_get, notes_update,
 * notes_delete) with the field rules of §2.2; ids may be digit strings (§15.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contacts.h"
#include "handlers/auth_common.h"
#include "handlers/compat_common.h"
#include "handlers/handlers.h"
#include "util/fold.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

/* V1Note of a note row (the row is freed). */
static json_t *v1_note_row(struct note_row *n, long long user_id)
{
	json_t *res = note_to_json(n);
	json_t *o = v1_note(res, user_id);
	json_decref(res);
	note_row_free(n);
	return o;
}

static const struct field_spec create_spec[] = {
    {"contactId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
    {"title", FT_TEXT, FF_REQUIRED, 1, 200},
    {"content", FT_TEXT_ML, FF_REQUIRED, 1, 50000},
};

/* N1 */
void h_v1_create_note(struct request *req)
{
	struct field_value v[N(create_spec)];
	if (!parse_fields(req, create_spec, N(create_spec), v))
		return;
	struct note_in in = {.contact_id = v[0].num, .title = v[1].text, .content = v[2].text};
	struct actx a;
	actx_from(req, &a);
	struct note_row n = {0};
	json_t *details = NULL;
	enum err_code e = notes_create(&a, &in, &n, &details);
	fields_free(v, N(create_spec));
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, details);
		return;
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/api/v1/notes/%lld", n.id);
	v1_reply(req, 201, "Successfully added note", "data", v1_note_row(&n, a.user_id));
	reply_header(req, "Location", loc);
}

/* Answers a page of notes: {"message", items_key: [V1Note], "pagination"}. */
static void reply_notes(struct request *req, const char *message, const char *items_key,
			json_t *items, const struct v1_paging *p, long long total,
			long long user_id)
{
	json_t *doc = json_object();
	json_object_set_new(doc, items_key, v1_notes(items, user_id));
	json_object_set_new(doc, "pagination", v1_pagination(p, total));
	json_decref(items);
	v1_reply_doc(req, 200, message, doc);
}

/* The listing of in (page p), answered with message(count) under items_key. */
static void list_notes(struct request *req, struct timeline_list_in *in, const struct v1_paging *p,
		       bool found_message)
{
	struct actx a;
	actx_from(req, &a);
	json_t *items = NULL, *details = NULL;
	long long total = 0;
	enum err_code e = v1_timeline_page(&a, notes_list, in, p, &items, &total, &details);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, details);
		return;
	}
	if (found_message) {
		char msg[48];
		snprintf(msg, sizeof msg, "Found %zu notes", json_array_size(items));
		reply_notes(req, msg, "data", items, p, total, a.user_id);
	} else {
		reply_notes(req, "successfully fetched note", "fetchedNote", items, p, total,
			    a.user_id);
	}
}

/* N2: every note, newest createdAt first. */
void h_v1_list_notes(struct request *req)
{
	json_t *details = NULL;
	struct v1_paging p;
	v1_paging_parse(req, &p, &details);
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct timeline_list_in in = {.sort = SORT_CREATED_AT, .desc = true};
	list_notes(req, &in, &p, true);
}

/* N3 by noteId: that note (404 when it is not the caller's) when it also matches contactId
 * (whose contact must be the caller's) and title, as a list of 0 or 1 item. */
static void get_note_by_id(struct request *req, long long id, long long contact_id,
			   const char *title, const struct v1_paging *p)
{
	struct actx a;
	actx_from(req, &a);
	struct note_row n = {0};
	enum err_code e = notes_get(&a, id, &n);
	bool match = e == ERR_NONE;
	if (match && contact_id && n.contact_id != contact_id) {
		json_t *c = NULL;
		e = contacts_get(&a, contact_id, &c);
		json_decref(c);
		match = false;
	}
	if (match && title) {
		char *k1 = fold(title), *k2 = fold(n.title);
		match = strcmp(k1, k2) == 0;
		free(k1);
		free(k2);
	}
	if (e != ERR_NONE) {
		note_row_free(&n);
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	json_t *items = json_array();
	if (match && p->page == 1)
		json_array_append_new(items, note_to_json(&n));
	note_row_free(&n);
	reply_notes(req, "successfully fetched note", "fetchedNote", items, p, match ? 1 : 0,
		    a.user_id);
}

/* N3: the notes matching every filter given (at least one of noteId, contactId, title). */
void h_v1_get_note(struct request *req)
{
	json_t *details = NULL;
	struct v1_paging p;
	v1_paging_parse(req, &p, &details);
	long long id = v1_query_id(req, "noteId", &details);
	long long contact_id = v1_query_id(req, "contactId", &details);
	const char *raw = http_query(req, "title");
	char *title = NULL;
	if (raw) {
		const char *why = field_check_text(raw, strlen(raw), FT_TEXT, 1, 200, true, &title);
		if (why)
			details_add(&details, "title", why);
	}
	if (!raw && !http_query(req, "noteId") && !http_query(req, "contactId"))
		details_add(&details, "noteId", "required"); /* §15.3 item 15 */
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	} else if (id) {
		get_note_by_id(req, id, contact_id, title, &p);
	} else {
		struct timeline_list_in in = {.contact_id = contact_id,
					      .title = title,
					      .sort = SORT_CREATED_AT,
					      .desc = true};
		list_notes(req, &in, &p, false);
	}
	free(title);
}

static const struct field_spec update_spec[] = {
    {"noteId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
    {"title", FT_TEXT, 0, 1, 200},
    {"content", FT_TEXT_ML, 0, 1, 50000},
};

/* N4 */
void h_v1_update_note(struct request *req)
{
	struct field_value v[N(update_spec)];
	if (!parse_fields(req, update_spec, N(update_spec), v))
		return;
	if (!v[1].present && !v[2].present) {
		fields_free(v, N(update_spec));
		reply_invalid(req, "body", "no_fields");
		return;
	}
	struct note_patch patch = {
	    .set_title = v[1].present,
	    .title = v[1].text,
	    .set_content = v[2].present,
	    .content = v[2].text,
	};
	struct actx a;
	actx_from(req, &a);
	struct note_row n = {0};
	json_t *details = NULL;
	enum err_code e = notes_update(&a, v[0].num, &patch, &n, &details);
	fields_free(v, N(update_spec));
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, details);
	else
		v1_reply(req, 200, "Successfully updated note", "updatedNote",
			 v1_note_row(&n, a.user_id));
}

static const struct field_spec delete_spec[] = {
    {"noteId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
};

/* N5 */
void h_v1_delete_note(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, delete_spec, 1, v))
		return;
	struct actx a;
	actx_from(req, &a);
	enum err_code e = notes_delete(&a, v[0].num);
	fields_free(v, 1);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		v1_reply(req, 200, "Successfully deleted note", NULL, NULL);
}
