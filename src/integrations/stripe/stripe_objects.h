/* Reading Stripe's JSON objects (SPEC §12.2): the fields of a retrieved subscription that the
 * service stores, the subscription an invoice belongs to, and ids that Stripe sends either as a
 * string or as an expanded object. Handles both API shapes: period fields on the subscription
 * (up to 2025-03-31.basil) or on items.data[0] (newer versions), and an invoice's subscription
 * in `subscription` or `parent.subscription_details.subscription`. Pure functions. */
#ifndef CRM_INTEGRATIONS_STRIPE_OBJECTS_H
#define CRM_INTEGRATIONS_STRIPE_OBJECTS_H

#include <jansson.h>
#include <stdbool.h>

/* What the service keeps of a subscription. Strings are borrowed from the parsed JSON (valid as
 * long as it); times are Unix ms (Stripe sends seconds), 0 when null or absent. */
struct stripe_subscription {
	const char *id, *customer, *status, *price_id; /* price_id may be NULL */
	long long created, current_period_start, current_period_end, trial_end;
	bool cancel_at_period_end;
};

/* Fills *out from a subscription object. False when id, customer, status (one of Stripe's eight
 * values) or created is missing or malformed. */
bool stripe_subscription_parse(const json_t *sub, struct stripe_subscription *out);

/* The id in v: v itself when it is a non-empty string, else the "id" of an expanded object;
 * NULL otherwise. Borrowed from v. */
const char *stripe_id_of(const json_t *v);

/* The subscription id an invoice belongs to (see the header comment), or NULL. Borrowed. */
const char *stripe_invoice_subscription(const json_t *invoice);

/* True for Stripe's subscription statuses: incomplete, incomplete_expired, trialing, active,
 * past_due, canceled, unpaid, paused. */
bool stripe_status_known(const char *status);

/* True when id is safe to place in a URL path: 1..255 characters of [A-Za-z0-9_]. */
bool stripe_id_valid(const char *id);

#endif
