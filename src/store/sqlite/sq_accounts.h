/* The SQLite implementations of the account operations of struct store_ops (users, sessions
 * and refresh tokens, email tokens, the login-failure throttle, audit rows and the email
 * outbox), registered in sqlite.c. Each has exactly the contract of the store_ops member of the
 * same name without the sq_ prefix (store.h); times are Unix ms passed in by the caller. */
#ifndef CRM_STORE_SQ_ACCOUNTS_H
#define CRM_STORE_SQ_ACCOUNTS_H

#include <stdbool.h>

#include "store/types.h"

struct db;
struct contact_read;

/* Users (sq_users.c). */
int sq_users_lock(struct db *db, long long user_id);
int sq_users_write_time(struct db *db, long long user_id, long long now, long long *t);
int sq_users_insert(struct db *db, const struct user_new *in, long long now, long long *id_out);
int sq_users_select(struct db *db, long long id, struct user_row *out);
int sq_users_select_by_email_key(struct db *db, const char *email_key, struct user_row *out);
int sq_users_select_by_username_key(struct db *db, const char *username_key, struct user_row *out);
int sq_users_update(struct db *db, long long id, const struct user_patch *p, long long now);
int sq_users_delete(struct db *db, long long id);

/* Sessions, the per-request lookup and refresh tokens (sq_sessions.c). */
int sq_sessions_insert(struct db *db, long long user_id, const char *auth_method, long long now,
		       long long expires_at, const char *ip, const char *user_agent,
		       long long *id_out);
int sq_sessions_select(struct db *db, long long id, struct session_row *out);
int sq_sessions_select_live(struct db *db, long long user_id, long long now,
			    struct session_row **rows);
int sq_sessions_touch(struct db *db, long long id, long long now, const char *ip,
		      const char *user_agent);
int sq_sessions_revoke(struct db *db, long long user_id, long long id, long long now,
		       const char *reason);
int sq_sessions_revoke_all(struct db *db, long long user_id, long long except_id, long long now,
			   const char *reason);
int sq_sessions_trim(struct db *db, long long user_id, long long now, int keep, const char *reason);
int sq_auth_lookup(struct db *db, long long session_id, long long now, struct auth_row *out);
int sq_auth_lookup_contact(struct db *db, long long session_id, long long now, struct auth_row *out,
			   struct contact_read *read);
int sq_refresh_insert(struct db *db, long long user_id, long long session_id,
		      const char *token_hash, long long now);
int sq_refresh_consume(struct db *db, const char *token_hash, long long now,
		       struct refresh_row *out);
int sq_refresh_select(struct db *db, const char *token_hash, struct refresh_row *out);

/* Email tokens (sq_email_tokens.c). */
int sq_email_tokens_insert(struct db *db, long long user_id, const char *purpose,
			   const char *token_hash, const char *email, const char *password_hash,
			   long long now, long long expires_at);
int sq_email_tokens_select(struct db *db, const char *token_hash, struct email_token_row *out);
int sq_email_tokens_use(struct db *db, long long id, long long now);
int sq_email_tokens_invalidate(struct db *db, long long user_id, const char *purpose,
			       long long now);

/* The login-failure throttle (sq_login_failures.c). */
int sq_login_failures_insert(struct db *db, const char *key_hash, const char *ip, long long now);
int sq_login_failures_window(struct db *db, const char *key_hash, const char *ip, long long since,
			     int max, int *count, long long *release_at);
int sq_login_failures_clear(struct db *db, const char *key_hash, const char *ip);
int sq_login_failures_purge(struct db *db, long long before);

/* Audit rows (sq_audit.c). */
int sq_audit_insert(struct db *db, const struct audit_new *a, long long now);

/* The email outbox (sq_outbox.c). */
int sq_outbox_insert(struct db *db, const struct outbox_new *m, long long now, long long *id_out);
int sq_outbox_count_recent(struct db *db, const char *to_address, const char *template_name,
			   long long since, int *count);
int sq_outbox_select_due(struct db *db, long long now, int max, struct outbox_row **rows);
int sq_outbox_claim(struct db *db, long long id, long long now, long long until);
int sq_outbox_mark_sent(struct db *db, long long id, long long now, bool erase_bodies);
int sq_outbox_mark_retry(struct db *db, long long id, long long next_attempt_at,
			 const char *last_error, bool failed, bool erase_bodies);
int sq_outbox_purge(struct db *db, const char *template_name, long long before,
		    long long sent_before);
int sq_outbox_pending(struct db *db, int *count);

#endif
