/* v1 compatibility routes I1–I5 (SPEC §15.2): log, list, look up, update and delete
 * interactions under the v1 paths, field names (`occuredAt`) and messages, answering with
 * V1Interaction objects. Each calls the domain operation of its resource route
 * (interactions_create, interactions_list, interactions_get, interactions_update,
 * interactions_delete) with the rules of §2.2 and §15.3 item 12; ids may be digit strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contacts.h"
#include "handlers/auth_common.h"
#include "handlers/compat_common.h"
#include "handlers/handlers.h"
#include "util/timeparse.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

/* Field indexes of both specs. */
enum { F_ID, F_TYPE, F_OCCURRED, F_NOTES, F_DURATION };

/* I1: F_ID is contactId. */
static const struct field_spec create_spec[] = {
    [F_ID] = {"contactId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
    [F_TYPE] = {"type", FT_TEXT, FF_REQUIRED, 1, 50},
    [F_OCCURRED] = {"occuredAt", FT_TEXT, FF_REQUIRED, 0, 0},
    [F_NOTES] = {"notes", FT_TEXT_ML, FF_NULLABLE, 0, 10000},
    [F_DURATION] = {"durationMinutes", FT_INT, FF_NULLABLE, 0, 10080},
};

/* I4: F_ID is interactionId; the interaction is not moved (v1 has no contactId here). */
static const struct field_spec update_spec[] = {
    [F_ID] = {"interactionId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
    [F_TYPE] = {"type", FT_TEXT, 0, 1, 50},
    [F_OCCURRED] = {"occuredAt", FT_TEXT, 0, 0, 0},
    [F_NOTES] = {"notes", FT_TEXT_ML, FF_NULLABLE, 0, 10000},
    [F_DURATION] = {"durationMinutes", FT_INT, FF_NULLABLE, 0, 10080},
};

/* V1Interaction of a row (the row is freed). */
static json_t *v1_row(struct interaction_row *r, long long user_id)
{
	json_t *res = interaction_to_json(r);
	json_t *o = v1_interaction(res, user_id);
	json_decref(res);
	interaction_row_free(r);
	return o;
}

/* Parses body against spec (n fields into v), then the type (lowercased into *type) and
 * occuredAt rules, so every problem is named at once. False with the 400 answered (and v
 * freed); on success the caller frees v and *type. */
static bool parse_body(struct request *req, const struct field_spec *spec, int n,
		       struct field_value *v, long long now, char **type, long long *occurred_at)
{
	json_t *details = NULL;
	*type = NULL;
	*occurred_at = 0;
	fields_parse(req->json, spec, n, v, &details);
	const char *why;
	if (v[F_TYPE].text && (why = interaction_type_normalize(v[F_TYPE].text, type)))
		details_add(&details, "type", why);
	if (v[F_OCCURRED].text &&
	    (why = interaction_time_parse(v[F_OCCURRED].text, now, occurred_at)))
		details_add(&details, "occuredAt", why);
	if (!details)
		return true;
	free(*type);
	*type = NULL;
	fields_free(v, n);
	reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	return false;
}

static void reply_error_v1(struct request *req, struct actx *a, enum err_code e, json_t *details)
{
	v1_details_rename(details, "occurredAt", "occuredAt");
	reply_domain_error(req, a, e, details);
}

/* I1 */
void h_v1_log_interaction(struct request *req)
{
	struct field_value v[N(create_spec)];
	struct actx a;
	actx_from(req, &a);
	char *type;
	long long at;
	if (!parse_body(req, create_spec, N(create_spec), v, a.now, &type, &at))
		return;
	struct interaction_new in = {
	    .contact_id = v[F_ID].num,
	    .type = type,
	    .occurred_at = at,
	    .notes = v[F_NOTES].text,
	    .has_duration = v[F_DURATION].present && !v[F_DURATION].null,
	    .duration_minutes = (int)v[F_DURATION].num,
	};
	struct interaction_row r = {0};
	json_t *details = NULL;
	enum err_code e = interactions_create(&a, &in, &r, &details);
	free(type);
	fields_free(v, N(create_spec));
	if (e != ERR_NONE) {
		reply_error_v1(req, &a, e, details);
		return;
	}
	static const char MSG[] = "Successfully added interaction log";
	char loc[64];
	snprintf(loc, sizeof loc, "/api/v1/interactions/%lld", r.id);
	json_t *doc = json_object();
	json_object_set_new(doc, "Message", json_string(MSG)); /* kept for v1 clients (§15.2) */
	json_object_set_new(doc, "data", v1_row(&r, a.user_id));
	v1_reply_doc(req, 201, MSG, doc);
	reply_header(req, "Location", loc);
}

/* Answers {"message": "Found <n> <what>", items_key: [V1Interaction], "pagination"}. */
static void reply_list(struct request *req, const char *what, const char *items_key, json_t *items,
		       const struct v1_paging *p, long long total, long long user_id)
{
	char msg[96];
	snprintf(msg, sizeof msg, "Found %zu %s", json_array_size(items), what);
	json_t *doc = json_object();
	json_object_set_new(doc, items_key, v1_interactions(items, user_id));
	json_object_set_new(doc, "pagination", v1_pagination(p, total));
	json_decref(items);
	v1_reply_doc(req, 200, msg, doc);
}

#define FOUND_FILTERED "interaction logs with provided filters"

static void list(struct request *req, struct timeline_list_in *in, const struct v1_paging *p,
		 const char *what, const char *items_key)
{
	struct actx a;
	actx_from(req, &a);
	json_t *items = NULL, *details = NULL;
	long long total = 0;
	enum err_code e = v1_timeline_page(&a, interactions_list, in, p, &items, &total, &details);
	if (e != ERR_NONE)
		reply_error_v1(req, &a, e, details);
	else
		reply_list(req, what, items_key, items, p, total, a.user_id);
}

/* I2: every interaction, newest occurredAt first. */
void h_v1_list_interactions(struct request *req)
{
	json_t *details = NULL;
	struct v1_paging p;
	v1_paging_parse(req, &p, &details);
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct timeline_list_in in = {.sort = SORT_OCCURRED_AT, .desc = true};
	list(req, &in, &p, "interactions", "items");
}

/* I3 by interactionId: that interaction (404 when it is not the caller's) when it also matches
 * contactId (whose contact must be the caller's) and the occuredAt range [from, to). */
static void get_by_id(struct request *req, long long id, const struct timeline_list_in *f,
		      const struct v1_paging *p)
{
	struct actx a;
	actx_from(req, &a);
	struct interaction_row r = {0};
	enum err_code e = interactions_get(&a, id, &r);
	bool match = e == ERR_NONE;
	if (match && f->contact_id && r.contact_id != f->contact_id) {
		json_t *c = NULL;
		e = contacts_get(&a, f->contact_id, &c);
		json_decref(c);
		match = false;
	}
	if (match && f->has_from)
		match = r.occurred_at >= f->from && r.occurred_at < f->to;
	if (e != ERR_NONE) {
		interaction_row_free(&r);
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	json_t *items = json_array();
	if (match && p->page == 1)
		json_array_append_new(items, interaction_to_json(&r));
	interaction_row_free(&r);
	reply_list(req, FOUND_FILTERED, "data", items, p, match ? 1 : 0, a.user_id);
}

/* I3: the interactions matching every filter given (at least one of interactionId,
 * contactId, occuredAt). A date-only occuredAt matches its whole UTC day, a timestamp that
 * exact millisecond. */
void h_v1_get_interaction(struct request *req)
{
	json_t *details = NULL;
	struct v1_paging p;
	v1_paging_parse(req, &p, &details);
	long long id = v1_query_id(req, "interactionId", &details);
	struct timeline_list_in in = {.sort = SORT_OCCURRED_AT, .desc = true};
	in.contact_id = v1_query_id(req, "contactId", &details);
	const char *at = http_query(req, "occuredAt");
	if (at) {
		long long ms = 0;
		bool date_only = false;
		enum ts_result r = parse_timestamp(at, true, &ms, &date_only);
		if (r != TS_OK) {
			details_add(&details, "occuredAt",
				    r == TS_OUT_OF_RANGE ? "out_of_range" : "invalid_format");
		} else {
			in.has_from = in.has_to = true;
			in.from = ms;
			in.to = ms + (date_only ? 86400000LL : 1);
		}
	}
	if (!at && !http_query(req, "interactionId") && !http_query(req, "contactId"))
		details_add(&details, "interactionId", "required"); /* §15.3 item 15 */
	if (details)
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
	else if (id)
		get_by_id(req, id, &in, &p);
	else
		list(req, &in, &p, FOUND_FILTERED, "data");
}

/* I4 */
void h_v1_update_interaction(struct request *req)
{
	struct field_value v[N(update_spec)];
	struct actx a;
	actx_from(req, &a);
	char *type = NULL;
	long long at = 0;
	if (!parse_body(req, update_spec, N(update_spec), v, a.now, &type, &at))
		return;
	bool any = false;
	for (int i = F_TYPE; i <= F_DURATION; i++)
		any |= v[i].present;
	if (!any) {
		reply_invalid(req, "body", "no_fields");
	} else {
		struct interaction_patch patch = {
		    .set_type = v[F_TYPE].present,
		    .type = type,
		    .set_occurred_at = v[F_OCCURRED].present,
		    .occurred_at = at,
		    .set_notes = v[F_NOTES].present,
		    .notes = v[F_NOTES].text,
		    .set_duration = v[F_DURATION].present,
		    .has_duration = v[F_DURATION].present && !v[F_DURATION].null,
		    .duration_minutes = (int)v[F_DURATION].num,
		};
		struct interaction_row r = {0};
		json_t *details = NULL;
		enum err_code e = interactions_update(&a, v[F_ID].num, &patch, &r, &details);
		if (e != ERR_NONE)
			reply_error_v1(req, &a, e, details);
		else
			v1_reply(req, 200, "Successfully updated interaction log", "data",
				 v1_row(&r, a.user_id));
	}
	free(type);
	fields_free(v, N(update_spec));
}

static const struct field_spec delete_spec[] = {
    {"interactionId", FT_ID, FF_REQUIRED | FF_ID_STRING, 0, 0},
};

/* I5 */
void h_v1_delete_interaction(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, delete_spec, 1, v))
		return;
	struct actx a;
	actx_from(req, &a);
	enum err_code e = interactions_delete(&a, v[0].num);
	fields_free(v, 1);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		v1_reply(req, 200, "Successfully deleted interaction", NULL, NULL);
}
