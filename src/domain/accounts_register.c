/* Registration, email verification, resend, forgot and reset (SPEC §3.7, §3.8, §7.1, §7.2).
 * The three enumeration-safe flows answer alike whether or not the address has an account;
 * each pays one password hash either way where a password is submitted. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "config/config.h"
#include "domain/accounts_internal.h"
#include "domain/mail_templates.h"
#include "integrations/mail/outbox.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"

int mail_allowed(struct actx *a, struct db *db, const char *to, const char *template_name,
		 bool *allowed)
{
	int count = 0;
	/* Mails are queued to the address as stored, so the count matches it exactly. */
	int rc = OPS(a)->outbox_count_recent(db, to, template_name, a->now - MAIL_THROTTLE_MS,
					     &count);
	*allowed = rc >= 0 && count < MAIL_THROTTLE_MAX;
	return rc;
}

int queue_mail(struct actx *a, struct db *db, long long user_id, const char *to,
	       const char *template_name, const char *first_name, const char *token, bool *queued)
{
	*queued = false;
	bool allowed;
	int rc = mail_allowed(a, db, to, template_name, &allowed);
	if (rc < 0 || !allowed)
		return rc;
	struct mail_vars v = {0};
	v.first_name = first_name;
	v.token = token;
	v.ip = a->ip;
	v.time_ms = a->now;
	rc = outbox_queue(a->app->store, db, a->app->cfg, user_id, to, template_name, &v, a->now);
	if (rc >= 0)
		*queued = a->mail_queued = true;
	return rc;
}

void wake_sender(struct actx *a, int rc)
{
	if (rc >= 0 && a->mail_queued)
		outbox_wake(a->app->outbox);
	a->mail_queued = false;
}

static bool username_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

char *derive_username(struct actx *a, struct db *db, const char *email)
{
	char base[32];
	size_t n = 0;
	for (const char *p = email; *p && *p != '@' && n < 24; p++)
		if (username_char(*p))
			base[n++] = *p;
	base[n] = '\0';
	if (n < 3)
		snprintf(base, sizeof base, "user");
	for (int i = 1; i < 100000; i++) {
		char cand[64];
		if (i == 1)
			snprintf(cand, sizeof cand, "%s", base);
		else
			snprintf(cand, sizeof cand, "%s_%d", base, i);
		char *key = ascii_lower(cand);
		struct user_row u = {0};
		int rc = OPS(a)->users_select_by_username_key(db, key, &u);
		user_row_free(&u);
		free(key);
		if (rc == 0)
			return xstrdup(cand);
		if (rc < 0)
			return NULL;
	}
	return NULL;
}

struct register_tx {
	struct actx *a;
	const struct register_in *in;
	const char *hash;
	bool username_taken;
	long long user_id;
	const char *event;
};

static int issue_token(struct actx *a, struct db *db, long long user_id, const char *purpose,
		       const char *email, const char *password_hash, long long ttl,
		       char tok[TOKEN_CHARS + 1])
{
	char h[TOKEN_HASH_HEX + 1];
	token_new(tok);
	token_hash(tok, h);
	return OPS(a)->email_tokens_insert(db, user_id, purpose, h, email, password_hash, a->now,
					   a->now + ttl);
}

static int register_run(struct db *db, void *ctx)
{
	struct register_tx *t = ctx;
	struct actx *a = t->a;
	const struct register_in *in = t->in;
	char *email_key = ascii_lower(in->email);
	struct user_row u = {0};
	int rc = OPS(a)->users_select_by_email_key(db, email_key, &u);
	if (rc < 0)
		goto out;
	bool queued;
	if (rc == 0) {
		char *username = in->username ? xstrdup(in->username) : derive_username(a, db, in->email);
		if (!username) {
			rc = ST_ERROR;
			goto out;
		}
		char *ukey = ascii_lower(username);
		struct user_new nu = {
			.email = in->email,
			.email_key = email_key,
			.username = username,
			.username_key = ukey,
			.password_hash = t->hash,
			.first_name = in->first_name,
			.last_name = in->last_name,
			.email_verified = false,
		};
		long long id = 0;
		rc = OPS(a)->users_insert(db, &nu, a->now, &id);
		free(ukey);
		free(username);
		if (rc == ST_CONFLICT && in->username) {
			t->username_taken = true;
			goto out;
		}
		if (rc < 0)
			goto out; /* a derived-name race retries the transaction */
		t->user_id = id;
		char tok[TOKEN_CHARS + 1];
		rc = issue_token(a, db, id, "verify_email", in->email, NULL, VERIFY_TOKEN_MS, tok);
		if (rc >= 0)
			rc = queue_mail(a, db, id, in->email, "verify_email", in->first_name, tok,
					&queued);
		sodium_memzero(tok, sizeof tok);
	} else if (!u.email_verified) {
		/* The address's owner proves it by using the token; only then does the password
		 * submitted here replace the account's (pre-registration takeover defence). */
		bool allowed;
		rc = mail_allowed(a, db, u.email, "verify_email", &allowed);
		if (rc >= 0 && allowed) {
			char tok[TOKEN_CHARS + 1];
			rc = issue_token(a, db, u.id, "verify_email", u.email, t->hash,
					 VERIFY_TOKEN_MS, tok);
			if (rc >= 0)
				rc = queue_mail(a, db, u.id, u.email, "verify_email", u.first_name,
						tok, &queued);
			sodium_memzero(tok, sizeof tok);
		}
	} else {
		rc = queue_mail(a, db, u.id, u.email, "account_exists", u.first_name, NULL, &queued);
	}
out:
	user_row_free(&u);
	free(email_key);
	return rc < 0 ? rc : 1;
}

enum err_code accounts_register(struct actx *a, const struct register_in *in, json_t **details)
{
	struct app *app = a->app;
	/* A taken username is revealed (usernames are public handles); the email never is. */
	if (in->username) {
		struct db *db;
		int rc = store_acquire(app->store, &db);
		if (rc < 0)
			return err_from_store(rc);
		char *key = ascii_lower(in->username);
		struct user_row u = {0};
		rc = OPS(a)->users_select_by_username_key(db, key, &u);
		bool same_account = rc > 0 && u.email && strcasecmp(u.email, in->email) == 0;
		user_row_free(&u);
		free(key);
		store_release(app->store, db);
		if (rc < 0)
			return err_from_store(rc);
		if (rc > 0 && !same_account) {
			details_add(details, "username", "duplicate");
			return ERR_CONFLICT;
		}
	}
	char hash[PASSWORD_HASH_MAX];
	enum err_code e = hash_with_slot(a, in->password, in->password_len, hash);
	if (e != ERR_NONE)
		return e;
	struct register_tx t = {a, in, hash, false, 0, NULL};
	int rc = store_tx(app->store, true, register_run, &t);
	wake_sender(a, rc);
	sodium_memzero(hash, sizeof hash);
	if (t.username_taken) {
		details_add(details, "username", "duplicate");
		return ERR_CONFLICT;
	}
	if (rc < 0)
		return err_from_store(rc);
	return ERR_NONE;
}

struct verify_tx {
	struct actx *a;
	const char *hash;
	const char *must_email;
	bool ok;
	long long user_id;
};

static int verify_run(struct db *db, void *ctx)
{
	struct verify_tx *t = ctx;
	struct actx *a = t->a;
	struct email_token_row tok = {0};
	int rc = OPS(a)->email_tokens_select(db, t->hash, &tok);
	if (rc <= 0 || strcmp(tok.purpose, "verify_email") != 0)
		goto out;
	if (t->must_email && strcasecmp(t->must_email, tok.email) != 0) {
		rc = 0;
		goto out;
	}
	struct user_row u = {0};
	rc = OPS(a)->users_select(db, tok.user_id, &u);
	if (rc <= 0) {
		user_row_free(&u);
		goto out;
	}
	bool same_address = strcasecmp(u.email, tok.email) == 0;
	if (tok.used_at) {
		/* Link scanners open links first: a used token of a verified account is fine. */
		t->ok = u.email_verified && same_address;
		user_row_free(&u);
		goto out;
	}
	if (!same_address) {
		user_row_free(&u);
		rc = 0;
		goto out;
	}
	rc = OPS(a)->users_lock(db, u.id);
	if (rc > 0)
		rc = OPS(a)->email_tokens_use(db, tok.id, a->now);
	if (rc <= 0) {
		user_row_free(&u);
		goto out;
	}
	struct user_patch p = {.set_email_verified = true, .email_verified = true};
	if (tok.password_hash) {
		p.set_password_hash = true;
		p.password_hash = tok.password_hash;
	}
	rc = OPS(a)->users_update(db, u.id, &p, a->now);
	if (rc >= 0)
		rc = OPS(a)->sessions_revoke_all(db, u.id, 0, a->now, "email_verified");
	if (rc >= 0) {
		audit_event(a, db, u.id, "auth.email_verified", NULL);
		t->ok = true;
		t->user_id = u.id;
	}
	user_row_free(&u);
out:
	email_token_row_free(&tok);
	return rc < 0 ? rc : 1;
}

enum err_code accounts_verify_email(struct actx *a, const char *token, const char *must_email)
{
	if (!token_well_formed(token))
		return ERR_INVALID_TOKEN;
	char h[TOKEN_HASH_HEX + 1];
	token_hash(token, h);
	struct verify_tx t = {a, h, must_email, false, 0};
	int rc = store_tx(a->app->store, true, verify_run, &t);
	if (rc < 0)
		return err_from_store(rc);
	return t.ok ? ERR_NONE : ERR_INVALID_TOKEN;
}

struct mail_tx {
	struct actx *a;
	const char *email;
	const char *purpose; /* "verify_email" or "reset_password" */
};

static int resend_or_forgot_run(struct db *db, void *ctx)
{
	struct mail_tx *t = ctx;
	struct actx *a = t->a;
	char *key = ascii_lower(t->email);
	struct user_row u = {0};
	int rc = OPS(a)->users_select_by_email_key(db, key, &u);
	free(key);
	bool verify = strcmp(t->purpose, "verify_email") == 0;
	const char *tmpl = verify ? "verify_email" : "password_reset";
	if (rc > 0 && (!verify || !u.email_verified)) {
		bool allowed;
		rc = mail_allowed(a, db, u.email, tmpl, &allowed);
		if (rc >= 0 && allowed) {
			char tok[TOKEN_CHARS + 1];
			rc = issue_token(a, db, u.id, t->purpose, u.email, NULL,
					 verify ? VERIFY_TOKEN_MS : RESET_TOKEN_MS, tok);
			bool queued;
			if (rc >= 0)
				rc = queue_mail(a, db, u.id, u.email, tmpl, u.first_name, tok, &queued);
			sodium_memzero(tok, sizeof tok);
		}
	}
	user_row_free(&u);
	return rc < 0 ? rc : 1;
}

enum err_code accounts_resend_verification(struct actx *a, const char *email)
{
	struct mail_tx t = {a, email, "verify_email"};
	int rc = store_tx(a->app->store, true, resend_or_forgot_run, &t);
	wake_sender(a, rc);
	return rc < 0 ? err_from_store(rc) : ERR_NONE;
}

enum err_code accounts_forgot(struct actx *a, const char *email)
{
	struct mail_tx t = {a, email, "reset_password"};
	int rc = store_tx(a->app->store, true, resend_or_forgot_run, &t);
	wake_sender(a, rc);
	return rc < 0 ? err_from_store(rc) : ERR_NONE;
}

struct reset_tx {
	struct actx *a;
	const char *token_hash;
	const char *must_email;
	const char *password;
	size_t len;
	json_t **details;
	enum err_code err;
	long long user_id;
	/* Phase 1 (lookup) hands the account to phase 2 (hash outside any transaction). */
	struct email_token_row tok;
	struct user_row u;
	const char *new_hash;
};

static int reset_lookup(struct db *db, void *ctx)
{
	struct reset_tx *t = ctx;
	struct actx *a = t->a;
	int rc = OPS(a)->email_tokens_select(db, t->token_hash, &t->tok);
	if (rc <= 0)
		return rc;
	bool live = strcmp(t->tok.purpose, "reset_password") == 0 && !t->tok.used_at &&
		    !t->tok.invalidated_at && t->tok.expires_at > a->now;
	if (!live || (t->must_email && strcasecmp(t->must_email, t->tok.email) != 0))
		return 0;
	rc = OPS(a)->users_select(db, t->tok.user_id, &t->u);
	return rc;
}

static int reset_apply(struct db *db, void *ctx)
{
	struct reset_tx *t = ctx;
	struct actx *a = t->a;
	int rc = OPS(a)->users_lock(db, t->u.id);
	if (rc <= 0)
		return rc;
	rc = OPS(a)->email_tokens_use(db, t->tok.id, a->now);
	if (rc <= 0)
		return rc; /* used meanwhile: invalid */
	rc = OPS(a)->email_tokens_invalidate(db, t->u.id, "reset_password", a->now);
	if (rc < 0)
		return rc;
	struct user_patch p = {
		.set_password_hash = true,
		.password_hash = t->new_hash,
		.set_email_verified = true,
		.email_verified = true,
	};
	if (!t->u.active) {
		p.set_active = true;
		p.active = true;
	}
	rc = OPS(a)->users_update(db, t->u.id, &p, a->now);
	if (rc >= 0)
		rc = OPS(a)->sessions_revoke_all(db, t->u.id, 0, a->now, "password_reset");
	char key[65];
	if (rc >= 0) {
		identifier_key(t->u.email, key);
		rc = OPS(a)->login_failures_clear(db, key, NULL);
	}
	if (rc >= 0 && t->u.username) {
		identifier_key(t->u.username, key);
		rc = OPS(a)->login_failures_clear(db, key, NULL);
	}
	bool queued;
	if (rc >= 0)
		rc = queue_mail(a, db, t->u.id, t->u.email, "password_changed", t->u.first_name, NULL,
				&queued);
	if (rc < 0)
		return rc;
	if (!t->u.active)
		audit_event(a, db, t->u.id, "account.reactivated", NULL);
	audit_event(a, db, t->u.id, "auth.password_reset", NULL);
	return 1;
}

enum err_code accounts_reset(struct actx *a, const char *token, const char *new_password,
			     size_t len, const char *must_email, json_t **details)
{
	if (!token_well_formed(token))
		return ERR_INVALID_TOKEN;
	char h[TOKEN_HASH_HEX + 1];
	token_hash(token, h);
	struct reset_tx t = {.a = a, .token_hash = h, .must_email = must_email,
			     .password = new_password, .len = len, .details = details};
	int rc = store_tx(a->app->store, false, reset_lookup, &t);
	enum err_code e = ERR_NONE;
	if (rc < 0) {
		e = err_from_store(rc);
		goto out;
	}
	if (rc == 0) {
		e = ERR_INVALID_TOKEN;
		goto out;
	}
	const char *why = password_check_new(new_password, len, t.u.email, t.u.username);
	if (why) {
		details_add(details, "newPassword", why);
		e = ERR_VALIDATION_FAILED;
		goto out;
	}
	char hash[PASSWORD_HASH_MAX];
	e = hash_with_slot(a, new_password, len, hash);
	if (e != ERR_NONE)
		goto out;
	t.new_hash = hash;
	rc = store_tx(a->app->store, true, reset_apply, &t);
	wake_sender(a, rc);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		e = err_from_store(rc);
	else if (rc == 0)
		e = ERR_INVALID_TOKEN;
out:
	email_token_row_free(&t.tok);
	user_row_free(&t.u);
	return e;
}
