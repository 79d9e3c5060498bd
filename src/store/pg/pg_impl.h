/* Private to the PostgreSQL backend's plumbing (pg.c, pg_exec.c, pg_migrate.c): the pool and
 * connection structs and the functions those files share. Store functions use pgs.h instead. */
#ifndef CRM_STORE_PG_IMPL_H
#define CRM_STORE_PG_IMPL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "store/store.h"

struct migration_info;

/* One pooled connection. `struct db *` handed out by the store points at one of these. */
struct pg_conn {
	struct pg_store *store;
	PGconn *c;    /* NULL until first used, and after a reset */
	bool in_use;  /* handed out (guarded by the store's mutex) */
	bool broken;  /* lost or timed out: finished on release, re-made on next acquire */
	char **names; /* statements prepared on c: open-addressing set, cap a power of two */
	size_t cap, used;
	char constraint[96]; /* see pg_last_constraint */
};

struct pg_store {
	struct store base;	    /* base.impl points back here */
	const char *kw[8], *val[8]; /* PQconnectdbParams arrays, NULL-terminated */
	char *url;		    /* DATABASE_URL without the schema parameter */
	char *options;		    /* libpq `options`: the URL's plus statement_timeout */
	char *schema;		    /* search_path schema, or NULL */
	int timeout_ms;		    /* DB_STATEMENT_TIMEOUT_MS; 0 = none */
	int size;
	struct pg_conn *conns;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled when a connection is released (CLOCK_MONOTONIC) */
	int in_use;
	/* The breaker (pg_breaker.c): set while the server is known unreachable. */
	atomic_bool down;
	pthread_mutex_t bmu;
	pthread_cond_t bcv; /* wakes the prober: a trip, or the store closing (CLOCK_MONOTONIC) */
	bool prober_running, stopping;
	pthread_t prober;
};

/* The breaker. A request that finds the server unreachable (a connection attempt failed, or a
 * statement got no answer by its deadline) trips it; while it is open, store_acquire fails at
 * once with ST_UNAVAILABLE instead of every request waiting out its own timeouts on an HTTP
 * polling thread, and one background thread tries a fresh connection every
 * PG_BREAKER_PROBE_MS, closing the breaker as soon as one succeeds. */
#define PG_BREAKER_PROBE_MS 500
void pg_breaker_init(struct pg_store *ps);
void pg_breaker_trip(struct pg_store *ps, const char *why);
static inline bool pg_breaker_open(struct pg_store *ps)
{
	return atomic_load_explicit(&ps->down, memory_order_acquire);
}
/* Stops the prober (before the store is freed). */
void pg_breaker_stop(struct pg_store *ps);

/* Monotonic clock in nanoseconds. */
long long pg_mono_ns(void);

/* Like pg_exec_prepared, with an explicit monotonic deadline (0 = wait forever). */
PGresult *pg_exec_prepared_until(struct db *db, const char *name, const char *sql, int nparams,
				 const char *const *values, long long deadline_ns, int *status_out);

/* Runs parameterless SQL (possibly several statements) with the simple protocol, for what
 * cannot be prepared: SET with an escaped identifier, migration files. Same result and status
 * contract as pg_exec_prepared. */
PGresult *pg_exec_simple(struct pg_conn *pc, const char *sql, long long deadline_ns,
			 int *status_out);

/* Forgets the statements prepared on pc (its connection is being replaced). */
void pg_names_clear(struct pg_conn *pc);

/* Migrations (pg_migrate.c), as the store_ops members of the same names. */
int pg_migrations_list(struct db *db, struct migration_info *out, int max);
int pg_migrate(struct db *db, FILE *log);

static inline struct pg_conn *pg_conn_of(struct db *db)
{
	return (struct pg_conn *)(void *)db;
}

#endif
