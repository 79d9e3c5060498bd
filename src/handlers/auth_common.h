/* Pieces shared by the account handlers of both surfaces (auth.c, me.c, compat_user.c):
 * the deferred-job context, field specs, token-pair JSON and domain-error answers. */
#ifndef CRM_HANDLERS_AUTH_COMMON_H
#define CRM_HANDLERS_AUTH_COMMON_H

#include "domain/accounts.h"
#include "http/http.h"
#include "util/fields.h"

/* Everything a deferred account job needs, owned by the request (freed at completion). */
struct auth_job {
	struct actx a;
	char *email, *username, *first_name, *last_name, *token, *must_email, *avatar_url;
	char *password, *new_password; /* wiped when freed */
	size_t password_len, new_password_len;
	bool reactivate, compat;
	bool set_first_name, set_last_name, set_username, set_avatar_url;
	const char *current_field; /* field name of the current password in details */
	void (*done)(struct request *req, struct auth_job *j, enum err_code e, json_t *details);
	struct token_pair pair;
};

/* Creates the job for req (attached as req->ctx) with the caller's identity filled in. */
struct auth_job *auth_job_new(struct request *req);
/* Fills an actx for req without a job (routes that do not defer). */
void actx_from(struct request *req, struct actx *a);

/* Copies a parsed text field (NULL when absent or null). */
char *field_dup(const struct field_value *v);

/* Answers a domain error: Retry-After on 429/503, WWW-Authenticate on 401. details stolen. */
void reply_domain_error(struct request *req, const struct actx *a, enum err_code e,
			json_t *details);

/* The token pair object of §7 (refreshToken null when the request had an Origin). */
json_t *token_pair_json(struct request *req, const struct token_pair *t, json_t *me_steal);

/* Validates an email field value already trimmed; adds details on failure. */
bool check_email(const struct field_value *v, const char *field, json_t **details);
bool check_username(const struct field_value *v, const char *field, json_t **details);
/* New-password rules (length, list, equals email/username) for the value in v. */
bool check_new_password(const struct field_value *v, const char *field, const char *email,
			const char *username, json_t **details);

/* Parses req->json against spec (into out); on problems answers 400, frees out and returns
 * false. On success the caller frees out with fields_free. */
bool parse_fields(struct request *req, const struct field_spec *spec, int n,
		  struct field_value *out);

typedef void (*auth_done_fn)(struct request *req, struct auth_job *j, enum err_code e,
			     json_t *details);

/* Starters shared by both surfaces (auth.c); spec order is documented at each. */
/* spec: email, password, firstName, lastName, username. */
void register_start(struct request *req, const struct field_spec *spec, int n, auth_done_fn done);
/* spec: email. */
void mail_flow_start(struct request *req, const struct field_spec *spec, bool forgot,
		     auth_done_fn done);
/* spec: email, username, password, reactivate. */
void login_start(struct request *req, const struct field_spec *spec, auth_done_fn done);
void reset_start(struct request *req, const char *token, const char *password,
		 const char *must_email, auth_done_fn done);
/* The Me object of the account a job's token pair belongs to (new reference or NULL). */
json_t *me_for_pair(struct auth_job *j);
/* Body refresh token, else the cookie (CSRF-checked): NULL with a reply set when refused,
 * "" when there is none. */
const char *refresh_token_source(struct request *req, const struct field_value *v);
/* Logout by access token or else refresh token; false with the reply set on failure. */
bool logout_run(struct request *req, const struct field_value *v);

/* me.c: a profile change from parsed values (any may be NULL); on success *me_out is the
 * new Me object; otherwise the reply is set. avatar_name names the avatar field. */
bool me_update_apply(struct request *req, const struct field_value *first,
		     const struct field_value *last, const struct field_value *username,
		     const struct field_value *avatar, const char *avatar_name, json_t **me_out);
/* me.c: a password change; current_field names the current password in details. */
void password_change_start(struct request *req, const struct field_value *current,
			   const struct field_value *next, const char *current_field,
			   auth_done_fn done);

#endif
