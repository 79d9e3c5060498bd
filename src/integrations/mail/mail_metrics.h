/* The mail series of /metrics (SPEC §13.3): crm_email_sent_total{template,result} and the
 * crm_email_outbox_pending gauge. Kept here, apart from metrics.c, because the family has two
 * labels and the gauge is fed by the outbox worker; metrics_render calls mail_metrics_render.
 * Process-wide and thread-safe. */
#ifndef CRM_INTEGRATIONS_MAIL_METRICS_H
#define CRM_INTEGRATIONS_MAIL_METRICS_H

#include "util/buf.h"

struct metrics;

/* Adds 1 to crm_email_sent_total{template=template_name,result=result}; result is "sent",
 * "retry" or "failed". m is accepted for symmetry with metrics_count and may be NULL: the
 * counters live in this module. Unknown templates or results are counted under "other". */
void metrics_email(struct metrics *m, const char *template_name, const char *result);

/* Sets the crm_email_outbox_pending gauge (the outbox worker calls it after each pass). */
void mail_metrics_set_pending(long long pending);

/* Appends both families in text format 0.0.4 (HELP, TYPE, one line per series; every
 * template x result pair, zeros included, so rates start from a known point). */
void mail_metrics_render(struct buf *out);

#endif
