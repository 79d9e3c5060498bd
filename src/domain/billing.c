/* Billing rules (see billing.h): the plan, the Subscription object, checkout, portal and the
 * cancellation before an account deletion. The webhook is in billing_webhook.c. Stripe is
 * called without holding a store connection, so a slow Stripe never holds a pooled one. */
#include "domain/billing.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/accounts_internal.h"
#include "integrations/stripe/stripe_api.h"
#include "log/log.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/timefmt.h"

bool billing_configured(const struct config *cfg)
{
	return cfg->stripe_enabled && cfg->stripe_secret_key && cfg->stripe_webhook_secret &&
	       cfg->stripe_price_id;
}

static bool status_is(const struct subscription_row *s, const char *status)
{
	return s && s->status && strcmp(s->status, status) == 0;
}

bool billing_row_premium(const struct subscription_row *s, long long now)
{
	if (!s)
		return false;
	if ((status_is(s, "active") || status_is(s, "trialing")) && s->current_period_end > now)
		return true;
	return status_is(s, "past_due") && s->payment_failed_at &&
	       now - s->payment_failed_at < BILLING_GRACE_MS;
}

int billing_user_premium(struct actx *a, struct db *db, long long user_id, const char *role)
{
	struct user_row u = {0};
	if (!role) {
		int rc = OPS(a)->users_select(db, user_id, &u);
		if (rc <= 0) {
			user_row_free(&u);
			return rc;
		}
		role = u.role;
	}
	bool admin = role && strcmp(role, "ADMIN") == 0;
	user_row_free(&u);
	if (admin)
		return 1;
	struct subscription_row s = {0};
	int rc = OPS(a)->subscriptions_select(db, user_id, &s);
	bool premium = rc > 0 && billing_row_premium(&s, a->now);
	subscription_row_free(&s);
	return rc < 0 ? rc : premium;
}

static json_t *ts_or_null(long long ms)
{
	char buf[40];
	return ms ? json_string(format_iso8601(ms, buf, sizeof buf)) : json_null();
}

int billing_subscription_json(struct actx *a, struct db *db, long long user_id, json_t **out)
{
	const struct config *cfg = a->app->cfg;
	struct subscription_row s = {0};
	int rc = OPS(a)->subscriptions_select(db, user_id, &s);
	if (rc < 0)
		return rc;
	bool has = rc > 0;
	int premium = billing_user_premium(a, db, user_id, NULL);
	long long used = 0;
	if (premium >= 0 && OPS(a)->contacts_count)
		premium = OPS(a)->contacts_count(db, user_id, &used) < 0 ? ST_ERROR : premium;
	if (premium < 0) {
		subscription_row_free(&s);
		return premium;
	}
	json_t *o = json_object();
	json_object_set_new(o, "plan", json_string(premium ? "PREMIUM" : "FREE"));
	json_object_set_new(o, "status", json_string(has && s.status ? s.status : "none"));
	json_object_set_new(o, "priceId", has && s.price_id ? json_string(s.price_id) : json_null());
	json_object_set_new(o, "currentPeriodStart", ts_or_null(s.current_period_start));
	json_object_set_new(o, "currentPeriodEnd", ts_or_null(s.current_period_end));
	json_object_set_new(o, "cancelAtPeriodEnd", json_boolean(s.cancel_at_period_end));
	json_object_set_new(o, "trialEnd", ts_or_null(s.trial_end));
	json_object_set_new(o, "trialAvailable",
			    json_boolean(cfg->stripe_trial_days > 0 && !s.trial_used));
	json_object_set_new(o, "paymentFailedAt", ts_or_null(s.payment_failed_at));
	json_object_set_new(o, "billingConfigured", json_boolean(billing_configured(cfg)));
	json_t *limits = json_object();
	json_object_set_new(limits, "contacts", json_integer(premium ? BILLING_CONTACT_HARD_CAP
								   : cfg->free_contact_limit));
	json_object_set_new(limits, "contactsUsed", json_integer(used));
	json_object_set_new(limits, "requestsPerWindow",
			    json_integer(premium ? cfg->rate_limit_max_premium : cfg->rate_limit_max));
	json_object_set_new(limits, "windowSeconds", json_integer(cfg->rate_limit_window_seconds));
	json_object_set_new(o, "limits", limits);
	json_t *features = json_object();
	json_object_set_new(features, "interactionsTrend", json_boolean(premium));
	json_object_set_new(features, "tagInsights", json_boolean(premium));
	json_object_set_new(o, "features", features);
	subscription_row_free(&s);
	*out = o;
	return 1;
}

enum err_code billing_subscription(struct actx *a, json_t **out)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	rc = billing_subscription_json(a, db, a->user_id, out);
	store_release(a->app->store, db);
	return rc < 0 ? err_from_store(rc) : ERR_NONE;
}

void checkout_result_free(struct checkout_result *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->session_id);
	memset(r, 0, sizeof *r);
}

/* Reads the caller's user and subscriptions rows (has_sub: whether the latter exists). */
static enum err_code load_rows(struct actx *a, struct user_row *u, struct subscription_row *s,
			       bool *has_sub)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	rc = OPS(a)->users_select(db, a->user_id, u);
	int rs = rc > 0 ? OPS(a)->subscriptions_select(db, a->user_id, s) : 0;
	store_release(a->app->store, db);
	if (rc < 0 || rs < 0)
		return err_from_store(rc < 0 ? rc : rs);
	*has_sub = rs > 0;
	return rc > 0 ? ERR_NONE : ERR_UNAUTHENTICATED;
}

struct customer_tx {
	struct actx *a;
	const char *customer_id;
	char *stored; /* the customer the row holds afterwards */
};

static int customer_run(struct db *db, void *ctx)
{
	struct customer_tx *t = ctx;
	struct actx *a = t->a;
	free(t->stored);
	t->stored = NULL;
	int rc = OPS(a)->users_lock(db, a->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	rc = OPS(a)->subscriptions_set_customer(db, a->user_id, t->customer_id, a->now);
	if (rc < 0)
		return rc;
	/* 0: a concurrent checkout stored one first; that one is the user's customer. */
	struct subscription_row s = {0};
	rc = OPS(a)->subscriptions_select(db, a->user_id, &s);
	if (rc > 0 && s.stripe_customer_id)
		t->stored = xstrdup(s.stripe_customer_id);
	subscription_row_free(&s);
	return rc < 0 ? rc : t->stored ? 1 : ST_ERROR;
}

/* The user's Stripe customer: the stored one, else a new one stored now. *customer is new. */
static enum err_code ensure_customer(struct actx *a, const struct user_row *u,
				     const struct subscription_row *s, char **customer)
{
	if (s->stripe_customer_id) {
		*customer = xstrdup(s->stripe_customer_id);
		return ERR_NONE;
	}
	char *created = NULL;
	if (stripe_customer_create(a->app->cfg, a->request_id, a->user_id, u->email, u->first_name,
				   u->last_name, &created) != STRIPE_OK)
		return ERR_UPSTREAM_ERROR;
	struct customer_tx t = {a, created, NULL};
	int rc = store_tx(a->app->store, true, customer_run, &t);
	free(created);
	if (rc < 0) {
		free(t.stored);
		return err_from_store(rc);
	}
	*customer = t.stored;
	return ERR_NONE;
}

enum err_code billing_checkout(struct actx *a, bool trial, struct checkout_result *out)
{
	memset(out, 0, sizeof *out);
	const struct config *cfg = a->app->cfg;
	if (!billing_configured(cfg))
		return ERR_SERVICE_UNAVAILABLE;
	struct user_row u = {0};
	struct subscription_row s = {0};
	bool has_sub = false;
	char *customer = NULL;
	enum err_code e = load_rows(a, &u, &s, &has_sub);
	if (e != ERR_NONE)
		goto out;
	static const char *const blocking[] = {"active", "trialing", "past_due", "unpaid",
					       "paused"};
	for (size_t i = 0; has_sub && s.stripe_subscription_id && i < 5; i++)
		if (status_is(&s, blocking[i]))
			e = ERR_CONFLICT;
	if (e != ERR_NONE)
		goto out;
	e = ensure_customer(a, &u, &s, &customer);
	if (e != ERR_NONE)
		goto out;
	int days = trial && !s.trial_used && cfg->stripe_trial_days > 0 ? cfg->stripe_trial_days : 0;
	struct stripe_checkout_in in = {a->user_id, customer, days};
	if (stripe_checkout_create(cfg, a->request_id, &in, &out->url, &out->session_id) !=
	    STRIPE_OK) {
		e = ERR_UPSTREAM_ERROR;
		goto out;
	}
	out->trial_days = days;
out:
	free(customer);
	subscription_row_free(&s);
	user_row_free(&u);
	return e;
}

enum err_code billing_portal(struct actx *a, char **url)
{
	*url = NULL;
	const struct config *cfg = a->app->cfg;
	if (!billing_configured(cfg))
		return ERR_SERVICE_UNAVAILABLE;
	struct user_row u = {0};
	struct subscription_row s = {0};
	bool has_sub = false;
	enum err_code e = load_rows(a, &u, &s, &has_sub);
	if (e == ERR_NONE && !s.stripe_customer_id)
		e = ERR_CONFLICT;
	if (e == ERR_NONE && stripe_portal_create(cfg, a->request_id, a->user_id,
						  s.stripe_customer_id, url) != STRIPE_OK)
		e = ERR_UPSTREAM_ERROR;
	subscription_row_free(&s);
	user_row_free(&u);
	return e;
}

enum err_code billing_cancel_for_deletion(struct actx *a)
{
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return err_from_store(rc);
	struct subscription_row s = {0};
	rc = OPS(a)->subscriptions_select(db, a->user_id, &s);
	store_release(a->app->store, db);
	if (rc < 0)
		return err_from_store(rc);
	enum err_code e = ERR_NONE;
	bool live = status_is(&s, "active") || status_is(&s, "trialing") ||
		    status_is(&s, "past_due") || status_is(&s, "unpaid");
	if (rc > 0 && live && s.stripe_subscription_id) {
		if (!billing_configured(a->app->cfg)) {
			e = ERR_SERVICE_UNAVAILABLE; /* it cannot be cancelled from here */
		} else {
			enum stripe_result r = stripe_subscription_cancel(
			    a->app->cfg, a->request_id, s.stripe_subscription_id);
			/* Unknown to Stripe: there is nothing left to cancel. */
			if (r == STRIPE_NOT_FOUND)
				log_line(LOG_WARN, a->request_id,
					 "subscription to cancel is unknown to stripe",
					 (const char *)NULL);
			else if (r != STRIPE_OK)
				e = ERR_UPSTREAM_ERROR;
		}
	}
	subscription_row_free(&s);
	return e;
}
