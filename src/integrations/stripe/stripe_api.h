/* The Stripe REST calls the service makes (SPEC §12.1, §8), through the one HTTP client
 * (integrations/http_client.h): STRIPE_API_BASE, form-encoded bodies, `Authorization: Bearer
 * STRIPE_SECRET_KEY`, `Stripe-Version: 2023-10-16`, an Idempotency-Key on every POST, connect
 * timeout 5 s, total 10 s, answers up to 1 MiB. A failure is logged with the operation, the
 * HTTP status and Stripe's own error message and code (never the key, never returned to a
 * client); the caller maps it (502 on JSON routes, 503 in the webhook). Blocking: run from a
 * job-pool thread (http_defer). */
#ifndef CRM_INTEGRATIONS_STRIPE_API_H
#define CRM_INTEGRATIONS_STRIPE_API_H

#include <jansson.h>
#include <stdbool.h>

struct config;

#define STRIPE_API_VERSION "2023-10-16"

enum stripe_result {
	STRIPE_OK = 0,
	STRIPE_FAILED,	  /* no answer, a timeout, an error status or an unreadable answer */
	STRIPE_NOT_FOUND, /* Stripe answered 404 (resource_missing) */
};

/* Everything a checkout session is created from (strings borrowed). */
struct stripe_checkout_in {
	long long user_id;
	const char *customer_id;
	int trial_days; /* > 0: subscription_data[trial_period_days] */
};

/* The form body of POST /v1/checkout/sessions for in under cfg (price, FRONTEND_URL return
 * pages), exactly the fields of §12.1 step 4. New string (caller frees). */
char *stripe_checkout_form(const struct config *cfg, const struct stripe_checkout_in *in);

/* The form body of POST /v1/customers: email, name (first and last name, NULL parts left out;
 * no name at all when both are NULL or empty), metadata[userId]. New string (caller frees). */
char *stripe_customer_form(long long user_id, const char *email, const char *first_name,
			   const char *last_name);

/* POST /v1/customers with Idempotency-Key customer-<user_id>: on STRIPE_OK *customer_id is the
 * new customer's id (caller frees). request_id tags the log lines (may be NULL). */
enum stripe_result stripe_customer_create(const struct config *cfg, const char *request_id,
					  long long user_id, const char *email,
					  const char *first_name, const char *last_name,
					  char **customer_id);

/* POST /v1/checkout/sessions: on STRIPE_OK *url and *session_id are new strings. */
enum stripe_result stripe_checkout_create(const struct config *cfg, const char *request_id,
					  const struct stripe_checkout_in *in, char **url,
					  char **session_id);

/* POST /v1/billing_portal/sessions with return_url FRONTEND_URL/settings/billing: on STRIPE_OK
 * *url is a new string. */
enum stripe_result stripe_portal_create(const struct config *cfg, const char *request_id,
					long long user_id, const char *customer_id, char **url);

/* GET /v1/subscriptions/{id}: on STRIPE_OK *sub is the parsed object (new reference). An id
 * that is not a plain Stripe id fails without a call. */
enum stripe_result stripe_subscription_get(const struct config *cfg, const char *request_id,
					   const char *id, json_t **sub);

/* DELETE /v1/subscriptions/{id}: cancels at once, without proration (Stripe's defaults). */
enum stripe_result stripe_subscription_cancel(const struct config *cfg, const char *request_id,
					      const char *id);

#endif
