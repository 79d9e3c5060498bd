/* The plan gate of PREMIUM-only routes (SPEC §1.6 step 10, §5): `/insights/interactions-trend`
 * and `/insights/tags` answer 402 premium_required on FREE. A handler calls require_premium
 * first and returns when it gives false. */
#ifndef CRM_HANDLERS_PREMIUM_H
#define CRM_HANDLERS_PREMIUM_H

#include <stdbool.h>

#include "http/http.h"

/* True when the authenticated caller has PREMIUM entitlements now (read from the store, never
 * cached). Otherwise the reply is set (402 premium_required, or 503 when the store fails) and
 * it returns false. */
bool require_premium(struct request *req);

#endif
