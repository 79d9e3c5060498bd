/* Google's signing keys (SPEC §7.3 step 4): the JWKS document fetched from GOOGLE_JWKS_URL,
 * each RSA key turned into a PEM public key with OpenSSL's libcrypto (libjwt verifies with a
 * PEM), cached per Cache-Control max-age clamped to 5 min..24 h and refetched at most once a
 * minute when a token names an unknown kid. */
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "integrations/oauth/oauth_internal.h"
#include "util/alloc.h"

#define MIN_AGE_S 300L
#define MAX_AGE_S 86400L
#define UNKNOWN_KID_REFETCH_MS 60000LL
#define MAX_KEYS 32

struct oauth_client *oauth_client_new(const struct config *cfg)
{
	struct oauth_client *c = xcalloc(1, sizeof *c);
	c->cfg = cfg;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

static void free_keys(struct jwk_entry *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(keys[i].kid);
		free(keys[i].pem);
	}
	free(keys);
}

void oauth_client_free(struct oauth_client *c)
{
	if (!c)
		return;
	free_keys(c->keys, c->nkeys);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Decodes a base64url member into a new BIGNUM; NULL when absent or invalid. */
static BIGNUM *b64_bn(const json_t *jwk, const char *key)
{
	const char *s = json_string_value(json_object_get(jwk, key));
	if (!s || !*s || strlen(s) > 2048)
		return NULL;
	size_t len = strlen(s);
	unsigned char *bin = xmalloc(len);
	size_t n = 0;
	BIGNUM *bn = NULL;
	if (sodium_base642bin(bin, len, s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
	    n > 0)
		bn = BN_bin2bn(bin, (int)n, NULL);
	free(bin);
	return bn;
}

static bool member_is(const json_t *jwk, const char *key, const char *want, bool required)
{
	json_t *v = json_object_get(jwk, key);
	if (!v)
		return !required;
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

char *oauth_jwk_to_pem(const json_t *jwk)
{
	if (!json_is_object(jwk) || !member_is(jwk, "kty", "RSA", true) ||
	    !member_is(jwk, "alg", "RS256", false) || !member_is(jwk, "use", "sig", false))
		return NULL;
	BIGNUM *n = b64_bn(jwk, "n"), *e = b64_bn(jwk, "e");
	char *pem = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	if (!n || !e || BN_num_bits(n) < 2048 || BN_num_bits(n) > 8192 || BN_is_zero(e))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PUBKEY(bio, pkey) != 1)
		goto out;
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	if (len > 0 && data)
		pem = xstrndup(data, (size_t)len);
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pem;
}

long oauth_cache_max_age(const char *cc)
{
	if (!cc)
		return -1;
	long age = -1;
	const char *p = cc;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		size_t len = strcspn(p, ",");
		if ((len == 8 && strncasecmp(p, "no-store", 8) == 0) ||
		    (len == 8 && strncasecmp(p, "no-cache", 8) == 0))
			return -1;
		if (len > 8 && strncasecmp(p, "max-age=", 8) == 0) {
			const char *v = p + 8;
			if (*v == '"')
				v++;
			if (isdigit((unsigned char)*v)) {
				long x = 0;
				while (isdigit((unsigned char)*v) && x < 100000000L)
					x = x * 10 + (*v++ - '0');
				age = x;
			}
		}
		p += len;
	}
	return age;
}

int oauth_jwks_install(struct oauth_client *c, const json_t *jwks, long max_age_s, long long now_ms)
{
	json_t *arr = json_object_get(jwks, "keys");
	if (!json_is_array(arr))
		return 0;
	struct jwk_entry *keys = NULL;
	size_t n = 0;
	size_t i;
	json_t *k;
	json_array_foreach(arr, i, k)
	{
		const char *kid = json_string_value(json_object_get(k, "kid"));
		if (!kid || !*kid || strlen(kid) > 256 || n >= MAX_KEYS)
			continue;
		char *pem = oauth_jwk_to_pem(k);
		if (!pem)
			continue;
		keys = xrealloc(keys, sizeof *keys * (n + 1));
		keys[n].kid = xstrdup(kid);
		keys[n].pem = pem;
		n++;
	}
	if (max_age_s < MIN_AGE_S)
		max_age_s = MIN_AGE_S;
	if (max_age_s > MAX_AGE_S)
		max_age_s = MAX_AGE_S;
	pthread_mutex_lock(&c->mu);
	struct jwk_entry *old = c->keys;
	size_t nold = c->nkeys;
	c->keys = keys;
	c->nkeys = n;
	c->expires_ms = n ? now_ms + max_age_s * 1000LL : 0;
	pthread_mutex_unlock(&c->mu);
	free_keys(old, nold);
	return (int)n;
}

/* The cached PEM of kid (copy) while fresh; NULL otherwise. Caller holds c->mu. */
static char *lookup_locked(struct oauth_client *c, const char *kid, long long now_ms)
{
	if (now_ms >= c->expires_ms)
		return NULL;
	for (size_t i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].kid, kid) == 0)
			return xstrdup(c->keys[i].pem);
	return NULL;
}

/* Fetches the JWKS document and installs it. */
static void fetch(struct oauth_client *c, long long now_ms)
{
	const char *url = c->cfg->google_jwks_url;
	if (!url)
		return;
	static const char *const hdrs[] = {"Accept: application/json", NULL};
	struct http_client_request rq = {.url = url, .headers = hdrs};
	struct http_client_response resp;
	json_t *doc = NULL;
	const char *why = NULL;
	if (oauth_json_call(&rq, &doc, &why, &resp))
		oauth_jwks_install(c, doc,
				   oauth_cache_max_age(http_client_header(&resp, "Cache-Control")),
				   now_ms);
	json_decref(doc);
	http_client_response_free(&resp);
}

char *oauth_jwks_key(struct oauth_client *c, const char *kid, long long now_ms)
{
	if (!kid)
		return NULL;
	pthread_mutex_lock(&c->mu);
	char *pem = lookup_locked(c, kid, now_ms);
	bool stale = now_ms >= c->expires_ms;
	bool may = stale || now_ms - c->last_fetch_ms >= UNKNOWN_KID_REFETCH_MS;
	if (!pem && may)
		c->last_fetch_ms = now_ms;
	pthread_mutex_unlock(&c->mu);
	if (pem || !may)
		return pem;
	fetch(c, now_ms);
	pthread_mutex_lock(&c->mu);
	pem = lookup_locked(c, kid, now_ms);
	pthread_mutex_unlock(&c->mu);
	return pem;
}
