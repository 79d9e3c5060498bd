/* The route table: every operation of the service, with its pattern, handler, authentication
 * level, body limit, rate-limit class and flags. docs/openapi.yaml lists the same resource
 * operations (a unit test compares them). */
#include "handlers/handlers.h"
#include "http/router.h"

#define V1 "/api/v1"

struct route routes[] = {
	/* Operations (§13). */
	{HTTP_GET, V1 "/health", h_health, AUTH_NONE, 0, RL_EXEMPT, 0, NULL, 0, 0, 0},
	{HTTP_GET, V1 "/ready", h_ready, AUTH_NONE, 0, RL_EXEMPT, 0, NULL, 0, 0, 0},
	{HTTP_GET, V1 "/metrics", h_metrics, AUTH_NONE, 0, RL_EXEMPT, 0, NULL, 0, 0, 0},
	{HTTP_GET, V1 "/openapi.json", h_openapi, AUTH_NONE, 0, RL_GENERAL, 0, NULL, 0, 0, 0},
	/* Compatibility H3 (§15.2): development only. */
	{HTTP_GET, V1 "/test", h_test_hello, AUTH_NONE, 0, RL_GENERAL, RF_COMPAT | RF_DEV_ONLY,
	 "name", 0, 0, 0},
};

const int routes_count = (int)(sizeof routes / sizeof routes[0]);
