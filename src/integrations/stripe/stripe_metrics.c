/* The webhook counters (see stripe_metrics.h): a small fixed table under a mutex. Event types
 * come only from signed events (or "unknown"), so the table stays small; a bound keeps it so
 * even if an operator subscribes the endpoint to every event type. */
#include "integrations/stripe/stripe_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_TYPES 64
#define TYPE_LEN 64

static const char *const outcomes[] = {"applied", "ignored", "duplicate", "rejected",
				       "unavailable"};
#define NOUTCOMES (sizeof outcomes / sizeof outcomes[0])

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char types[MAX_TYPES + 1][TYPE_LEN]; /* the last slot is "other" */
static unsigned long long counts[MAX_TYPES + 1][NOUTCOMES];
static int ntypes;

/* Event types are lowercase words with dots and underscores; anything else is "other". */
static int type_slot(const char *type)
{
	size_t n = type ? strlen(type) : 0;
	if (n == 0 || n >= TYPE_LEN)
		return MAX_TYPES;
	for (size_t i = 0; i < n; i++) {
		char c = type[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
			return MAX_TYPES;
	}
	for (int i = 0; i < ntypes; i++)
		if (strcmp(types[i], type) == 0)
			return i;
	if (ntypes == MAX_TYPES)
		return MAX_TYPES;
	memcpy(types[ntypes], type, n + 1);
	return ntypes++;
}

void stripe_metrics_count(const char *type, const char *outcome)
{
	size_t o = 0;
	while (o < NOUTCOMES && strcmp(outcomes[o], outcome) != 0)
		o++;
	if (o == NOUTCOMES)
		return; /* not an outcome of the family: a caller bug, not worth a series */
	pthread_mutex_lock(&mu);
	counts[type_slot(type)][o]++;
	pthread_mutex_unlock(&mu);
}

void stripe_metrics_render(struct buf *out)
{
	buf_puts(out, "# HELP crm_stripe_webhook_events_total Stripe webhook events by type and "
		      "outcome.\n# TYPE crm_stripe_webhook_events_total counter\n");
	pthread_mutex_lock(&mu);
	for (int k = 0; k <= ntypes; k++) {
		int i = k < ntypes ? k : MAX_TYPES; /* the named types, then "other" */
		const char *t = i == MAX_TYPES ? "other" : types[i];
		for (size_t o = 0; o < NOUTCOMES; o++)
			if (counts[i][o])
				buf_printf(out,
					   "crm_stripe_webhook_events_total{type=\"%s\",outcome=\"%s\"}"
					   " %llu\n",
					   t, outcomes[o], counts[i][o]);
	}
	pthread_mutex_unlock(&mu);
}
