/* Helpers shared by the accounts files of src/domain (not used elsewhere). */
#ifndef CRM_DOMAIN_ACCOUNTS_INTERNAL_H
#define CRM_DOMAIN_ACCOUNTS_INTERNAL_H

#include "domain/accounts.h"
#include "store/store.h"

#define MAX_SESSIONS 50
#define VERIFY_TOKEN_MS (24LL * 3600 * 1000)
#define RESET_TOKEN_MS (30LL * 60 * 1000)
#define MAIL_THROTTLE_MAX 3
#define MAIL_THROTTLE_MS (3600LL * 1000)

static inline const struct store_ops *OPS(struct actx *a)
{
	return ((struct store *)a->app->store)->ops;
}

/* Hashes pw with a concurrency slot; ERR_SERVICE_UNAVAILABLE (retry 1 s) when saturated. */
enum err_code hash_with_slot(struct actx *a, const char *pw, size_t len, char *out);
/* Verifies with a slot; *ok the result. hash NULL pays the dummy verification. */
enum err_code verify_with_slot(struct actx *a, const char *hash, const char *pw, size_t len,
			       bool *ok, bool *rehash);

/* SHA-256 hex of the folded identifier: the login_failures key. */
void identifier_key(const char *identifier, char out[65]);

/* Queues a mail of template to `to` unless the mail throttle (3 per hour per address and
 * template) applies. *queued tells which. token may be NULL. */
int queue_mail(struct actx *a, struct db *db, long long user_id, const char *to,
	       const char *template_name, const char *first_name, const char *token, bool *queued);
/* After a committed transaction (rc >= 0) that queued mail, wakes the sender. */
void wake_sender(struct actx *a, int rc);
/* True when another mail of this template may go to this address now. */
int mail_allowed(struct actx *a, struct db *db, const char *to, const char *template_name,
		 bool *allowed);

/* Opens a session with its first refresh token and fills the token pair. Runs inside the
 * caller's write transaction. */
int open_session(struct actx *a, struct db *db, long long user_id, const char *method,
		 struct token_pair *out);
/* Issues the access token for (user, session). */
void issue_access(struct actx *a, long long user_id, long long session_id, struct token_pair *out);

/* Me object for a loaded user. */
json_t *me_json(struct actx *a, struct db *db, const struct user_row *u);

/* Derives a free username from an email's local part (§7.1); new string. */
char *derive_username(struct actx *a, struct db *db, const char *email);

#endif
