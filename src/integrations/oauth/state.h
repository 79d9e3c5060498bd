/* The OAuth state cookie `crm_oauth` (SPEC §7.3): what the start of a sign-in must remember
 * until its callback — provider, state, PKCE verifier, nonce, returnTo, reactivate, the user
 * and session that asked to link, and an expiry 10 minutes out — kept in the browser as a
 * base64url JSON payload and an HMAC-SHA256 tag keyed with SESSION_SECRET:
 * "<base64url payload>.<base64url tag>". The tag is checked in constant time before the
 * payload is even decoded. */
#ifndef CRM_INTEGRATIONS_OAUTH_STATE_H
#define CRM_INTEGRATIONS_OAUTH_STATE_H

#include <stdbool.h>

#define OAUTH_STATE_COOKIE "crm_oauth"
#define OAUTH_STATE_TTL_MS (10LL * 60 * 1000)
#define OAUTH_RETURN_TO_MAX 512 /* code points */
/* Longest cookie value accepted (a full payload is well under 2 KiB). */
#define OAUTH_STATE_MAX_COOKIE 4096

struct oauth_state {
	char provider[16];
	char state[48];				     /* 32 random bytes, base64url (43 chars) */
	char verifier[48];			     /* PKCE verifier, same shape */
	char nonce[48];				     /* Google only; "" otherwise */
	char return_to[4 * OAUTH_RETURN_TO_MAX + 1]; /* ≤ 512 code points; "" = "/" */
	bool reactivate;
	long long link_user_id, link_session_id; /* 0 unless link=true */
	long long expires_ms;
};

/* Fills *s for a new flow of provider at now_ms: fresh random state, verifier and (when
 * with_nonce) nonce; return_to (NULL = none), reactivate and the link ids as given. */
void oauth_state_new(struct oauth_state *s, const char *provider, bool with_nonce,
		     const char *return_to, bool reactivate, long long link_user_id,
		     long long link_session_id, long long now_ms);

/* The signed cookie value of s (new string, caller frees). */
char *oauth_state_encode(const struct oauth_state *s, const char *secret);

/* Checks and reads a cookie value: well-formed, correctly signed with secret, every field of
 * the right type and size, and not expired at now_ms. Returns true and fills *out when all
 * holds; false otherwise (*out then zeroed). secret NULL or empty fails. */
bool oauth_state_decode(const char *cookie, const char *secret, long long now_ms,
			struct oauth_state *out);

/* Constant-time equality of two NUL-terminated strings (false when lengths differ). */
bool oauth_str_equal(const char *a, const char *b);

#endif
