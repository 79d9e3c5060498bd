/* The webhook series of /metrics (SPEC §13.3): crm_stripe_webhook_events_total{type, outcome},
 * outcome one of applied, ignored, duplicate, rejected (bad signature or body) and unavailable
 * (Stripe or the store failed; Stripe retries). Process-wide counters; metrics_render calls
 * stripe_metrics_render. */
#ifndef CRM_INTEGRATIONS_STRIPE_METRICS_H
#define CRM_INTEGRATIONS_STRIPE_METRICS_H

#include "util/buf.h"

/* Counts one webhook answer. type is the event's type ("unknown" when the event could not be
 * read); at most 64 distinct types get their own series, later ones count as "other".
 * Thread-safe. */
void stripe_metrics_count(const char *type, const char *outcome);

/* Writes the family (HELP, TYPE and every series counted so far) in text format 0.0.4. */
void stripe_metrics_render(struct buf *out);

#endif
