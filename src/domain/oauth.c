/* Finishing an OAuth flow and managing linked identities (see oauth.h). All decisions about an
 * account run in one write transaction that first locks the user row, so a concurrent flow
 * cannot link the same identity twice or give a user two identities of one provider. */
#include "domain/oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/accounts_internal.h"
#include "domain/mail_templates.h"
#include "integrations/mail/outbox.h"
#include "integrations/oauth/oauth.h"
#include "integrations/oauth/state.h"
#include "log/log.h"
#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"
#include "util/timefmt.h"
#include "util/utf8.h"
#include "util/validate.h"

#define NAME_MAX_CP 100

static const char *const outcome_codes[] = {
    "",
    "invalid_request",
    "invalid_state",
    "access_denied",
    "oauth_failed",
    "email_unverified",
    "account_exists",
    "identity_in_use",
    "identity_conflict",
    "unauthenticated",
    "account_inactive",
    "provider_not_configured",
};

const char *oauth_outcome_code(enum oauth_outcome o)
{
	return (size_t)o < sizeof outcome_codes / sizeof outcome_codes[0] ? outcome_codes[o]
									  : "oauth_failed";
}

/* Writes an event whose details are {"provider", "code"?, "reason"?} (static words only). */
static void event(struct actx *a, struct db *db, long long user_id, const char *name,
		  const char *provider, const char *code, const char *reason)
{
	json_t *d = json_object();
	if (provider)
		json_object_set_new(d, "provider", json_string(provider));
	if (code)
		json_object_set_new(d, "code", json_string(code));
	if (reason)
		json_object_set_new(d, "reason", json_string(reason));
	char *js = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	audit_event(a, db, user_id, name, js);
	free(js);
}

void oauth_record_failure(struct actx *a, const char *provider, enum oauth_outcome o)
{
	event(a, NULL, a->user_id, "auth.oauth_failed", provider, oauth_outcome_code(o), NULL);
}

char *oauth_clean_name(const char *s, size_t max)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	if (!utf8_valid(s, len))
		return NULL;
	/* Controls (C0, DEL, C1, U+2028/2029) become spaces, so a provider's name cannot break
	 * the single-line rule of §2.1. */
	char *t = xstrdup(s);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x20 || c == 0x7f) {
			t[i] = ' ';
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)t[i + 1] >= 0x80 &&
			   (unsigned char)t[i + 1] <= 0x9f) {
			memmove(t + i + 1, t + i + 2, len - i - 1);
			t[i] = ' ';
			len--;
		} else if (c == 0xe2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 &&
			   ((unsigned char)t[i + 2] == 0xa8 || (unsigned char)t[i + 2] == 0xa9)) {
			memmove(t + i + 1, t + i + 3, len - i - 2);
			t[i] = ' ';
			len -= 2;
		}
	}
	size_t start, n;
	text_trim(t, len, &start, &n);
	/* Cut to max code points, then trim what the cut left at the end. */
	size_t cps = 0, end = start;
	while (end < start + n && cps < max) {
		end++;
		while (end < start + n && ((unsigned char)t[end] & 0xC0) == 0x80)
			end++;
		cps++;
	}
	size_t s2, n2;
	text_trim(t + start, end - start, &s2, &n2);
	char *out = n2 ? xstrndup(t + start + s2, n2) : NULL;
	free(t);
	return out;
}

struct flow_tx {
	struct actx *a;
	const struct oauth_state *st;
	const struct oauth_provider *p;
	const struct oauth_identity *id;
	struct oauth_result *out;
	enum oauth_outcome outcome;
	long long user_id;
	bool created, reactivated, linked;
};

/* Queues the notice that an identity was linked (mail throttle applies). */
static int queue_linked_mail(struct flow_tx *t, struct db *db, const struct user_row *u)
{
	struct actx *a = t->a;
	bool allowed = false;
	int rc = mail_allowed(a, db, u->email, "oauth_linked", &allowed);
	if (rc < 0 || !allowed)
		return rc;
	struct mail_vars v = {
	    .first_name = u->first_name, .ip = a->ip, .time_ms = a->now, .provider = t->p->display};
	rc = outbox_queue(a->app->store, db, a->app->cfg, u->id, u->email, "oauth_linked", &v,
			  a->now);
	if (rc >= 0)
		a->mail_queued = true;
	return rc;
}

/* §7.3 step 5, linking from the session recorded in the state. */
static int link_run(struct flow_tx *t, struct db *db)
{
	struct actx *a = t->a;
	long long uid = t->st->link_user_id;
	struct session_row s = {0};
	int rc = OPS(a)->sessions_select(db, t->st->link_session_id, &s);
	bool live = rc > 0 && s.user_id == uid && !s.revoked_at && s.expires_at > a->now;
	session_row_free(&s);
	if (rc < 0)
		return rc;
	t->outcome = OAUTH_UNAUTHENTICATED;
	if (!live || (rc = OPS(a)->users_lock(db, uid)) <= 0)
		return rc < 0 ? rc : 0;
	struct user_row u = {0};
	struct oauth_account_row row = {0};
	rc = OPS(a)->users_select(db, uid, &u);
	if (rc <= 0 || !u.active)
		goto out;
	t->user_id = uid;
	rc = OPS(a)->oauth_accounts_select(db, t->p->name, t->id->subject, &row);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		/* Already this user's: nothing changes. Someone else's: refused. */
		t->outcome = row.user_id == uid ? OAUTH_OK : OAUTH_IDENTITY_IN_USE;
		goto out;
	}
	oauth_account_row_free(&row);
	rc = OPS(a)->oauth_accounts_select_by_user(db, uid, t->p->name, &row);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		t->outcome = OAUTH_IDENTITY_CONFLICT;
		goto out;
	}
	rc = OPS(a)->oauth_accounts_insert(db, uid, t->p->name, t->id->subject, t->id->email,
					   a->now, NULL);
	if (rc == ST_CONFLICT) {
		t->outcome = OAUTH_IDENTITY_IN_USE; /* a concurrent flow linked it first */
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	event(a, db, uid, "auth.oauth_linked", t->p->name, NULL, NULL);
	rc = queue_linked_mail(t, db, &u);
	if (rc >= 0) {
		t->outcome = OAUTH_OK;
		t->linked = true;
	}
out:
	oauth_account_row_free(&row);
	user_row_free(&u);
	return rc < 0 ? rc : 1;
}

/* A new account for an unlinked identity with a verified address nobody uses. */
static int create_account(struct flow_tx *t, struct db *db, const char *email_key, long long *uid)
{
	struct actx *a = t->a;
	const struct oauth_identity *id = t->id;
	char *first = oauth_clean_name(id->first_name, NAME_MAX_CP);
	char *last = oauth_clean_name(id->last_name, NAME_MAX_CP);
	if (!first) {
		/* An empty first name becomes the email's local part, cut to 100 (§7.3). */
		char *local = xstrndup(id->email, strcspn(id->email, "@"));
		first = oauth_clean_name(local, NAME_MAX_CP);
		free(local);
	}
	char *username = derive_username(a, db, id->email);
	char *ukey = username ? ascii_lower(username) : NULL;
	int rc = ST_ERROR;
	if (username && first) {
		struct user_new nu = {
		    .email = id->email,
		    .email_key = email_key,
		    .username = username,
		    .username_key = ukey,
		    .password_hash = NULL,
		    .first_name = first,
		    .last_name = last,
		    .email_verified = true,
		};
		rc = OPS(a)->users_insert(db, &nu, a->now, uid);
	}
	free(first);
	free(last);
	free(username);
	free(ukey);
	return rc;
}

/* §7.3 step 5, a sign-in: the linked identity's user, or a new account. */
static int sign_in_run(struct flow_tx *t, struct db *db)
{
	struct actx *a = t->a;
	const struct oauth_identity *id = t->id;
	struct oauth_account_row row = {0};
	struct user_row u = {0};
	char *email_key = NULL;
	int rc = OPS(a)->oauth_accounts_select(db, t->p->name, id->subject, &row);
	if (rc < 0)
		goto out;
	long long uid = row.user_id;
	if (rc > 0) {
		rc = OPS(a)->users_lock(db, uid);
		if (rc > 0)
			rc = OPS(a)->users_select(db, uid, &u);
		if (rc <= 0) {
			t->outcome = OAUTH_FAILED;
			goto out;
		}
		if (!u.active && !t->st->reactivate) {
			t->user_id = uid;
			t->outcome = OAUTH_ACCOUNT_INACTIVE;
			rc = 0;
			goto out;
		}
		t->reactivated = !u.active;
		rc = OPS(a)->oauth_accounts_touch(db, row.id, a->now, id->email);
		if (rc < 0)
			goto out;
	} else {
		/* Not linked: never matched to an account by its address. */
		if (!id->email || !id->email_verified) {
			t->outcome = OAUTH_EMAIL_UNVERIFIED;
			rc = 0;
			goto out;
		}
		if (!valid_email(id->email)) {
			t->outcome = OAUTH_FAILED;
			rc = 0;
			goto out;
		}
		email_key = ascii_lower(id->email);
		rc = OPS(a)->users_select_by_email_key(db, email_key, &u);
		if (rc != 0) {
			if (rc > 0) {
				t->user_id = u.id;
				t->outcome = OAUTH_ACCOUNT_EXISTS;
				rc = 0;
			}
			goto out;
		}
		rc = create_account(t, db, email_key, &uid);
		if (rc == ST_CONFLICT) {
			t->outcome = OAUTH_ACCOUNT_EXISTS; /* created concurrently */
			rc = 0;
			goto out;
		}
		if (rc < 0)
			goto out;
		rc = OPS(a)->oauth_accounts_insert(db, uid, t->p->name, id->subject, id->email,
						   a->now, NULL);
		if (rc < 0)
			goto out; /* rolls the new account back */
		t->created = true;
	}
	t->user_id = uid;
	struct user_patch up = {.set_last_login = true};
	if (t->reactivated) {
		up.set_active = true;
		up.active = true;
	}
	rc = OPS(a)->users_update(db, uid, &up, a->now);
	if (rc >= 0)
		rc = open_session(a, db, uid, t->p->name, &t->out->pair);
	if (rc < 0)
		goto out;
	if (t->reactivated)
		audit_event(a, db, uid, "account.reactivated", NULL);
	event(a, db, uid, "auth.oauth_login", t->p->name, NULL, t->created ? "created" : NULL);
	t->out->session_opened = true;
	t->outcome = OAUTH_OK;
	rc = 1;
out:
	free(email_key);
	oauth_account_row_free(&row);
	user_row_free(&u);
	return rc;
}

static int flow_run(struct db *db, void *ctx)
{
	struct flow_tx *t = ctx;
	t->outcome = OAUTH_FAILED;
	t->created = t->reactivated = t->linked = false;
	t->user_id = 0;
	token_pair_free(&t->out->pair);
	t->out->session_opened = false;
	t->a->mail_queued = false;
	return t->st->link_user_id ? link_run(t, db) : sign_in_run(t, db);
}

enum oauth_outcome oauth_complete(struct actx *a, const struct oauth_state *st, const char *code,
				  struct oauth_result *out)
{
	memset(out, 0, sizeof *out);
	struct oauth_provider p;
	if (!oauth_provider_get(a->app->cfg, st->provider, &p) || !p.enabled) {
		oauth_record_failure(a, st->provider, OAUTH_PROVIDER_NOT_CONFIGURED);
		return OAUTH_PROVIDER_NOT_CONFIGURED;
	}
	struct oauth_identity id;
	const char *why = NULL;
	if (!oauth_fetch_identity(a->app->oauth, &p, code, st->verifier, st->nonce, a->now, &id,
				  &why)) {
		log_line(LOG_WARN, a->request_id, "oauth provider step failed", "provider", p.name,
			 "reason", why, (const char *)NULL);
		event(a, NULL, st->link_user_id, "auth.oauth_failed", p.name,
		      oauth_outcome_code(OAUTH_FAILED), why);
		return OAUTH_FAILED;
	}
	struct flow_tx t = {.a = a, .st = st, .p = &p, .id = &id, .out = out};
	int rc = store_tx(a->app->store, true, flow_run, &t);
	wake_sender(a, rc);
	oauth_identity_free(&id);
	if (rc < 0) {
		token_pair_free(&out->pair);
		out->session_opened = false;
		log_line(LOG_WARN, a->request_id, "oauth account step failed", "provider", p.name,
			 "reason", "store", (const char *)NULL);
		t.outcome = OAUTH_FAILED;
	}
	if (t.outcome != OAUTH_OK) {
		token_pair_free(&out->pair);
		out->session_opened = false;
		event(a, NULL, t.user_id, "auth.oauth_failed", p.name,
		      oauth_outcome_code(t.outcome), rc < 0 ? "store" : NULL);
	}
	return t.outcome;
}

/* ---- identity management (GET /me/identities, DELETE /me/identities/{provider}) ---- */

static json_t *ts_or_null(long long ms)
{
	char buf[40];
	return ms ? json_string(format_iso8601(ms, buf, sizeof buf)) : json_null();
}

enum err_code oauth_identities(struct actx *a, json_t **list)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	struct oauth_account_row *rows = NULL;
	int n = OPS(a)->oauth_accounts_select_many(db, a->user_id, &rows);
	store_release(a->app->store, db);
	if (n < 0)
		return err_from_store(n);
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "provider", json_string(rows[i].provider));
		json_object_set_new(o, "email",
				    rows[i].email ? json_string(rows[i].email) : json_null());
		json_object_set_new(o, "createdAt", ts_or_null(rows[i].created_at));
		json_object_set_new(o, "lastLoginAt", ts_or_null(rows[i].last_login_at));
		json_array_append_new(arr, o);
		oauth_account_row_free(&rows[i]);
	}
	free(rows);
	*list = arr;
	return ERR_NONE;
}

struct unlink_tx {
	struct actx *a;
	const char *provider;
	enum err_code e;
};

static int unlink_run(struct db *db, void *ctx)
{
	struct unlink_tx *t = ctx;
	struct actx *a = t->a;
	t->e = ERR_NOT_FOUND;
	int rc = OPS(a)->users_lock(db, a->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : 0;
	struct user_row u = {0};
	struct oauth_account_row *rows = NULL;
	rc = OPS(a)->users_select(db, a->user_id, &u);
	int n = rc > 0 ? OPS(a)->oauth_accounts_select_many(db, a->user_id, &rows) : rc;
	bool has = false;
	for (int i = 0; i < n; i++) {
		has |= strcmp(rows[i].provider, t->provider) == 0;
		oauth_account_row_free(&rows[i]);
	}
	free(rows);
	bool has_password = u.password_hash != NULL;
	user_row_free(&u);
	if (n < 0 || rc <= 0)
		return rc < 0 ? rc : n < 0 ? n : 0;
	if (!has)
		return 0;
	if (!has_password && n < 2) {
		t->e = ERR_CONFLICT; /* the last way to sign in */
		return 0;
	}
	rc = OPS(a)->oauth_accounts_delete(db, a->user_id, t->provider);
	if (rc < 0)
		return rc;
	t->e = ERR_NONE;
	event(a, db, a->user_id, "auth.oauth_unlinked", t->provider, NULL, NULL);
	return 1;
}

enum err_code oauth_unlink(struct actx *a, const char *provider)
{
	if (!provider || (strcmp(provider, "google") != 0 && strcmp(provider, "github") != 0))
		return ERR_NOT_FOUND;
	struct unlink_tx t = {a, provider, ERR_NOT_FOUND};
	int rc = store_tx(a->app->store, true, unlink_run, &t);
	return rc < 0 ? err_from_store(rc) : t.e;
}
