/* Authentication middleware (SPEC §3.4–3.6): reading the credential, checking it, the CSRF
 * rule for cookie-authenticated unsafe requests, and the session cookies. */
#ifndef CRM_HTTP_AUTH_H
#define CRM_HTTP_AUTH_H

#include <stdbool.h>

#include "http/http.h"

struct token_pair;

/* Step 5: reads the Authorization header or the accessToken cookie and checks it; the
 * outcome is left in req (user_id, session_id, auth_err, via_cookie). query_parsed: the
 * query is in req (step 9's parse succeeded), so an RF_READS_PAGE route's page can be planned
 * and read with the session. */
void auth_check(struct request *req, bool query_parsed);

/* Step 7 for routes that require authentication: answers 401 (or the store's 503) and
 * returns true when the check failed. */
bool auth_refuse(struct request *req);

/* §3.6: a cookie-authenticated POST/PATCH/DELETE needs an allowed Origin (or Referer).
 * Answers 403 origin_not_allowed (and writes the security event) and returns true when
 * refused. */
bool csrf_refuse(struct request *req);

/* Whether the request's Origin (or Referer's origin) is in the allowlist. */
bool origin_is_allowed(struct request *req);

/* The session cookies of §3.4. */
void cookies_set(struct request *req, const struct token_pair *t);
void cookies_clear(struct request *req);

#endif
