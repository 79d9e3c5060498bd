/* Login, refresh, logout and the per-request authentication (SPEC §3.2–3.5, §3.8, §7.2). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "config/config.h"
#include "domain/accounts_internal.h"
#include "domain/billing.h"
#include "util/alloc.h"
#include "util/fold.h"

void token_pair_free(struct token_pair *t)
{
	if (!t)
		return;
	free(t->access_token);
	if (t->refresh_token)
		sodium_memzero(t->refresh_token, strlen(t->refresh_token));
	free(t->refresh_token);
	memset(t, 0, sizeof *t);
}

struct auth_result accounts_authenticate(struct app *app, const char *token, long long now,
					 struct contact_read *read, struct contact_page_read *page)
{
	struct auth_result r = {.err = ERR_UNAUTHENTICATED};
	long long uid = 0, sid = 0;
	enum jwt_result jr = jwt_verify_access(app->cfg, token, now / 1000, &uid, &sid);
	if (jr == JWT_EXPIRED) {
		r.err = ERR_TOKEN_EXPIRED;
		return r;
	}
	if (jr != JWT_OK)
		return r;
	struct db *db;
	int rc = store_acquire(app->store, &db);
	if (rc < 0) {
		r.err = err_from_store(rc);
		return r;
	}
	struct auth_row row = {0};
	if (read) {
		read->user_id = uid;
		rc = app->store->ops->auth_lookup_contact(db, sid, now, &row, read);
	} else if (page) {
		page->user_id = uid;
		rc = app->store->ops->auth_lookup_page(db, sid, now, &row, page);
	} else {
		rc = app->store->ops->auth_lookup(db, sid, now, &row);
	}
	store_release(app->store, db);
	if (rc < 0) {
		r.err = err_from_store(rc);
		return r;
	}
	if (rc > 0 && row.user_id == uid && row.session_live && row.user_active) {
		r.err = ERR_NONE;
		r.user_id = uid;
		r.session_id = sid;
		r.session_created_at = row.session_created_at;
		r.admin = row.role && strcmp(row.role, "ADMIN") == 0;
		struct subscription_row sub = {.status = row.sub_status,
					       .current_period_end = row.sub_period_end,
					       .payment_failed_at = row.sub_payment_failed_at};
		r.premium = r.admin || (row.sub_status && billing_row_premium(&sub, now));
	}
	auth_row_free(&row);
	return r;
}

enum err_code hash_with_slot(struct actx *a, const char *pw, size_t len, char *out)
{
	if (!password_slot_acquire()) {
		a->retry_after = 1;
		return ERR_SERVICE_UNAVAILABLE;
	}
	bool ok = password_hash(pw, len, out);
	password_slot_release();
	return ok ? ERR_NONE : ERR_INTERNAL;
}

enum err_code verify_with_slot(struct actx *a, const char *hash, const char *pw, size_t len,
			       bool *ok, bool *rehash)
{
	if (!password_slot_acquire()) {
		a->retry_after = 1;
		return ERR_SERVICE_UNAVAILABLE;
	}
	*ok = password_verify(hash, pw, len, rehash);
	password_slot_release();
	return ERR_NONE;
}

void identifier_key(const char *identifier, char out[65])
{
	char *f = fold(identifier);
	token_hash(f, out);
	free(f);
}

void issue_access(struct actx *a, long long user_id, long long session_id, struct token_pair *out)
{
	long long exp_s = 0;
	free(out->access_token);
	out->access_token = jwt_issue(a->app->cfg, user_id, session_id, a->now / 1000, &exp_s);
	out->access_expires_ms = exp_s * 1000;
	out->user_id = user_id;
	out->session_id = session_id;
}

int open_session(struct actx *a, struct db *db, long long user_id, const char *method,
		 struct token_pair *out)
{
	const struct config *c = a->app->cfg;
	int rc = OPS(a)->sessions_trim(db, user_id, a->now, MAX_SESSIONS - 1, "session_limit");
	if (rc < 0)
		return rc;
	long long expires = a->now + (long long)c->refresh_token_expiry * 1000;
	char ua[257];
	snprintf(ua, sizeof ua, "%s", a->user_agent ? a->user_agent : "");
	long long sid = 0;
	rc = OPS(a)->sessions_insert(db, user_id, method, a->now, expires, a->ip,
				     a->user_agent ? ua : NULL, &sid);
	if (rc < 0)
		return rc;
	char tok[TOKEN_CHARS + 1], h[TOKEN_HASH_HEX + 1];
	token_new(tok);
	token_hash(tok, h);
	rc = OPS(a)->refresh_insert(db, user_id, sid, h, a->now);
	if (rc < 0)
		return rc;
	free(out->refresh_token);
	out->refresh_token = xstrdup(tok);
	out->refresh_expires_ms = expires;
	issue_access(a, user_id, sid, out);
	return 1;
}

/* §3.8: is this login throttled? Sets a->retry_after when it is. */
static int throttled(struct actx *a, struct db *db, const char *key, bool *limited)
{
	const struct config *c = a->app->cfg;
	long long window = (long long)c->login_failure_window_seconds * 1000;
	int count = 0;
	long long release = 0, release2 = 0;
	int rc = OPS(a)->login_failures_window(db, key, a->ip, a->now - window,
					       c->login_max_failures, &count, &release);
	if (rc < 0)
		return rc;
	bool by_ip = count >= c->login_max_failures;
	int count_all = 0;
	rc = OPS(a)->login_failures_window(db, key, NULL, a->now - 3600LL * 1000, 100, &count_all,
					   &release2);
	if (rc < 0)
		return rc;
	bool by_all = count_all >= 100;
	*limited = by_ip || by_all;
	if (*limited) {
		long long until = 0;
		if (by_ip)
			until = release + window;
		if (by_all && release2 + 3600LL * 1000 > until)
			until = release2 + 3600LL * 1000;
		long long secs = (until - a->now + 999) / 1000;
		a->retry_after = secs < 1 ? 1 : (int)secs;
	}
	return 1;
}

struct login_tx {
	struct actx *a;
	const struct login_in *in;
	struct user_row *u;
	const char *rehash;
	const char *key;
	bool reactivated;
	struct token_pair *out;
};

static int login_commit(struct db *db, void *ctx)
{
	struct login_tx *t = ctx;
	struct actx *a = t->a;
	int rc = OPS(a)->users_lock(db, t->u->id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	struct user_patch p = {.set_last_login = true};
	if (t->rehash) {
		p.set_password_hash = true;
		p.password_hash = t->rehash;
	}
	if (t->reactivated) {
		p.set_active = true;
		p.active = true;
	}
	rc = OPS(a)->users_update(db, t->u->id, &p, a->now);
	if (rc < 0)
		return rc;
	rc = open_session(a, db, t->u->id, t->in->auth_method ? t->in->auth_method : "password",
			  t->out);
	if (rc < 0)
		return rc;
	rc = OPS(a)->login_failures_clear(db, t->key, a->ip);
	if (rc < 0)
		return rc;
	if (t->reactivated)
		audit_event(a, db, t->u->id, "account.reactivated", NULL);
	audit_event(a, db, t->u->id, "auth.login", NULL);
	return 1;
}

enum err_code accounts_login(struct actx *a, const struct login_in *in, struct token_pair *out)
{
	struct app *app = a->app;
	const char *ident = in->email ? in->email : in->username;
	char key[65];
	identifier_key(ident, key);
	char *fkey = in->email ? ascii_lower(in->email) : ascii_lower(in->username);

	struct db *db;
	int rc = store_acquire(app->store, &db);
	if (rc < 0) {
		free(fkey);
		return err_from_store(rc);
	}
	bool limited = false;
	rc = throttled(a, db, key, &limited);
	struct user_row u = {0};
	int found = 0;
	if (rc >= 0 && !limited)
		found = in->email ? OPS(a)->users_select_by_email_key(db, fkey, &u)
				  : OPS(a)->users_select_by_username_key(db, fkey, &u);
	store_release(app->store, db);
	free(fkey);
	if (rc < 0 || found < 0) {
		user_row_free(&u);
		return err_from_store(rc < 0 ? rc : found);
	}
	if (limited) {
		audit_event(a, NULL, 0, "auth.login_throttled", NULL);
		return ERR_RATE_LIMITED;
	}

	bool ok = false, rehash = false;
	enum err_code e = verify_with_slot(a, found ? u.password_hash : NULL, in->password,
					   in->password_len, &ok, &rehash);
	if (e != ERR_NONE) {
		user_row_free(&u);
		return e;
	}
	if (!ok) {
		if (store_acquire(app->store, &db) >= 0) {
			OPS(a)->login_failures_insert(db, key, a->ip, a->now);
			store_release(app->store, db);
		}
		audit_event(a, NULL, found ? u.id : 0, "auth.login_failed", NULL);
		user_row_free(&u);
		return ERR_INVALID_CREDENTIALS;
	}
	if (app->cfg->require_email_verification && !u.email_verified) {
		user_row_free(&u);
		return ERR_EMAIL_NOT_VERIFIED;
	}
	if (!u.active && !in->reactivate) {
		user_row_free(&u);
		return ERR_ACCOUNT_INACTIVE;
	}
	char newhash[PASSWORD_HASH_MAX];
	if (rehash && hash_with_slot(a, in->password, in->password_len, newhash) != ERR_NONE)
		rehash = false; /* keep the old hash; the login itself succeeded */
	struct login_tx t = {a, in, &u, rehash ? newhash : NULL, key, !u.active, out};
	rc = store_tx(app->store, true, login_commit, &t);
	user_row_free(&u);
	if (rc < 0) {
		token_pair_free(out);
		return err_from_store(rc);
	}
	return ERR_NONE;
}

struct refresh_tx {
	struct actx *a;
	const char *hash;
	struct token_pair *out;
	bool reused;
	long long reused_user;
};

static int refresh_run(struct db *db, void *ctx)
{
	struct refresh_tx *t = ctx;
	struct actx *a = t->a;
	struct refresh_row r = {0};
	int rc = OPS(a)->refresh_consume(db, t->hash, a->now, &r);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		rc = OPS(a)->refresh_select(db, t->hash, &r);
		if (rc <= 0)
			return rc < 0 ? rc : 0;
		long long grace = (long long)a->app->cfg->refresh_reuse_grace_seconds * 1000;
		if (r.used_at && a->now - r.used_at > grace) {
			/* Reuse of a rotated token: the whole family is revoked. */
			rc = OPS(a)->sessions_revoke(db, r.user_id, r.session_id, a->now,
						     "refresh_reused");
			if (rc < 0)
				return rc;
			t->reused = true;
			t->reused_user = r.user_id;
		}
		return 0;
	}
	struct session_row s = {0};
	rc = OPS(a)->sessions_select(db, r.session_id, &s);
	bool live = rc > 0 && !s.revoked_at && s.expires_at > a->now && s.user_id == r.user_id;
	long long expires = s.expires_at;
	session_row_free(&s);
	if (rc < 0)
		return rc;
	struct user_row u = {0};
	rc = OPS(a)->users_select(db, r.user_id, &u);
	bool active = rc > 0 && u.active;
	user_row_free(&u);
	if (rc < 0)
		return rc;
	if (!live || !active)
		return 0;
	rc = OPS(a)->sessions_touch(db, r.session_id, a->now, a->ip, a->user_agent);
	if (rc < 0)
		return rc;
	char tok[TOKEN_CHARS + 1], h[TOKEN_HASH_HEX + 1];
	token_new(tok);
	token_hash(tok, h);
	rc = OPS(a)->refresh_insert(db, r.user_id, r.session_id, h, a->now);
	if (rc < 0)
		return rc;
	t->out->refresh_token = xstrdup(tok);
	t->out->refresh_expires_ms = expires;
	issue_access(a, r.user_id, r.session_id, t->out);
	return 1;
}

enum err_code accounts_refresh(struct actx *a, const char *refresh_token, struct token_pair *out)
{
	if (!token_well_formed(refresh_token))
		return ERR_INVALID_REFRESH_TOKEN;
	char h[TOKEN_HASH_HEX + 1];
	token_hash(refresh_token, h);
	struct refresh_tx t = {a, h, out, false, 0};
	int rc = store_tx(a->app->store, true, refresh_run, &t);
	if (rc < 0) {
		token_pair_free(out);
		return err_from_store(rc);
	}
	if (t.reused)
		audit_event(a, NULL, t.reused_user, "auth.refresh_reused", NULL);
	if (rc == 0)
		return ERR_INVALID_REFRESH_TOKEN;
	audit_event(a, NULL, out->user_id, "auth.refresh", NULL);
	return ERR_NONE;
}

enum err_code accounts_logout(struct actx *a, const char *refresh_token)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	long long uid = a->user_id, sid = a->session_id;
	if (!sid) {
		struct refresh_row r = {0};
		rc = 0;
		if (token_well_formed(refresh_token)) {
			char h[TOKEN_HASH_HEX + 1];
			token_hash(refresh_token, h);
			rc = OPS(a)->refresh_select(db, h, &r);
		}
		if (rc <= 0) {
			store_release(a->app->store, db);
			return rc < 0 ? err_from_store(rc) : ERR_UNAUTHENTICATED;
		}
		uid = r.user_id;
		sid = r.session_id;
	}
	rc = OPS(a)->sessions_revoke(db, uid, sid, a->now, "logout");
	store_release(a->app->store, db);
	if (rc < 0)
		return err_from_store(rc);
	audit_event(a, NULL, uid, "auth.logout", NULL);
	return ERR_NONE;
}

enum err_code accounts_logout_all(struct actx *a)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	rc = OPS(a)->sessions_revoke_all(db, a->user_id, 0, a->now, "logout_all");
	store_release(a->app->store, db);
	if (rc < 0)
		return err_from_store(rc);
	audit_event(a, NULL, a->user_id, "auth.logout_all", NULL);
	return ERR_NONE;
}
