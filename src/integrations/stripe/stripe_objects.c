/* Reading Stripe's JSON objects (see stripe_objects.h). */
#include "integrations/stripe/stripe_objects.h"

#include <string.h>

static const char *const statuses[] = {"incomplete", "incomplete_expired", "trialing", "active",
				       "past_due",   "canceled",	   "unpaid",   "paused"};

bool stripe_status_known(const char *status)
{
	for (size_t i = 0; status && i < sizeof statuses / sizeof statuses[0]; i++)
		if (strcmp(status, statuses[i]) == 0)
			return true;
	return false;
}

bool stripe_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

const char *stripe_id_of(const json_t *v)
{
	if (json_is_object(v))
		v = json_object_get(v, "id");
	const char *s = json_string_value(v);
	return s && s[0] ? s : NULL;
}

/* A Unix-seconds field as ms; 0 when absent, null or not a positive integer. */
static long long seconds_ms(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > 9000000000000LL)
		return 0;
	return (long long)json_integer_value(v) * 1000;
}

bool stripe_subscription_parse(const json_t *sub, struct stripe_subscription *out)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(sub))
		return false;
	out->id = stripe_id_of(json_object_get(sub, "id"));
	out->customer = stripe_id_of(json_object_get(sub, "customer"));
	out->status = json_string_value(json_object_get(sub, "status"));
	out->created = seconds_ms(sub, "created");
	if (!out->id || !out->customer || !stripe_status_known(out->status) || !out->created)
		return false;
	const json_t *item = json_array_get(
	    json_object_get(json_object_get(sub, "items"), "data"), 0); /* NULL when absent */
	out->price_id = stripe_id_of(json_object_get(item, "price"));
	out->current_period_start = seconds_ms(sub, "current_period_start");
	out->current_period_end = seconds_ms(sub, "current_period_end");
	/* Newer API versions moved the periods to the items. */
	if (!out->current_period_start)
		out->current_period_start = seconds_ms(item, "current_period_start");
	if (!out->current_period_end)
		out->current_period_end = seconds_ms(item, "current_period_end");
	out->trial_end = seconds_ms(sub, "trial_end");
	out->cancel_at_period_end = json_is_true(json_object_get(sub, "cancel_at_period_end"));
	return true;
}

const char *stripe_invoice_subscription(const json_t *invoice)
{
	const char *id = stripe_id_of(json_object_get(invoice, "subscription"));
	if (id)
		return id;
	const json_t *details =
	    json_object_get(json_object_get(invoice, "parent"), "subscription_details");
	return stripe_id_of(json_object_get(details, "subscription"));
}
