/* The account routes' rules (SPEC §8): the Me object, profile changes, password change,
 * deactivation, sessions and deletion. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/password.h"
#include "config/config.h"
#include "domain/accounts_internal.h"
#include "domain/billing.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"
#include "log/log.h"
#include "util/timefmt.h"

static json_t *ts_or_null(long long ms)
{
	if (!ms)
		return json_null();
	char buf[40];
	return json_string(format_iso8601(ms, buf, sizeof buf));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The providers of the user's linked identities, in name order (§8 linkedProviders). A store
 * failure leaves the list empty rather than failing the whole answer. */
static json_t *linked_providers(struct actx *a, struct db *db, long long user_id)
{
	json_t *arr = json_array();
	struct oauth_account_row *rows = NULL;
	int n = db ? OPS(a)->oauth_accounts_select_many(db, user_id, &rows) : 0;
	for (int i = 0; i < n; i++) {
		json_array_append_new(arr, json_string(rows[i].provider));
		oauth_account_row_free(&rows[i]);
	}
	free(rows);
	return arr;
}

json_t *me_json(struct actx *a, struct db *db, const struct user_row *u)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(u->id));
	json_object_set_new(o, "email", json_string(u->email));
	json_object_set_new(o, "username", str_or_null(u->username));
	json_object_set_new(o, "firstName", str_or_null(u->first_name));
	json_object_set_new(o, "lastName", str_or_null(u->last_name));
	json_object_set_new(o, "avatarUrl", str_or_null(u->avatar_url));
	json_object_set_new(o, "emailVerified", json_boolean(u->email_verified));
	json_object_set_new(o, "active", json_boolean(u->active));
	/* The plan of §5, evaluated now from the subscription row (ADMIN: PREMIUM); a store
	 * failure here reads as FREE rather than failing the whole answer. */
	bool premium = billing_user_premium(a, db, u->id, u->role) > 0;
	json_object_set_new(o, "plan", json_string(premium ? "PREMIUM" : "FREE"));
	json_object_set_new(o, "hasPassword", json_boolean(u->password_hash != NULL));
	json_object_set_new(o, "linkedProviders", linked_providers(a, db, u->id));
	json_object_set_new(o, "createdAt", ts_or_null(u->created_at));
	json_object_set_new(o, "updatedAt", ts_or_null(u->updated_at));
	json_object_set_new(o, "lastLoginAt", ts_or_null(u->last_login_at));
	return o;
}

/* Loads the caller's user on an acquired connection. */
static enum err_code load_me(struct actx *a, struct db *db, struct user_row *u)
{
	int rc = OPS(a)->users_select(db, a->user_id, u);
	if (rc < 0)
		return err_from_store(rc);
	return rc ? ERR_NONE : ERR_UNAUTHENTICATED;
}

enum err_code accounts_me(struct actx *a, json_t **me)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	struct user_row u = {0};
	enum err_code e = load_me(a, db, &u);
	if (e == ERR_NONE)
		*me = me_json(a, db, &u);
	store_release(a->app->store, db);
	user_row_free(&u);
	return e;
}

struct update_tx {
	struct actx *a;
	const struct me_patch *p;
	bool taken;
	json_t *me;
};

static int update_run(struct db *db, void *ctx)
{
	struct update_tx *t = ctx;
	struct actx *a = t->a;
	const struct me_patch *p = t->p;
	int rc = OPS(a)->users_lock(db, a->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	char *ukey = p->set_username ? ascii_lower(p->username) : NULL;
	struct user_patch up = {
		.set_first_name = p->set_first_name,
		.first_name = p->first_name,
		.set_last_name = p->set_last_name,
		.last_name = p->last_name,
		.set_username = p->set_username,
		.username = p->username,
		.username_key = ukey,
		.set_avatar_url = p->set_avatar_url,
		.avatar_url = p->avatar_url,
	};
	if (ukey) {
		struct user_row other = {0};
		rc = OPS(a)->users_select_by_username_key(db, ukey, &other);
		if (rc > 0 && other.id != a->user_id)
			t->taken = true;
		user_row_free(&other);
		if (rc < 0 || t->taken) {
			free(ukey);
			return rc < 0 ? rc : 0;
		}
	}
	rc = OPS(a)->users_update(db, a->user_id, &up, a->now);
	free(ukey);
	if (rc == ST_CONFLICT) {
		t->taken = true;
		return 0;
	}
	if (rc < 0)
		return rc;
	struct user_row u = {0};
	rc = OPS(a)->users_select(db, a->user_id, &u);
	if (rc > 0)
		t->me = me_json(a, db, &u);
	user_row_free(&u);
	return rc;
}

enum err_code accounts_update_me(struct actx *a, const struct me_patch *p, json_t **me,
				 json_t **details)
{
	struct update_tx t = {a, p, false, NULL};
	int rc = store_tx(a->app->store, true, update_run, &t);
	if (t.taken) {
		json_decref(t.me);
		details_add(details, "username", "duplicate");
		return ERR_CONFLICT;
	}
	if (rc < 0) {
		json_decref(t.me);
		return err_from_store(rc);
	}
	*me = t.me;
	return ERR_NONE;
}

struct pw_tx {
	struct actx *a;
	const char *hash;
	struct user_row *u;
};

static int change_pw_run(struct db *db, void *ctx)
{
	struct pw_tx *t = ctx;
	struct actx *a = t->a;
	int rc = OPS(a)->users_lock(db, a->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	struct user_patch p = {.set_password_hash = true, .password_hash = t->hash};
	rc = OPS(a)->users_update(db, a->user_id, &p, a->now);
	if (rc >= 0)
		rc = OPS(a)->sessions_revoke_all(db, a->user_id, a->session_id, a->now,
						 "password_changed");
	bool queued;
	if (rc >= 0)
		rc = queue_mail(a, db, a->user_id, t->u->email, "password_changed", t->u->first_name,
				NULL, &queued);
	if (rc >= 0)
		audit_event(a, db, a->user_id, "auth.password_changed", NULL);
	return rc < 0 ? rc : 1;
}

/* Records a wrong current password as a login failure under the account's email (§3.8). */
static void record_failure(struct actx *a, const char *email)
{
	char key[65];
	identifier_key(email, key);
	struct db *db;
	if (store_acquire(a->app->store, &db) >= 0) {
		OPS(a)->login_failures_insert(db, key, a->ip, a->now);
		store_release(a->app->store, db);
	}
}

enum err_code accounts_change_password(struct actx *a, const char *current, size_t current_len,
				       const char *new_password, size_t new_len,
				       const char *current_field, json_t **details)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	struct user_row u = {0};
	enum err_code e = load_me(a, db, &u);
	store_release(a->app->store, db);
	if (e != ERR_NONE)
		goto out;
	if (!u.password_hash) {
		e = ERR_CONFLICT; /* no password yet: the reset flow sets one */
		goto out;
	}
	const char *why = password_check_new(new_password, new_len, u.email, u.username);
	if (why) {
		details_add(details, "newPassword", why);
		e = ERR_VALIDATION_FAILED;
		goto out;
	}
	bool ok = false, rehash = false;
	e = verify_with_slot(a, u.password_hash, current, current_len, &ok, &rehash);
	if (e != ERR_NONE)
		goto out;
	if (!ok) {
		record_failure(a, u.email);
		details_add(details, current_field, "incorrect");
		e = ERR_VALIDATION_FAILED;
		goto out;
	}
	char hash[PASSWORD_HASH_MAX];
	e = hash_with_slot(a, new_password, new_len, hash);
	if (e != ERR_NONE)
		goto out;
	struct pw_tx t = {a, hash, &u};
	rc = store_tx(a->app->store, true, change_pw_run, &t);
	wake_sender(a, rc);
	sodium_memzero(hash, sizeof hash);
	if (rc < 0)
		e = err_from_store(rc);
out:
	user_row_free(&u);
	return e;
}

static int deactivate_run(struct db *db, void *ctx)
{
	struct actx *a = ctx;
	int rc = OPS(a)->users_lock(db, a->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	struct user_patch p = {.set_active = true, .active = false};
	rc = OPS(a)->users_update(db, a->user_id, &p, a->now);
	if (rc >= 0)
		rc = OPS(a)->sessions_revoke_all(db, a->user_id, 0, a->now, "deactivated");
	if (rc >= 0)
		audit_event(a, db, a->user_id, "account.deactivated", NULL);
	return rc < 0 ? rc : 1;
}

enum err_code accounts_set_active(struct actx *a, bool active)
{
	if (active)
		return ERR_NONE; /* reactivation happens only through login or reset (§3.9) */
	int rc = store_tx(a->app->store, true, deactivate_run, a);
	return rc < 0 ? err_from_store(rc) : ERR_NONE;
}

enum err_code accounts_sessions(struct actx *a, json_t **list)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	struct session_row *rows = NULL;
	int n = OPS(a)->sessions_select_live(db, a->user_id, a->now, &rows);
	store_release(a->app->store, db);
	if (n < 0)
		return err_from_store(n);
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(rows[i].id));
		json_object_set_new(o, "authMethod", json_string(rows[i].auth_method));
		json_object_set_new(o, "createdAt", ts_or_null(rows[i].created_at));
		json_object_set_new(o, "lastUsedAt", ts_or_null(rows[i].last_used_at));
		json_object_set_new(o, "expiresAt", ts_or_null(rows[i].expires_at));
		json_object_set_new(o, "ipAddress", str_or_null(rows[i].ip));
		json_object_set_new(o, "userAgent", str_or_null(rows[i].user_agent));
		json_object_set_new(o, "current", json_boolean(rows[i].id == a->session_id));
		json_array_append_new(arr, o);
		session_row_free(&rows[i]);
	}
	free(rows);
	*list = arr;
	return ERR_NONE;
}

enum err_code accounts_revoke_session(struct actx *a, long long session_id, bool *was_current)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	rc = OPS(a)->sessions_revoke(db, a->user_id, session_id, a->now, "revoked");
	store_release(a->app->store, db);
	if (rc < 0)
		return err_from_store(rc);
	if (rc == 0)
		return ERR_NOT_FOUND;
	*was_current = session_id == a->session_id;
	audit_event(a, NULL, a->user_id, "auth.session_revoked", NULL);
	return ERR_NONE;
}

static int delete_run(struct db *db, void *ctx)
{
	struct actx *a = ctx;
	int rc = OPS(a)->users_lock(db, a->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	rc = OPS(a)->users_delete(db, a->user_id);
	if (rc < 0)
		return rc;
	/* The one row that survives the account: its numeric id and the time (§6). */
	struct audit_new row = {.user_id = a->user_id, .event = "account.deleted"};
	return OPS(a)->audit_insert(db, &row, a->now);
}

enum err_code accounts_delete(struct actx *a, const char *password, size_t len,
			      json_t **details)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	struct user_row u = {0};
	enum err_code e = load_me(a, db, &u);
	struct session_row s = {0};
	if (e == ERR_NONE && OPS(a)->sessions_select(db, a->session_id, &s) < 0)
		e = ERR_SERVICE_UNAVAILABLE;
	store_release(a->app->store, db);
	if (e != ERR_NONE)
		goto out;
	if (u.password_hash) {
		if (!password) {
			details_add(details, "password", "required");
			e = ERR_VALIDATION_FAILED;
			goto out;
		}
		bool ok = false, rehash = false;
		e = verify_with_slot(a, u.password_hash, password, len, &ok, &rehash);
		if (e != ERR_NONE)
			goto out;
		if (!ok) {
			record_failure(a, u.email);
			details_add(details, "password", "incorrect");
			e = ERR_VALIDATION_FAILED;
			goto out;
		}
	} else if (a->now - s.created_at > 10LL * 60 * 1000) {
		e = ERR_REAUTHENTICATION_REQUIRED; /* password-less: a fresh sign-in is the proof */
		goto out;
	}
	/* A live subscription is cancelled at Stripe first; if that fails nothing is deleted. */
	e = billing_cancel_for_deletion(a);
	if (e != ERR_NONE)
		goto out;
	rc = store_tx(a->app->store, true, delete_run, a);
	if (rc < 0)
		e = err_from_store(rc);
	else
		log_line(LOG_INFO, a->request_id, "security event", "event", "account.deleted",
			 (const char *)NULL);
out:
	session_row_free(&s);
	user_row_free(&u);
	return e;
}
