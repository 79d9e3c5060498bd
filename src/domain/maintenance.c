/* Retention purges (see maintenance.h). */
#include "domain/maintenance.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "app.h"
#include "config/config.h"
#include "log/log.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/timefmt.h"

#define PASS_SECONDS 600

struct maintenance {
	struct app *app;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void pass(struct app *app)
{
	const struct config *c = app->cfg;
	struct db *db;
	if (store_acquire(app->store, &db) < 0)
		return; /* the next pass tries again */
	long long now = now_ms();
	long long horizon = now - (long long)c->tombstone_retention_days * 86400000LL;
	int t = app->store->ops->tombstones_purge(db, horizon);
	/* A failure older than both windows (§3.8: the per-address window and one hour) can no
	 * longer count against anyone. */
	long long window = (long long)c->login_failure_window_seconds * 1000;
	if (window < 3600000LL)
		window = 3600000LL;
	int f = app->store->ops->login_failures_purge(db, now - window);
	store_release(app->store, db);
	if (t > 0 || f > 0)
		log_msg(LOG_INFO, "purged %d tombstone(s) and %d login failure(s)", t > 0 ? t : 0,
			f > 0 ? f : 0);
}

static void *run(void *arg)
{
	struct maintenance *m = arg;
	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		pthread_mutex_unlock(&m->mu);
		pass(m->app);
		pthread_mutex_lock(&m->mu);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += PASS_SECONDS;
		while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

struct maintenance *maintenance_start(struct app *app)
{
	struct maintenance *m = xcalloc(1, sizeof *m);
	m->app = app;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pthread_create(&m->thread, NULL, run, m) != 0) {
		log_msg(LOG_ERROR, "cannot start the maintenance thread");
		free(m);
		return NULL;
	}
	return m;
}

void maintenance_stop(struct maintenance *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}
