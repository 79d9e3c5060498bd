/* Sign-in with Google and GitHub, the account side (SPEC §7.3 steps 3–6): finishing a flow
 * whose state cookie checked out — the code exchange and identity (integrations/oauth), then
 * the rules that decide between signing in, creating an account and linking, never by email
 * alone — and the management of linked identities (GET /me/identities, DELETE
 * /me/identities/{provider}: an extension of the SPEC). Security events: auth.oauth_login,
 * auth.oauth_linked, auth.oauth_failed (with the code), auth.oauth_unlinked. */
#ifndef CRM_DOMAIN_OAUTH_H
#define CRM_DOMAIN_OAUTH_H

#include <jansson.h>
#include <stdbool.h>

#include "domain/accounts.h"

struct oauth_state;

/* How a flow ended: the error codes its redirect carries (FRONTEND_URL/login?error=<code>). */
enum oauth_outcome {
	OAUTH_OK = 0,
	OAUTH_INVALID_REQUEST,
	OAUTH_INVALID_STATE,
	OAUTH_ACCESS_DENIED,
	OAUTH_FAILED,
	OAUTH_EMAIL_UNVERIFIED,
	OAUTH_ACCOUNT_EXISTS,
	OAUTH_IDENTITY_IN_USE,
	OAUTH_IDENTITY_CONFLICT,
	OAUTH_UNAUTHENTICATED,
	OAUTH_ACCOUNT_INACTIVE,
	OAUTH_PROVIDER_NOT_CONFIGURED,
};

/* The slug of o ("invalid_state", ...; "" for OAUTH_OK). Static. */
const char *oauth_outcome_code(enum oauth_outcome o);

/* What a successful flow did. */
struct oauth_result {
	bool session_opened; /* a sign-in: pair holds the new session (set the cookies) */
	struct token_pair pair;
};

/* Finishes the flow st (already verified: signature, expiry, provider and state) with the
 * provider's code: exchange, identity, then §7.3 step 5. Linking (st->link_user_id) needs the
 * session recorded in st to be live and opens no session; a sign-in opens one (auth_method =
 * the provider) and reactivates the account when st->reactivate. Blocking (outbound calls):
 * run on the job pool. Writes auth.oauth_login / auth.oauth_linked, or auth.oauth_failed with
 * the code. On OAUTH_OK the caller frees out->pair with token_pair_free. */
enum oauth_outcome oauth_complete(struct actx *a, const struct oauth_state *st, const char *code,
				  struct oauth_result *out);

/* Writes auth.oauth_failed for a flow that failed before reaching the domain (bad query,
 * bad state, provider error...): details {"provider", "code"}. provider may be NULL. */
void oauth_record_failure(struct actx *a, const char *provider, enum oauth_outcome o);

/* The caller's linked identities, ordered by provider: a new array of
 * {"provider", "email", "createdAt", "lastLoginAt"}. */
enum err_code oauth_identities(struct actx *a, json_t **list);

/* Unlinks the caller's identity of provider: ERR_NOT_FOUND when there is none (or provider is
 * neither google nor github), ERR_CONFLICT when the account would be left with no way to sign
 * in (no password and no other identity). Writes auth.oauth_unlinked. */
enum err_code oauth_unlink(struct actx *a, const char *provider);

/* A provider name cleaned for the account: controls replaced by spaces, trimmed of white
 * space, cut to max code points; NULL when nothing is left or s is NULL or not UTF-8. New
 * string (caller frees). Public for the unit tests. */
char *oauth_clean_name(const char *s, size_t max);

#endif
