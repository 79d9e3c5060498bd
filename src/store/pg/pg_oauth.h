/* The PostgreSQL implementations of the oauth_accounts operations of struct store_ops, registered
 * in pg.c. Each has exactly the contract of the store_ops member of the same name without
 * the pg_ prefix (store.h). */
#ifndef CRM_STORE_PG_OAUTH_H
#define CRM_STORE_PG_OAUTH_H

struct db;
struct oauth_account_row;

int pg_oauth_accounts_insert(struct db *db, long long user_id, const char *provider,
			     const char *provider_user_id, const char *email, long long now,
			     long long *id_out);
int pg_oauth_accounts_select(struct db *db, const char *provider, const char *provider_user_id,
			     struct oauth_account_row *out);
int pg_oauth_accounts_select_by_user(struct db *db, long long user_id, const char *provider,
				     struct oauth_account_row *out);
int pg_oauth_accounts_select_many(struct db *db, long long user_id,
				  struct oauth_account_row **rows);
int pg_oauth_accounts_delete(struct db *db, long long user_id, const char *provider);
int pg_oauth_accounts_touch(struct db *db, long long id, long long now, const char *email);

#endif
