/* Google ID-token validation (see oauth_idtoken_verify in oauth.h). The header is read and
 * its algorithm pinned to RS256 here, before libjwt sees the token: libjwt 1.x verifies with
 * whatever algorithm the header names, and a PEM handed to it as an HMAC secret would let an
 * HS256 token forged with the public key pass. libjwt then checks the RS256 signature against
 * the JWKS key; the claims are read from the payload with jansson and checked one by one. */
#include <jwt.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "integrations/oauth/oauth_internal.h"
#include "integrations/oauth/state.h"
#include "util/alloc.h"

#define LEEWAY_S 30
#define MAX_TOKEN 16384

const char *oauth_idtoken_result_name(enum idtoken_result r)
{
	static const char *const names[] = {"ok",  "malformed", "alg", "no_key", "signature", "iss",
					    "aud", "expired",	"iat", "nonce",	 "sub"};
	return (size_t)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

static bool b64url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return n > 0;
}

/* Decodes one base64url part holding a JSON object (new reference) or NULL. */
static json_t *part_json(const char *s, size_t n)
{
	unsigned char *raw = xmalloc(n + 1);
	size_t len = 0;
	json_t *o = NULL;
	if (sodium_base642bin(raw, n, s, n, NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)
		o = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static bool aud_ok(const json_t *aud, const char *client_id)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	if (!json_is_array(aud))
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0)
			return true;
	}
	return false;
}

static bool iss_ok(const char *iss, const char *issuer)
{
	if (!iss || !issuer)
		return false;
	if (strcmp(iss, issuer) == 0)
		return true;
	/* Google documents both spellings of its issuer. */
	return strcmp(issuer, "https://accounts.google.com") == 0 &&
	       strcmp(iss, "accounts.google.com") == 0;
}

/* A numeric date claim as whole seconds; false when absent or not a finite number. */
static bool num_claim(const json_t *claims, const char *name, long long *out)
{
	json_t *v = json_object_get(claims, name);
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && isfinite(json_real_value(v)) && fabs(json_real_value(v)) < 1e15) {
		*out = (long long)json_real_value(v);
		return true;
	}
	return false;
}

static enum idtoken_result check_claims(const json_t *claims, const char *client_id,
					const char *issuer, const char *nonce, long long now_s)
{
	if (!iss_ok(json_string_value(json_object_get(claims, "iss")), issuer))
		return IDT_ISS;
	if (!client_id || !aud_ok(json_object_get(claims, "aud"), client_id))
		return IDT_AUD;
	long long exp, iat;
	if (!num_claim(claims, "exp", &exp) || now_s > exp + LEEWAY_S)
		return IDT_EXPIRED;
	if (!num_claim(claims, "iat", &iat) || iat > now_s + LEEWAY_S)
		return IDT_IAT;
	const char *got = json_string_value(json_object_get(claims, "nonce"));
	if (!nonce || !*nonce || !got || !oauth_str_equal(got, nonce))
		return IDT_NONCE;
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	if (!sub || !*sub || strlen(sub) > 255)
		return IDT_SUB;
	return IDT_OK;
}

enum idtoken_result oauth_idtoken_verify(struct oauth_client *c, const char *token,
					 const char *client_id, const char *issuer,
					 const char *nonce, long long now_s, json_t **claims)
{
	if (claims)
		*claims = NULL;
	if (!token || strlen(token) > MAX_TOKEN)
		return IDT_MALFORMED;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return IDT_MALFORMED;
	size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1);
	if (!b64url_chars(token, hl) || !b64url_chars(d1 + 1, pl))
		return IDT_MALFORMED;

	json_t *header = part_json(token, hl);
	if (!header)
		return IDT_MALFORMED;
	const char *alg = json_string_value(json_object_get(header, "alg"));
	bool alg_ok = alg && strcmp(alg, "RS256") == 0 && !json_object_get(header, "crit");
	char *kid = json_is_string(json_object_get(header, "kid"))
			? xstrdup(json_string_value(json_object_get(header, "kid")))
			: NULL;
	json_decref(header);
	if (!alg_ok) {
		free(kid);
		return IDT_ALG;
	}
	if (!b64url_chars(d2 + 1, strlen(d2 + 1))) {
		free(kid);
		return IDT_SIGNATURE;
	}
	char *pem = oauth_jwks_key(c, kid, now_s * 1000);
	free(kid);
	if (!pem)
		return IDT_NO_KEY;
	jwt_t *j = NULL;
	int rc = jwt_decode(&j, token, (const unsigned char *)pem, (int)strlen(pem));
	free(pem);
	if (rc != 0 || !j || jwt_get_alg(j) != JWT_ALG_RS256) {
		jwt_free(j);
		return IDT_SIGNATURE;
	}
	jwt_free(j);

	json_t *payload = part_json(d1 + 1, pl);
	if (!payload)
		return IDT_MALFORMED;
	enum idtoken_result r = check_claims(payload, client_id, issuer, nonce, now_s);
	if (r == IDT_OK && claims)
		*claims = payload;
	else
		json_decref(payload);
	return r;
}
