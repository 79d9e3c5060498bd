/* Sign-in with Google and GitHub, the provider side (SPEC §7.3): which providers are
 * configured, the authorisation URL with PKCE S256, the code exchange, and turning the
 * provider's answer into an identity (Google: a fully validated OpenID Connect ID token;
 * GitHub: the user and e-mails API). Every outbound call goes through http_client (connect
 * 5 s, total 10 s, ≤ 1 MiB), so these functions block: run them on the job pool. Provider
 * access tokens live only on the stack of oauth_fetch_identity and are wiped after use. */
#ifndef CRM_INTEGRATIONS_OAUTH_H
#define CRM_INTEGRATIONS_OAUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct config;

/* A provider as the configuration describes it. Strings are borrowed from the config. */
struct oauth_provider {
	const char *name;    /* "google" | "github" */
	const char *display; /* "Google" | "GitHub" */
	const char *client_id, *client_secret;
	const char *auth_url, *token_url;
	bool google;  /* OpenID Connect with an ID token (else GitHub's API) */
	bool enabled; /* client id and secret both set (config's google_enabled/github_enabled) */
};

/* Fills *out for the provider called name ("google" or "github"). Returns false for any other
 * name (then *out is untouched). */
bool oauth_provider_get(const struct config *cfg, const char *name, struct oauth_provider *out);

/* BASE_URL/api/v1/auth/<provider>/callback as a new string (caller frees). */
char *oauth_redirect_uri(const struct config *cfg, const char *provider);

/* The PKCE S256 challenge of verifier: base64url(SHA-256(verifier)) without padding, 43
 * characters + NUL, into out. */
void oauth_pkce_challenge(const char *verifier, char out[44]);

/* The authorisation URL the browser is sent to (new string, caller frees): the provider's
 * auth_url with response_type=code, client_id, redirect_uri, scope (Google "openid email
 * profile" with nonce and prompt=select_account; GitHub "read:user user:email"), state,
 * code_challenge and code_challenge_method=S256. nonce is used for Google only. */
char *oauth_authorize_url(const struct config *cfg, const struct oauth_provider *p,
			  const char *state, const char *verifier, const char *nonce);

/* Who the provider says signed in. Strings are owned (oauth_identity_free). */
struct oauth_identity {
	char *subject; /* Google sub, or GitHub's numeric id in decimal */
	char *email;   /* NULL when the provider gave none */
	bool email_verified;
	char *first_name; /* as the provider sent them (NULL when absent); the domain cleans */
	char *last_name;
};
void oauth_identity_free(struct oauth_identity *id);

/* Process-wide provider state: the JWKS cache of Google's signing keys. Thread-safe. */
struct oauth_client;

/* A client for cfg (which must outlive it). Never NULL. */
struct oauth_client *oauth_client_new(const struct config *cfg);
/* Frees c and its cache. NULL is ignored. */
void oauth_client_free(struct oauth_client *c);

/* Exchanges code (with the PKCE verifier) at p's token URL and fetches the identity: Google's
 * ID token is validated against nonce (oauth_idtoken_verify); GitHub's /user and /user/emails
 * are read (email = the primary address if verified, else the first verified one). now_ms is
 * the wall clock. On success fills *out and returns true; on any failure returns false and
 * sets *why to a short static reason for the log (never a secret). */
bool oauth_fetch_identity(struct oauth_client *c, const struct oauth_provider *p, const char *code,
			  const char *verifier, const char *nonce, long long now_ms,
			  struct oauth_identity *out, const char **why);

/* ---- ID tokens and keys (idtoken.c, jwks.c); public for the unit tests ---- */

enum idtoken_result {
	IDT_OK,
	IDT_MALFORMED, /* not three base64url parts of JSON */
	IDT_ALG,       /* header alg other than RS256 (none, HS256, ...) or crit present */
	IDT_NO_KEY,    /* no JWKS key with the header's kid (after the refetch rules) */
	IDT_SIGNATURE, /* the RS256 signature does not verify */
	IDT_ISS,
	IDT_AUD,
	IDT_EXPIRED, /* exp + 30 s is past */
	IDT_IAT,     /* iat missing or more than 30 s in the future */
	IDT_NONCE,   /* missing or not equal */
	IDT_SUB,     /* missing or empty */
};

/* Validates a Google ID token (SPEC §7.3 step 4): alg RS256 only, signature against the JWKS
 * key of its kid (fetched from GOOGLE_JWKS_URL and cached, see oauth_jwks_key), iss equal to
 * issuer (when issuer is https://accounts.google.com, "accounts.google.com" too), aud equal
 * to client_id (a string, or an array containing it), exp and iat with 30 s leeway, nonce
 * equal to the expected one, sub present. now_s is Unix seconds. On IDT_OK and when claims is
 * not NULL, *claims is the payload (new reference). */
enum idtoken_result oauth_idtoken_verify(struct oauth_client *c, const char *token,
					 const char *client_id, const char *issuer,
					 const char *nonce, long long now_s, json_t **claims);

/* A short static name of r for logs ("signature", "nonce", ...). */
const char *oauth_idtoken_result_name(enum idtoken_result r);

/* The PEM ("-----BEGIN PUBLIC KEY-----") of an RSA JWK (kty RSA with base64url n and e; alg,
 * when present, RS256; use, when present, sig; modulus of at least 2048 bits), as a new
 * string (caller frees), or NULL when the JWK is not such a key. */
char *oauth_jwk_to_pem(const json_t *jwk);

/* Seconds of a Cache-Control max-age directive (e.g. "public, max-age=19845"), or -1 when
 * there is none or no-store/no-cache is present. */
long oauth_cache_max_age(const char *cache_control);

/* Replaces the cached key set with the RSA keys of jwks (a {"keys": [...]} document), valid
 * for max_age_s seconds clamped to 5 min..24 h (max_age_s < 0: 5 min), from now_ms. Returns
 * the number of usable keys installed. (The fetcher calls it; tests call it directly.) */
int oauth_jwks_install(struct oauth_client *c, const json_t *jwks, long max_age_s,
		       long long now_ms);

/* The PEM of the key called kid (new string, caller frees) or NULL. Uses the cache while it
 * is fresh; refetches GOOGLE_JWKS_URL when it has expired, and for an unknown kid at most
 * once a minute. */
char *oauth_jwks_key(struct oauth_client *c, const char *kid, long long now_ms);

#endif
