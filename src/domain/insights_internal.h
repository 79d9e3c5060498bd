/* Helpers shared by insights.c and insights_trend.c (not used elsewhere): the store handle, the
 * read-transaction runner and the JSON pieces for times and rounded figures. */
#ifndef CRM_DOMAIN_INSIGHTS_INTERNAL_H
#define CRM_DOMAIN_INSIGHTS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "app.h"
#include "domain/accounts.h"
#include "errors/errors.h"
#include "store/store.h"

/* Returned by a transaction body that found a business error (the body's caller knows which):
 * store_tx rolls back on any negative result. Never a store status. */
#define INSIGHTS_TX_ABORT (-100)

static inline const struct store_ops *IOPS(struct actx *a)
{
	return a->app->store->ops;
}

/* Runs fn(db, ctx) in one read transaction. Returns 0 on success; -1 when fn aborted with
 * INSIGHTS_TX_ABORT (*err = ERR_NONE: the caller names the error) or the store failed (*err
 * the error a client sees). */
int insights_read(struct actx *a, store_tx_fn fn, void *ctx, enum err_code *err);

/* A timestamp as its ISO 8601 string, or null when has is false (new reference). */
json_t *insights_time(bool has, long long ms);

/* num / den rounded half up to scale (1 or 2) decimals, as a JSON number: an integer when the
 * result is whole, 0 when den <= 0 (new reference). num must be >= 0. */
json_t *insights_decimal(long long num, long long den, int scale);

#endif
