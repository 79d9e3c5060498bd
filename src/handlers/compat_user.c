/* v1 compatibility routes U1–U11 (SPEC §15.2): the same domain operations as the resource
 * API under the v1 paths, field names and messages. Every JSON body gets "status" from the
 * reply layer. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "http/auth.h"
#include "util/alloc.h"

#define N(spec) ((int)(sizeof spec / sizeof spec[0]))

static json_t *message(const char *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "message", json_string(m));
	return o;
}

/* U1 */
static const struct field_spec v1_register_spec[] = {
	{"email", FT_TEXT, FF_REQUIRED, 3, 254},
	{"password", FT_SECRET, FF_REQUIRED, 1, 128},
	{"firstName", FT_TEXT, FF_REQUIRED, 1, 100},
	{"lastName", FT_TEXT, FF_REQUIRED, 1, 100},
	{"username", FT_TEXT, FF_REQUIRED, 0, 0},
};

static void v1_register_done(struct request *req, struct auth_job *j, enum err_code e,
			     json_t *details)
{
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	json_t *o = message("If this address can be registered, a verification email has been sent.");
	json_t *d = json_object();
	json_object_set_new(d, "username", json_string(j->username));
	json_object_set_new(d, "firstName", json_string(j->first_name));
	json_object_set_new(d, "lastName", j->last_name ? json_string(j->last_name) : json_null());
	json_object_set_new(d, "email", json_string(j->email));
	json_object_set_new(o, "data", d);
	reply_json_steal(req, 202, o);
}

void h_v1_register(struct request *req)
{
	register_start(req, v1_register_spec, N(v1_register_spec), v1_register_done);
}

/* U2, U7 */
static const struct field_spec v1_email_spec[] = {{"email", FT_TEXT, FF_REQUIRED, 3, 254}};

static void v1_mail_done(struct request *req, struct auth_job *j, enum err_code e,
			 json_t *details)
{
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	reply_json_steal(req, 202,
			 message(j->token ? "If an account exists for this address, a password "
					    "reset email has been sent."
					  : "If this address has an unverified account, a new "
					    "verification email has been sent."));
}

void h_v1_reverify(struct request *req)
{
	mail_flow_start(req, v1_email_spec, false, v1_mail_done);
}

void h_v1_forgot(struct request *req)
{
	mail_flow_start(req, v1_email_spec, true, v1_mail_done);
}

/* U3: GET with query email and verificationCode. */
void h_v1_verify(struct request *req)
{
	const char *email = http_query(req, "email");
	const char *code = http_query(req, "verificationCode");
	json_t *details = NULL;
	if (!email || !*email)
		details_add(&details, "email", "required");
	if (!code || !*code)
		details_add(&details, "verificationCode", "required");
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	struct actx a;
	actx_from(req, &a);
	enum err_code e = accounts_verify_email(&a, code, email);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	reply_json_steal(req, 200, message("Email verified successfully"));
}

/* U4 */
static const struct field_spec v1_login_spec[] = {
	{"email", FT_TEXT, 0, 1, 254},
	{"username", FT_TEXT, 0, 1, 254},
	{"password", FT_SECRET, FF_REQUIRED, 1, 128},
	{"reactivate", FT_BOOL, 0, 0, 0},
};

static void v1_login_done(struct request *req, struct auth_job *j, enum err_code e,
			  json_t *details)
{
	if (e != ERR_NONE) {
		reply_domain_error(req, &j->a, e, details);
		return;
	}
	json_t *o = message("Login successful");
	json_object_set_new(o, "data", token_pair_json(req, &j->pair, me_for_pair(j)));
	reply_json_steal(req, 200, o);
	cookies_set(req, &j->pair);
}

void h_v1_login(struct request *req)
{
	login_start(req, v1_login_spec, v1_login_done);
}

/* U5 */
void h_v1_logout(struct request *req)
{
	struct field_value none[1] = {{0}};
	if (!parse_fields(req, NULL, 0, none))
		return;
	if (!logout_run(req, &none[0]))
		return;
	reply_json_steal(req, 200, message("user logged out"));
	cookies_clear(req);
}

/* U6 */
static const struct field_spec v1_password_spec[] = {
	{"oldPassword", FT_SECRET, FF_REQUIRED, 1, 128},
	{"newPassword", FT_SECRET, FF_REQUIRED, 1, 128},
};

static void v1_password_done(struct request *req, struct auth_job *j, enum err_code e,
			     json_t *details)
{
	if (e != ERR_NONE)
		reply_domain_error(req, &j->a, e, details);
	else
		reply_json_steal(req, 200, message("Password successfully changed"));
}

void h_v1_update_password(struct request *req)
{
	struct field_value v[2];
	if (!parse_fields(req, v1_password_spec, 2, v))
		return;
	password_change_start(req, &v[0], &v[1], "oldPassword", v1_password_done);
	fields_free(v, 2);
}

/* U8 */
static const struct field_spec v1_reset_spec[] = {
	{"email", FT_TEXT, FF_REQUIRED, 3, 254},
	{"resetCode", FT_TEXT, FF_REQUIRED, 1, 128},
	{"newPassword", FT_SECRET, FF_REQUIRED, 1, 128},
};

static void v1_reset_done(struct request *req, struct auth_job *j, enum err_code e,
			  json_t *details)
{
	if (e != ERR_NONE)
		reply_domain_error(req, &j->a, e, details);
	else
		reply_json_steal(req, 200, message("Password reset successful"));
}

void h_v1_reset(struct request *req)
{
	struct field_value v[3];
	if (!parse_fields(req, v1_reset_spec, 3, v))
		return;
	size_t cps = 0;
	for (const char *p = v[2].text; *p; p++)
		cps += ((unsigned char)*p & 0xC0) != 0x80;
	if (cps < 12 || cps > 128) {
		fields_free(v, 3);
		reply_invalid(req, "newPassword", cps < 12 ? "too_short" : "too_long");
		return;
	}
	reset_start(req, v[1].text, v[2].text, v[0].text, v1_reset_done);
	fields_free(v, 3);
}

/* U9 */
static const struct field_spec v1_renew_spec[] = {{"refreshToken", FT_TEXT, 0, 1, 128}};

void h_v1_renew(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, v1_renew_spec, 1, v))
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
	json_t *o = message("Successfully generated new access token.");
	json_object_set_new(o, "data", token_pair_json(req, &j->pair, me_for_pair(j)));
	reply_json_steal(req, 200, o);
	cookies_set(req, &j->pair);
}

/* U10 */
static const struct field_spec v1_details_spec[] = {
	{"firstName", FT_TEXT, 0, 1, 100},
	{"lastName", FT_TEXT, FF_NULLABLE, 0, 100},
	{"avatar", FT_TEXT, FF_NULLABLE, 0, 2048},
};

void h_v1_update_details(struct request *req)
{
	struct field_value v[3];
	if (!parse_fields(req, v1_details_spec, 3, v))
		return;
	json_t *me = NULL;
	if (me_update_apply(req, &v[0], &v[1], NULL, &v[2], "avatar", &me)) {
		json_t *o = message("Successfully updated user details");
		json_object_set_new(o, "data", me);
		reply_json_steal(req, 200, o);
	}
	fields_free(v, 3);
}

/* U11 */
void h_v1_status(struct request *req)
{
	struct field_value none[1];
	if (!parse_fields(req, NULL, 0, none))
		return;
	struct actx a;
	actx_from(req, &a);
	enum err_code e = accounts_set_active(&a, false);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	json_t *o = message("Successfully updated user active status");
	json_t *d = json_object();
	json_object_set_new(d, "active", json_false());
	json_object_set_new(o, "data", d);
	reply_json_steal(req, 200, o);
	cookies_clear(req);
}
