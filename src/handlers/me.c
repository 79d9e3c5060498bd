/* Resource API: the account (`/me`, SPEC §8). */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "http/auth.h"
#include "http/router.h"
#include "util/validate.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

void h_me_get(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *me = NULL;
	enum err_code e = accounts_me(&a, &me);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_data_steal(req, 200, me, NULL);
}

static const struct field_spec me_spec[] = {
	{"firstName", FT_TEXT, 0, 1, 100},
	{"lastName", FT_TEXT, FF_NULLABLE, 0, 100},
	{"username", FT_TEXT, 0, 0, 0},
	{"avatarUrl", FT_TEXT, FF_NULLABLE, 0, 2048},
	{"email", FT_TEXT, FF_READ_ONLY, 0, 0},
	{"id", FT_JSON, FF_READ_ONLY, 0, 0},
	{"emailVerified", FT_JSON, FF_READ_ONLY, 0, 0},
	{"active", FT_JSON, FF_READ_ONLY, 0, 0},
	{"plan", FT_JSON, FF_READ_ONLY, 0, 0},
	{"role", FT_JSON, FF_READ_ONLY, 0, 0},
	{"hasPassword", FT_JSON, FF_READ_ONLY, 0, 0},
	{"linkedProviders", FT_JSON, FF_READ_ONLY, 0, 0},
	{"createdAt", FT_JSON, FF_READ_ONLY, 0, 0},
	{"updatedAt", FT_JSON, FF_READ_ONLY, 0, 0},
	{"lastLoginAt", FT_JSON, FF_READ_ONLY, 0, 0},
	{"password", FT_JSON, FF_READ_ONLY, 0, 0},
	{"passwordHash", FT_JSON, FF_READ_ONLY, 0, 0},
	{"userId", FT_JSON, FF_READ_ONLY, 0, 0},
};

/* Applies a profile change from parsed values (indexes: first, last, username, avatar) and
 * answers with the Me object through reply (status 200) or an error. names gives the field
 * names used in details. Shared with compatibility U10. */
bool me_update_apply(struct request *req, const struct field_value *first,
		     const struct field_value *last, const struct field_value *username,
		     const struct field_value *avatar, const char *avatar_name, json_t **me_out)
{
	json_t *details = NULL;
	bool ok = true;
	if (username)
		ok &= check_username(username, "username", &details);
	if (avatar && avatar->text && !valid_https_url(avatar->text)) {
		details_add(&details, avatar_name, "invalid_format");
		ok = false;
	}
	bool any = (first && first->present) || (last && last->present) ||
		   (username && username->present) || (avatar && avatar->present);
	if (ok && !any) {
		details_add(&details, "body", "no_fields");
		ok = false;
	}
	if (!ok) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return false;
	}
	struct me_patch p = {
		.set_first_name = first && first->present,
		.first_name = first ? first->text : NULL,
		.set_last_name = last && last->present,
		.last_name = last ? last->text : NULL,
		.set_username = username && username->present,
		.username = username ? username->text : NULL,
		.set_avatar_url = avatar && avatar->present,
		.avatar_url = avatar ? avatar->text : NULL,
	};
	struct actx a;
	actx_from(req, &a);
	enum err_code e = accounts_update_me(&a, &p, me_out, &details);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, details);
		return false;
	}
	return true;
}

void h_me_patch(struct request *req)
{
	struct field_value v[N(me_spec)];
	if (!parse_fields(req, me_spec, N(me_spec), v))
		return;
	json_t *me = NULL;
	if (me_update_apply(req, &v[0], &v[1], &v[2], &v[3], "avatarUrl", &me))
		reply_data_steal(req, 200, me, NULL);
	fields_free(v, N(me_spec));
}

/* ---- password ---- */

static const struct field_spec password_spec[] = {
	{"currentPassword", FT_SECRET, FF_REQUIRED, 1, 128},
	{"newPassword", FT_SECRET, FF_REQUIRED, 1, 128},
};

static void password_job(struct request *req)
{
	struct auth_job *j = req->ctx;
	json_t *details = NULL;
	enum err_code e = accounts_change_password(&j->a, j->password, j->password_len,
						   j->new_password, j->new_password_len,
						   j->current_field, &details);
	j->done(req, j, e, details);
}

static void password_done(struct request *req, struct auth_job *j, enum err_code e,
			  json_t *details)
{
	if (e != ERR_NONE)
		reply_domain_error(req, &j->a, e, details);
	else
		reply_empty(req, 204);
}

/* Starts a password change with the given current-password field name (v1: oldPassword). */
void password_change_start(struct request *req, const struct field_value *current,
			   const struct field_value *next, const char *current_field,
			   auth_done_fn done)
{
	struct auth_job *j = auth_job_new(req);
	j->password = field_dup(current);
	j->password_len = strlen(j->password);
	j->new_password = field_dup(next);
	j->new_password_len = strlen(j->new_password);
	j->current_field = current_field;
	j->done = done;
	http_defer(req, password_job);
}

void h_me_password(struct request *req)
{
	struct field_value v[2];
	if (!parse_fields(req, password_spec, 2, v))
		return;
	password_change_start(req, &v[0], &v[1], "currentPassword", password_done);
	fields_free(v, 2);
}

/* ---- status ---- */

static const struct field_spec status_spec[] = {{"active", FT_BOOL, FF_REQUIRED, 0, 0}};

void h_me_status(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, status_spec, 1, v))
		return;
	struct actx a;
	actx_from(req, &a);
	bool active = v[0].flag;
	json_t *me = NULL;
	enum err_code e = active ? ERR_NONE : accounts_set_active(&a, false);
	if (e == ERR_NONE)
		e = accounts_me(&a, &me);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	reply_data_steal(req, 200, me, active ? NULL : "Account deactivated.");
	if (!active)
		cookies_clear(req);
}

/* ---- sessions ---- */

void h_me_sessions(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *list = NULL;
	enum err_code e = accounts_sessions(&a, &list);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_data_steal(req, 200, list, NULL);
}

void h_me_session_delete(struct request *req)
{
	long long id = 0;
	parse_id(req->params[0], &id);
	struct actx a;
	actx_from(req, &a);
	bool current = false;
	enum err_code e = accounts_revoke_session(&a, id, &current);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	reply_empty(req, 204);
	if (current)
		cookies_clear(req);
}

/* ---- delete ---- */

static const struct field_spec delete_spec[] = {{"password", FT_SECRET, 0, 1, 128}};

static void delete_job(struct request *req)
{
	struct auth_job *j = req->ctx;
	json_t *details = NULL;
	enum err_code e = accounts_delete(&j->a, j->password, j->password_len, &details);
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	reply_empty(req, 204);
	cookies_clear(req);
}

void h_me_delete(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, delete_spec, 1, v))
		return;
	struct auth_job *j = auth_job_new(req);
	j->password = field_dup(&v[0]);
	j->password_len = j->password ? strlen(j->password) : 0;
	fields_free(v, 1);
	http_defer(req, delete_job);
}
