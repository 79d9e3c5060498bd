/* The application context handed to every handler: configuration, store and shared clients.
 * Built once in main.c; no mutable globals elsewhere. */
#ifndef CRM_APP_H
#define CRM_APP_H

#include <stdatomic.h>
#include <stdbool.h>

struct config;
struct store;
struct job_pool;
struct metrics;
struct outbox_worker;
struct oauth_client;
struct limiter;

struct app {
	const struct config *cfg;
	struct store *store;
	struct job_pool *jobs;
	struct metrics *metrics;
	struct outbox_worker *outbox; /* background mail sender */
	struct oauth_client *oauth;   /* OAuth providers' state (JWKS cache) */
	struct limiter *limiter;      /* rate limits (§4); NULL: none applied */
	double started_at; /* CLOCK_REALTIME seconds */
	double started_mono; /* CLOCK_MONOTONIC seconds, for uptime */
	atomic_bool draining; /* set on SIGTERM: /ready answers 503 */
};

#endif
