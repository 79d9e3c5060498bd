/* The plan decision of SPEC §5 in one place: whether a user has PREMIUM entitlements: the role
 * ADMIN, or the subscription rule of domain/billing.h (active or trialing within the period, or
 * past_due within 7 days of the payment failure). The plan is read from the store on every
 * call, never cached. */
#ifndef CRM_DOMAIN_PLAN_H
#define CRM_DOMAIN_PLAN_H

#include <stdbool.h>

struct actx;
struct db;

/* True when the caller (a->user_id) has PREMIUM entitlements, read on db (any transaction the
 * caller is in, so a write transaction sees it under the user lock). A store failure or a
 * missing user reads as FREE, the safe side of every limit. */
bool user_is_premium(struct actx *a, struct db *db);

#endif
