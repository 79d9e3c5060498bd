/* The PostgreSQL store's breaker (see pg_impl.h): fail fast while the server is unreachable,
 * and a prober thread, started on the first trip, that finds out when it is back. The probe is
 * a fresh connection made with libpq's non-blocking calls, so that closing the store never
 * waits for a connect timeout. */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "log/log.h"
#include "store/pg/pg_impl.h"

/* A probe gives up after this long (a stopped server accepts the socket and never answers). */
#define PROBE_TIMEOUT_MS 3000
/* Each wait inside a probe is at most this long, so that a closing store is noticed. */
#define PROBE_SLICE_MS 100

static bool stopping(struct pg_store *ps)
{
	pthread_mutex_lock(&ps->bmu);
	bool s = ps->stopping;
	pthread_mutex_unlock(&ps->bmu);
	return s;
}

/* One fresh connection attempt: true when the server completed the start-up. */
static bool probe(struct pg_store *ps)
{
	PGconn *c = PQconnectStartParams(ps->kw, ps->val, 1);
	if (!c)
		return false;
	long long deadline = pg_mono_ns() + PROBE_TIMEOUT_MS * 1000000LL;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	bool ok = false;
	while (PQstatus(c) != CONNECTION_BAD && !stopping(ps)) {
		if (st == PGRES_POLLING_OK) {
			ok = PQstatus(c) == CONNECTION_OK;
			break;
		}
		if (st == PGRES_POLLING_FAILED)
			break;
		long long left = deadline - pg_mono_ns();
		if (left <= 0)
			break;
		int ms = (int)(left / 1000000);
		struct pollfd p = {.fd = PQsocket(c),
				   .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
		if (p.fd < 0)
			break;
		int n = poll(&p, 1, ms < PROBE_SLICE_MS ? ms : PROBE_SLICE_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			st = PQconnectPoll(c);
	}
	PQfinish(c);
	return ok;
}

static void *prober_main(void *arg)
{
	struct pg_store *ps = arg;
	pthread_mutex_lock(&ps->bmu);
	for (;;) {
		while (!ps->stopping && !pg_breaker_open(ps))
			pthread_cond_wait(&ps->bcv, &ps->bmu);
		if (ps->stopping)
			break;
		/* Give the server a moment before each attempt (and the trip's burst time to end).
		 */
		struct timespec dl;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		long long ns = dl.tv_nsec + PG_BREAKER_PROBE_MS * 1000000LL;
		dl.tv_sec += ns / 1000000000LL;
		dl.tv_nsec = ns % 1000000000LL;
		while (!ps->stopping &&
		       pthread_cond_timedwait(&ps->bcv, &ps->bmu, &dl) != ETIMEDOUT)
			;
		if (ps->stopping)
			break;
		pthread_mutex_unlock(&ps->bmu);
		bool up = probe(ps);
		pthread_mutex_lock(&ps->bmu);
		if (up && pg_breaker_open(ps)) {
			atomic_store_explicit(&ps->down, false, memory_order_release);
			log_msg(LOG_INFO, "postgres: reachable again; serving from the store");
		}
	}
	pthread_mutex_unlock(&ps->bmu);
	return NULL;
}

void pg_breaker_init(struct pg_store *ps)
{
	atomic_init(&ps->down, false);
	pthread_mutex_init(&ps->bmu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ps->bcv, &ca);
	pthread_condattr_destroy(&ca);
}

void pg_breaker_trip(struct pg_store *ps, const char *why)
{
	pthread_mutex_lock(&ps->bmu);
	if (!ps->stopping && !pg_breaker_open(ps)) {
		atomic_store_explicit(&ps->down, true, memory_order_release);
		log_msg(LOG_WARN,
			"postgres: unreachable (%s); answering 503 until a connection "
			"succeeds again",
			why);
		if (!ps->prober_running && pthread_create(&ps->prober, NULL, prober_main, ps) == 0)
			ps->prober_running = true;
		pthread_cond_signal(&ps->bcv);
	}
	/* Without a prober (thread creation failed) the breaker must not stay open. */
	if (!ps->prober_running)
		atomic_store_explicit(&ps->down, false, memory_order_release);
	pthread_mutex_unlock(&ps->bmu);
}

void pg_breaker_stop(struct pg_store *ps)
{
	pthread_mutex_lock(&ps->bmu);
	ps->stopping = true;
	pthread_cond_broadcast(&ps->bcv);
	bool join = ps->prober_running;
	pthread_mutex_unlock(&ps->bmu);
	if (join)
		pthread_join(ps->prober, NULL);
	pthread_cond_destroy(&ps->bcv);
	pthread_mutex_destroy(&ps->bmu);
}
