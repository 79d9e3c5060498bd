/* The store interface: everything the service keeps lives behind this struct of function
 * pointers, implemented twice (store/sqlite: embedded default; store/pg: PostgreSQL selected by
 * DATABASE_URL) with identical behaviour. Domain code never sees SQL.
 *
 * Status convention for every store function that touches data: negative = failure (one of
 * enum store_status), 0 = no row matched, positive = rows affected/found.
 *
 * Connections: a caller obtains a `struct db *` with store_acquire (PostgreSQL: from the pool,
 * waiting up to 2 s; SQLite: this thread's connection) and gives it back with store_release.
 * Multi-step changes go through store_tx, the one transaction runner, which retries
 * serialization failures and deadlocks. */
#ifndef CRM_STORE_H
#define CRM_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/types.h"

struct config;

enum store_status {
	ST_ERROR = -1,       /* unexpected failure (logged by the store, never shown to clients) */
	ST_UNAVAILABLE = -2, /* store unreachable, pool exhausted, or connection lost */
	ST_TIMEOUT = -3,     /* statement or lock timeout */
	ST_CONFLICT = -4,    /* unique or exclusion violation */
	ST_RETRY = -5,       /* serialization failure or deadlock: the transaction may be retried */
	ST_FK = -6,          /* foreign-key violation */
};

struct db; /* one connection, opaque; owned by its store */

struct store_pool_stats {
	int in_use, idle;
};

/* Result of one migration step, for `crm migrate` output. */
struct migration_info {
	int version;
	const char *name; /* e.g. "0001_init" */
	bool applied;
	long long applied_at_ms; /* 0 when pending */
};

struct store;

struct store_ops {
	const char *name; /* "sqlite" or "postgres" */
	void (*close)(struct store *s);

	int (*acquire)(struct store *s, struct db **out);
	void (*release)(struct store *s, struct db *db);
	/* write: the transaction will write (SQLite: BEGIN IMMEDIATE). */
	int (*begin)(struct db *db, bool write);
	int (*commit)(struct db *db);
	void (*rollback)(struct db *db);

	/* A trivial query with the given timeout; 1 on success. */
	int (*ping)(struct db *db, int timeout_ms);
	void (*pool_stats)(struct store *s, struct store_pool_stats *out);

	/* Lists known migrations (embedded in the binary) with their state; returns the count
	 * written into out (at most max) or a negative status. */
	int (*migrations)(struct db *db, struct migration_info *out, int max);
	/* Applies pending migrations in order, each in its own transaction, printing one line
	 * per applied version to log (may be NULL). Returns the number applied or < 0. */
	int (*migrate)(struct db *db, FILE *log);

	/* Data operations, one group per resource. */

	/* ---- Accounts (users, sessions, tokens, throttles, audit, outbox). All times are Unix
	 * ms passed in by the caller ("now"), so both stores agree and tests can reason. ---- */

	/* Locks the user's row for the rest of the transaction (PostgreSQL SELECT … FOR UPDATE;
	 * SQLite: the single writer already serialises). 1 when the user exists, else 0. */
	int (*users_lock)(struct db *db, long long user_id);
	/* The write time of §6 for a transaction writing the user's data tables: locks the user
	 * row, sets *t = max(now, last_write_at + 1) and stores it as last_write_at. Every
	 * created_at/updated_at/deleted_at the transaction writes uses *t, so a user's write times
	 * strictly increase in commit order. 1 when the user exists, else 0. */
	int (*users_write_time)(struct db *db, long long user_id, long long now, long long *t);
	/* Inserts a user (role USER, active) with created_at = updated_at = now; *id_out set.
	 * ST_CONFLICT when email_key or username_key is taken. */
	int (*users_insert)(struct db *db, const struct user_new *in, long long now, long long *id_out);
	/* Reads one user by id / by email_key / by username_key into out (caller frees with
	 * user_row_free). 1 found, 0 none. */
	int (*users_select)(struct db *db, long long id, struct user_row *out);
	int (*users_select_by_email_key)(struct db *db, const char *email_key, struct user_row *out);
	int (*users_select_by_username_key)(struct db *db, const char *username_key,
					    struct user_row *out);
	/* Applies the set_* fields of p and updated_at = now. 1 updated, 0 no such user,
	 * ST_CONFLICT when the new username_key is taken. */
	int (*users_update)(struct db *db, long long id, const struct user_patch *p, long long now);
	/* Deletes the user and (by cascade) every row carrying its user_id, including outbox
	 * and audit rows (audit has no FK: deleted explicitly). 1 deleted, 0 none. */
	int (*users_delete)(struct db *db, long long id);

	/* Opens a session; *id_out set. */
	int (*sessions_insert)(struct db *db, long long user_id, const char *auth_method,
			       long long now, long long expires_at, const char *ip,
			       const char *user_agent, long long *id_out);
	int (*sessions_select)(struct db *db, long long id, struct session_row *out);
	/* Live sessions of a user (unrevoked, expires_at > now), newest created first. *rows is
	 * a new array (caller frees each with session_row_free, then the array). Returns count. */
	int (*sessions_select_live)(struct db *db, long long user_id, long long now,
				    struct session_row **rows);
	/* last_used_at = now and the ip / user agent seen (refresh). */
	int (*sessions_touch)(struct db *db, long long id, long long now, const char *ip,
			      const char *user_agent);
	/* Revokes one live session of user (revoked_at = now, reason). Returns rows changed. */
	int (*sessions_revoke)(struct db *db, long long user_id, long long id, long long now,
			       const char *reason);
	/* Revokes every live session of user except except_id (0: none). Returns rows changed. */
	int (*sessions_revoke_all)(struct db *db, long long user_id, long long except_id,
				   long long now, const char *reason);
	/* Revokes the least recently used live sessions so that at most keep remain. */
	int (*sessions_trim)(struct db *db, long long user_id, long long now, int keep,
			     const char *reason);
	/* The per-request check: session id with its user, in one indexed lookup. 1 when the
	 * session row exists (then out says whether it is live and the user active), else 0. */
	int (*auth_lookup)(struct db *db, long long session_id, long long now, struct auth_row *out);

	/* Stores a new refresh token (its SHA-256 hex) of a session. */
	int (*refresh_insert)(struct db *db, long long user_id, long long session_id,
			      const char *token_hash, long long now);
	/* Atomically marks the token used (only if unused): 1 consumed (out filled), 0 not
	 * consumed (then refresh_select tells whether it exists and when it was used). */
	int (*refresh_consume)(struct db *db, const char *token_hash, long long now,
			       struct refresh_row *out);
	int (*refresh_select)(struct db *db, const char *token_hash, struct refresh_row *out);

	/* Issues an email token; first invalidates (invalidated_at = now, password_hash
	 * erased) every unused, uninvalidated token of the same user and purpose. */
	int (*email_tokens_insert)(struct db *db, long long user_id, const char *purpose,
				   const char *token_hash, const char *email,
				   const char *password_hash, long long now, long long expires_at);
	/* Reads a token by hash (any state). 1 found, 0 none. */
	int (*email_tokens_select)(struct db *db, const char *token_hash,
				   struct email_token_row *out);
	/* Marks a live token used (used_at = now, password_hash erased) only when unused,
	 * uninvalidated and unexpired. 1 used now, 0 not live. */
	int (*email_tokens_use)(struct db *db, long long id, long long now);
	/* Invalidates every live token of (user, purpose). Returns rows changed. */
	int (*email_tokens_invalidate)(struct db *db, long long user_id, const char *purpose,
				       long long now);

	/* Records one failed login for an identifier (SHA-256 hex of its folded form). */
	int (*login_failures_insert)(struct db *db, const char *key_hash, const char *ip,
				     long long now);
	/* Failures of key_hash (from ip, or from any address when ip is NULL) since `since`.
	 * Sets *count, and when *count >= max, *release_at = created_at of the failure whose
	 * leaving the window brings the count below max. Returns 1 (or < 0). */
	int (*login_failures_window)(struct db *db, const char *key_hash, const char *ip,
				     long long since, int max, int *count, long long *release_at);
	/* Deletes failures of key_hash (from ip, or all addresses when ip is NULL). */
	int (*login_failures_clear)(struct db *db, const char *key_hash, const char *ip);
	/* Deletes failures created before `before`. */
	int (*login_failures_purge)(struct db *db, long long before);

	/* Writes one audit row (created_at = now). */
	int (*audit_insert)(struct db *db, const struct audit_new *a, long long now);

	/* Queues a mail (status pending, next_attempt_at = now). *id_out set when not NULL. */
	int (*outbox_insert)(struct db *db, const struct outbox_new *m, long long now,
			     long long *id_out);
	/* Mails of one template to one address created since `since` (the mail throttle). */
	int (*outbox_count_recent)(struct db *db, const char *to_address, const char *template_name,
				   long long since, int *count);
	/* Up to max pending rows due at now, oldest first (caller frees). Returns count. */
	int (*outbox_select_due)(struct db *db, long long now, int max, struct outbox_row **rows);
	/* Marks sent (sent_at = now); erase_bodies clears subject-independent bodies. */
	int (*outbox_mark_sent)(struct db *db, long long id, long long now, bool erase_bodies);
	/* Schedules a retry (attempts + 1, next_attempt_at, last_error) or, when failed is
	 * true, marks the row failed (bodies erased when erase_bodies). */
	int (*outbox_mark_retry)(struct db *db, long long id, long long next_attempt_at,
				 const char *last_error, bool failed, bool erase_bodies);
	/* Erases bodies of rows of the given template created before `before`; deletes sent
	 * rows sent before `sent_before`. Returns rows changed. */
	int (*outbox_purge)(struct db *db, const char *template_name, long long before,
			    long long sent_before);
	/* Pending rows (the crm_email_outbox_pending gauge). */
	int (*outbox_pending)(struct db *db, int *count);
};

/* Time callers waited in store_acquire, as a histogram (crm_db_pool_wait_seconds). */
#define STORE_WAIT_BUCKETS 8
extern const double store_wait_bounds[STORE_WAIT_BUCKETS];
struct store_wait_stats {
	_Atomic unsigned long long counts[STORE_WAIT_BUCKETS]; /* cumulative (le) */
	_Atomic unsigned long long total;
	_Atomic unsigned long long sum_us;
	_Atomic unsigned long long errors[3]; /* timeout, unavailable, other (crm_db_errors_total) */
};

struct store {
	const struct store_ops *ops;
	void *impl; /* implementation state */
	struct store_wait_stats wait;
};

/* Opens the store the configuration selects. Returns NULL (and logs why) on failure.
 * Opening does not require the database to be reachable for PostgreSQL (connections are
 * made on demand and re-made after an outage). */
struct store *store_open(const struct config *cfg);
void store_close(struct store *s);

/* Takes a connection (timing the wait); < 0 when the store is unavailable. */
int store_acquire(struct store *s, struct db **out);
/* Counts a failed store call by kind for crm_db_errors_total. */
void store_count_error(struct store *s, int status);
static inline void store_release(struct store *s, struct db *db)
{
	s->ops->release(s, db);
}

/* Runs fn(db, ctx) inside one transaction, committing when fn returns >= 0 and rolling back
 * otherwise. Retries up to 5 times when fn or the commit returns ST_RETRY. Returns fn's result,
 * or the failing status of acquire/begin/commit. */
typedef int (*store_tx_fn)(struct db *db, void *ctx);
int store_tx(struct store *s, bool write, store_tx_fn fn, void *ctx);

/* Number of known migrations and whether all of them are applied (1), some pending (0),
 * or the store failed (< 0). */
int store_schema_current(struct store *s);

/* Embedded migration files, generated at build time from db/<store>/NNNN_name.sql. */
struct embedded_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct embedded_migration sqlite_migrations[];
extern const int sqlite_migrations_count;
extern const struct embedded_migration pg_migrations[];
extern const int pg_migrations_count;

#endif
