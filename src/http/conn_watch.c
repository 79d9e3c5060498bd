/* Connection deadlines and their sweeper thread (see conn_watch.h). Deadlines are atomics, so the
 * HTTP threads move them without a lock; the list itself changes only when a connection opens or
 * closes, under the mutex the sweeper holds while it walks it. */
#include "http/conn_watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log/log.h"
#include "util/alloc.h"

struct conn_watch {
	struct conn_watch *prev, *next;
	int fd;
	atomic_llong deadline_ms;
};

struct conn_watcher {
	pthread_mutex_t mu;
	pthread_cond_t stop_cv;
	bool stopping;
	struct conn_watch *head;
	pthread_t thread;
};

long long conn_watch_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sweeper_main(void *arg)
{
	struct conn_watcher *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&w->stop_cv, &w->mu, &ts);
		long long now = conn_watch_now();
		int cut = 0;
		for (struct conn_watch *c = w->head; c; c = c->next) {
			long long d = atomic_load(&c->deadline_ms);
			if (d && now >= d) {
				shutdown(c->fd, SHUT_RDWR);
				atomic_store(&c->deadline_ms, 0);
				cut++;
			}
		}
		if (cut) {
			char n[16];
			snprintf(n, sizeof n, "%d", cut);
			log_line(LOG_DEBUG, NULL, "http: closed connections that sent too slowly",
				 "count", n, (const char *)NULL);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct conn_watcher *conn_watcher_start(void)
{
	struct conn_watcher *w = xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->stop_cv, NULL);
	if (pthread_create(&w->thread, NULL, sweeper_main, w) != 0) {
		log_msg(LOG_WARN, "cannot start the connection sweeper: slow clients are not cut");
		pthread_cond_destroy(&w->stop_cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void conn_watcher_stop(struct conn_watcher *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->stop_cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (struct conn_watch *c = w->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&w->stop_cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

struct conn_watch *conn_watch_add(struct conn_watcher *w, int fd, long long deadline_ms)
{
	if (!w)
		return NULL;
	struct conn_watch *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	atomic_init(&c->deadline_ms, deadline_ms);
	pthread_mutex_lock(&w->mu);
	c->next = w->head;
	if (w->head)
		w->head->prev = c;
	w->head = c;
	pthread_mutex_unlock(&w->mu);
	return c;
}

void conn_watch_remove(struct conn_watcher *w, struct conn_watch *c)
{
	if (!w || !c)
		return;
	pthread_mutex_lock(&w->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&w->mu);
	free(c);
}

void conn_watch_set(struct conn_watch *c, long long deadline_ms)
{
	if (c)
		atomic_store(&c->deadline_ms, deadline_ms);
}
