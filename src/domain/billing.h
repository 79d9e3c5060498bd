/* Billing (SPEC §5, §8, §12): the plan rule, the Subscription object, checkout and portal
 * sessions, the cancellation that precedes an account deletion, and the Stripe webhook. No
 * HTTP types. The plan is never stored: it follows from the user's subscriptions row at the
 * moment it is asked for, so an expired period or grace downgrades without any event. Every
 * Stripe call blocks: the operations that make one run on a job-pool thread (http_defer). */
#ifndef CRM_DOMAIN_BILLING_H
#define CRM_DOMAIN_BILLING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "errors/errors.h"

struct actx;
struct config;
struct db;
struct subscription_row;

/* PREMIUM grace while a payment is retried (§5, §17). */
#define BILLING_GRACE_MS (7LL * 24 * 3600 * 1000)
/* The contact hard cap, which PREMIUM reports as its contact limit (§12.1, §17). */
#define BILLING_CONTACT_HARD_CAP 100000

/* Whether billing is configured: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PRICE_ID
 * all set (a half-configured integration is disabled, §16.1). */
bool billing_configured(const struct config *cfg);

/* The rule of §5 for a subscriptions row at now (s NULL: no row): PREMIUM while the status is
 * active or trialing and current_period_end is in the future, or past_due with
 * payment_failed_at less than 7 days ago. The role is not looked at. */
bool billing_row_premium(const struct subscription_row *s, long long now);

/* The plan of user_id on db at a->now: ADMIN (role, read from users when NULL) or the row's
 * rule. Returns 1 PREMIUM, 0 FREE (also for a missing user), < 0 a store status. */
int billing_user_premium(struct actx *a, struct db *db, long long user_id, const char *role);

/* The Subscription object of §12.1 for user_id, read on db (new reference in *out). Returns
 * 1 or < 0 a store status. Also the "subscription" of /me/export. */
int billing_subscription_json(struct actx *a, struct db *db, long long user_id, json_t **out);

/* GET /subscription: the caller's Subscription object (new reference). */
enum err_code billing_subscription(struct actx *a, json_t **out);

/* A created checkout session (strings owned; checkout_result_free). */
struct checkout_result {
	char *url, *session_id;
	int trial_days; /* 0 when no trial was granted */
};
void checkout_result_free(struct checkout_result *r);

/* POST /subscription/checkout (§12.1): ERR_SERVICE_UNAVAILABLE when billing is not configured,
 * ERR_CONFLICT when a tracked subscription is active, trialing, past_due, unpaid or paused,
 * ERR_UPSTREAM_ERROR when Stripe fails. The customer is created once per user (Idempotency-Key
 * customer-<userId>) and stored before the session is created; a trial is granted only when
 * asked for, offered (STRIPE_TRIAL_DAYS > 0) and never used before. */
enum err_code billing_checkout(struct actx *a, bool trial, struct checkout_result *out);

/* POST /subscription/portal: *url a new string. ERR_SERVICE_UNAVAILABLE unconfigured,
 * ERR_CONFLICT without a stored customer, ERR_UPSTREAM_ERROR when Stripe fails. */
enum err_code billing_portal(struct actx *a, char **url);

/* Before an account deletion (§8): cancels the caller's subscription at Stripe, immediately
 * and without proration, when its status is active, trialing, past_due or unpaid. ERR_NONE
 * when there is nothing to cancel or it is cancelled (or Stripe no longer knows it),
 * ERR_UPSTREAM_ERROR when Stripe fails, ERR_SERVICE_UNAVAILABLE when billing is not
 * configured but a subscription would need cancelling, or the store fails. */
enum err_code billing_cancel_for_deletion(struct actx *a);

/* POST /stripe/webhook (§12.2) for the raw body[0..len) and its Stripe-Signature header
 * (NULL when absent). ERR_NONE: answer 200 {"received": true} (applied, ignored or duplicate);
 * ERR_INVALID_SIGNATURE (event stripe.signature_failed written); ERR_MALFORMED_JSON for a
 * signed body that is not an event; ERR_SERVICE_UNAVAILABLE when billing is not configured or
 * Stripe or the store failed (nothing recorded: Stripe retries). Counts
 * crm_stripe_webhook_events_total. */
enum err_code billing_webhook(struct actx *a, const char *signature, const char *body,
			      size_t len);

#endif
