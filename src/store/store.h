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

	/* Data operations are added here by later features, one group per resource. */
};

struct store {
	const struct store_ops *ops;
	void *impl; /* implementation state */
};

/* Opens the store the configuration selects. Returns NULL (and logs why) on failure.
 * Opening does not require the database to be reachable for PostgreSQL (connections are
 * made on demand and re-made after an outage). */
struct store *store_open(const struct config *cfg);
void store_close(struct store *s);

static inline int store_acquire(struct store *s, struct db **out)
{
	return s->ops->acquire(s, out);
}
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
