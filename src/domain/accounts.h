/* Accounts and sessions (SPEC §3, §7.1–7.2, §8): the business rules behind the auth and /me
 * routes of both surfaces, with no HTTP types. Each operation takes an actx (who is asking,
 * from where, at what time) and returns an error code from the registry (ERR_NONE on
 * success); validation of field shapes happens in the handlers, rules that need the store or
 * another field happen here and may add {field, reason} details. */
#ifndef CRM_DOMAIN_ACCOUNTS_H
#define CRM_DOMAIN_ACCOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "errors/errors.h"

struct contact_read;
struct contact_page_read;

struct app;

struct actx {
	struct app *app;
	const char *ip, *user_agent, *request_id;
	long long now; /* Unix ms */
	long long user_id, session_id; /* the authenticated caller, 0 when none */
	int retry_after; /* set with ERR_RATE_LIMITED / ERR_SERVICE_UNAVAILABLE */
	bool mail_queued; /* a mail was queued: wake the sender after the commit */
};

/* Token pair of §7 (refresh_token NULL when the request had an Origin). */
struct token_pair {
	char *access_token;
	long long access_expires_ms;
	char *refresh_token; /* always issued; the handler decides whether the body shows it */
	long long refresh_expires_ms; /* the session's absolute end */
	long long user_id, session_id;
};
void token_pair_free(struct token_pair *t);

/* ---- authentication of a request (§3.5) ---- */
struct auth_result {
	enum err_code err; /* ERR_NONE, ERR_UNAUTHENTICATED, ERR_TOKEN_EXPIRED, store errors */
	long long user_id, session_id;
	long long session_created_at;
	bool admin;
	bool premium; /* PREMIUM entitlements now (§5): ADMIN, or the subscription rule */
};
/* Verifies an access token and loads its session and user from the store. With read (else
 * NULL), also reads the contact read->id of the user the token names in the same round trip
 * (store_ops.auth_lookup_contact); with page (else NULL; only where the store has
 * auth_lookup_page), the page page->q of that user's contacts likewise. read->rc, page->rc
 * and their outputs mean something only when the result's err is ERR_NONE. */
struct auth_result accounts_authenticate(struct app *app, const char *token, long long now,
					 struct contact_read *read, struct contact_page_read *page);

/* ---- registration and verification (§7.1) ---- */
struct register_in {
	const char *email, *first_name, *last_name, *username; /* validated */
	const char *password;
	size_t password_len;
};
enum err_code accounts_register(struct actx *a, const struct register_in *in, json_t **details);
/* token: the raw token text. */
enum err_code accounts_verify_email(struct actx *a, const char *token, const char *must_email);
enum err_code accounts_resend_verification(struct actx *a, const char *email);

/* ---- login and sessions (§7.2) ---- */
struct login_in {
	const char *email, *username; /* exactly one */
	const char *password;
	size_t password_len;
	bool reactivate;
	const char *auth_method; /* "password" */
};
enum err_code accounts_login(struct actx *a, const struct login_in *in, struct token_pair *out);
enum err_code accounts_refresh(struct actx *a, const char *refresh_token, struct token_pair *out);
/* Revokes the caller's session (a->session_id) or, when 0, the session of refresh_token. */
enum err_code accounts_logout(struct actx *a, const char *refresh_token);
enum err_code accounts_logout_all(struct actx *a);
enum err_code accounts_forgot(struct actx *a, const char *email);
enum err_code accounts_reset(struct actx *a, const char *token, const char *new_password,
			     size_t len, const char *must_email, json_t **details);

/* ---- the account (§8) ---- */
/* The Me object of the caller (new reference). */
enum err_code accounts_me(struct actx *a, json_t **me);
struct me_patch {
	bool set_first_name, set_last_name, set_username, set_avatar_url;
	const char *first_name, *last_name, *username, *avatar_url;
};
/* On success *me is the updated Me object (new reference). */
enum err_code accounts_update_me(struct actx *a, const struct me_patch *p, json_t **me,
				 json_t **details);
enum err_code accounts_change_password(struct actx *a, const char *current, size_t current_len,
				       const char *new_password, size_t new_len,
				       const char *current_field, json_t **details);
/* active=false deactivates (all sessions revoked). */
enum err_code accounts_set_active(struct actx *a, bool active);
enum err_code accounts_sessions(struct actx *a, json_t **list);
/* *was_current set when the revoked session is the caller's. */
enum err_code accounts_revoke_session(struct actx *a, long long session_id, bool *was_current);
/* password may be NULL for accounts without one. */
enum err_code accounts_delete(struct actx *a, const char *password, size_t len,
			      json_t **details);

/* Writes a security event: audit row (in its own short transaction unless db is given),
 * a log line and the crm_auth_events_total counter. */
struct db;
void audit_event(struct actx *a, struct db *db, long long user_id, const char *event,
		 const char *details_json);

#endif
