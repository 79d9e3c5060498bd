/* GitHub's user and e-mails API (see github.h). */
#include "integrations/oauth/github.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "integrations/oauth/oauth_internal.h"
#include "util/alloc.h"

static const char *const GITHUB_HEADERS[] = {"Accept: application/vnd.github+json",
					     "X-GitHub-Api-Version: 2022-11-28", NULL};

static bool get_json(const struct config *cfg, const char *path, const char *token, json_t **doc,
		     const char **why)
{
	char *url = xasprintf("%s%s", cfg->github_api_url, path);
	struct http_client_request rq = {.url = url, .headers = GITHUB_HEADERS, .bearer = token};
	bool ok = oauth_json_call(&rq, doc, why, NULL);
	free(url);
	return ok;
}

/* The address to use: the primary one when verified, else the first verified one. */
static const char *pick_email(const json_t *emails)
{
	size_t i;
	json_t *e;
	json_array_foreach(emails, i, e)
	{
		if (json_is_true(json_object_get(e, "primary")) &&
		    json_is_true(json_object_get(e, "verified")) &&
		    json_is_string(json_object_get(e, "email")))
			return json_string_value(json_object_get(e, "email"));
	}
	json_array_foreach(emails, i, e)
	{
		if (json_is_true(json_object_get(e, "verified")) &&
		    json_is_string(json_object_get(e, "email")))
			return json_string_value(json_object_get(e, "email"));
	}
	return NULL;
}

bool github_identity(const struct config *cfg, const char *access_token, struct oauth_identity *out,
		     const char **why)
{
	json_t *user = NULL, *emails = NULL;
	bool ok = false;
	if (!get_json(cfg, "/user", access_token, &user, why))
		goto out;
	json_t *id = json_object_get(user, "id");
	const char *login = json_string_value(json_object_get(user, "login"));
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		*why = "github_user";
		goto out;
	}
	if (!get_json(cfg, "/user/emails", access_token, &emails, why))
		goto out;
	if (!json_is_array(emails)) {
		*why = "github_emails";
		goto out;
	}
	char sub[24];
	snprintf(sub, sizeof sub, "%lld", (long long)json_integer_value(id));
	out->subject = xstrdup(sub);
	const char *email = pick_email(emails);
	out->email = email ? xstrdup(email) : NULL;
	out->email_verified = email != NULL;
	const char *name = json_string_value(json_object_get(user, "name"));
	if (name && *name) {
		const char *sp = strchr(name, ' ');
		out->first_name = sp ? xstrndup(name, (size_t)(sp - name)) : xstrdup(name);
		out->last_name = sp ? xstrdup(sp + 1) : NULL;
	} else if (login) {
		out->first_name = xstrdup(login);
	}
	ok = true;
out:
	json_decref(user);
	json_decref(emails);
	return ok;
}
