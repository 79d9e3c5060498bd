/* Shared pieces of the account handlers (see auth_common.h). */
#include "handlers/auth_common.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "config/config.h"
#include "util/alloc.h"
#include "util/timefmt.h"
#include "util/validate.h"

static void job_free(void *p)
{
	struct auth_job *j = p;
	free(j->email);
	free(j->username);
	free(j->first_name);
	free(j->last_name);
	free(j->token);
	free(j->must_email);
	free(j->avatar_url);
	if (j->password) {
		sodium_memzero(j->password, j->password_len);
		free(j->password);
	}
	if (j->new_password) {
		sodium_memzero(j->new_password, j->new_password_len);
		free(j->new_password);
	}
	token_pair_free(&j->pair);
	free(j);
}

void actx_from(struct request *req, struct actx *a)
{
	memset(a, 0, sizeof *a);
	a->app = req->app;
	a->ip = req->ip;
	a->user_agent = http_header(req, "User-Agent");
	a->request_id = req->request_id;
	a->now = now_ms();
	a->user_id = req->user_id;
	a->session_id = req->session_id;
}

struct auth_job *auth_job_new(struct request *req)
{
	struct auth_job *j = xcalloc(1, sizeof *j);
	actx_from(req, &j->a);
	req->ctx = j;
	req->ctx_free = job_free;
	return j;
}

char *field_dup(const struct field_value *v)
{
	return v->present && !v->null && v->text ? xstrdup(v->text) : NULL;
}

void reply_domain_error(struct request *req, const struct actx *a, enum err_code e,
			json_t *details)
{
	reply_error(req, e, details, NULL);
	char n[16];
	if (e == ERR_RATE_LIMITED || e == ERR_SERVICE_UNAVAILABLE) {
		int ra = a && a->retry_after > 0 ? a->retry_after : (e == ERR_RATE_LIMITED ? 60 : 5);
		snprintf(n, sizeof n, "%d", ra);
		reply_header(req, "Retry-After", n);
	}
	if (err_info(e)->status == 401)
		reply_header(req, "WWW-Authenticate",
			     req->token_presented ? "Bearer realm=\"crm\", error=\"invalid_token\""
						  : "Bearer realm=\"crm\"");
}

json_t *token_pair_json(struct request *req, const struct token_pair *t, json_t *me_steal)
{
	char ts[40];
	json_t *o = json_object();
	json_object_set_new(o, "tokenType", json_string("Bearer"));
	json_object_set_new(o, "accessToken", json_string(t->access_token));
	json_object_set_new(o, "expiresIn", json_integer(req->app->cfg->access_token_expiry));
	json_object_set_new(o, "accessTokenExpiresAt",
			    json_string(format_iso8601(t->access_expires_ms, ts, sizeof ts)));
	/* Browsers (requests with Origin) get the refresh token only in its HttpOnly cookie. */
	json_object_set_new(o, "refreshToken", http_header(req, "Origin")
						       ? json_null()
						       : json_string(t->refresh_token));
	json_object_set_new(o, "refreshTokenExpiresAt",
			    json_string(format_iso8601(t->refresh_expires_ms, ts, sizeof ts)));
	json_object_set_new(o, "user", me_steal ? me_steal : json_null());
	return o;
}

bool check_email(const struct field_value *v, const char *field, json_t **details)
{
	if (!v->text)
		return true;
	if (!valid_email(v->text)) {
		details_add(details, field, "invalid_format");
		return false;
	}
	return true;
}

bool check_username(const struct field_value *v, const char *field, json_t **details)
{
	if (!v->text)
		return true;
	if (strlen(v->text) < 3) {
		details_add(details, field, "too_short");
		return false;
	}
	if (strlen(v->text) > 30) {
		details_add(details, field, "too_long");
		return false;
	}
	if (!valid_username(v->text)) {
		details_add(details, field, "invalid_characters");
		return false;
	}
	return true;
}

bool check_new_password(const struct field_value *v, const char *field, const char *email,
			const char *username, json_t **details)
{
	if (!v->text)
		return true;
	const char *why = password_check_new(v->text, strlen(v->text), email, username);
	if (why) {
		details_add(details, field, why);
		return false;
	}
	return true;
}

bool parse_fields(struct request *req, const struct field_spec *spec, int n,
		  struct field_value *out)
{
	json_t *details = NULL;
	if (!fields_parse(req->json, spec, n, out, &details)) {
		fields_free(out, n);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return false;
	}
	json_decref(details);
	return true;
}
