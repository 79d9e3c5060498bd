/* Resource API: the subscription routes and the Stripe webhook (SPEC §12), and compatibility
 * P1 (§15.2). Every route that calls Stripe runs its work on the job pool (http_defer); GET
 * /subscription only reads the store. P2 is the webhook route itself. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/billing.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "handlers/list_params.h"
#include "util/alloc.h"

#define NOT_CONFIGURED "Billing is not configured on this server."
#define ALREADY_SUBSCRIBED "A subscription is already active: manage it in the billing portal."
#define NO_CUSTOMER "There is no billing account yet: start a subscription through checkout."

/* A deferred billing job, owned by the request. */
struct billing_job {
	struct actx a;
	bool trial;
	bool compat; /* P1: answer {"url", "sessionId"} */
};

static struct billing_job *job_new(struct request *req)
{
	struct billing_job *j = xcalloc(1, sizeof *j);
	actx_from(req, &j->a);
	req->ctx = j;
	req->ctx_free = free;
	return j;
}

/* Answers a billing error with the messages of §12.1. conflict: the 409's message. */
static void reply_billing_error(struct request *req, const struct actx *a, enum err_code e,
				const char *conflict)
{
	if (e == ERR_SERVICE_UNAVAILABLE && !billing_configured(req->app->cfg))
		reply_error(req, e, NULL, NOT_CONFIGURED); /* retrying does not help: no Retry-After */
	else if (e == ERR_CONFLICT)
		reply_error(req, e, NULL, conflict);
	else
		reply_domain_error(req, a, e, NULL);
}

/* Billing routes refuse at once, before any work, when Stripe is not configured. */
static bool refuse_unconfigured(struct request *req)
{
	if (billing_configured(req->app->cfg))
		return false;
	reply_error(req, ERR_SERVICE_UNAVAILABLE, NULL, NOT_CONFIGURED);
	return true;
}

void h_subscription_get(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *sub = NULL;
	enum err_code e = billing_subscription(&a, &sub);
	if (e != ERR_NONE)
		reply_domain_error(req, &a, e, NULL);
	else
		reply_data_steal(req, 200, sub, NULL);
}

static void checkout_job(struct request *req)
{
	struct billing_job *j = req->ctx;
	struct checkout_result r;
	enum err_code e = billing_checkout(&j->a, j->trial, &r);
	if (e != ERR_NONE) {
		reply_billing_error(req, &j->a, e, ALREADY_SUBSCRIBED);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "url", json_string(r.url));
	json_object_set_new(o, "sessionId", json_string(r.session_id));
	if (j->compat) {
		reply_json_steal(req, 200, o);
	} else {
		json_object_set_new(o, "trialDays", json_integer(r.trial_days));
		reply_data_steal(req, 200, o, NULL);
	}
	checkout_result_free(&r);
}

static const struct field_spec checkout_spec[] = {{"trial", FT_BOOL, 0, 0, 0}};

void h_subscription_checkout(struct request *req)
{
	struct field_value v[1];
	if (!parse_fields(req, checkout_spec, 1, v))
		return;
	bool trial = v[0].present && v[0].flag;
	fields_free(v, 1);
	if (refuse_unconfigured(req))
		return;
	struct billing_job *j = job_new(req);
	j->trial = trial;
	http_defer(req, checkout_job);
}

/* Routes without body fields: an empty body or {} only. */
static bool no_fields(struct request *req)
{
	struct field_value none[1];
	return parse_fields(req, NULL, 0, none);
}

static void portal_job(struct request *req)
{
	struct billing_job *j = req->ctx;
	char *url = NULL;
	enum err_code e = billing_portal(&j->a, &url);
	if (e != ERR_NONE) {
		reply_billing_error(req, &j->a, e, NO_CUSTOMER);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "url", json_string(url));
	free(url);
	reply_data_steal(req, 200, o, NULL);
}

void h_subscription_portal(struct request *req)
{
	if (!no_fields(req) || refuse_unconfigured(req))
		return;
	job_new(req);
	http_defer(req, portal_job);
}

static void webhook_job(struct request *req)
{
	struct billing_job *j = req->ctx;
	enum err_code e = billing_webhook(&j->a, http_header(req, "Stripe-Signature"),
					  req->body.data ? req->body.data : "", req->body.len);
	if (e != ERR_NONE) {
		if (e == ERR_SERVICE_UNAVAILABLE && !billing_configured(req->app->cfg))
			reply_error(req, e, NULL, NOT_CONFIGURED);
		else
			reply_domain_error(req, &j->a, e, NULL);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "received", json_true());
	reply_json_steal(req, 200, o);
}

void h_stripe_webhook(struct request *req)
{
	/* The raw bytes are verified first (in the job); nothing here parses them. */
	job_new(req);
	http_defer(req, webhook_job);
}

/* P1: POST /subscription/create-checkout-session?trial=true|false. */
void h_v1_create_checkout_session(struct request *req)
{
	/* Body and query problems are reported together (§1.6 step 9). */
	json_t *details = NULL;
	struct field_value none[1];
	fields_parse(req->json, NULL, 0, none, &details);
	bool trial = query_bool(req, "trial", false, &details);
	if (details) {
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	if (refuse_unconfigured(req))
		return;
	struct billing_job *j = job_new(req);
	j->trial = trial;
	j->compat = true;
	http_defer(req, checkout_job);
}
