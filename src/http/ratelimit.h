/* Step 6 of the request pipeline (SPEC §1.6, §4): which buckets apply to a request, with which
 * keys and budgets, the 429 answer, and the RateLimit headers of every response of a limited
 * route. The counting itself is the limiter's (limiter/limiter.h). */
#ifndef CRM_HTTP_RATELIMIT_H
#define CRM_HTTP_RATELIMIT_H

#include <stdbool.h>

#include "http/http.h"

/* Checks req against its route's buckets (after the credential check, and after the body is
 * parsed on the body-first routes). On a rejection answers 429 rate_limited with Retry-After
 * and returns true. Exempt routes, CORS preflights and a server without a limiter pass. The
 * numbers for the headers are left in req either way. */
bool ratelimit_refuse(struct request *req);

/* Adds RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset when step 6 ran for req. Called
 * once per response, from pipeline_finish_headers, whoever produced the reply. */
void ratelimit_headers(struct request *req);

/* Whether the authenticated account has the PREMIUM budget: its plan (SPEC §5, domain/plan.h)
 * read from the store now; FREE when the store cannot answer. */
bool plan_is_premium(const struct request *req);

#endif
