/* The signed OAuth state cookie (see state.h). */
#include "integrations/oauth/state.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokens.h"
#include "util/alloc.h"

#define TAG_CHARS 43 /* base64url of 32 bytes, no padding */

static void copy_random(char *dst, size_t n)
{
	char *r = random_b64url(32);
	snprintf(dst, n, "%s", r);
	sodium_memzero(r, strlen(r));
	free(r);
}

void oauth_state_new(struct oauth_state *s, const char *provider, bool with_nonce,
		     const char *return_to, bool reactivate, long long link_user_id,
		     long long link_session_id, long long now_ms)
{
	memset(s, 0, sizeof *s);
	snprintf(s->provider, sizeof s->provider, "%s", provider);
	copy_random(s->state, sizeof s->state);
	copy_random(s->verifier, sizeof s->verifier);
	if (with_nonce)
		copy_random(s->nonce, sizeof s->nonce);
	snprintf(s->return_to, sizeof s->return_to, "%s", return_to ? return_to : "");
	s->reactivate = reactivate;
	s->link_user_id = link_user_id;
	s->link_session_id = link_session_id;
	s->expires_ms = now_ms + OAUTH_STATE_TTL_MS;
}

static void tag_of(const char *payload, size_t len, const char *secret,
		   unsigned char out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

static char *b64url(const unsigned char *bin, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = xmalloc(cap);
	sodium_bin2base64(out, cap, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

char *oauth_state_encode(const struct oauth_state *s, const char *secret)
{
	json_t *o = json_object();
	json_object_set_new(o, "provider", json_string(s->provider));
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "verifier", json_string(s->verifier));
	json_object_set_new(o, "nonce", json_string(s->nonce));
	json_object_set_new(o, "returnTo", json_string(s->return_to));
	json_object_set_new(o, "reactivate", json_boolean(s->reactivate));
	json_object_set_new(o, "linkUserId", json_integer(s->link_user_id));
	json_object_set_new(o, "linkSessionId", json_integer(s->link_session_id));
	json_object_set_new(o, "exp", json_integer(s->expires_ms));
	char *js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!js)
		abort();
	char *payload = b64url((const unsigned char *)js, strlen(js));
	free(js);
	unsigned char tag[crypto_auth_hmacsha256_BYTES];
	tag_of(payload, strlen(payload), secret ? secret : "", tag);
	char *t = b64url(tag, sizeof tag);
	char *out = xasprintf("%s.%s", payload, t);
	free(payload);
	free(t);
	return out;
}

bool oauth_str_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	return n == 0 || sodium_memcmp(a, b, n) == 0;
}

/* Copies a JSON string member of at most max-1 bytes into dst; false when absent or too long.
 * allow_empty: "" is acceptable. */
static bool get_str(json_t *o, const char *key, char *dst, size_t max, bool allow_empty)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return false;
	size_t n = json_string_length(v);
	if (n >= max || (!allow_empty && n == 0) || strlen(json_string_value(v)) != n)
		return false;
	memcpy(dst, json_string_value(v), n + 1);
	return true;
}

static bool get_int(json_t *o, const char *key, long long *dst)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*dst = json_integer_value(v);
	return true;
}

bool oauth_state_decode(const char *cookie, const char *secret, long long now_ms,
			struct oauth_state *out)
{
	memset(out, 0, sizeof *out);
	if (!cookie || !secret || !*secret || strlen(cookie) > OAUTH_STATE_MAX_COOKIE)
		return false;
	const char *dot = strchr(cookie, '.');
	if (!dot || dot == cookie || strlen(dot + 1) != TAG_CHARS)
		return false;
	size_t plen = (size_t)(dot - cookie);
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	size_t glen = 0;
	if (sodium_base642bin(got, sizeof got, dot + 1, TAG_CHARS, NULL, &glen, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    glen != sizeof got)
		return false;
	tag_of(cookie, plen, secret, want);
	if (sodium_memcmp(want, got, sizeof want) != 0)
		return false;

	unsigned char *raw = xmalloc(plen + 1);
	size_t rlen = 0;
	bool ok = sodium_base642bin(raw, plen, cookie, plen, NULL, &rlen, NULL,
				    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
	json_t *o = ok ? json_loadb((const char *)raw, rlen, JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(raw);
	struct oauth_state s = {0};
	json_t *ra = json_object_get(o, "reactivate");
	ok = json_is_object(o) && get_str(o, "provider", s.provider, sizeof s.provider, false) &&
	     get_str(o, "state", s.state, sizeof s.state, false) &&
	     get_str(o, "verifier", s.verifier, sizeof s.verifier, false) &&
	     get_str(o, "nonce", s.nonce, sizeof s.nonce, true) &&
	     get_str(o, "returnTo", s.return_to, sizeof s.return_to, true) && json_is_boolean(ra) &&
	     get_int(o, "linkUserId", &s.link_user_id) &&
	     get_int(o, "linkSessionId", &s.link_session_id) && get_int(o, "exp", &s.expires_ms);
	json_decref(o);
	if (!ok || s.expires_ms <= now_ms)
		return false;
	s.reactivate = json_is_true(ra);
	*out = s;
	return true;
}
