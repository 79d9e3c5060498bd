/* A small job pool: threads that run blocking work (password hashing, outbound calls,
 * exports) so the HTTP polling threads never wait on it. */
#ifndef CRM_UTIL_JOBS_H
#define CRM_UTIL_JOBS_H

struct job_pool;

/* Starts n threads. Never NULL (aborts if threads cannot start). */
struct job_pool *jobs_start(int n);
/* Queues fn(arg); runs in FIFO order on some pool thread. */
void jobs_submit(struct job_pool *p, void (*fn)(void *arg), void *arg);
/* Runs every queued job, then stops and frees the pool. */
void jobs_stop(struct job_pool *p);

#endif
