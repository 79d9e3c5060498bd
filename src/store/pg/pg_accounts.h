/* The PostgreSQL implementations of the account operations of struct store_ops (users, sessions
 * and refresh tokens, email tokens, the login-failure throttle, audit rows and the email
 * outbox), registered in pg.c. Each has exactly the contract of the store_ops member of the
 * same name without the pg_ prefix (store.h); times are Unix ms passed in by the caller. */
#ifndef CRM_STORE_PG_ACCOUNTS_H
#define CRM_STORE_PG_ACCOUNTS_H

#include <stdbool.h>

#include "store/types.h"

struct db;
struct contact_read;
struct contact_page_read;

/* Users (pg_users.c). */
int pg_users_lock(struct db *db, long long user_id);
int pg_users_write_time(struct db *db, long long user_id, long long now, long long *t);
int pg_users_insert(struct db *db, const struct user_new *in, long long now, long long *id_out);
int pg_users_select(struct db *db, long long id, struct user_row *out);
int pg_users_select_by_email_key(struct db *db, const char *email_key, struct user_row *out);
int pg_users_select_by_username_key(struct db *db, const char *username_key, struct user_row *out);
int pg_users_update(struct db *db, long long id, const struct user_patch *p, long long now);
int pg_users_delete(struct db *db, long long id);

/* Sessions, the per-request lookup and refresh tokens (pg_sessions.c). */
int pg_sessions_insert(struct db *db, long long user_id, const char *auth_method, long long now,
		       long long expires_at, const char *ip, const char *user_agent,
		       long long *id_out);
int pg_sessions_select(struct db *db, long long id, struct session_row *out);
int pg_sessions_select_live(struct db *db, long long user_id, long long now,
			    struct session_row **rows);
int pg_sessions_touch(struct db *db, long long id, long long now, const char *ip,
		      const char *user_agent);
int pg_sessions_revoke(struct db *db, long long user_id, long long id, long long now,
		       const char *reason);
int pg_sessions_revoke_all(struct db *db, long long user_id, long long except_id, long long now,
			   const char *reason);
int pg_sessions_trim(struct db *db, long long user_id, long long now, int keep, const char *reason);
int pg_auth_lookup(struct db *db, long long session_id, long long now, struct auth_row *out);
int pg_auth_lookup_contact(struct db *db, long long session_id, long long now, struct auth_row *out,
			   struct contact_read *read);
int pg_auth_lookup_page(struct db *db, long long session_id, long long now, struct auth_row *out,
			struct contact_page_read *read);
int pg_refresh_insert(struct db *db, long long user_id, long long session_id,
		      const char *token_hash, long long now);
int pg_refresh_consume(struct db *db, const char *token_hash, long long now,
		       struct refresh_row *out);
int pg_refresh_select(struct db *db, const char *token_hash, struct refresh_row *out);

/* Email tokens (pg_email_tokens.c). */
int pg_email_tokens_insert(struct db *db, long long user_id, const char *purpose,
			   const char *token_hash, const char *email, const char *password_hash,
			   long long now, long long expires_at);
int pg_email_tokens_select(struct db *db, const char *token_hash, struct email_token_row *out);
int pg_email_tokens_use(struct db *db, long long id, long long now);
int pg_email_tokens_invalidate(struct db *db, long long user_id, const char *purpose,
			       long long now);

/* The login-failure throttle (pg_login_failures.c). */
int pg_login_failures_insert(struct db *db, const char *key_hash, const char *ip, long long now);
int pg_login_failures_window(struct db *db, const char *key_hash, const char *ip, long long since,
			     int max, int *count, long long *release_at);
int pg_login_failures_clear(struct db *db, const char *key_hash, const char *ip);
int pg_login_failures_purge(struct db *db, long long before);

/* Audit rows (pg_audit.c). */
int pg_audit_insert(struct db *db, const struct audit_new *a, long long now);

/* The email outbox (pg_outbox.c). */
int pg_outbox_insert(struct db *db, const struct outbox_new *m, long long now, long long *id_out);
int pg_outbox_count_recent(struct db *db, const char *to_address, const char *template_name,
			   long long since, int *count);
int pg_outbox_select_due(struct db *db, long long now, int max, struct outbox_row **rows);
int pg_outbox_claim(struct db *db, long long id, long long now, long long until);
int pg_outbox_mark_sent(struct db *db, long long id, long long now, bool erase_bodies);
int pg_outbox_mark_retry(struct db *db, long long id, long long next_attempt_at,
			 const char *last_error, bool failed, bool erase_bodies);
int pg_outbox_purge(struct db *db, const char *template_name, long long before,
		    long long sent_before);
int pg_outbox_pending(struct db *db, int *count);

#endif
