/* The Stripe REST calls (see stripe_api.h). One call() does the exchange and the error
 * logging; each operation only builds its form and reads the fields it needs. */
#include "integrations/stripe/stripe_api.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "integrations/http_client.h"
#include "integrations/stripe/stripe_objects.h"
#include "log/log.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char *const stripe_headers[] = {"Stripe-Version: " STRIPE_API_VERSION,
					     "Accept: application/json", NULL};

/* A fresh idempotency key "<prefix>-<user>-<random hex>": a retried click is a new request, a
 * retry of the same call by libcurl or a proxy is not. */
static char *random_key(const char *prefix, long long user_id)
{
	unsigned char r[12];
	char hex[2 * sizeof r + 1];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	return xasprintf("%s-%lld-%s", prefix, user_id, hex);
}

/* Logs a failed call: Stripe's error message and code when its answer carries them. */
static void log_failure(const char *request_id, const char *op, enum http_client_result res,
			const struct http_client_response *rs, const json_t *doc)
{
	const json_t *err = json_object_get(doc, "error");
	char status[16];
	snprintf(status, sizeof status, "%ld", rs->status);
	log_line(LOG_WARN, request_id, "stripe call failed", "op", op, "result",
		 http_client_result_name(res), "httpStatus", rs->status ? status : NULL,
		 "stripeMessage", json_string_value(json_object_get(err, "message")), "stripeCode",
		 json_string_value(json_object_get(err, "code")), "stripeType",
		 json_string_value(json_object_get(err, "type")), (const char *)NULL);
}

/* Sends method path (under STRIPE_API_BASE) with form (NULL: none) and idempotency key (NULL:
 * none). On STRIPE_OK *doc is the answer object (new reference). */
static enum stripe_result call(const struct config *cfg, const char *request_id, const char *op,
			       const char *method, const char *path, const char *form,
			       const char *idem_key, json_t **doc)
{
	*doc = NULL;
	if (!cfg->stripe_secret_key || !cfg->stripe_api_base)
		return STRIPE_FAILED;
	char *url = xasprintf("%s%s", cfg->stripe_api_base, path);
	struct http_client_request rq = {
		.method = method,
		.url = url,
		.headers = stripe_headers,
		.form = form,
		.bearer = cfg->stripe_secret_key,
		.idempotency_key = idem_key,
	};
	struct http_client_response rs;
	enum http_client_result res = http_client_send(&rq, &rs);
	free(url);
	json_t *body = NULL;
	if (res == HC_OK)
		body = json_loadb(rs.body, rs.body_len, 0, NULL);
	enum stripe_result out = STRIPE_OK;
	if (res != HC_OK || rs.status < 200 || rs.status > 299 || !json_is_object(body)) {
		log_failure(request_id, op, res, &rs, body);
		out = res == HC_OK && rs.status == 404 ? STRIPE_NOT_FOUND : STRIPE_FAILED;
		json_decref(body);
		body = NULL;
	}
	http_client_response_free(&rs);
	*doc = body;
	return out;
}

/* A string member of doc as a new string, or NULL. */
static char *dup_member(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));
	return s && s[0] ? xstrdup(s) : NULL;
}

char *stripe_customer_form(long long user_id, const char *email, const char *first_name,
			   const char *last_name)
{
	struct buf b = {0};
	char uid[24];
	snprintf(uid, sizeof uid, "%lld", user_id);
	http_form_add(&b, "email", email);
	struct buf name = {0};
	if (first_name && first_name[0])
		buf_puts(&name, first_name);
	if (last_name && last_name[0]) {
		if (name.len)
			buf_putc(&name, ' ');
		buf_puts(&name, last_name);
	}
	if (name.len)
		http_form_add(&b, "name", name.data);
	buf_free(&name);
	http_form_add(&b, "metadata[userId]", uid);
	return buf_steal(&b);
}

enum stripe_result stripe_customer_create(const struct config *cfg, const char *request_id,
					  long long user_id, const char *email,
					  const char *first_name, const char *last_name,
					  char **customer_id)
{
	*customer_id = NULL;
	char *form = stripe_customer_form(user_id, email, first_name, last_name);
	char *key = xasprintf("customer-%lld", user_id);
	json_t *doc;
	enum stripe_result r = call(cfg, request_id, "customers.create", "POST", "/v1/customers",
				    form, key, &doc);
	free(form);
	free(key);
	if (r == STRIPE_OK) {
		*customer_id = dup_member(doc, "id");
		if (!*customer_id) {
			log_line(LOG_WARN, request_id, "stripe answer without a customer id", "op",
				 "customers.create", (const char *)NULL);
			r = STRIPE_FAILED;
		}
	}
	json_decref(doc);
	return r;
}

char *stripe_checkout_form(const struct config *cfg, const struct stripe_checkout_in *in)
{
	struct buf b = {0};
	char uid[24], days[16];
	snprintf(uid, sizeof uid, "%lld", in->user_id);
	char *success = xasprintf("%s/subscription/success?session_id={CHECKOUT_SESSION_ID}",
				  cfg->frontend_url);
	char *cancel = xasprintf("%s/subscription/cancel", cfg->frontend_url);
	http_form_add(&b, "mode", "subscription");
	http_form_add(&b, "customer", in->customer_id);
	http_form_add(&b, "client_reference_id", uid);
	http_form_add(&b, "line_items[0][price]", cfg->stripe_price_id);
	http_form_add(&b, "line_items[0][quantity]", "1");
	http_form_add(&b, "success_url", success);
	http_form_add(&b, "cancel_url", cancel);
	http_form_add(&b, "metadata[userId]", uid);
	http_form_add(&b, "subscription_data[metadata][userId]", uid);
	if (in->trial_days > 0) {
		snprintf(days, sizeof days, "%d", in->trial_days);
		http_form_add(&b, "subscription_data[trial_period_days]", days);
	}
	free(success);
	free(cancel);
	return buf_steal(&b);
}

enum stripe_result stripe_checkout_create(const struct config *cfg, const char *request_id,
					  const struct stripe_checkout_in *in, char **url,
					  char **session_id)
{
	*url = *session_id = NULL;
	char *form = stripe_checkout_form(cfg, in);
	char *key = random_key("checkout", in->user_id);
	json_t *doc;
	enum stripe_result r = call(cfg, request_id, "checkout.sessions.create", "POST",
				    "/v1/checkout/sessions", form, key, &doc);
	free(form);
	free(key);
	if (r == STRIPE_OK) {
		*url = dup_member(doc, "url");
		*session_id = dup_member(doc, "id");
		if (!*url || !*session_id) {
			log_line(LOG_WARN, request_id, "stripe answer without url or id", "op",
				 "checkout.sessions.create", (const char *)NULL);
			free(*url);
			free(*session_id);
			*url = *session_id = NULL;
			r = STRIPE_FAILED;
		}
	}
	json_decref(doc);
	return r;
}

enum stripe_result stripe_portal_create(const struct config *cfg, const char *request_id,
					long long user_id, const char *customer_id, char **url)
{
	*url = NULL;
	struct buf b = {0};
	char *ret = xasprintf("%s/settings/billing", cfg->frontend_url);
	http_form_add(&b, "customer", customer_id);
	http_form_add(&b, "return_url", ret);
	free(ret);
	char *key = random_key("portal", user_id);
	json_t *doc;
	enum stripe_result r = call(cfg, request_id, "billing_portal.sessions.create", "POST",
				    "/v1/billing_portal/sessions", b.data, key, &doc);
	buf_free(&b);
	free(key);
	if (r == STRIPE_OK) {
		*url = dup_member(doc, "url");
		if (!*url) {
			log_line(LOG_WARN, request_id, "stripe answer without url", "op",
				 "billing_portal.sessions.create", (const char *)NULL);
			r = STRIPE_FAILED;
		}
	}
	json_decref(doc);
	return r;
}

enum stripe_result stripe_subscription_get(const struct config *cfg, const char *request_id,
					   const char *id, json_t **sub)
{
	*sub = NULL;
	if (!stripe_id_valid(id)) {
		log_line(LOG_WARN, request_id, "stripe subscription id refused", "op",
			 "subscriptions.retrieve", (const char *)NULL);
		return STRIPE_FAILED;
	}
	char *path = xasprintf("/v1/subscriptions/%s", id);
	enum stripe_result r =
	    call(cfg, request_id, "subscriptions.retrieve", "GET", path, NULL, NULL, sub);
	free(path);
	return r;
}

enum stripe_result stripe_subscription_cancel(const struct config *cfg, const char *request_id,
					      const char *id)
{
	if (!stripe_id_valid(id)) {
		log_line(LOG_WARN, request_id, "stripe subscription id refused", "op",
			 "subscriptions.cancel", (const char *)NULL);
		return STRIPE_FAILED;
	}
	char *path = xasprintf("/v1/subscriptions/%s", id);
	json_t *doc;
	enum stripe_result r =
	    call(cfg, request_id, "subscriptions.cancel", "DELETE", path, NULL, NULL, &doc);
	free(path);
	json_decref(doc);
	return r;
}
