/* Resource API: interactions (SPEC §10.2): GET/POST /interactions, GET/PATCH/DELETE
 * /interactions/{id} and GET /contacts/{id}/interactions. Bodies are parsed against the field
 * specs below (§2.2), then type and occurredAt get their own rules; the rules that need the
 * store live in domain/interactions.c. */
#include <stdlib.h>
#include <string.h>

#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "handlers/notes_common.h"
#include "http/query.h"
#include "http/router.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

/* Server-owned fields answer read_only; they end both specs. */
#define READ_ONLY_FIELDS                                                                           \
	{"id", FT_JSON, FF_READ_ONLY, 0, 0}, {"userId", FT_JSON, FF_READ_ONLY, 0, 0},              \
	    {"createdAt", FT_JSON, FF_READ_ONLY, 0, 0},                                            \
	{                                                                                          \
		"updatedAt", FT_JSON, FF_READ_ONLY, 0, 0                                           \
	}

/* Field indexes of both specs, read by the handlers. */
enum { F_CONTACT, F_TYPE, F_OCCURRED, F_NOTES, F_DURATION };

static const struct field_spec create_spec[] = {
    {"contactId", FT_ID, FF_REQUIRED, 0, 0},
    {"type", FT_TEXT, FF_REQUIRED, 1, 50},
    {"occurredAt", FT_TEXT, FF_REQUIRED, 0, 0},
    {"notes", FT_TEXT_ML, FF_NULLABLE, 0, 10000},
    {"durationMinutes", FT_INT, FF_NULLABLE, 0, 10080},
    READ_ONLY_FIELDS,
};

static const struct field_spec patch_spec[] = {
    {"contactId", FT_ID, 0, 0, 0},
    {"type", FT_TEXT, 0, 1, 50},
    {"occurredAt", FT_TEXT, 0, 0, 0},
    {"notes", FT_TEXT_ML, FF_NULLABLE, 0, 10000},
    {"durationMinutes", FT_INT, FF_NULLABLE, 0, 10080},
    READ_ONLY_FIELDS,
};

static const struct timeline_sort sorts[] = {
    {"occurredAt", SORT_OCCURRED_AT},
    {"createdAt", SORT_CREATED_AT},
};

/* The values parsed from a body, after the rules the field specs do not cover. */
struct ix_body {
	char *type; /* lowercase, or NULL when absent */
	long long occurred_at;
};

/* Checks type and occurredAt of parsed values v; false (with the 400 answered) on problems. */
static bool check_body(struct request *req, const struct field_value *v, long long now,
		       struct ix_body *out)
{
	json_t *details = NULL;
	out->type = NULL;
	out->occurred_at = 0;
	if (v[F_TYPE].text) {
		const char *why = interaction_type_normalize(v[F_TYPE].text, &out->type);
		if (why)
			details_add(&details, "type", why);
	}
	if (v[F_OCCURRED].text) {
		const char *why =
		    interaction_time_parse(v[F_OCCURRED].text, now, &out->occurred_at);
		if (why)
			details_add(&details, "occurredAt", why);
	}
	if (!details)
		return true;
	free(out->type);
	out->type = NULL;
	reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	return false;
}

static void answer(struct request *req, int status, struct interaction_row *r)
{
	json_t *o = interaction_to_json(r);
	if (status == 201)
		timeline_reply_created(req, "interactions", r->id, o);
	else
		reply_data_steal(req, status, o, NULL);
	interaction_row_free(r);
}

static void list(struct request *req, long long path_contact)
{
	struct timeline_list_in in;
	json_t *details = NULL;
	timeline_params(req, &in, path_contact, sorts, N(sorts), SORT_OCCURRED_AT, &details);
	char *types[INTERACTION_MAX_TYPE_FILTERS] = {0};
	int n = query_count(req, "type");
	if (n > INTERACTION_MAX_TYPE_FILTERS) {
		details_add(&details, "type", "too_many");
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		const char *raw = query_nth(req, "type", i);
		char *trimmed = NULL;
		const char *why =
		    field_check_text(raw, strlen(raw), FT_TEXT, 1, 50, true, &trimmed);
		if (!why)
			why = interaction_type_normalize(trimmed, &types[in.ntypes]);
		free(trimmed);
		if (why) {
			details_add(&details, "type", why);
		} else {
			in.types[in.ntypes] = types[in.ntypes];
			in.ntypes++;
		}
	}
	if (details)
		timeline_cursor_check(in.cursor, &details);
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	} else {
		struct actx a;
		actx_from(req, &a);
		timeline_reply_list(req, &a, &in, interactions_list, details);
	}
	for (int i = 0; i < INTERACTION_MAX_TYPE_FILTERS; i++)
		free(types[i]);
}

void h_interactions_list(struct request *req)
{
	list(req, 0);
}

void h_contact_interactions_list(struct request *req)
{
	long long contact_id = 0;
	parse_id(req->params[0], &contact_id);
	list(req, contact_id);
}

void h_interactions_create(struct request *req)
{
	struct field_value v[N(create_spec)];
	if (!parse_fields(req, create_spec, N(create_spec), v))
		return;
	struct actx a;
	actx_from(req, &a);
	struct ix_body b;
	if (!check_body(req, v, a.now, &b)) {
		fields_free(v, N(create_spec));
		return;
	}
	struct interaction_new in = {
	    .contact_id = v[F_CONTACT].num,
	    .type = b.type,
	    .occurred_at = b.occurred_at,
	    .notes = v[F_NOTES].text,
	    .has_duration = v[F_DURATION].present && !v[F_DURATION].null,
	    .duration_minutes = (int)v[F_DURATION].num,
	};
	struct interaction_row r = {0};
	json_t *details = NULL;
	enum err_code e = interactions_create(&a, &in, &r, &details);
	free(b.type);
	fields_free(v, N(create_spec));
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, details);
	else
		answer(req, 201, &r);
}

void h_interactions_get(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	struct interaction_row r = {0};
	enum err_code e = interactions_get(&a, id, &r);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		answer(req, 200, &r);
}

void h_interactions_update(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct field_value v[N(patch_spec)];
	if (!parse_fields(req, patch_spec, N(patch_spec), v))
		return;
	bool any = false;
	for (int i = F_CONTACT; i <= F_DURATION; i++)
		any |= v[i].present;
	struct actx a;
	actx_from(req, &a);
	struct ix_body b = {0};
	if (!any) {
		reply_invalid(req, "body", "no_fields");
	} else if (check_body(req, v, a.now, &b)) {
		struct interaction_patch p = {
		    .set_contact = v[F_CONTACT].present,
		    .contact_id = v[F_CONTACT].num,
		    .set_type = v[F_TYPE].present,
		    .type = b.type,
		    .set_occurred_at = v[F_OCCURRED].present,
		    .occurred_at = b.occurred_at,
		    .set_notes = v[F_NOTES].present,
		    .notes = v[F_NOTES].text,
		    .set_duration = v[F_DURATION].present,
		    .has_duration = v[F_DURATION].present && !v[F_DURATION].null,
		    .duration_minutes = (int)v[F_DURATION].num,
		};
		struct interaction_row r = {0};
		json_t *details = NULL;
		enum err_code e = interactions_update(&a, id, &p, &r, &details);
		if (e != ERR_NONE)
			reply_domain_error(req, &a, e, details);
		else
			answer(req, 200, &r);
	}
	free(b.type);
	fields_free(v, N(patch_spec));
}

void h_interactions_delete(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	enum err_code e = interactions_delete(&a, id);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}
