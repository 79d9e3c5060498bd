/* Resource API: registration, verification, login, refresh, logout, forgot and reset
 * (SPEC §7.1–7.2). Hashing work is deferred to the job pool (§13.7). */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "http/auth.h"
#include "http/query.h"
#include "util/alloc.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

static const char REGISTER_MSG[] =
	"If this address can be registered, a verification email has been sent.";
static const char RESEND_MSG[] =
	"If this address has an unverified account, a new verification email has been sent.";
static const char FORGOT_MSG[] =
	"If an account exists for this address, a password reset email has been sent.";

/* ---- register ---- */

static const struct field_spec register_spec[] = {
	{"email", FT_TEXT, FF_REQUIRED, 3, 254},
	{"password", FT_SECRET, FF_REQUIRED, 1, 128},
	{"firstName", FT_TEXT, FF_REQUIRED, 1, 100},
	{"lastName", FT_TEXT, FF_NULLABLE, 0, 100},
	{"username", FT_TEXT, FF_NULLABLE, 0, 0},
};

static void register_job(struct request *req)
{
	struct auth_job *j = req->ctx;
	struct register_in in = {j->email, j->first_name, j->last_name, j->username, j->password,
				 j->password_len};
	json_t *details = NULL;
	enum err_code e = accounts_register(&j->a, &in, &details);
	j->done(req, j, e, details);
}

static void register_done(struct request *req, struct auth_job *j, enum err_code e,
			  json_t *details)
{
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	json_t *doc = json_object();
	json_object_set_new(doc, "message", json_string(REGISTER_MSG));
	reply_json_steal(req, 202, doc);
}

/* Validates a registration body with the given field names and defers the job. */
void register_start(struct request *req, const struct field_spec *spec, int n,
		    void (*done)(struct request *, struct auth_job *, enum err_code, json_t *))
{
	struct field_value v[8];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, spec, n, v, &details);
	/* spec order: email, password, firstName, lastName, username */
	ok &= check_email(&v[0], spec[0].name, &details);
	ok &= check_username(&v[4], spec[4].name, &details);
	if (v[1].text)
		ok &= check_new_password(&v[1], spec[1].name, v[0].text, v[4].text, &details);
	if (!ok) {
		fields_free(v, n);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	json_decref(details);
	struct auth_job *j = auth_job_new(req);
	j->email = field_dup(&v[0]);
	j->password = field_dup(&v[1]);
	j->password_len = strlen(j->password);
	j->first_name = field_dup(&v[2]);
	j->last_name = field_dup(&v[3]);
	j->username = field_dup(&v[4]);
	j->done = done;
	fields_free(v, n);
	http_defer(req, register_job);
}

void h_auth_register(struct request *req)
{
	register_start(req, register_spec, N(register_spec), register_done);
}

/* ---- verify ---- */

static const struct field_spec token_spec[] = {{"token", FT_TEXT, FF_REQUIRED, 1, 128}};

void h_auth_verify_email(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, token_spec, 1, v))
		return;
	struct actx a;
	actx_from(req, &a);
	enum err_code e = accounts_verify_email(&a, v[0].text, NULL);
	fields_free(v, 1);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_empty(req, 204);
}

void h_auth_verify_email_link(struct request *req)
{
	const struct config *c = req->app->cfg;
	const char *token = http_query(req, "token");
	bool ok = false;
	if (token && query_count(req, "token") == 1) {
		struct actx a;
		actx_from(req, &a);
		ok = accounts_verify_email(&a, token, NULL) == ERR_NONE;
	}
	char *loc = xasprintf("%s/login?%s", c->frontend_url,
			      ok ? "verified=1" : "error=invalid_token");
	reply_redirect(req, loc);
	free(loc);
}

/* ---- resend / forgot ---- */

static const struct field_spec email_spec[] = {{"email", FT_TEXT, FF_REQUIRED, 3, 254}};

static void mail_flow_job(struct request *req)
{
	struct auth_job *j = req->ctx;
	enum err_code e = j->token ? accounts_forgot(&j->a, j->email)
				   : accounts_resend_verification(&j->a, j->email);
	j->done(req, j, e, NULL);
}

static void resend_done(struct request *req, struct auth_job *j, enum err_code e,
			json_t *details)
{
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	json_t *doc = json_object();
	json_object_set_new(doc, "message", json_string(j->token ? FORGOT_MSG : RESEND_MSG));
	reply_json_steal(req, 202, doc);
}

/* Starts resend (forgot=false) or forgot; the same body either way. */
void mail_flow_start(struct request *req, const struct field_spec *spec, bool forgot,
		     void (*done)(struct request *, struct auth_job *, enum err_code, json_t *))
{
	struct field_value v[1];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, spec, 1, v, &details);
	ok &= check_email(&v[0], spec[0].name, &details);
	if (!ok) {
		fields_free(v, 1);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct auth_job *j = auth_job_new(req);
	j->email = field_dup(&v[0]);
	j->token = forgot ? xstrdup("forgot") : NULL; /* marks the flow */
	j->done = done;
	fields_free(v, 1);
	/* Deferred although no hash is computed: the answer must not be faster for unknown
	 * addresses, and the store work runs off the polling thread like the others. */
	http_defer(req, mail_flow_job);
}

void h_auth_resend(struct request *req)
{
	mail_flow_start(req, email_spec, false, resend_done);
}

void h_auth_forgot(struct request *req)
{
	mail_flow_start(req, email_spec, true, resend_done);
}

/* ---- login ---- */

static const struct field_spec login_spec[] = {
	{"email", FT_TEXT, 0, 1, 254},
	{"username", FT_TEXT, 0, 1, 254},
	{"password", FT_SECRET, FF_REQUIRED, 1, 128},
	{"reactivate", FT_BOOL, 0, 0, 0},
};

static void login_job(struct request *req)
{
	struct auth_job *j = req->ctx;
	struct login_in in = {j->email, j->username, j->password, j->password_len, j->reactivate,
			      "password"};
	enum err_code e = accounts_login(&j->a, &in, &j->pair);
	j->done(req, j, e, NULL);
}

/* The Me object of the account a token pair belongs to. */
json_t *me_for_pair(struct auth_job *j)
{
	struct actx a = j->a;
	a.user_id = j->pair.user_id;
	json_t *me = NULL;
	if (accounts_me(&a, &me) != ERR_NONE)
		return NULL;
	return me;
}

static void login_done(struct request *req, struct auth_job *j, enum err_code e, json_t *details)
{
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	reply_data_steal(req, 200, token_pair_json(req, &j->pair, me_for_pair(j)), NULL);
	cookies_set(req, &j->pair);
}

void login_start(struct request *req, const struct field_spec *spec,
		 void (*done)(struct request *, struct auth_job *, enum err_code, json_t *))
{
	struct field_value v[4];
	json_t *details = NULL;
	bool ok = fields_parse(req->json, spec, 4, v, &details);
	bool has_email = v[0].present, has_user = v[1].present;
	if (has_email && has_user) {
		details_add(&details, spec[1].name, "conflicting");
		ok = false;
	} else if (!has_email && !has_user) {
		details_add(&details, spec[0].name, "required");
		ok = false;
	}
	if (!ok) {
		fields_free(v, 4);
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct auth_job *j = auth_job_new(req);
	j->email = field_dup(&v[0]);
	j->username = field_dup(&v[1]);
	j->password = field_dup(&v[2]);
	j->password_len = strlen(j->password);
	j->reactivate = v[3].present && v[3].flag;
	j->done = done;
	fields_free(v, 4);
	http_defer(req, login_job);
}

void h_auth_login(struct request *req)
{
	login_start(req, login_spec, login_done);
}

/* ---- refresh ---- */

static const struct field_spec refresh_spec[] = {{"refreshToken", FT_TEXT, 0, 1, 128}};

/* Where the refresh token comes from: the body, else the cookie (CSRF-checked). Returns
 * NULL with a reply set when refused, or "" when there is none. */
const char *refresh_token_source(struct request *req, const struct field_value *v)
{
	if (v->text)
		return v->text;
	const char *c = http_cookie(req, "refreshToken");
	if (!c || !*c)
		return "";
	if (csrf_refuse(req))
		return NULL;
	return c;
}

void h_auth_refresh(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, refresh_spec, 1, v))
		return;
	const char *tok = refresh_token_source(req, &v[0]);
	if (!tok) {
		fields_free(v, 1);
		return;
	}
	struct auth_job *j = auth_job_new(req);
	enum err_code e = accounts_refresh(&j->a, tok, &j->pair);
	fields_free(v, 1);
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, NULL);
		if (e == ERR_INVALID_REFRESH_TOKEN)
			cookies_clear(req);
		return;
	}
	reply_data_steal(req, 200, token_pair_json(req, &j->pair, me_for_pair(j)), NULL);
	cookies_set(req, &j->pair);
}

/* ---- logout ---- */

/* Logout by access token (header or cookie) or else by refresh token. True on success;
 * otherwise the reply is set. */
bool logout_run(struct request *req, const struct field_value *v)
{
	struct actx a;
	actx_from(req, &a);
	const char *tok = "";
	if (req->auth_err == ERR_NONE) {
		if (req->via_cookie && csrf_refuse(req))
			return false;
	} else {
		a.user_id = a.session_id = 0;
		tok = refresh_token_source(req, v);
		if (!tok)
			return false;
		if (!*tok) {
			reply_domain_error(req, &a, ERR_UNAUTHENTICATED, NULL);
			return false;
		}
	}
	enum err_code e = accounts_logout(&a, tok);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return false;
	}
	return true;
}

void h_auth_logout(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, refresh_spec, 1, v))
		return;
	bool ok = logout_run(req, &v[0]);
	fields_free(v, 1);
	if (!ok)
		return;
	reply_empty(req, 204);
	cookies_clear(req);
}

void h_auth_logout_all(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, NULL, 0, v))
		return;
	struct actx a;
	actx_from(req, &a);
	enum err_code e = accounts_logout_all(&a);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	reply_empty(req, 204);
	cookies_clear(req);
}

/* ---- reset ---- */

static const struct field_spec reset_spec[] = {
	{"token", FT_TEXT, FF_REQUIRED, 1, 128},
	{"newPassword", FT_SECRET, FF_REQUIRED, 1, 128},
};

static void reset_job(struct request *req)
{
	struct auth_job *j = req->ctx;
	json_t *details = NULL;
	enum err_code e = accounts_reset(&j->a, j->token, j->new_password, j->new_password_len,
					 j->must_email, &details);
	j->done(req, j, e, details);
}

static void reset_done(struct request *req, struct auth_job *j, enum err_code e, json_t *details)
{
	if (e != ERR_NONE)
		reply_domain_error(req, &j->a, e, details);
	else
		reply_empty(req, 204);
}

void reset_start(struct request *req, const char *token, const char *password,
		 const char *must_email,
		 void (*done)(struct request *, struct auth_job *, enum err_code, json_t *))
{
	struct auth_job *j = auth_job_new(req);
	j->token = xstrdup(token);
	j->new_password = xstrdup(password);
	j->new_password_len = strlen(password);
	j->must_email = must_email ? xstrdup(must_email) : NULL;
	j->done = done;
	http_defer(req, reset_job);
}

void h_auth_reset(struct request *req)
{
	struct field_value v[2];
	if (!parse_fields(req, reset_spec, 2, v))
		return;
	/* Length rules first; the list and account checks need the account (domain). */
	size_t cps = 0;
	for (const char *p = v[1].text; *p; p++)
		cps += ((unsigned char)*p & 0xC0) != 0x80;
	if (cps < 12 || cps > 128) {
		fields_free(v, 2);
		reply_invalid(req, "newPassword", cps < 12 ? "too_short" : "too_long");
		return;
	}
	reset_start(req, v[0].text, v[1].text, NULL, reset_done);
	fields_free(v, 2);
}
