/* Access tokens (see jwt.h). libjwt encodes them. Verification is ours alone, on every
 * authenticated request: the header's algorithm pinned to exactly HS256, the HMAC checked in
 * constant time, then the claims read from the payload with jansson, so `alg: none`, other
 * algorithms and timing probes fail whatever the library version does. Handing the token to
 * libjwt's jwt_decode after that check verified the HMAC a second time (through OpenSSL) and
 * parsed both parts again, for nothing the checks below do not already do: it was 60 % of a
 * verification's instructions, and reading the claims here instead takes a verification from
 * about 127,000 to 88,000 instructions (callgrind). */
#include "auth/jwt.h"

#include <jansson.h>
#include <jwt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokens.h"
#include "config/config.h"
#include "http/router.h"
#include "util/alloc.h"

char *jwt_issue(const struct config *cfg, long long user_id, long long session_id, long long now_s,
		long long *exp_s)
{
	jwt_t *j = NULL;
	if (jwt_new(&j) != 0)
		abort();
	char sub[24], sid[24];
	snprintf(sub, sizeof sub, "%lld", user_id);
	snprintf(sid, sizeof sid, "%lld", session_id);
	char *jti = random_b64url(16);
	long long exp = now_s + cfg->access_token_expiry;
	jwt_add_grant(j, "iss", cfg->jwt_issuer);
	jwt_add_grant(j, "aud", cfg->jwt_audience);
	jwt_add_grant(j, "sub", sub);
	jwt_add_grant(j, "sid", sid);
	jwt_add_grant_int(j, "iat", now_s);
	jwt_add_grant_int(j, "exp", exp);
	jwt_add_grant(j, "jti", jti);
	jwt_add_grant(j, "typ", "access");
	free(jti);
	jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)cfg->access_token_secret,
		    (int)strlen(cfg->access_token_secret));
	char *tok = jwt_encode_str(j);
	jwt_free(j);
	if (!tok)
		abort();
	char *out = xstrdup(tok);
	free(tok);
	*exp_s = exp;
	return out;
}

/* Decodes base64url text of len bytes into a new NUL-terminated buffer; NULL when invalid. */
static char *b64url_decode(const char *s, size_t len, size_t *out_len)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;
	if (sodium_base642bin((unsigned char *)out, len, s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

/* Header must be a JSON object whose alg is exactly "HS256" (typ, if present, "JWT"). */
static bool header_ok(const char *tok, size_t len)
{
	size_t n;
	char *raw = b64url_decode(tok, len, &n);
	if (!raw)
		return false;
	json_t *h = json_loadb(raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	bool ok = json_is_object(h) && json_is_string(json_object_get(h, "alg")) &&
		  strcmp(json_string_value(json_object_get(h, "alg")), "HS256") == 0;
	json_t *typ = json_object_get(h, "typ");
	if (typ && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0))
		ok = false;
	json_decref(h);
	return ok;
}

static bool signature_ok(const struct config *cfg, const char *tok, size_t signed_len,
			 const char *sig, size_t sig_len)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)cfg->access_token_secret,
				    strlen(cfg->access_token_secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tok, signed_len);
	crypto_auth_hmacsha256_final(&st, mac);
	size_t n;
	char *given = b64url_decode(sig, sig_len, &n);
	bool ok = given && n == sizeof mac && sodium_memcmp(given, mac, sizeof mac) == 0;
	free(given);
	return ok;
}

/* The claims of a token whose header and signature were checked: the base64url payload of len
 * bytes parsed as one JSON object (duplicate names rejected). A new reference, or NULL. */
static json_t *payload_claims(const char *p, size_t len)
{
	size_t n;
	char *raw = b64url_decode(p, len, &n);
	if (!raw)
		return NULL;
	json_t *c = json_loadb(raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (!json_is_object(c)) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* A claim that must be a JSON integer (as libjwt's jwt_get_grant_int requires). */
static bool claim_int(const json_t *c, const char *name, long long *out)
{
	const json_t *v = json_object_get(c, name);
	if (!json_is_integer(v))
		return false;
	*out = (long long)json_integer_value(v);
	return true;
}

/* A claim that must be a string (NULL otherwise, as jwt_get_grant answers). */
static const char *claim_str(const json_t *c, const char *name)
{
	return json_string_value(json_object_get(c, name));
}

static bool claim_is(const json_t *c, const char *name, const char *want)
{
	const char *v = claim_str(c, name);
	return v && want && strcmp(v, want) == 0;
}

/* Tokens this thread verified lately, by a keyed BLAKE2b digest of the token and of the
 * settings it was checked against (secret, issuer, audience). A client sends the same token
 * for up to 15 minutes, and checking it again (two base64 decodes, two JSON parses, HMAC)
 * cost a third of our own work for GET /contacts/{id}. Only what cannot change is kept:
 * the signature and the constant claims; exp and iat are compared with now on every use,
 * and revocation stays the session check's, which every request still runs (http/auth.c).
 * The digest is keyed with a random per-process key and compared in constant time, so
 * neither a slot's choice nor the comparison tells a client anything about a token it does
 * not hold. */
#define VERIFIED_SLOTS 64
struct verified {
	unsigned char digest[16];
	long long exp, iat, user_id, session_id;
	bool used;
};

static unsigned char verified_key[crypto_generichash_KEYBYTES];

static void verified_key_init(void)
{
	randombytes_buf(verified_key, sizeof verified_key);
}

static void token_digest(const struct config *cfg, const char *token, unsigned char out[16])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, verified_key_init);
	crypto_generichash_state st;
	crypto_generichash_init(&st, verified_key, sizeof verified_key, 16);
	const char *parts[] = {cfg->access_token_secret, cfg->jwt_issuer, cfg->jwt_audience, token};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const char *v = parts[i] ? parts[i] : "";
		/* each part with its length, so that no two lists of parts hash alike */
		unsigned long long n = strlen(v);
		crypto_generichash_update(&st, (const unsigned char *)&n, sizeof n);
		crypto_generichash_update(&st, (const unsigned char *)v, n);
	}
	crypto_generichash_final(&st, out, 16);
}

/* The time claims of a verified token against now_s. */
static enum jwt_result check_times(long long exp, long long iat, long long now_s)
{
	if (iat > now_s + JWT_LEEWAY_SECONDS)
		return JWT_INVALID;
	if (now_s > exp + JWT_LEEWAY_SECONDS)
		return JWT_EXPIRED;
	return JWT_OK;
}

static enum jwt_result verify_uncached(const struct config *cfg, const char *token,
				       long long now_s, struct verified *v);

enum jwt_result jwt_verify_access(const struct config *cfg, const char *token, long long now_s,
				  long long *user_id, long long *session_id)
{
	static __thread struct verified slots[VERIFIED_SLOTS];
	if (!token || strlen(token) > 4096)
		return JWT_INVALID;
	unsigned char digest[16];
	token_digest(cfg, token, digest);
	struct verified *slot = &slots[digest[0] % VERIFIED_SLOTS];
	if (slot->used && sodium_memcmp(slot->digest, digest, sizeof digest) == 0) {
		enum jwt_result res = check_times(slot->exp, slot->iat, now_s);
		if (res == JWT_OK) {
			*user_id = slot->user_id;
			*session_id = slot->session_id;
		}
		return res;
	}
	struct verified v = {0};
	enum jwt_result res = verify_uncached(cfg, token, now_s, &v);
	if (res == JWT_OK) {
		memcpy(v.digest, digest, sizeof digest);
		v.used = true;
		*slot = v;
		*user_id = v.user_id;
		*session_id = v.session_id;
	}
	return res;
}

/* The whole check of token: signature, header, every claim. On JWT_OK fills *v (not its
 * digest). */
static enum jwt_result verify_uncached(const struct config *cfg, const char *token,
				       long long now_s, struct verified *v)
{
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.') || d2[1] == '\0')
		return JWT_INVALID;
	if (!header_ok(token, (size_t)(d1 - token)))
		return JWT_INVALID;
	if (!signature_ok(cfg, token, (size_t)(d2 - token), d2 + 1, strlen(d2 + 1)))
		return JWT_INVALID;

	json_t *c = payload_claims(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!c)
		return JWT_INVALID;
	enum jwt_result res = JWT_INVALID;
	long long exp, iat;
	if (!claim_int(c, "exp", &exp) || !claim_int(c, "iat", &iat))
		goto out;
	if (!claim_is(c, "iss", cfg->jwt_issuer) || !claim_is(c, "aud", cfg->jwt_audience) ||
	    !claim_is(c, "typ", "access"))
		goto out;
	long long uid, sid;
	const char *sub = claim_str(c, "sub"), *ssid = claim_str(c, "sid");
	if (!sub || !ssid || !parse_id(sub, &uid) || !parse_id(ssid, &sid))
		goto out;
	res = check_times(exp, iat, now_s);
	if (res == JWT_OK)
		*v = (struct verified){.exp = exp, .iat = iat, .user_id = uid, .session_id = sid};
out:
	json_decref(c);
	return res;
}
