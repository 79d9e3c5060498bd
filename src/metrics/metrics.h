/* Process metrics exposed at /metrics in the Prometheus text format (SPEC §13.3). */
#ifndef CRM_METRICS_H
#define CRM_METRICS_H

#include "util/buf.h"

struct metrics;
struct app;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Records one finished request. route: the pattern or "unmatched". */
void metrics_request(struct metrics *m, const char *route, const char *method, int status,
		     double seconds);
void metrics_in_flight(struct metrics *m, int delta);
/* Adds 1 to a labelled counter family (name must be one of the families metrics.c knows,
 * e.g. "crm_auth_events_total" with label "event"). */
void metrics_count(struct metrics *m, const char *family, const char *label_value);

/* Writes every series in text format 0.0.4. */
void metrics_render(struct metrics *m, struct app *app, struct buf *out);

#endif
