/* The backend-independent part of the store: choosing the backend, the one transaction runner
 * (store_tx) and the schema check. Everything else lives behind struct store_ops. */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "config/config.h"
#include "log/log.h"
#include "store/pg/pgs.h"
#include "store/sqlite/sq.h"
#include "util/alloc.h"

#define TX_MAX_RETRIES 5

struct store *store_open(const struct config *cfg)
{
	if (cfg->database_url && cfg->database_url[0])
		return pg_store_open(cfg);
	return sq_store_open(cfg);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

/* Sleeps a random 1..(2 << attempt) ms so transactions that collided do not collide again in
 * lockstep. */
static void backoff(int attempt)
{
	static _Thread_local unsigned seed;
	if (!seed) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		seed =
		    (unsigned)now.tv_nsec ^ (unsigned)(uintptr_t)&seed ^ (unsigned)pthread_self();
		seed |= 1;
	}
	long ms = 1 + rand_r(&seed) % (2L << attempt);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

int store_tx(struct store *s, bool write, store_tx_fn fn, void *ctx)
{
	const struct store_ops *ops = s->ops;
	for (int attempt = 0;; attempt++) {
		struct db *db;
		int rc = ops->acquire(s, &db);
		if (rc < 0)
			return rc;
		rc = ops->begin(db, write);
		if (rc >= 0) {
			rc = fn(db, ctx);
			if (rc >= 0) {
				int c =
				    ops->commit(db); /* closes the transaction even when failing */
				if (c < 0)
					rc = write && (c == ST_TIMEOUT || c == ST_UNAVAILABLE)
						 ? ST_UNCONFIRMED
						 : c;
			} else {
				ops->rollback(db);
			}
		}
		ops->release(s, db);
		if (rc != ST_RETRY || attempt == TX_MAX_RETRIES)
			return rc;
		backoff(attempt);
	}
}

int store_schema_current(struct store *s)
{
	int max = sqlite_migrations_count + pg_migrations_count + 1;
	struct migration_info *info = xcalloc((size_t)max, sizeof *info);
	struct db *db;
	int rc = store_acquire(s, &db);
	if (rc >= 0) {
		int n = s->ops->migrations(db, info, max);
		store_release(s, db);
		rc = n < 0 ? n : 1;
		for (int i = 0; i < n; i++)
			if (!info[i].applied)
				rc = 0;
	}
	free(info);
	return rc;
}

const double store_wait_bounds[STORE_WAIT_BUCKETS] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5};

int store_acquire(struct store *s, struct db **out)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rc = s->ops->acquire(s, out);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	for (int i = 0; i < STORE_WAIT_BUCKETS; i++)
		if (secs <= store_wait_bounds[i])
			atomic_fetch_add(&s->wait.counts[i], 1);
	atomic_fetch_add(&s->wait.total, 1);
	atomic_fetch_add(&s->wait.sum_us, (unsigned long long)(secs * 1e6));
	if (rc < 0)
		store_count_error(s, rc);
	return rc;
}

void store_count_error(struct store *s, int status)
{
	int kind = status == ST_TIMEOUT ? 0 : status == ST_UNAVAILABLE ? 1 : 2;
	atomic_fetch_add(&s->wait.errors[kind], 1);
}
