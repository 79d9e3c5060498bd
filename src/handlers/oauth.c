/* OAuth sign-in routes (SPEC §7.3; compatibility O1–O4 are the same routes) and the linked
 * identities of the account (GET /me/identities, DELETE /me/identities/{provider}: an
 * extension of the SPEC). The two browser-facing routes never answer with JSON once the
 * provider is known: every failure is a 302 to FRONTEND_URL/login?error=<code>. The callback's
 * outbound calls run on the job pool (§13.7). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config/config.h"
#include "domain/oauth.h"
#include "handlers/auth_common.h"
#include "handlers/handlers.h"
#include "http/auth.h"
#include "http/pipeline.h"
#include "http/query.h"
#include "integrations/oauth/oauth.h"
#include "integrations/oauth/state.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/utf8.h"

#define MAX_CODE 4096

/* 302 to FRONTEND_URL/login?error=<code>; record: write auth.oauth_failed here (failures
 * found before the domain runs). */
static void fail(struct request *req, const char *provider, enum oauth_outcome o, bool record)
{
	char *loc =
	    xasprintf("%s/login?error=%s", req->app->cfg->frontend_url, oauth_outcome_code(o));
	reply_redirect(req, loc);
	free(loc);
	if (record) {
		struct actx a;
		actx_from(req, &a);
		oauth_record_failure(&a, provider, o);
	}
}

static void state_cookie(struct request *req, const char *value, long long max_age)
{
	char *c = xasprintf(OAUTH_STATE_COOKIE "=%s; Path=/api/v1/auth; Max-Age=%lld; HttpOnly; "
					       "SameSite=Lax%s",
			    value, max_age, pipeline_secure_cookies() ? "; Secure" : "");
	reply_header(req, "Set-Cookie", c);
	free(c);
}

/* FRONTEND_URL + returnTo (default "/"), with bytes a Location header cannot carry raw
 * (space, controls, non-ASCII, quotes, angle brackets...) percent-encoded. New string. */
static char *success_location(struct request *req, const char *return_to)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	buf_puts(&b, req->app->cfg->frontend_url);
	const unsigned char *p = (const unsigned char *)(return_to && *return_to ? return_to : "/");
	for (; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\^`{|}", *p)) {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		} else {
			buf_putc(&b, (char)*p);
		}
	}
	return buf_steal(&b);
}

/* §7.3: a path starting with one '/', no '\' or control characters, ≤ 512 characters. */
static bool valid_return_to(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || s[0] != '/' || s[1] == '/' || strchr(s, '\\'))
		return false;
	return utf8_valid(s, n) && !utf8_has_controls(s, n, false) &&
	       utf8_length(s, n) <= OAUTH_RETURN_TO_MAX;
}

static bool parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* The start's query: only returnTo, reactivate and link, each at most once, valid. */
static bool start_query(struct request *req, const char **return_to, bool *reactivate, bool *link)
{
	if (req->query_too_many)
		return false;
	for (int i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name;
		if (strcmp(n, "returnTo") != 0 && strcmp(n, "reactivate") != 0 &&
		    strcmp(n, "link") != 0)
			return false;
		if (query_count(req, n) != 1)
			return false;
	}
	const char *rt = http_query(req, "returnTo");
	const char *ra = http_query(req, "reactivate");
	const char *lk = http_query(req, "link");
	*reactivate = *link = false;
	if ((rt && !valid_return_to(rt)) || (ra && !parse_bool(ra, reactivate)) ||
	    (lk && !parse_bool(lk, link)))
		return false;
	*return_to = rt;
	return true;
}

void h_oauth_start(struct request *req)
{
	const struct config *cfg = req->app->cfg;
	struct oauth_provider p;
	if (!oauth_provider_get(cfg, req->params[0], &p)) {
		reply_error(req, ERR_NOT_FOUND, NULL, NULL);
		return;
	}
	if (!p.enabled || !cfg->session_secret) {
		fail(req, p.name, OAUTH_PROVIDER_NOT_CONFIGURED, true);
		return;
	}
	const char *return_to = NULL;
	bool reactivate, link;
	if (!start_query(req, &return_to, &reactivate, &link)) {
		fail(req, p.name, OAUTH_INVALID_REQUEST, true);
		return;
	}
	/* Explicit linking needs the signed-in browser's accessToken cookie (§7.3, §3.5). */
	if (link && (req->auth_err != ERR_NONE || !req->via_cookie)) {
		fail(req, p.name, OAUTH_UNAUTHENTICATED, true);
		return;
	}
	struct oauth_state st;
	oauth_state_new(&st, p.name, p.google, return_to, reactivate, link ? req->user_id : 0,
			link ? req->session_id : 0, now_ms());
	char *cookie = oauth_state_encode(&st, cfg->session_secret);
	char *url = oauth_authorize_url(cfg, &p, st.state, st.verifier, st.nonce);
	reply_redirect(req, url);
	state_cookie(req, cookie, OAUTH_STATE_TTL_MS / 1000);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(cookie, strlen(cookie));
	free(cookie);
	free(url);
}

/* What the deferred callback needs, owned by the request. */
struct callback_job {
	struct actx a;
	struct oauth_state st;
	char *code;
	struct oauth_result res;
};

static void callback_job_free(void *p)
{
	struct callback_job *j = p;
	if (j->code) {
		sodium_memzero(j->code, strlen(j->code));
		free(j->code);
	}
	token_pair_free(&j->res.pair);
	sodium_memzero(&j->st, sizeof j->st);
	free(j);
}

static void callback_run(struct request *req)
{
	struct callback_job *j = req->ctx;
	enum oauth_outcome o = oauth_complete(&j->a, &j->st, j->code, &j->res);
	if (o != OAUTH_OK) {
		fail(req, j->st.provider, o, false); /* the domain wrote the event */
		return;
	}
	char *loc = success_location(req, j->st.return_to);
	reply_redirect(req, loc);
	free(loc);
	if (j->res.session_opened)
		cookies_set(req, &j->res.pair);
}

void h_oauth_callback(struct request *req)
{
	const struct config *cfg = req->app->cfg;
	struct oauth_provider p;
	if (!oauth_provider_get(cfg, req->params[0], &p)) {
		reply_error(req, ERR_NOT_FOUND, NULL, NULL);
		return;
	}
	/* A state is used once: the cookie goes whatever the outcome. */
	state_cookie(req, "", 0);
	if (req->query_too_many || query_count(req, "code") > 1 || query_count(req, "state") > 1 ||
	    query_count(req, "error") > 1) {
		fail(req, p.name, OAUTH_INVALID_REQUEST, true);
		return;
	}
	if (!p.enabled || !cfg->session_secret) {
		fail(req, p.name, OAUTH_PROVIDER_NOT_CONFIGURED, true);
		return;
	}
	struct callback_job *j = xcalloc(1, sizeof *j);
	req->ctx = j;
	req->ctx_free = callback_job_free;
	actx_from(req, &j->a);
	const char *state = http_query(req, "state");
	if (!oauth_state_decode(http_cookie(req, OAUTH_STATE_COOKIE), cfg->session_secret, j->a.now,
				&j->st) ||
	    strcmp(j->st.provider, p.name) != 0 || !state || !oauth_str_equal(j->st.state, state)) {
		fail(req, p.name, OAUTH_INVALID_STATE, true);
		return;
	}
	const char *error = http_query(req, "error");
	if (error) {
		fail(req, p.name,
		     strcmp(error, "access_denied") == 0 ? OAUTH_ACCESS_DENIED : OAUTH_FAILED,
		     true);
		return;
	}
	const char *code = http_query(req, "code");
	if (!code || !*code || strlen(code) > MAX_CODE) {
		fail(req, p.name, OAUTH_INVALID_REQUEST, true);
		return;
	}
	j->code = xstrdup(code);
	http_defer(req, callback_run);
}

/* ---- linked identities ---- */

void h_me_identities(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	json_t *list = NULL;
	enum err_code e = oauth_identities(&a, &list);
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	reply_data_steal(req, 200, list, NULL);
}

void h_me_identity_delete(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	enum err_code e = oauth_unlink(&a, req->params[0]);
	if (e == ERR_CONFLICT) {
		reply_error(req, ERR_CONFLICT, NULL,
			    "This is the account's last way to sign in: set a password first.");
		return;
	}
	if (e != ERR_NONE) {
		reply_domain_error(req, &a, e, NULL);
		return;
	}
	reply_empty(req, 204);
}
