/* Private to the SQLite backend's plumbing (sqlite.c, sq_exec.c, sq_migrate.c): the store and
 * connection structs and the functions those files share. Store functions use sq.h instead. */
#ifndef CRM_STORE_SQ_IMPL_H
#define CRM_STORE_SQ_IMPL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "store/store.h"

struct migration_info;

/* One statement cache entry: key is the SQL text's address (not owned). */
struct sq_slot {
	const char *key;
	sqlite3_stmt *st;
};

/* One thread's connection. `struct db *` handed out by the store points at one of these. */
struct sq_conn {
	sqlite3 *h;
	struct sq_store *store;
	struct sq_conn *next;  /* the store's list of every open connection */
	struct sq_slot *slots; /* open-addressing hash table, cap a power of two */
	size_t cap, used;
	long long deadline_ns; /* monotonic deadline of the running statement; 0 = none */
	int timeout_ms;	       /* statement timeout; 0 = none (migrations) */
	int depth;	       /* acquire nesting on this thread */
	bool read_tx;	       /* inside a read-only transaction */
	bool writing;	       /* holds the store's write_mu (a write transaction is open) */
	char constraint[96];   /* see sq_last_constraint */
};

struct sq_store {
	struct store base; /* base.impl points back here */
	char *path;
	int timeout_ms;
	pthread_key_t key;  /* this thread's struct sq_conn */
	pthread_mutex_t mu; /* guards conns */
	/* Held by the one connection with an open write transaction: this process's writers
	 * queue here, woken as soon as the writer finishes, instead of in SQLite's busy handler,
	 * which sleeps in growing steps and lets one thread win the lock again and again (a
	 * request waited up to 1.5 s at the 99th percentile with two threads writing). */
	pthread_mutex_t write_mu;
	struct sq_conn *conns;
	atomic_int nconns, in_use;
};

/* Monotonic clock in nanoseconds. */
long long sq_mono_ns(void);

/* Finalizes every cached statement of c (sq_exec.c). */
void sq_cache_free(struct sq_conn *c);

/* Resets every statement of c that is still stepping, so COMMIT/ROLLBACK and the end of a
 * use never meet a half-read SELECT (sq_exec.c). */
void sq_reset_busy(struct sq_conn *c);

/* Migrations (sq_migrate.c), as the store_ops members of the same names. */
int sq_migrations_list(struct db *db, struct migration_info *out, int max);
int sq_migrate(struct db *db, FILE *log);

static inline struct sq_conn *sq_conn_of(struct db *db)
{
	return (struct sq_conn *)(void *)db;
}

#endif
