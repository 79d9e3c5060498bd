/* The PostgreSQL implementations of the billing operations of struct store_ops (subscriptions,
 * Stripe events, the outbox insert with a dedupe key), registered in pg.c. Each has exactly the
 * contract of the store_ops member of the same name without the pg_ prefix (store.h). */
#ifndef CRM_STORE_PG_BILLING_H
#define CRM_STORE_PG_BILLING_H

#include "store/types.h"

struct db;

int pg_subscriptions_select(struct db *db, long long user_id, struct subscription_row *out);
int pg_subscriptions_select_by_customer(struct db *db, const char *customer_id,
					struct subscription_row *out);
int pg_subscriptions_set_customer(struct db *db, long long user_id, const char *customer_id,
				  long long now);
int pg_subscriptions_store_state(struct db *db, long long user_id,
				 const struct subscription_state *s, long long now);
int pg_stripe_events_select(struct db *db, const char *event_id);
int pg_stripe_events_insert(struct db *db, const char *event_id, const char *type,
			    long long created, const char *outcome, long long now);
int pg_outbox_insert_dedupe(struct db *db, const struct outbox_new *m, const char *dedupe_key,
			    long long now);

#endif
