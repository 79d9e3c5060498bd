/* The buckets of SPEC §4 per route class (see ratelimit.h). Keys are "user:<id>", "ip:<addr>",
 * "email:<folded>", "<addr>|<folded identifier>" and "<folded identifier>"; the prefixes keep a
 * body value from ever naming another kind of key. Identifiers longer than KEY_TEXT_MAX bytes
 * are replaced by a digest, so a 1 MiB "email" costs no more than a short one. */
#include "http/ratelimit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/accounts.h"
#include "domain/plan.h"
#include "http/router.h"
#include "limiter/limiter.h"
#include "store/store.h"
#include "util/fold.h"
#include "util/timefmt.h"

#define KEY_TEXT_MAX 200
/* The fixed per-identifier and per-email budgets of §4. */
#define LOGIN_IDENT_MAX 100
#define LOGIN_IDENT_WINDOW 3600
#define MAIL_EMAIL_MAX 3
#define MAIL_EMAIL_WINDOW 3600

/* The plan as billing decides it (domain/plan.h), read from the store for this request. */
bool plan_is_premium(const struct request *req)
{
	/* Read with the session in the one authentication query (accounts_authenticate). */
	return req->admin || req->premium;
}

/* The folded value of the body's string member name into out ("" when absent, not a string,
 * or empty once folded). Long values become "h:" and a hex digest. */
static void body_key(const struct request *req, const char *name, char *out, size_t n)
{
	out[0] = '\0';
	json_t *v = req->json ? json_object_get(req->json, name) : NULL;
	if (!json_is_string(v))
		return;
	char *f = fold_text(json_string_value(v), json_string_length(v));
	size_t len = strlen(f);
	if (len <= KEY_TEXT_MAX) {
		snprintf(out, n, "%s", f);
	} else {
		unsigned char h[16];
		crypto_generichash(h, sizeof h, (const unsigned char *)f, len, NULL, 0);
		char hex[2 * sizeof h + 1];
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		snprintf(out, n, "h:%s", hex);
	}
	free(f);
}

static const char *mail_bucket(enum rate_class rc)
{
	switch (rc) {
	case RL_REGISTER:
		return "register";
	case RL_FORGOT:
		return "forgot";
	case RL_RESEND:
		return "resend";
	default:
		return NULL;
	}
}

bool ratelimit_refuse(struct request *req)
{
	const struct route *r = req->route;
	struct limiter *lim = req->app ? req->app->limiter : NULL;
	if (!lim || !r || r->rate == RL_EXEMPT || req->method == HTTP_OPTIONS)
		return false;
	const struct config *c = req->app->cfg;
	struct rl_check ck[LIMITER_MAX_CHECKS];
	int n = 0;
	char general[96], ip[80], k1[KEY_TEXT_MAX + 100], k2[KEY_TEXT_MAX + 100];
	char ident[KEY_TEXT_MAX + 8];
	snprintf(ip, sizeof ip, "ip:%s", req->ip);

	if (req->user_id > 0) {
		snprintf(general, sizeof general, "user:%lld", req->user_id);
		long max = plan_is_premium(req) ? c->rate_limit_max_premium : c->rate_limit_max;
		ck[n++] = (struct rl_check){"general", general, max, c->rate_limit_window_seconds};
	} else {
		ck[n++] = (struct rl_check){"general", ip, c->rate_limit_anon_max,
					    c->rate_limit_window_seconds};
	}

	switch (r->rate) {
	case RL_LOGIN:
		body_key(req, "email", ident, sizeof ident);
		if (!ident[0])
			body_key(req, "username", ident, sizeof ident);
		if (ident[0]) {
			snprintf(k1, sizeof k1, "%s|%s", req->ip, ident);
			ck[n++] = (struct rl_check){"login", k1, c->rate_limit_auth_max,
						    c->rate_limit_auth_window_seconds};
			ck[n++] = (struct rl_check){"login-identifier", ident, LOGIN_IDENT_MAX,
						    LOGIN_IDENT_WINDOW};
		}
		break;
	case RL_REGISTER:
	case RL_FORGOT:
	case RL_RESEND: {
		const char *bucket = mail_bucket(r->rate);
		ck[n++] = (struct rl_check){bucket, ip, c->rate_limit_auth_max,
					    c->rate_limit_auth_window_seconds};
		body_key(req, "email", ident, sizeof ident);
		if (ident[0]) {
			snprintf(k2, sizeof k2, "email:%s", ident);
			ck[n++] = (struct rl_check){bucket, k2, MAIL_EMAIL_MAX, MAIL_EMAIL_WINDOW};
		}
		break;
	}
	case RL_EXPORT:
		if (req->user_id > 0) {
			snprintf(k1, sizeof k1, "user:%lld", req->user_id);
			ck[n++] = (struct rl_check){"export", k1, c->rate_limit_export_max,
						    c->rate_limit_export_window_seconds};
		}
		break;
	default:
		break;
	}

	struct rl_result res;
	bool ok = limiter_check(lim, ck, n, &res);
	req->rl_applied = true;
	req->rl_limit = res.limit;
	req->rl_remaining = res.remaining;
	req->rl_reset = res.reset;
	if (ok)
		return false;
	reply_error(req, ERR_RATE_LIMITED, NULL, NULL);
	char ra[24];
	snprintf(ra, sizeof ra, "%ld", res.retry_after);
	reply_header(req, "Retry-After", ra);
	return true;
}

void ratelimit_headers(struct request *req)
{
	if (!req->rl_applied)
		return;
	char v[24];
	snprintf(v, sizeof v, "%ld", req->rl_limit);
	reply_header(req, "RateLimit-Limit", v);
	snprintf(v, sizeof v, "%ld", req->rl_remaining);
	reply_header(req, "RateLimit-Remaining", v);
	snprintf(v, sizeof v, "%ld", req->rl_reset);
	reply_header(req, "RateLimit-Reset", v);
}
