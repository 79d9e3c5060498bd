/* Authentication middleware (see auth.h). */
#include "http/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "config/config.h"
#include "domain/accounts.h"
#include "domain/contacts.h"
#include "handlers/handlers.h"
#include "http/pipeline.h"
#include "http/router.h"
#include "store/contact_types.h"
#include "util/alloc.h"
#include "util/timefmt.h"

void auth_check(struct request *req, bool query_parsed)
{
	req->auth_err = ERR_UNAUTHENTICATED;
	const char *token = NULL;
	const char *authz = http_header(req, "Authorization");
	if (authz) {
		/* When present, the header alone decides (§3.5). */
		req->token_presented = true;
		if (strncasecmp(authz, "Bearer ", 7) == 0 && authz[7] != ' ')
			token = authz + 7;
		else if (req->route && (req->route->flags & RF_COMPAT) && strchr(authz, '.') &&
			 !strchr(authz, ' '))
			token = authz; /* v1 clients send the bare JWT */
		if (!token)
			return;
	} else {
		token = http_cookie(req, "accessToken");
		if (!token)
			return;
		req->token_presented = true;
		req->via_cookie = true;
	}
	struct contact_read *read = NULL;
	struct contacts_page *page = NULL;
	if (req->route && (req->route->flags & RF_READS_CONTACT)) {
		read = xcalloc(1, sizeof *read);
		parse_id(req->params[0], &read->id);
	} else if (req->route && (req->route->flags & RF_READS_PAGE) && query_parsed) {
		page = h_contacts_list_plan(req);
	}
	struct auth_result r = accounts_authenticate(req->app, token, now_ms(), read,
						     page ? contacts_page_read(page) : NULL);
	req->auth_err = r.err;
	if (r.err != ERR_NONE) {
		/* never shown: the session is not the user's */
		contact_read_free(read);
		contacts_page_free(page);
	} else {
		req->contact_read = read;
		req->contacts_page = page;
	}
	if (r.err == ERR_NONE) {
		req->user_id = r.user_id;
		req->session_id = r.session_id;
		req->session_created_at = r.session_created_at;
		req->admin = r.admin;
		req->premium = r.premium;
	}
}

bool auth_refuse(struct request *req)
{
	if (req->auth_err == ERR_NONE)
		return false;
	if (req->auth_err == ERR_SERVICE_UNAVAILABLE) {
		reply_error(req, ERR_SERVICE_UNAVAILABLE, NULL, NULL);
		reply_header(req, "Retry-After", "5");
		return true;
	}
	enum err_code e = req->auth_err == ERR_TOKEN_EXPIRED ? ERR_TOKEN_EXPIRED : ERR_UNAUTHENTICATED;
	reply_error(req, e, NULL, NULL);
	reply_header(req, "WWW-Authenticate", req->token_presented
						      ? "Bearer realm=\"crm\", error=\"invalid_token\""
						      : "Bearer realm=\"crm\"");
	return true;
}

bool origin_is_allowed(struct request *req)
{
	const char *origin = http_header(req, "Origin");
	if (origin)
		return pipeline_origin_allowed(origin);
	const char *ref = http_header(req, "Referer");
	if (!ref)
		return false;
	const char *p = strstr(ref, "://");
	if (!p)
		return false;
	const char *slash = strchr(p + 3, '/');
	char *o = slash ? xstrndup(ref, (size_t)(slash - ref)) : xstrdup(ref);
	bool ok = pipeline_origin_allowed(o);
	free(o);
	return ok;
}

bool csrf_refuse(struct request *req)
{
	if (req->method != HTTP_POST && req->method != HTTP_PATCH && req->method != HTTP_DELETE)
		return false;
	if (origin_is_allowed(req))
		return false;
	struct actx a = {.app = req->app,
			 .ip = req->ip,
			 .user_agent = http_header(req, "User-Agent"),
			 .request_id = req->request_id,
			 .now = now_ms()};
	audit_event(&a, NULL, req->user_id, "auth.csrf_rejected", NULL);
	reply_error(req, ERR_ORIGIN_NOT_ALLOWED, NULL, NULL);
	return true;
}

static void set_cookie(struct request *req, const char *name, const char *value,
		       const char *path, long long max_age)
{
	char *c = xasprintf("%s=%s; Path=%s; Max-Age=%lld; HttpOnly; SameSite=Lax%s", name, value,
			    path, max_age, pipeline_secure_cookies() ? "; Secure" : "");
	reply_header(req, "Set-Cookie", c);
	free(c);
}

static const char *const refresh_paths[] = {"/api/v1/auth", "/api/v1/user/renewToken",
					    "/api/v1/user/logOut"};

void cookies_set(struct request *req, const struct token_pair *t)
{
	long long now = now_ms();
	set_cookie(req, "accessToken", t->access_token, "/api/v1",
		   req->app->cfg->access_token_expiry);
	long long left = (t->refresh_expires_ms - now) / 1000;
	for (size_t i = 0; i < 3; i++)
		set_cookie(req, "refreshToken", t->refresh_token, refresh_paths[i],
			   left > 0 ? left : 0);
}

void cookies_clear(struct request *req)
{
	set_cookie(req, "accessToken", "", "/api/v1", 0);
	for (size_t i = 0; i < 3; i++)
		set_cookie(req, "refreshToken", "", refresh_paths[i], 0);
}
