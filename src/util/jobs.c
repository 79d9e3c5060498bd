/* Job pool (see jobs.h): a mutex-protected FIFO drained by a fixed set of threads. */
#include "util/jobs.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/alloc.h"

struct job {
	void (*fn)(void *arg);
	void *arg;
	struct job *next;
};

struct job_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	bool stopping;
	int n;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct job_pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		struct job *j = p->head;
		if (!j) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		j->fn(j->arg);
		free(j);
	}
}

struct job_pool *jobs_start(int n)
{
	struct job_pool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->n = n < 1 ? 1 : n;
	p->threads = xcalloc((size_t)p->n, sizeof *p->threads);
	for (int i = 0; i < p->n; i++)
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			fprintf(stderr, "crm: cannot start job threads\n");
			abort();
		}
	return p;
}

void jobs_submit(struct job_pool *p, void (*fn)(void *arg), void *arg)
{
	struct job *j = xmalloc(sizeof *j);
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void jobs_stop(struct job_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}
