/* The Stripe webhook (SPEC §12.2): signature over the raw bytes first, then the event id
 * (each applies once), the mapping to a user through stored customer ids only, the retrieval
 * of the subscription the event names (the stored state is always Stripe's current one, so the
 * order of events does not matter), and one transaction that records the event and applies
 * its effect together. Stripe is called before the transaction opens; if it fails nothing is
 * recorded and the answer is 503, so Stripe retries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/accounts_internal.h"
#include "domain/billing.h"
#include "domain/mail_templates.h"
#include "integrations/stripe/stripe_api.h"
#include "integrations/stripe/stripe_metrics.h"
#include "integrations/stripe/stripe_objects.h"
#include "integrations/stripe/stripe_sig.h"
#include "log/log.h"
#include "store/store.h"
#include "util/alloc.h"

/* What the event asks for; strings borrowed from the parsed event or the retrieved object. */
struct wh {
	struct actx *a;
	const char *id, *type;
	long long created; /* ms */
	const char *customer, *sub_id, *invoice_id;
	bool trial_will_end, invoice_paid, invoice_failed;
	long long user_id;
	struct stripe_subscription sub; /* the retrieved subscription */
	/* Outcome of the transaction (reset on every attempt). */
	bool duplicate, applied;
};

/* Records the event as ignored in its own transaction. */
static int record_ignored_run(struct db *db, void *ctx)
{
	struct wh *w = ctx;
	int rc = OPS(w->a)->stripe_events_insert(db, w->id, w->type, w->created, "ignored",
						 w->a->now);
	w->duplicate = rc == 0;
	return rc;
}

static enum err_code finish_ignored(struct wh *w)
{
	int rc = store_tx(w->a->app->store, true, record_ignored_run, w);
	if (rc < 0) {
		stripe_metrics_count(w->type, "unavailable");
		return ERR_SERVICE_UNAVAILABLE;
	}
	stripe_metrics_count(w->type, w->duplicate ? "duplicate" : "ignored");
	return ERR_NONE;
}

static void mismatch(struct wh *w, const char *what)
{
	json_t *d = json_pack("{s:s, s:s, s:s}", "eventId", w->id, "eventType", w->type, "field",
			      what);
	char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
	audit_event(w->a, NULL, w->user_id, "stripe.mismatch", details);
	free(details);
	json_decref(d);
}

/* The tracked-subscription rule of §12.2: may the retrieved subscription be stored? */
static bool may_store(const struct subscription_row *row, const struct stripe_subscription *sub)
{
	if (!row->stripe_subscription_id || strcmp(row->stripe_subscription_id, sub->id) == 0)
		return true;
	if (row->status && (strcmp(row->status, "canceled") == 0 ||
			    strcmp(row->status, "incomplete_expired") == 0))
		return true;
	return sub->created > row->subscription_created;
}

/* Queues template for the user once per dedupe key (inside the transaction). */
static int queue_once(struct wh *w, struct db *db, const char *template_name, const char *key,
		      long long date_ms)
{
	struct actx *a = w->a;
	struct user_row u = {0};
	int rc = OPS(a)->users_select(db, w->user_id, &u);
	if (rc <= 0) {
		user_row_free(&u);
		return rc;
	}
	struct mail_vars v = {.first_name = u.first_name, .date_ms = date_ms};
	char *subject, *text, *html;
	if (!mail_render(a->app->cfg, template_name, &v, &subject, &text, &html)) {
		log_line(LOG_ERROR, a->request_id, "mail not queued: template cannot be rendered",
			 "template", template_name, (const char *)NULL);
		user_row_free(&u);
		return ST_ERROR;
	}
	struct outbox_new m = {w->user_id, u.email, template_name, subject, text, html};
	rc = OPS(a)->outbox_insert_dedupe(db, &m, key, a->now);
	if (rc > 0)
		a->mail_queued = true;
	free(subject);
	free(text);
	free(html);
	user_row_free(&u);
	return rc;
}

static int apply_run(struct db *db, void *ctx)
{
	struct wh *w = ctx;
	struct actx *a = w->a;
	w->duplicate = w->applied = false;
	a->mail_queued = false;
	int rc = OPS(a)->users_lock(db, w->user_id);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	struct subscription_row row = {0};
	rc = OPS(a)->subscriptions_select(db, w->user_id, &row);
	/* The customer must still be this user's (a deletion may have raced the event). */
	bool ours = rc > 0 && row.stripe_customer_id && strcmp(row.stripe_customer_id, w->customer) == 0;
	bool store = ours && may_store(&row, &w->sub);
	if (rc >= 0)
		rc = OPS(a)->stripe_events_insert(db, w->id, w->type, w->created,
						  store ? "applied" : "ignored", a->now);
	if (rc <= 0 || !store) {
		w->duplicate = rc == 0;
		subscription_row_free(&row);
		return rc;
	}
	int was = billing_user_premium(a, db, w->user_id, NULL);
	const struct stripe_subscription *sub = &w->sub;
	bool same = row.stripe_subscription_id && strcmp(row.stripe_subscription_id, sub->id) == 0;
	/* A payment failure of a replaced subscription says nothing about the new one. */
	long long failed_at = same ? row.payment_failed_at : 0;
	bool dunning = strcmp(sub->status, "past_due") == 0 || strcmp(sub->status, "unpaid") == 0;
	if (w->invoice_paid)
		failed_at = 0;
	else if (w->invoice_failed && dunning && !failed_at)
		failed_at = a->now;
	struct subscription_state st = {
		.stripe_subscription_id = sub->id,
		.status = sub->status,
		.price_id = sub->price_id,
		.subscription_created = sub->created,
		.current_period_start = sub->current_period_start,
		.current_period_end = sub->current_period_end,
		.trial_end = sub->trial_end,
		.cancel_at_period_end = sub->cancel_at_period_end,
		.trial_used = row.trial_used || sub->trial_end != 0,
		.payment_failed_at = failed_at,
	};
	subscription_row_free(&row);
	rc = OPS(a)->subscriptions_store_state(db, w->user_id, &st, a->now);
	int now_premium = rc >= 0 ? billing_user_premium(a, db, w->user_id, NULL) : rc;
	if (was < 0 || now_premium < 0)
		return was < 0 ? was : now_premium;
	if (was != now_premium) {
		char details[64];
		snprintf(details, sizeof details, "{\"from\":\"%s\",\"to\":\"%s\"}",
			 was ? "PREMIUM" : "FREE", now_premium ? "PREMIUM" : "FREE");
		audit_event(a, db, w->user_id, "billing.plan_changed", details);
	}
	char key[400];
	if (w->trial_will_end && sub->trial_end) {
		snprintf(key, sizeof key, "trial_ending:%s:%lld", sub->id, sub->trial_end / 1000);
		rc = queue_once(w, db, "trial_ending", key, sub->trial_end);
	}
	if (rc >= 0 && w->invoice_failed && w->invoice_id) {
		snprintf(key, sizeof key, "payment_failed:%s", w->invoice_id);
		rc = queue_once(w, db, "payment_failed", key, 0);
	}
	w->applied = rc >= 0;
	return rc < 0 ? rc : 1;
}

/* Reads which subscription and customer the event names (w->sub_id NULL: not handled). */
static void classify(struct wh *w, const json_t *obj, const char **client_ref)
{
	const char *t = w->type;
	*client_ref = NULL;
	w->customer = stripe_id_of(json_object_get(obj, "customer"));
	if (strcmp(t, "checkout.session.completed") == 0) {
		const char *mode = json_string_value(json_object_get(obj, "mode"));
		if (mode && strcmp(mode, "subscription") == 0)
			w->sub_id = stripe_id_of(json_object_get(obj, "subscription"));
		*client_ref = json_string_value(json_object_get(obj, "client_reference_id"));
		if (!*client_ref)
			*client_ref = "";
	} else if (strcmp(t, "customer.subscription.created") == 0 ||
		   strcmp(t, "customer.subscription.updated") == 0 ||
		   strcmp(t, "customer.subscription.deleted") == 0 ||
		   strcmp(t, "customer.subscription.trial_will_end") == 0) {
		w->sub_id = stripe_id_of(json_object_get(obj, "id"));
		w->trial_will_end = strcmp(t, "customer.subscription.trial_will_end") == 0;
	} else if (strcmp(t, "invoice.paid") == 0 || strcmp(t, "invoice.payment_failed") == 0) {
		w->sub_id = stripe_invoice_subscription(obj);
		w->invoice_id = stripe_id_of(json_object_get(obj, "id"));
		w->invoice_paid = strcmp(t, "invoice.paid") == 0;
		w->invoice_failed = !w->invoice_paid;
	}
}

/* Maps the event's customer to a user through the stored customer ids. 1 found, 0 none. */
static int map_customer(struct wh *w)
{
	struct actx *a = w->a;
	struct db *db;
	int rc = store_acquire(a->app->store, &db);
	if (rc < 0)
		return rc;
	struct subscription_row row = {0};
	rc = OPS(a)->stripe_events_select(db, w->id);
	if (rc > 0) {
		w->duplicate = true;
	} else if (rc == 0 && w->customer) {
		rc = OPS(a)->subscriptions_select_by_customer(db, w->customer, &row);
		if (rc > 0)
			w->user_id = row.user_id;
	}
	subscription_row_free(&row);
	store_release(a->app->store, db);
	return rc;
}

static enum err_code handle(struct wh *w, const json_t *obj)
{
	struct actx *a = w->a;
	const char *client_ref;
	classify(w, obj, &client_ref);
	int rc = map_customer(w);
	if (rc < 0) {
		stripe_metrics_count(w->type, "unavailable");
		return ERR_SERVICE_UNAVAILABLE;
	}
	if (w->duplicate) {
		stripe_metrics_count(w->type, "duplicate");
		return ERR_NONE;
	}
	if (!w->sub_id || !w->user_id)
		return finish_ignored(w); /* not handled, no subscription, or unknown customer */
	if (client_ref) {
		char uid[24];
		snprintf(uid, sizeof uid, "%lld", w->user_id);
		if (strcmp(client_ref, uid) != 0) {
			mismatch(w, "client_reference_id");
			return finish_ignored(w);
		}
	}
	json_t *sub = NULL;
	if (stripe_subscription_get(a->app->cfg, a->request_id, w->sub_id, &sub) != STRIPE_OK ||
	    !stripe_subscription_parse(sub, &w->sub)) {
		if (sub)
			log_line(LOG_WARN, a->request_id, "stripe subscription unreadable",
				 (const char *)NULL);
		json_decref(sub);
		stripe_metrics_count(w->type, "unavailable");
		return ERR_SERVICE_UNAVAILABLE;
	}
	enum err_code e = ERR_NONE;
	if (strcmp(w->sub.customer, w->customer) != 0) {
		mismatch(w, "customer");
		e = finish_ignored(w);
	} else {
		rc = store_tx(a->app->store, true, apply_run, w);
		wake_sender(a, rc);
		if (rc < 0) {
			stripe_metrics_count(w->type, "unavailable");
			e = ERR_SERVICE_UNAVAILABLE;
		} else {
			stripe_metrics_count(w->type, w->duplicate ? "duplicate"
						      : w->applied ? "applied"
								   : "ignored");
		}
	}
	json_decref(sub);
	return e;
}

enum err_code billing_webhook(struct actx *a, const char *signature, const char *body,
			      size_t len)
{
	const struct config *cfg = a->app->cfg;
	if (!billing_configured(cfg)) {
		stripe_metrics_count("unknown", "unavailable");
		return ERR_SERVICE_UNAVAILABLE;
	}
	enum stripe_sig_result sr = stripe_sig_verify(signature, body, len, cfg->stripe_webhook_secret,
						      a->now / 1000, STRIPE_SIG_TOLERANCE_S);
	if (sr != STRIPE_SIG_OK) {
		char details[64];
		snprintf(details, sizeof details, "{\"reason\":\"%s\"}", stripe_sig_result_name(sr));
		audit_event(a, NULL, 0, "stripe.signature_failed", details);
		stripe_metrics_count("unknown", "rejected");
		return ERR_INVALID_SIGNATURE;
	}
	json_t *ev = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *obj = json_object_get(json_object_get(ev, "data"), "object");
	struct wh w = {.a = a};
	w.id = json_string_value(json_object_get(ev, "id"));
	w.type = json_string_value(json_object_get(ev, "type"));
	json_t *created = json_object_get(ev, "created");
	if (json_is_integer(created) && json_integer_value(created) > 0 &&
	    json_integer_value(created) < 9000000000000LL)
		w.created = (long long)json_integer_value(created) * 1000;
	enum err_code e;
	if (!json_is_object(ev) || !w.id || !w.id[0] || strlen(w.id) > 255 || !w.type ||
	    !w.type[0] || strlen(w.type) > 255 || !json_is_object(obj)) {
		stripe_metrics_count("unknown", "rejected");
		e = ERR_MALFORMED_JSON;
	} else {
		e = handle(&w, obj);
	}
	json_decref(ev);
	return e;
}
