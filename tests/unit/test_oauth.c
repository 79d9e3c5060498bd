/* OAuth (SPEC §7.3): the routes (literal segments still beat /auth/{provider}), the signed
 * state cookie, PKCE S256 against the RFC 7636 test vector, the authorisation URL, JWK → PEM
 * with OpenSSL, the Cache-Control max-age of the JWKS cache, every ID-token check (with tokens
 * signed here by libjwt with a key made here), the name cleaning and the oauth_linked mail. */
#include <jansson.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdlib.h>

#include "config/config.h"
#include "domain/mail_templates.h"
#include "domain/oauth.h"
#include "http/router.h"
#include "integrations/oauth/oauth.h"
#include "integrations/oauth/state.h"
#include "test.h"
#include "util/timefmt.h"

/* ---------------------------------------------------------------- routes */

static enum route_result match(enum http_method m, const char *path, const struct route **r,
			       char *allow)
{
	char *segs[32];
	int n = 0;
	const char *p = path;
	while (*p == '/') {
		p++;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		segs[n++] = router_decode_segment(p, len);
		p += len;
	}
	const char *params[HTTP_MAX_PARAMS];
	const char *bad = NULL;
	*r = NULL;
	enum route_result rr = router_match(m, segs, n, true, r, params, allow, 128, &bad);
	for (int i = 0; i < n; i++)
		free(segs[i]);
	return rr;
}

static bool routes_to(enum http_method m, const char *path, const char *pattern)
{
	const struct route *r;
	char allow[128];
	return match(m, path, &r, allow) == ROUTE_FOUND && r && strcmp(r->pattern, pattern) == 0;
}

TEST(provider_routes_rank_below_literals)
{
	router_init();
	CHECK(routes_to(HTTP_GET, "/api/v1/auth/google", "/api/v1/auth/{provider}"));
	CHECK(routes_to(HTTP_GET, "/api/v1/auth/github", "/api/v1/auth/{provider}"));
	CHECK(routes_to(HTTP_GET, "/api/v1/auth/google/callback",
			"/api/v1/auth/{provider}/callback"));
	CHECK(routes_to(HTTP_GET, "/api/v1/auth/verify-email", "/api/v1/auth/verify-email"));
	CHECK(routes_to(HTTP_POST, "/api/v1/auth/login", "/api/v1/auth/login"));
	CHECK(routes_to(HTTP_POST, "/api/v1/auth/register", "/api/v1/auth/register"));
	CHECK(routes_to(HTTP_POST, "/api/v1/auth/password/forgot", "/api/v1/auth/password/forgot"));
	const struct route *r;
	char allow[128];
	/* A literal path with another method stays that path's 405, never the provider route. */
	CHECK_INT(match(HTTP_GET, "/api/v1/auth/login", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "POST");
	CHECK_INT(match(HTTP_GET, "/api/v1/auth/refresh", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_INT(match(HTTP_GET, "/api/v1/auth/logout-all", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_INT(match(HTTP_GET, "/api/v1/auth/password/reset", &r, allow),
		  ROUTE_METHOD_NOT_ALLOWED);
	/* HEAD is refused on both OAuth routes (side effects). */
	CHECK_INT(match(HTTP_HEAD, "/api/v1/auth/google", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET");
	CHECK_INT(match(HTTP_HEAD, "/api/v1/auth/github/callback", &r, allow),
		  ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET");
	CHECK_INT(match(HTTP_POST, "/api/v1/auth/google", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	/* The resource routes are exact: no case folding, no trailing slash. */
	CHECK_INT(match(HTTP_GET, "/api/v1/auth/google/", &r, allow), ROUTE_NOT_FOUND);
	CHECK_INT(match(HTTP_GET, "/api/v1/AUTH/google", &r, allow), ROUTE_NOT_FOUND);
	CHECK_INT(match(HTTP_GET, "/api/v1/auth/google/callback/x", &r, allow), ROUTE_NOT_FOUND);
	CHECK(routes_to(HTTP_GET, "/api/v1/me/identities", "/api/v1/me/identities"));
	CHECK(routes_to(HTTP_DELETE, "/api/v1/me/identities/github",
			"/api/v1/me/identities/{provider}"));
	CHECK(routes_to(HTTP_GET, "/api/v1/me/sessions", "/api/v1/me/sessions"));
	if (match(HTTP_GET, "/api/v1/auth/google", &r, allow) == ROUTE_FOUND && r) {
		CHECK(r->flags & RF_NO_HEAD);
		CHECK(r->flags & RF_BROWSER);
		CHECK(!(r->flags & RF_COMPAT));
	}
}

/* ---------------------------------------------------------------- state cookie */

#define SECRET "0123456789abcdef0123456789abcdef-secret"

TEST(state_cookie_round_trip)
{
	long long now = now_ms();
	struct oauth_state s, back;
	oauth_state_new(&s, "google", true, "/contacts?tab=1", true, 7, 9, now);
	CHECK_INT(strlen(s.state), 43);
	CHECK_INT(strlen(s.verifier), 43);
	CHECK_INT(strlen(s.nonce), 43);
	CHECK(strcmp(s.state, s.verifier) != 0);
	CHECK_INT(s.expires_ms, now + 600000);
	char *c = oauth_state_encode(&s, SECRET);
	CHECK(strchr(c, '.') != NULL);
	CHECK(oauth_state_decode(c, SECRET, now, &back));
	CHECK_STR(back.provider, "google");
	CHECK_STR(back.state, s.state);
	CHECK_STR(back.verifier, s.verifier);
	CHECK_STR(back.nonce, s.nonce);
	CHECK_STR(back.return_to, "/contacts?tab=1");
	CHECK(back.reactivate);
	CHECK_INT(back.link_user_id, 7);
	CHECK_INT(back.link_session_id, 9);
	CHECK_INT(back.expires_ms, s.expires_ms);
	/* Expired (the expiry is exclusive), wrong key, no key. */
	CHECK(!oauth_state_decode(c, SECRET, now + 600000, &back));
	CHECK(!oauth_state_decode(c, "another-secret-another-secret-xx", now, &back));
	CHECK(!oauth_state_decode(c, "", now, &back));
	CHECK(!oauth_state_decode(c, NULL, now, &back));
	/* Any altered character of payload or tag fails. */
	size_t n = strlen(c);
	int accepted = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i] == '.')
			continue;
		char *t = strdup(c);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		accepted += oauth_state_decode(t, SECRET, now, &back);
		free(t);
	}
	CHECK_INT(accepted, 0);
	/* Truncated, empty, missing parts, oversized. */
	char *t = strndup(c, n - 1);
	CHECK(!oauth_state_decode(t, SECRET, now, &back));
	free(t);
	CHECK(!oauth_state_decode("", SECRET, now, &back));
	CHECK(!oauth_state_decode(".", SECRET, now, &back));
	CHECK(!oauth_state_decode(strchr(c, '.'), SECRET, now, &back));
	CHECK(!oauth_state_decode(NULL, SECRET, now, &back));
	char *big = malloc(5000);
	memset(big, 'A', 4999);
	big[4999] = '\0';
	CHECK(!oauth_state_decode(big, SECRET, now, &back));
	free(big);
	free(c);

	/* A GitHub flow carries no nonce; no returnTo is "". */
	oauth_state_new(&s, "github", false, NULL, false, 0, 0, now);
	c = oauth_state_encode(&s, SECRET);
	CHECK(oauth_state_decode(c, SECRET, now, &back));
	CHECK_STR(back.nonce, "");
	CHECK_STR(back.return_to, "");
	CHECK(!back.reactivate);
	CHECK_INT(back.link_user_id, 0);
	free(c);
}

TEST(state_cookie_signed_but_malformed_payload)
{
	/* A correctly signed payload that is not the expected JSON is refused too. */
	static const char *const payloads[] = {"[]", "{}", "{\"provider\":1}", "not json"};
	for (size_t k = 0; k < 4; k++) {
		char b64[256], tagb[64];
		sodium_bin2base64(b64, sizeof b64, (const unsigned char *)payloads[k],
				  strlen(payloads[k]), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		unsigned char tag[32];
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)b64, strlen(b64));
		crypto_auth_hmacsha256_final(&st, tag);
		sodium_bin2base64(tagb, sizeof tagb, tag, 32,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		char cookie[400];
		snprintf(cookie, sizeof cookie, "%s.%s", b64, tagb);
		struct oauth_state s;
		CHECK(!oauth_state_decode(cookie, SECRET, now_ms(), &s));
	}
	CHECK(oauth_str_equal("abc", "abc"));
	CHECK(!oauth_str_equal("abc", "abd"));
	CHECK(!oauth_str_equal("abc", "abcd"));
	CHECK(oauth_str_equal("", ""));
}

/* ---------------------------------------------------------------- PKCE and URLs */

TEST(pkce_s256_rfc7636_vector)
{
	char ch[44];
	oauth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch);
	CHECK_STR(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

/* A config with both providers set up; the strings are static copies (config owns char *). */
static void oauth_config(struct config *c)
{
	static char base[] = "http://api.crm.test", front[] = "http://app.crm.test/ui";
	static char gid[] = "google-client", gsec[] = "google-secret";
	static char gauth[] = "http://idp.test/authorize", gtok[] = "http://idp.test/token";
	static char giss[] = "https://accounts.google.com";
	static char hid[] = "gh-client", hsec[] = "gh-secret";
	static char hauth[] = "http://gh.test/login/oauth/authorize?x=1";
	static char htok[] = "http://gh.test/login/oauth/access_token",
		    hapi[] = "http://gh.test/api";
	memset(c, 0, sizeof *c);
	c->base_url = base;
	c->frontend_url = front;
	c->google_client_id = gid;
	c->google_client_secret = gsec;
	c->google_auth_url = gauth;
	c->google_token_url = gtok;
	c->google_issuer = giss;
	c->github_client_id = hid;
	c->github_client_secret = hsec;
	c->github_auth_url = hauth;
	c->github_token_url = htok;
	c->github_api_url = hapi;
	c->google_enabled = c->github_enabled = true;
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

TEST(authorization_urls)
{
	struct config c;
	oauth_config(&c);
	struct oauth_provider g, h, x;
	CHECK(oauth_provider_get(&c, "google", &g));
	CHECK(oauth_provider_get(&c, "github", &h));
	CHECK(!oauth_provider_get(&c, "gitlab", &x));
	CHECK(!oauth_provider_get(&c, "Google", &x));
	CHECK(g.enabled && h.enabled && g.google && !h.google);
	char *r = oauth_redirect_uri(&c, "google");
	CHECK_STR(r, "http://api.crm.test/api/v1/auth/google/callback");
	free(r);
	const char *verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	char *u = oauth_authorize_url(&c, &g, "STATE", verifier, "NONCE");
	CHECK(strncmp(u, "http://idp.test/authorize?", 26) == 0);
	CHECK(contains(u, "response_type=code"));
	CHECK(contains(u, "client_id=google-client"));
	CHECK(contains(
	    u, "redirect_uri=http%3A%2F%2Fapi.crm.test%2Fapi%2Fv1%2Fauth%2Fgoogle%2Fcallback"));
	CHECK(contains(u, "scope=openid%20email%20profile"));
	CHECK(contains(u, "state=STATE"));
	CHECK(contains(u, "code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
	CHECK(contains(u, "code_challenge_method=S256"));
	CHECK(contains(u, "nonce=NONCE"));
	CHECK(contains(u, "prompt=select_account"));
	CHECK(!contains(u, "secret"));
	free(u);
	u = oauth_authorize_url(&c, &h, "S2", verifier, "");
	CHECK(strncmp(u, "http://gh.test/login/oauth/authorize?x=1&", 41) == 0);
	CHECK(contains(u, "scope=read%3Auser%20user%3Aemail"));
	CHECK(!contains(u, "nonce="));
	CHECK(!contains(u, "prompt="));
	free(u);
	c.github_enabled = false;
	CHECK(oauth_provider_get(&c, "github", &h));
	CHECK(!h.enabled);
}

/* ---------------------------------------------------------------- keys and ID tokens */

static EVP_PKEY *gen_rsa(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
	if (!k)
		abort();
	return k;
}

static char *b64url_bn(const EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	if (!EVP_PKEY_get_bn_param(k, name, &bn))
		abort();
	int n = BN_num_bytes(bn);
	unsigned char *bin = malloc((size_t)n);
	BN_bn2bin(bn, bin);
	size_t cap = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);
	sodium_bin2base64(out, cap, bin, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(bin);
	BN_free(bn);
	return out;
}

static json_t *jwk_of(const EVP_PKEY *k, const char *kid)
{
	char *n = b64url_bn(k, OSSL_PKEY_PARAM_RSA_N), *e = b64url_bn(k, OSSL_PKEY_PARAM_RSA_E);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "kid", kid, "alg",
			      "RS256", "use", "sig", "n", n, "e", e);
	free(n);
	free(e);
	return j;
}

static char *pem_of(EVP_PKEY *k, bool private_key)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (private_key)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, k);
	char *data;
	long len = BIO_get_mem_data(b, &data);
	char *out = strndup(data, (size_t)len);
	BIO_free(b);
	return out;
}

TEST(jwk_to_pem)
{
	EVP_PKEY *k = gen_rsa(2048);
	json_t *jwk = jwk_of(k, "k1");
	char *pem = oauth_jwk_to_pem(jwk);
	char *want = pem_of(k, false);
	CHECK_STR(pem, want);
	free(pem);
	free(want);
	/* Not an RS256 signing key, or too weak: refused. */
	json_t *bad = json_deep_copy(jwk);
	json_object_set_new(bad, "alg", json_string("HS256"));
	CHECK(oauth_jwk_to_pem(bad) == NULL);
	json_object_set_new(bad, "alg", json_string("RS256"));
	json_object_set_new(bad, "use", json_string("enc"));
	CHECK(oauth_jwk_to_pem(bad) == NULL);
	json_object_del(bad, "use");
	json_object_set_new(bad, "kty", json_string("EC"));
	CHECK(oauth_jwk_to_pem(bad) == NULL);
	json_object_set_new(bad, "kty", json_string("RSA"));
	json_object_set_new(bad, "n", json_string("!!!"));
	CHECK(oauth_jwk_to_pem(bad) == NULL);
	json_object_del(bad, "n");
	CHECK(oauth_jwk_to_pem(bad) == NULL);
	json_decref(bad);
	CHECK(oauth_jwk_to_pem(NULL) == NULL);
	EVP_PKEY *small = gen_rsa(1024);
	json_t *sj = jwk_of(small, "small");
	CHECK(oauth_jwk_to_pem(sj) == NULL);
	json_decref(sj);
	EVP_PKEY_free(small);
	json_decref(jwk);
	EVP_PKEY_free(k);
}

TEST(cache_control_max_age)
{
	CHECK_INT(oauth_cache_max_age("public, max-age=19845, must-revalidate, no-transform"),
		  19845);
	CHECK_INT(oauth_cache_max_age("max-age=60"), 60);
	CHECK_INT(oauth_cache_max_age("Max-Age=0"), 0);
	CHECK_INT(oauth_cache_max_age("private"), -1);
	CHECK_INT(oauth_cache_max_age("no-store, max-age=600"), -1);
	CHECK_INT(oauth_cache_max_age("max-age=abc"), -1);
	CHECK_INT(oauth_cache_max_age(NULL), -1);
}

/* Signs claims (a JSON object text) with RS256 and kid. */
static char *sign_rs256(EVP_PKEY *k, const char *kid, const char *claims_json)
{
	char *priv = pem_of(k, true);
	jwt_t *j = NULL;
	jwt_new(&j);
	jwt_add_grants_json(j, claims_json);
	if (kid)
		jwt_add_header(j, "kid", kid);
	jwt_set_alg(j, JWT_ALG_RS256, (const unsigned char *)priv, (int)strlen(priv));
	char *t = jwt_encode_str(j);
	jwt_free(j);
	free(priv);
	char *out = strdup(t);
	free(t);
	return out;
}

static char *b64url_str(const char *s)
{
	size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *o = malloc(cap);
	sodium_bin2base64(o, cap, (const unsigned char *)s, strlen(s),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return o;
}

/* header.payload.sig from texts (sig as given). */
static char *raw_token(const char *header, const char *payload, const char *sig)
{
	char *h = b64url_str(header), *p = b64url_str(payload);
	size_t n = strlen(h) + strlen(p) + strlen(sig) + 3;
	char *t = malloc(n);
	snprintf(t, n, "%s.%s.%s", h, p, sig);
	free(h);
	free(p);
	return t;
}

/* Claims for client "google-client", issuer https://accounts.google.com, nonce N at now. */
static char *claims(long long now, const char *over)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:b}", "iss",
			      "https://accounts.google.com", "aud", "google-client", "sub",
			      "1234567890", "iat", (json_int_t)now, "exp", (json_int_t)(now + 3600),
			      "nonce", "N", "email", "ann@example.com", "email_verified", 1);
	if (over) {
		json_t *o = json_loads(over, 0, NULL);
		const char *key;
		json_t *v;
		json_object_foreach(o, key, v)
		{
			if (json_is_null(v))
				json_object_del(c, key);
			else
				json_object_set(c, key, v);
		}
		json_decref(o);
	}
	char *s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return s;
}

static enum idtoken_result verify_with(struct oauth_client *cl, EVP_PKEY *k, const char *kid,
				       long long now, const char *over)
{
	char *cj = claims(now, over);
	char *tok = sign_rs256(k, kid, cj);
	free(cj);
	enum idtoken_result r = oauth_idtoken_verify(cl, tok, "google-client",
						     "https://accounts.google.com", "N", now, NULL);
	free(tok);
	return r;
}

TEST(id_token_checks)
{
	struct config c;
	oauth_config(&c); /* no GOOGLE_JWKS_URL: nothing is ever fetched here */
	struct oauth_client *cl = oauth_client_new(&c);
	EVP_PKEY *k = gen_rsa(2048), *other = gen_rsa(2048);
	long long now = now_ms() / 1000;
	json_t *jwks = json_pack("{s:[o]}", "keys", jwk_of(k, "k1"));
	CHECK_INT(oauth_jwks_install(cl, jwks, 3600, now * 1000), 1);
	json_decref(jwks);

	CHECK_INT(verify_with(cl, k, "k1", now, NULL), IDT_OK);
	json_t *got = NULL;
	char *cj = claims(now, NULL);
	char *tok = sign_rs256(k, "k1", cj);
	free(cj);
	CHECK_INT(oauth_idtoken_verify(cl, tok, "google-client", "https://accounts.google.com", "N",
				       now, &got),
		  IDT_OK);
	CHECK_STR(json_string_value(json_object_get(got, "sub")), "1234567890");
	json_decref(got);
	/* Wrong nonce / client / issuer given by the caller. */
	CHECK_INT(oauth_idtoken_verify(cl, tok, "google-client", "https://accounts.google.com", "M",
				       now, NULL),
		  IDT_NONCE);
	CHECK_INT(oauth_idtoken_verify(cl, tok, "other-client", "https://accounts.google.com", "N",
				       now, NULL),
		  IDT_AUD);
	CHECK_INT(
	    oauth_idtoken_verify(cl, tok, "google-client", "http://127.0.0.1:1", "N", now, NULL),
	    IDT_ISS);

	/* A signature byte changed; the signature of another token; another key; unknown kid. */
	size_t n = strlen(tok);
	char *t2 = strdup(tok);
	t2[n - 5] = t2[n - 5] == 'A' ? 'B' : 'A';
	CHECK_INT(oauth_idtoken_verify(cl, t2, "google-client", "https://accounts.google.com", "N",
				       now, NULL),
		  IDT_SIGNATURE);
	free(t2);
	CHECK_INT(verify_with(cl, other, "k1", now, NULL), IDT_SIGNATURE);
	CHECK_INT(verify_with(cl, k, "k2", now, NULL), IDT_NO_KEY);
	CHECK_INT(verify_with(cl, k, NULL, now, NULL), IDT_NO_KEY);

	/* alg none, HS256 keyed with the public PEM (algorithm confusion), RS512, crit. */
	char *pl = claims(now, NULL);
	char *none = raw_token("{\"alg\":\"none\",\"kid\":\"k1\"}", pl, "");
	CHECK_INT(oauth_idtoken_verify(cl, none, "google-client", "https://accounts.google.com",
				       "N", now, NULL),
		  IDT_ALG);
	free(none);
	char *pub = pem_of(k, false);
	jwt_t *j = NULL;
	jwt_new(&j);
	jwt_add_grants_json(j, pl);
	jwt_add_header(j, "kid", "k1");
	jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)pub, (int)strlen(pub));
	char *hs = jwt_encode_str(j);
	jwt_free(j);
	free(pub);
	CHECK_INT(oauth_idtoken_verify(cl, hs, "google-client", "https://accounts.google.com", "N",
				       now, NULL),
		  IDT_ALG);
	free(hs);
	char *rs512 = raw_token("{\"alg\":\"RS512\",\"kid\":\"k1\"}", pl, "c2ln");
	CHECK_INT(oauth_idtoken_verify(cl, rs512, "google-client", "https://accounts.google.com",
				       "N", now, NULL),
		  IDT_ALG);
	free(rs512);
	char *crit = raw_token("{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"x\"]}", pl, "c2ln");
	CHECK_INT(oauth_idtoken_verify(cl, crit, "google-client", "https://accounts.google.com",
				       "N", now, NULL),
		  IDT_ALG);
	free(crit);
	free(pl);

	/* Claims. */
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"iss\":\"https://evil.example\"}"), IDT_ISS);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"iss\":\"accounts.google.com\"}"), IDT_OK);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"iss\":null}"), IDT_ISS);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"aud\":\"someone-else\"}"), IDT_AUD);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"aud\":[\"x\",\"google-client\"]}"), IDT_OK);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"aud\":[\"x\"]}"), IDT_AUD);
	char over[160];
	snprintf(over, sizeof over, "{\"exp\":%lld}", now - 31);
	CHECK_INT(verify_with(cl, k, "k1", now, over), IDT_EXPIRED);
	snprintf(over, sizeof over, "{\"exp\":%lld}", now - 20); /* within the leeway */
	CHECK_INT(verify_with(cl, k, "k1", now, over), IDT_OK);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"exp\":null}"), IDT_EXPIRED);
	snprintf(over, sizeof over, "{\"iat\":%lld}", now + 60);
	CHECK_INT(verify_with(cl, k, "k1", now, over), IDT_IAT);
	snprintf(over, sizeof over, "{\"iat\":%lld}", now + 20);
	CHECK_INT(verify_with(cl, k, "k1", now, over), IDT_OK);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"iat\":null}"), IDT_IAT);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"nonce\":null}"), IDT_NONCE);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"nonce\":\"other\"}"), IDT_NONCE);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"sub\":null}"), IDT_SUB);
	CHECK_INT(verify_with(cl, k, "k1", now, "{\"sub\":\"\"}"), IDT_SUB);

	/* Malformed tokens. */
	static const char *const junk[] = {"", "abc", "a.b", "a.b.c.d", "!!.??.xx", "e30.e30."};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
		CHECK(oauth_idtoken_verify(cl, junk[i], "google-client",
					   "https://accounts.google.com", "N", now,
					   NULL) != IDT_OK);
	CHECK_INT(oauth_idtoken_verify(cl, NULL, "google-client", "https://accounts.google.com",
				       "N", now, NULL),
		  IDT_MALFORMED);

	/* The cache expires: past max-age (clamped to at least 5 minutes) the key is gone until
	 * a fetch succeeds (none can here). */
	CHECK_INT(verify_with(cl, k, "k1", now + 3599, NULL), IDT_OK);
	char *pem = oauth_jwks_key(cl, "k1", (now + 3601) * 1000);
	CHECK(pem == NULL);
	free(pem);
	jwks = json_pack("{s:[o]}", "keys", jwk_of(k, "k1"));
	CHECK_INT(oauth_jwks_install(cl, jwks, 10, now * 1000), 1); /* clamped up to 300 s */
	json_decref(jwks);
	pem = oauth_jwks_key(cl, "k1", (now + 299) * 1000);
	CHECK(pem != NULL);
	free(pem);
	pem = oauth_jwks_key(cl, "k1", (now + 301) * 1000);
	CHECK(pem == NULL);
	free(pem);

	free(tok);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	oauth_client_free(cl);
}

/* ---------------------------------------------------------------- names and mail */

TEST(clean_names)
{
	char *s = oauth_clean_name("  Ann  ", 100);
	CHECK_STR(s, "Ann");
	free(s);
	s = oauth_clean_name("Ann\nLee\x01", 100);
	CHECK_STR(s, "Ann Lee");
	free(s);
	s = oauth_clean_name("A\xc2\x85"
			     "B\xe2\x80\xa8"
			     "C",
			     100);
	CHECK_STR(s, "A B C");
	free(s);
	CHECK(oauth_clean_name("   ", 100) == NULL);
	CHECK(oauth_clean_name("", 100) == NULL);
	CHECK(oauth_clean_name(NULL, 100) == NULL);
	CHECK(oauth_clean_name("\xff\xfe", 100) == NULL);
	char longname[400] = "";
	for (int i = 0; i < 150; i++)
		strcat(longname, "\xc3\xa9"); /* é */
	s = oauth_clean_name(longname, 100);
	CHECK(s && strlen(s) == 200);
	free(s);
	s = oauth_clean_name("abc def", 4);
	CHECK_STR(s, "abc");
	free(s);
	CHECK_STR(oauth_outcome_code(OAUTH_IDENTITY_IN_USE), "identity_in_use");
	CHECK_STR(oauth_outcome_code(OAUTH_PROVIDER_NOT_CONFIGURED), "provider_not_configured");
	CHECK_STR(oauth_outcome_code(OAUTH_OK), "");
}

TEST(mail_oauth_linked)
{
	struct config c;
	oauth_config(&c);
	struct mail_vars v = {.first_name = "Ann",
			      .ip = "203.0.113.7",
			      .time_ms = 1751290334000LL,
			      .provider = "GitHub"};
	char *subject, *text, *html;
	CHECK(mail_template_known("oauth_linked"));
	CHECK(!mail_template_has_token("oauth_linked"));
	CHECK(mail_render(&c, "oauth_linked", &v, &subject, &text, &html));
	CHECK_STR(subject, "GitHub sign-in was linked to your account");
	CHECK(contains(text, "Hi Ann,"));
	CHECK(contains(text, "GitHub"));
	CHECK(contains(text, "203.0.113.7"));
	CHECK(contains(text, "http://app.crm.test/ui/forgot-password"));
	CHECK(contains(html, "GitHub"));
	free(subject);
	free(text);
	free(html);
	v.provider = NULL;
	CHECK(!mail_render(&c, "oauth_linked", &v, &subject, &text, &html));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return RUN_TESTS();
}
