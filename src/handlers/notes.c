/* Resource API: notes (SPEC §10.1): GET/POST /notes, GET/PATCH/DELETE /notes/{id} and
 * GET /contacts/{id}/notes. Bodies are parsed against the field specs below (§2.2); the rules
 * that need the store live in domain/notes.c. */
#include <stdlib.h>
#include <string.h>

#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "handlers/notes_common.h"
#include "http/router.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

/* Server-owned fields answer read_only; they end both specs. */
#define READ_ONLY_FIELDS                                                                           \
	{"id", FT_JSON, FF_READ_ONLY, 0, 0}, {"userId", FT_JSON, FF_READ_ONLY, 0, 0},              \
	    {"createdAt", FT_JSON, FF_READ_ONLY, 0, 0},                                            \
	{                                                                                          \
		"updatedAt", FT_JSON, FF_READ_ONLY, 0, 0                                           \
	}

/* Indexes 0..2 are read by the handlers. */
static const struct field_spec create_spec[] = {
    {"contactId", FT_ID, FF_REQUIRED, 0, 0},
    {"title", FT_TEXT, FF_REQUIRED, 1, 200},
    {"content", FT_TEXT_ML, FF_REQUIRED, 1, 50000},
    READ_ONLY_FIELDS,
};

static const struct field_spec patch_spec[] = {
    {"contactId", FT_ID, 0, 0, 0},
    {"title", FT_TEXT, 0, 1, 200},
    {"content", FT_TEXT_ML, 0, 1, 50000},
    READ_ONLY_FIELDS,
};

static const struct timeline_sort sorts[] = {
    {"createdAt", SORT_CREATED_AT},
    {"updatedAt", SORT_UPDATED_AT},
};

static void answer_note(struct request *req, int status, struct note_row *n)
{
	json_t *o = note_to_json(n);
	if (status == 201)
		timeline_reply_created(req, "notes", n->id, o);
	else
		reply_data_steal(req, status, o, NULL);
	note_row_free(n);
}

static void list(struct request *req, long long path_contact)
{
	struct timeline_list_in in;
	json_t *details = NULL;
	timeline_params(req, &in, path_contact, sorts, N(sorts), SORT_CREATED_AT, &details);
	const char *title = http_query(req, "title");
	char *title_trimmed = NULL;
	if (title) {
		const char *why =
		    field_check_text(title, strlen(title), FT_TEXT, 1, 200, true, &title_trimmed);
		if (why)
			details_add(&details, "title", why);
		in.title = title_trimmed;
	}
	if (details)
		timeline_cursor_check(in.cursor, &details);
	if (details) {
		free(title_trimmed);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	timeline_reply_list(req, &a, &in, notes_list, details);
	free(title_trimmed);
}

void h_notes_list(struct request *req)
{
	list(req, 0);
}

void h_contact_notes_list(struct request *req)
{
	long long contact_id = 0;
	parse_id(req->params[0], &contact_id);
	list(req, contact_id);
}

void h_notes_create(struct request *req)
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
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, details);
	else
		answer_note(req, 201, &n);
}

void h_notes_get(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	struct note_row n = {0};
	enum err_code e = notes_get(&a, id, &n);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		answer_note(req, 200, &n);
}

void h_notes_update(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct field_value v[N(patch_spec)];
	if (!parse_fields(req, patch_spec, N(patch_spec), v))
		return;
	if (!v[0].present && !v[1].present && !v[2].present) {
		fields_free(v, N(patch_spec));
		reply_invalid(req, "body", "no_fields");
		return;
	}
	struct note_patch p = {
	    .set_contact = v[0].present,
	    .contact_id = v[0].num,
	    .set_title = v[1].present,
	    .title = v[1].text,
	    .set_content = v[2].present,
	    .content = v[2].text,
	};
	struct actx a;
	actx_from(req, &a);
	struct note_row n = {0};
	json_t *details = NULL;
	enum err_code e = notes_update(&a, id, &p, &n, &details);
	fields_free(v, N(patch_spec));
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, details);
	else
		answer_note(req, 200, &n);
}

void h_notes_delete(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	enum err_code e = notes_delete(&a, id);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}
