/* Resource API: contacts (SPEC §9.1–9.2): create, read, update, delete, bulk delete and the
 * listing with search, filters, sorts, cursors and the change feed. Bodies and query strings
 * are validated here (every bad field reported at once); the rules that need the store live in
 * domain/contacts.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/contact_fields.h"
#include "domain/contacts.h"
#include "domain/search.h"
#include "handlers/auth_common.h"
#include "handlers/contact_body.h"
#include "handlers/handlers.h"
#include "handlers/list_params.h"
#include "http/query.h"
#include "http/router.h"
#include "store/store.h"
#include "util/timefmt.h"
#include "util/validate.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

/* Fields indexed as in handlers/contact_body.h. */

static const struct field_spec create_spec[] = {
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

/* PATCH: firstName may not be cleared (null or "" → required, checked below). */
static const struct field_spec patch_spec[] = {
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
};

static void reply_contact(struct request *req, int status, json_t *contact)
{
	if (status == 201) {
		char loc[64];
		snprintf(loc, sizeof loc, "/api/v1/contacts/%lld",
			 (long long)json_integer_value(json_object_get(contact, "id")));
		reply_data_steal(req, 201, contact, "Contact created.");
		reply_header(req, "Location", loc);
	} else {
		reply_data_steal(req, status, contact, NULL);
	}
}

/* Parses and runs a create (patch false) or an update of contact id. */
static void write_contact(struct request *req, bool patch, long long id)
{
	const struct field_spec *spec = patch ? patch_spec : create_spec;
	struct field_value v[N(create_spec)];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, spec, N(create_spec), v, &details);
	struct actx a;
	actx_from(req, &a);
	struct contact_body b = {0};
	ok &= contact_body_parse(v, patch ? CB_MERGE : CB_CREATE, a.now, &b, &details);
	if (ok && patch) {
		bool any = false;
		for (int i = 0; i < N(create_spec); i++)
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
		enum err_code e = patch ? contacts_update(&a, id, &b.in, &out, &dd)
					: contacts_create(&a, &b.in, &out, &dd);
		if (e != ERR_NONE)
			reply_domain_error(req, &a, e, dd);
		else
			reply_contact(req, patch ? 200 : 201, out);
	}
	contact_body_free(&b);
	fields_free(v, N(create_spec));
}

void h_contacts_create(struct request *req)
{
	write_contact(req, false, 0);
}

void h_contacts_update(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	write_contact(req, true, id);
}

void h_contacts_get(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	struct buf body = {0};
	enum err_code e = contacts_get_text(&a, id, req->contact_read, &body);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_json_text_steal(req, 200, &body);
	buf_free(&body);
}

void h_contacts_delete(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	enum err_code e = contacts_delete(&a, id);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}

static const struct field_spec bulk_spec[] = {{"ids", FT_JSON, FF_REQUIRED, 0, 0}};

void h_contacts_bulk_delete(struct request *req)
{
	struct field_value v[1];
	json_t *details = NULL;
	long long *ids = NULL;
	int n = 0;
	bool ok = fields_parse(req->json, bulk_spec, 1, v, &details);
	if (ok)
		ok = id_array_parse(v[0].json, "ids", 1, 500, &ids, &n, &details);
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
		reply_domain_error(req, &a, e, details);
		return;
	}
	json_t *data = json_object();
	json_object_set_new(data, "deleted", json_integer(deleted));
	reply_data_steal(req, 200, data, NULL);
}

/* ---- GET /contacts ---- */

static const struct {
	const char *name;
	enum contact_sort sort;
} sorts[] = {
    {"firstName", CSORT_FIRST_NAME},	     {"lastName", CSORT_LAST_NAME},
    {"createdAt", CSORT_CREATED_AT},	     {"updatedAt", CSORT_UPDATED_AT},
    {"lastContacted", CSORT_LAST_CONTACTED},
};

/* A text query parameter: trimmed, 1..max code points; NULL when absent or bad (detail). */
static char *query_text(struct request *req, const char *name, int max, json_t **details)
{
	const char *v = http_query(req, name);
	if (!v)
		return NULL;
	char *t = NULL;
	const char *why = field_check_text(v, strlen(v), FT_TEXT, 1, max, true, &t);
	if (why) {
		details_add(details, name, strcmp(why, "required") == 0 ? "too_short" : why);
		return NULL;
	}
	return t;
}

/* Owned strings of a parsed listing request. */
struct list_strings {
	char *q, *company, *email;
	char *tags[SEARCH_MAX_TERMS];
	int ntags;
};

static void parse_sort(struct request *req, struct contact_list_in *in, json_t **details)
{
	const char *s = http_query(req, "sort");
	in->sort = CSORT_FIRST_NAME;
	if (!s)
		return;
	const char *name = s[0] == '-' ? s + 1 : s;
	for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++)
		if (strcmp(sorts[i].name, name) == 0) {
			in->sort = sorts[i].sort;
			in->desc = s[0] == '-';
			if (in->has_since && (in->desc || in->sort != CSORT_UPDATED_AT))
				details_add(details, "sort", "conflicting");
			return;
		}
	details_add(details, "sort", "invalid_value");
}

static void parse_list(struct request *req, struct contact_list_in *in, struct list_strings *s,
		       json_t **details)
{
	struct list_params lp;
	long long now = now_ms();
	list_params_basic(req, &lp, 25, 100, details);
	list_params_updated_since(req, &lp, req->app->cfg->tombstone_retention_days, now, details);
	in->limit = lp.limit;
	in->cursor = lp.cursor;
	in->include_total = lp.include_total;
	in->has_since = lp.has_updated_since;
	in->since = lp.updated_since;
	parse_sort(req, in, details);

	s->q = query_text(req, "q", 200, details);
	if (s->q) {
		struct word_set terms = {0};
		if (search_query_terms(s->q, &terms) > SEARCH_MAX_TERMS)
			details_add(details, "q", "too_many");
		word_set_free(&terms);
	}
	in->q = s->q;
	int nt = query_count(req, "tag");
	if (nt > 10) {
		details_add(details, "tag", "too_many");
		nt = 0;
	}
	for (int i = 0; i < nt; i++) {
		const char *v = query_nth(req, "tag", i);
		char *t = NULL;
		const char *why = field_check_text(v, strlen(v), FT_TEXT, 1, 50, true, &t);
		if (why)
			details_add(details, "tag",
				    strcmp(why, "required") == 0 ? "too_short" : why);
		else
			s->tags[s->ntags++] = t;
	}
	in->tags = (const char *const *)s->tags;
	in->ntags = s->ntags;
	const char *match = http_query(req, "match");
	if (match && strcmp(match, "all") != 0 && strcmp(match, "any") != 0)
		details_add(details, "match", "invalid_value");
	in->tag_all = match && strcmp(match, "all") == 0;
	in->company = s->company = query_text(req, "company", 200, details);
	in->email = s->email = query_text(req, "email", 254, details);
}

static void list_strings_free(struct list_strings *s)
{
	free(s->q);
	free(s->company);
	free(s->email);
	for (int i = 0; i < s->ntags; i++)
		free(s->tags[i]);
}

struct contacts_page *h_contacts_list_plan(struct request *req)
{
	if (!req->app->store->ops->auth_lookup_page)
		return NULL;
	json_t *details = NULL;
	if (!query_check(req, req->route->query, req->route->flags & RF_LOOSE_QUERY, &details)) {
		json_decref(details); /* answered at step 9, after the session check */
		return NULL;
	}
	struct contact_list_in in = {0};
	struct list_strings s = {0};
	parse_list(req, &in, &s, &details);
	struct contacts_page *cp = details ? NULL : contacts_list_plan(&in);
	json_decref(details); /* answered by h_contacts_list, after the session check */
	list_strings_free(&s);
	return cp;
}

void h_contacts_list(struct request *req)
{
	struct actx a;
	struct buf body = {0};
	enum err_code e;
	json_t *details = NULL;
	if (req->contacts_page) { /* planned and read with the session check */
		actx_from(req, &a);
		e = contacts_list_planned(&a, req->contacts_page, &body);
	} else {
		struct contact_list_in in = {0};
		struct list_strings s = {0};
		parse_list(req, &in, &s, &details);
		if (details) {
			reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
			list_strings_free(&s);
			return;
		}
		actx_from(req, &a);
		e = contacts_list(&a, &in, &body, &details);
		list_strings_free(&s);
	}
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, details);
	else
		reply_json_text_steal(req, 200, &body);
	buf_free(&body);
}
