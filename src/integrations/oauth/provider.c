/* The providers' configuration, the authorisation URL with PKCE, the code exchange at the
 * token endpoint and the Google identity from its ID token (see oauth.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "integrations/oauth/github.h"
#include "integrations/oauth/oauth_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

bool oauth_provider_get(const struct config *cfg, const char *name, struct oauth_provider *out)
{
	if (!name)
		return false;
	if (strcmp(name, "google") == 0) {
		*out = (struct oauth_provider){
		    .name = "google",
		    .display = "Google",
		    .client_id = cfg->google_client_id,
		    .client_secret = cfg->google_client_secret,
		    .auth_url = cfg->google_auth_url,
		    .token_url = cfg->google_token_url,
		    .google = true,
		    .enabled =
			cfg->google_enabled && cfg->google_client_id && cfg->google_client_secret,
		};
		return true;
	}
	if (strcmp(name, "github") == 0) {
		*out = (struct oauth_provider){
		    .name = "github",
		    .display = "GitHub",
		    .client_id = cfg->github_client_id,
		    .client_secret = cfg->github_client_secret,
		    .auth_url = cfg->github_auth_url,
		    .token_url = cfg->github_token_url,
		    .google = false,
		    .enabled =
			cfg->github_enabled && cfg->github_client_id && cfg->github_client_secret,
		};
		return true;
	}
	return false;
}

char *oauth_redirect_uri(const struct config *cfg, const char *provider)
{
	return xasprintf("%s/api/v1/auth/%s/callback", cfg->base_url, provider);
}

void oauth_pkce_challenge(const char *verifier, char out[44])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
	sodium_bin2base64(out, 44, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

char *oauth_authorize_url(const struct config *cfg, const struct oauth_provider *p,
			  const char *state, const char *verifier, const char *nonce)
{
	char challenge[44];
	oauth_pkce_challenge(verifier, challenge);
	char *redirect = oauth_redirect_uri(cfg, p->name);
	struct buf q = {0};
	http_form_add(&q, "response_type", "code");
	http_form_add(&q, "client_id", p->client_id);
	http_form_add(&q, "redirect_uri", redirect);
	http_form_add(&q, "scope", p->google ? "openid email profile" : "read:user user:email");
	http_form_add(&q, "state", state);
	http_form_add(&q, "code_challenge", challenge);
	http_form_add(&q, "code_challenge_method", "S256");
	if (p->google) {
		http_form_add(&q, "nonce", nonce);
		http_form_add(&q, "prompt", "select_account");
	}
	free(redirect);
	char *url = xasprintf("%s%c%s", p->auth_url, strchr(p->auth_url, '?') ? '&' : '?',
			      q.data ? q.data : "");
	buf_free(&q);
	return url;
}

void oauth_identity_free(struct oauth_identity *id)
{
	if (!id)
		return;
	free(id->subject);
	free(id->email);
	free(id->first_name);
	free(id->last_name);
	memset(id, 0, sizeof *id);
}

bool oauth_json_call(const struct http_client_request *rq, json_t **doc, const char **why,
		     struct http_client_response *resp)
{
	struct http_client_response own;
	struct http_client_response *r = resp ? resp : &own;
	*doc = NULL;
	enum http_client_result hc = http_client_send(rq, r);
	bool ok = false;
	if (hc != HC_OK)
		*why = http_client_result_name(hc);
	else if (r->status < 200 || r->status > 299)
		*why = "http_status";
	else if (!(*doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL)))
		*why = "not_json";
	else
		ok = true;
	if (!resp)
		http_client_response_free(&own);
	return ok;
}

/* A copy of a string member, or NULL. */
static char *str_member(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

/* Google's identity from validated claims: sub, email, email_verified (a boolean, or the
 * string "true" that older tokens carried), given_name/family_name, else name split at the
 * first space. */
static void google_identity(const json_t *claims, struct oauth_identity *out)
{
	out->subject = str_member(claims, "sub");
	out->email = str_member(claims, "email");
	json_t *ev = json_object_get(claims, "email_verified");
	out->email_verified =
	    json_is_true(ev) || (json_is_string(ev) && strcmp(json_string_value(ev), "true") == 0);
	out->first_name = str_member(claims, "given_name");
	out->last_name = str_member(claims, "family_name");
	const char *name = json_string_value(json_object_get(claims, "name"));
	if (!out->first_name && name) {
		const char *sp = strchr(name, ' ');
		out->first_name = sp ? xstrndup(name, (size_t)(sp - name)) : xstrdup(name);
		if (!out->last_name && sp)
			out->last_name = xstrdup(sp + 1);
	}
}

/* POSTs the code with the PKCE verifier; *doc the token response. */
static bool exchange(const struct config *cfg, const struct oauth_provider *p, const char *code,
		     const char *verifier, json_t **doc, const char **why)
{
	char *redirect = oauth_redirect_uri(cfg, p->name);
	struct buf form = {0};
	http_form_add(&form, "grant_type", "authorization_code");
	http_form_add(&form, "code", code);
	http_form_add(&form, "redirect_uri", redirect);
	http_form_add(&form, "client_id", p->client_id);
	http_form_add(&form, "client_secret", p->client_secret);
	http_form_add(&form, "code_verifier", verifier);
	free(redirect);
	static const char *const hdrs[] = {"Accept: application/json", NULL};
	struct http_client_request rq = {
	    .method = "POST", .url = p->token_url, .headers = hdrs, .form = form.data};
	bool ok = oauth_json_call(&rq, doc, why, NULL);
	sodium_memzero(form.data, form.len);
	buf_free(&form);
	if (ok && (!json_is_object(*doc) || json_object_get(*doc, "error"))) {
		*why = "token_error";
		ok = false;
	}
	if (!ok) {
		json_decref(*doc);
		*doc = NULL;
	}
	return ok;
}

bool oauth_fetch_identity(struct oauth_client *c, const struct oauth_provider *p, const char *code,
			  const char *verifier, const char *nonce, long long now_ms,
			  struct oauth_identity *out, const char **why)
{
	memset(out, 0, sizeof *out);
	*why = "unknown";
	if (!p->enabled || !p->token_url) {
		*why = "not_configured";
		return false;
	}
	json_t *tok = NULL;
	if (!exchange(c->cfg, p, code, verifier, &tok, why))
		return false;
	bool ok = false;
	if (p->google) {
		const char *id_token = json_string_value(json_object_get(tok, "id_token"));
		json_t *claims = NULL;
		enum idtoken_result r =
		    id_token
			? oauth_idtoken_verify(c, id_token, p->client_id, c->cfg->google_issuer,
					       nonce, now_ms / 1000, &claims)
			: IDT_MALFORMED;
		if (!id_token)
			*why = "no_id_token";
		else if (r != IDT_OK)
			*why = oauth_idtoken_result_name(r);
		else {
			google_identity(claims, out);
			ok = true;
		}
		json_decref(claims);
	} else {
		const char *access = json_string_value(json_object_get(tok, "access_token"));
		if (!access || !*access)
			*why = "no_access_token";
		else
			ok = github_identity(c->cfg, access, out, why);
	}
	/* The provider's tokens are not kept (§6): wipe them before the document goes. */
	const char *k;
	json_t *v;
	json_object_foreach(tok, k, v)
	{
		if (json_is_string(v))
			sodium_memzero((void *)json_string_value(v), json_string_length(v));
	}
	json_decref(tok);
	if (!ok)
		oauth_identity_free(out);
	return ok;
}
