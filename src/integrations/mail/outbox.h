/* The mail outbox (SPEC §14): queueing a mail as a row of email_outbox inside the caller's
 * transaction, and the one background worker that delivers due rows (SMTP, or files under
 * DATA_DIR/outbox when no SMTP server is configured), retries failures with backoff, and purges
 * old bodies and rows. Delivery is at least once: a row is marked sent right after the server
 * (or the file system) accepted it. Mail bodies are never logged; in development the file
 * outbox's log line shows the links of the mail so a developer can follow them. */
#ifndef CRM_INTEGRATIONS_MAIL_OUTBOX_H
#define CRM_INTEGRATIONS_MAIL_OUTBOX_H

struct app;
struct config;
struct db;
struct store;
struct mail_vars;

/* Attempts before a row is marked failed, and the waits between them (minutes). */
#define OUTBOX_MAX_ATTEMPTS 10
/* Rows sent per pass; the worker passes again at once when a pass was full. */
#define OUTBOX_BATCH 20

struct outbox_worker;

/* Renders template_name with v (domain/mail_templates.h) and inserts the mail as a pending row
 * (next_attempt_at = now, Unix ms) through st's outbox_insert on db, which must be inside the
 * caller's write transaction: the mail exists exactly when the change causing it commits.
 * user_id 0 = none. Nothing is borrowed past the call. Returns the store status (1 queued,
 * < 0 enum store_status), or ST_ERROR for an unknown template or missing variable (logged).
 * Call outbox_wake after the commit to send it without waiting for the next tick. */
int outbox_queue(struct store *st, struct db *db, const struct config *cfg, long long user_id,
		 const char *to, const char *template_name, const struct mail_vars *v,
		 long long now);

/* Starts the worker thread for app (which must outlive it: app->cfg, app->store and
 * app->metrics are used until outbox_stop). It passes over due rows every second, at once
 * after outbox_wake, and purges every ten minutes. It survives the store being unreachable,
 * logging that at most once a minute. Returns NULL (logged) if the thread cannot start.
 * Also initialises libcurl, so call it from the main thread before other threads use curl. */
struct outbox_worker *outbox_start(struct app *app);

/* Asks the worker for a pass now (cheap; callable from any thread; NULL is ignored). */
void outbox_wake(struct outbox_worker *w);

/* Stops the worker: a send in progress finishes (and is recorded), nothing new starts; joins
 * the thread and frees w. Call before closing the store. NULL is ignored. */
void outbox_stop(struct outbox_worker *w);

/* The wait after the attempts-th failed attempt (1-based): 1, 2, 4, 8, 16, 32, 60, 60, 60
 * minutes, in ms. */
long long outbox_retry_delay_ms(int attempts);

#endif
