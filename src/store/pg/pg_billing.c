/* PostgreSQL store functions for billing (SPEC §6, §12): the subscriptions row of a user (read
 * by user or by Stripe customer, the customer stored once, the retrieved subscription state
 * written whole), the stripe_events record that makes each webhook event apply once, and the
 * outbox insert with a dedupe key. Times travel as bigint Unix ms; 0 is NULL. The expected
 * duplicates (an event or mail already recorded) are ON CONFLICT DO NOTHING, so they never
 * abort the caller's transaction. */
#include "store/pg/pg_billing.h"

#include "store/pg/pgs.h"
#include "store/store.h"

#define SUB_COLS                                                                           \
	"id, user_id, stripe_customer_id, stripe_subscription_id, status, price_id, " PG_MS( \
	    "subscription_created") ", " PG_MS("current_period_start") ", " PG_MS(         \
	    "current_period_end") ", " PG_MS("trial_end") ", cancel_at_period_end,"        \
			      " trial_used, " PG_MS("payment_failed_at") ", " PG_MS(      \
				  "created_at") ", " PG_MS("updated_at")

static void read_sub(const PGresult *r, struct subscription_row *s)
{
	s->id = pg_get_i64(r, 0, 0);
	s->user_id = pg_get_i64(r, 0, 1);
	s->stripe_customer_id = pg_get_strdup(r, 0, 2);
	s->stripe_subscription_id = pg_get_strdup(r, 0, 3);
	s->status = pg_get_strdup(r, 0, 4);
	s->price_id = pg_get_strdup(r, 0, 5);
	s->subscription_created = pg_get_i64(r, 0, 6);
	s->current_period_start = pg_get_i64(r, 0, 7);
	s->current_period_end = pg_get_i64(r, 0, 8);
	s->trial_end = pg_get_i64(r, 0, 9);
	s->cancel_at_period_end = pg_get_bool(r, 0, 10);
	s->trial_used = pg_get_bool(r, 0, 11);
	s->payment_failed_at = pg_get_i64(r, 0, 12);
	s->created_at = pg_get_i64(r, 0, 13);
	s->updated_at = pg_get_i64(r, 0, 14);
}

/* Runs a one-row lookup: 1 (out filled), 0 none, or < 0. */
static int select_one(struct db *db, const char *name, const char *sql, const struct pg_params *p,
		      struct subscription_row *out)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_sub(r, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* A time parameter in ms, 0 as NULL. */
static void param_ms(struct pg_params *p, long long ms)
{
	if (ms)
		pg_param_i64(p, ms);
	else
		pg_param_null(p);
}

int pg_subscriptions_select(struct db *db, long long user_id, struct subscription_row *out)
{
	static const char SQL[] =
	    "SELECT " SUB_COLS " FROM subscriptions WHERE user_id = $1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	return select_one(db, "subscriptions_select", SQL, &p, out);
}

int pg_subscriptions_select_by_customer(struct db *db, const char *customer_id,
					struct subscription_row *out)
{
	static const char SQL[] =
	    "SELECT " SUB_COLS " FROM subscriptions WHERE stripe_customer_id = $1";
	struct pg_params p = {0};
	pg_param_str(&p, customer_id);
	return select_one(db, "subscriptions_select_by_customer", SQL, &p, out);
}

/* The upsert only fills a missing customer: a stored one is never replaced. */
int pg_subscriptions_set_customer(struct db *db, long long user_id, const char *customer_id,
				  long long now)
{
	static const char SQL[] =
	    "INSERT INTO subscriptions (user_id, stripe_customer_id, status, created_at,"
	    " updated_at) VALUES ($1::bigint, $2, 'none', " PG_TS("$3") ", " PG_TS(
		"$3") ") ON CONFLICT (user_id) DO UPDATE SET stripe_customer_id ="
		      " excluded.stripe_customer_id, updated_at = excluded.updated_at"
		      " WHERE subscriptions.stripe_customer_id IS NULL";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, customer_id);
	pg_param_i64(&p, now);
	return pg_run(db, "subscriptions_set_customer", SQL, p.n, p.v);
}

int pg_subscriptions_store_state(struct db *db, long long user_id,
				 const struct subscription_state *s, long long now)
{
	static const char SQL[] =
	    "UPDATE subscriptions SET stripe_subscription_id = $2, status = $3, price_id = $4,"
	    " subscription_created = " PG_TS("$5") ", current_period_start = " PG_TS(
		"$6") ", current_period_end = " PG_TS("$7") ", trial_end = " PG_TS(
		"$8") ", cancel_at_period_end = $9::boolean, trial_used = $10::boolean,"
		      " payment_failed_at = " PG_TS("$11") ", updated_at = " PG_TS(
			  "$12") " WHERE user_id = $1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, s->stripe_subscription_id);
	pg_param_str(&p, s->status);
	pg_param_str(&p, s->price_id);
	param_ms(&p, s->subscription_created);
	param_ms(&p, s->current_period_start);
	param_ms(&p, s->current_period_end);
	param_ms(&p, s->trial_end);
	pg_param_bool(&p, s->cancel_at_period_end);
	pg_param_bool(&p, s->trial_used);
	param_ms(&p, s->payment_failed_at);
	pg_param_i64(&p, now);
	return pg_run(db, "subscriptions_store_state", SQL, p.n, p.v);
}

int pg_stripe_events_select(struct db *db, const char *event_id)
{
	static const char SQL[] = "SELECT 1 FROM stripe_events WHERE event_id = $1";
	struct pg_params p = {0};
	pg_param_str(&p, event_id);
	int rc = pg_run(db, "stripe_events_select", SQL, p.n, p.v);
	return rc < 0 ? rc : rc > 0;
}

int pg_stripe_events_insert(struct db *db, const char *event_id, const char *type,
			    long long created, const char *outcome, long long now)
{
	static const char SQL[] =
	    "INSERT INTO stripe_events (event_id, type, created, received_at, outcome)"
	    " VALUES ($1, $2, " PG_TS("$3") ", " PG_TS(
		"$4") ", $5) ON CONFLICT (event_id) DO NOTHING";
	struct pg_params p = {0};
	pg_param_str(&p, event_id);
	pg_param_str(&p, type);
	param_ms(&p, created);
	pg_param_i64(&p, now);
	pg_param_str(&p, outcome);
	return pg_run(db, "stripe_events_insert", SQL, p.n, p.v);
}

int pg_outbox_insert_dedupe(struct db *db, const struct outbox_new *m, const char *dedupe_key,
			    long long now)
{
	static const char SQL[] =
	    "INSERT INTO email_outbox (user_id, to_address, template, subject, body_text,"
	    " body_html, dedupe_key, next_attempt_at, created_at) VALUES (NULLIF($1::bigint, 0),"
	    " $2, $3, $4, $5, $6, $7, " PG_TS("$8") ", " PG_TS(
		"$8") ") ON CONFLICT (dedupe_key) DO NOTHING";
	struct pg_params p = {0};
	pg_param_i64(&p, m->user_id);
	pg_param_str(&p, m->to_address);
	pg_param_str(&p, m->template_name);
	pg_param_str(&p, m->subject);
	pg_param_str(&p, m->body_text);
	pg_param_str(&p, m->body_html);
	pg_param_str(&p, dedupe_key);
	pg_param_i64(&p, now);
	return pg_run(db, "outbox_insert_dedupe", SQL, p.n, p.v);
}
