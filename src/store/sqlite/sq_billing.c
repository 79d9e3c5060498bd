/* SQLite store functions for billing (SPEC §6, §12): the subscriptions row of a user (read by
 * user or by Stripe customer, the customer stored once, the retrieved subscription state
 * written whole), the stripe_events record that makes each webhook event apply once, and the
 * outbox insert with a dedupe key. Times are Unix ms; 0 is stored as NULL. */
#include "store/sqlite/sq_billing.h"

#include "store/sqlite/sq.h"
#include "store/store.h"

#define SUB_COLS                                                                           \
	"id, user_id, stripe_customer_id, stripe_subscription_id, status, price_id,"       \
	" subscription_created, current_period_start, current_period_end, trial_end,"      \
	" cancel_at_period_end, trial_used, payment_failed_at, created_at, updated_at"

static void read_sub(sqlite3_stmt *st, struct subscription_row *s)
{
	s->id = sqlite3_column_int64(st, 0);
	s->user_id = sqlite3_column_int64(st, 1);
	s->stripe_customer_id = sq_col_strdup(st, 2);
	s->stripe_subscription_id = sq_col_strdup(st, 3);
	s->status = sq_col_strdup(st, 4);
	s->price_id = sq_col_strdup(st, 5);
	s->subscription_created = sqlite3_column_int64(st, 6);
	s->current_period_start = sqlite3_column_int64(st, 7);
	s->current_period_end = sqlite3_column_int64(st, 8);
	s->trial_end = sqlite3_column_int64(st, 9);
	s->cancel_at_period_end = sqlite3_column_int(st, 10) != 0;
	s->trial_used = sqlite3_column_int(st, 11) != 0;
	s->payment_failed_at = sqlite3_column_int64(st, 12);
	s->created_at = sqlite3_column_int64(st, 13);
	s->updated_at = sqlite3_column_int64(st, 14);
}

/* Steps a bound one-row lookup: 1 (out filled), 0 none, or < 0. */
static int select_one(struct db *db, sqlite3_stmt *st, struct subscription_row *out)
{
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_sub(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* Binds a time in ms, 0 as NULL. */
static void bind_ms(sqlite3_stmt *st, int idx, long long ms)
{
	if (ms)
		sqlite3_bind_int64(st, idx, ms);
	else
		sqlite3_bind_null(st, idx);
}

int sq_subscriptions_select(struct db *db, long long user_id, struct subscription_row *out)
{
	static const char SQL[] = "SELECT " SUB_COLS " FROM subscriptions WHERE user_id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	return select_one(db, st, out);
}

int sq_subscriptions_select_by_customer(struct db *db, const char *customer_id,
					struct subscription_row *out)
{
	static const char SQL[] =
	    "SELECT " SUB_COLS " FROM subscriptions WHERE stripe_customer_id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, customer_id);
	return select_one(db, st, out);
}

/* The upsert only fills a missing customer: a stored one is never replaced, so a late
 * duplicate of the customer creation cannot swap the user's customer. */
int sq_subscriptions_set_customer(struct db *db, long long user_id, const char *customer_id,
				  long long now)
{
	static const char SQL[] =
	    "INSERT INTO subscriptions (user_id, stripe_customer_id, status, created_at,"
	    " updated_at) VALUES (?1, ?2, 'none', ?3, ?3) ON CONFLICT (user_id) DO UPDATE"
	    " SET stripe_customer_id = excluded.stripe_customer_id, updated_at = excluded.updated_at"
	    " WHERE subscriptions.stripe_customer_id IS NULL";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, customer_id);
	sqlite3_bind_int64(st, 3, now);
	return sq_run(db, st);
}

int sq_subscriptions_store_state(struct db *db, long long user_id,
				 const struct subscription_state *s, long long now)
{
	static const char SQL[] =
	    "UPDATE subscriptions SET stripe_subscription_id = ?2, status = ?3, price_id = ?4,"
	    " subscription_created = ?5, current_period_start = ?6, current_period_end = ?7,"
	    " trial_end = ?8, cancel_at_period_end = ?9, trial_used = ?10,"
	    " payment_failed_at = ?11, updated_at = ?12 WHERE user_id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, s->stripe_subscription_id);
	sq_bind_text(st, 3, s->status);
	sq_bind_text(st, 4, s->price_id);
	bind_ms(st, 5, s->subscription_created);
	bind_ms(st, 6, s->current_period_start);
	bind_ms(st, 7, s->current_period_end);
	bind_ms(st, 8, s->trial_end);
	sqlite3_bind_int(st, 9, s->cancel_at_period_end);
	sqlite3_bind_int(st, 10, s->trial_used);
	bind_ms(st, 11, s->payment_failed_at);
	sqlite3_bind_int64(st, 12, now);
	return sq_run(db, st);
}

int sq_stripe_events_select(struct db *db, const char *event_id)
{
	static const char SQL[] = "SELECT 1 FROM stripe_events WHERE event_id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, event_id);
	int rc = sq_step(db, st);
	if (rc > 0)
		sqlite3_reset(st);
	return rc;
}

int sq_stripe_events_insert(struct db *db, const char *event_id, const char *type,
			    long long created, const char *outcome, long long now)
{
	static const char SQL[] =
	    "INSERT INTO stripe_events (event_id, type, created, received_at, outcome)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (event_id) DO NOTHING";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, event_id);
	sq_bind_text(st, 2, type);
	bind_ms(st, 3, created);
	sqlite3_bind_int64(st, 4, now);
	sq_bind_text(st, 5, outcome);
	return sq_run(db, st);
}

int sq_outbox_insert_dedupe(struct db *db, const struct outbox_new *m, const char *dedupe_key,
			    long long now)
{
	static const char SQL[] =
	    "INSERT INTO email_outbox (user_id, to_address, template, subject, body_text,"
	    " body_html, dedupe_key, next_attempt_at, created_at)"
	    " VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
	    " ON CONFLICT (dedupe_key) DO NOTHING";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, m->user_id);
	sq_bind_text(st, 2, m->to_address);
	sq_bind_text(st, 3, m->template_name);
	sq_bind_text(st, 4, m->subject);
	sq_bind_text(st, 5, m->body_text);
	sq_bind_text(st, 6, m->body_html);
	sq_bind_text(st, 7, dedupe_key);
	sqlite3_bind_int64(st, 8, now);
	return sq_run(db, st);
}
