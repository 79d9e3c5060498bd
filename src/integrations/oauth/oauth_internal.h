/* Pieces shared by the files of src/integrations/oauth (not used elsewhere): the client's
 * state and the JSON-over-HTTP helper. */
#ifndef CRM_INTEGRATIONS_OAUTH_INTERNAL_H
#define CRM_INTEGRATIONS_OAUTH_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "integrations/http_client.h"
#include "integrations/oauth/oauth.h"

struct jwk_entry {
	char *kid;
	char *pem;
};

struct oauth_client {
	const struct config *cfg;
	pthread_mutex_t mu; /* guards the cache below; never held during a fetch */
	struct jwk_entry *keys;
	size_t nkeys;
	long long expires_ms;	 /* the cached set is fresh until then (0: nothing cached) */
	long long last_fetch_ms; /* last fetch attempt (refetch for an unknown kid ≤ 1/min) */
};

/* Sends rq and parses a JSON answer with a 2xx status into *doc (new reference). Returns
 * false (with *why set to a static reason) for a failed call, another status or a body that
 * is not JSON. resp may be NULL; when given, it receives the response (caller frees). */
bool oauth_json_call(const struct http_client_request *rq, json_t **doc, const char **why,
		     struct http_client_response *resp);

#endif
