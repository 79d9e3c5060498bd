/* The outbox worker and queueing (see outbox.h). One thread; each pass selects due rows with a
 * short transaction, delivers them one by one without holding a store connection (an SMTP
 * exchange can take 30 s; a pooled connection should not wait on it), and records each result
 * in its own short transaction right after the delivery. Every node sharing a PostgreSQL store
 * runs this worker: a row is delivered only after the worker has claimed it (a conditional
 * update that one worker wins), so two nodes never send the same mail. */
#include "integrations/mail/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "config/config.h"
#include "domain/mail_templates.h"
#include "integrations/mail/mail_metrics.h"
#include "integrations/mail/mime.h"
#include "integrations/mail/smtp.h"
#include "log/log.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/timefmt.h"

#define PURGE_INTERVAL_S 600.0
#define DOWN_LOG_INTERVAL_S 60.0
#define SENT_RETENTION_MS (7LL * 24 * 3600 * 1000)
#define MARK_TRIES 3
/* A claimed row is due again after this long: far more than one delivery (an SMTP exchange is
 * bounded to about 30 s), so that a row is retried only when the worker holding it died. */
#define CLAIM_MS (5LL * 60 * 1000)

struct outbox_worker {
	struct app *app;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	bool stop, wake;   /* under mu */
	double next_purge; /* monotonic seconds */
	double last_down_log;
	bool down; /* the last store call failed */
};

static const int backoff_minutes[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};

long long outbox_retry_delay_ms(int attempts)
{
	int n = (int)(sizeof backoff_minutes / sizeof backoff_minutes[0]);
	int i = attempts < 1 ? 0 : attempts > n ? n - 1 : attempts - 1;
	return backoff_minutes[i] * 60LL * 1000;
}

int outbox_queue(struct store *st, struct db *db, const struct config *cfg, long long user_id,
		 const char *to, const char *template_name, const struct mail_vars *v,
		 long long now)
{
	char *subject, *text, *html;
	if (!mail_render(cfg, template_name, v, &subject, &text, &html)) {
		log_line(LOG_ERROR, NULL, "mail not queued: template cannot be rendered",
			 "template", template_name, (const char *)NULL);
		return ST_ERROR;
	}
	struct outbox_new m = {user_id, to, template_name, subject, text, html};
	int rc = st->ops->outbox_insert(db, &m, now, NULL);
	/* The bodies may hold a token in clear: leave no copy in freed memory. */
	explicit_bzero(text, strlen(text));
	explicit_bzero(html, strlen(html));
	free(subject);
	free(text);
	free(html);
	return rc;
}

/* ---- store access, each call its own short transaction ---- */

/* The store calls need the ops table; the transaction callbacks get it through their ctx. */
struct op_ctx {
	const struct store_ops *ops;
	long long id, now, next;
	const char *error, *template_name;
	bool failed, erase;
	struct outbox_row *rows;
	int count;
};

static int tx_select_due(struct db *db, void *arg)
{
	struct op_ctx *c = arg;
	return c->ops->outbox_select_due(db, c->now, OUTBOX_BATCH, &c->rows);
}

static int tx_claim(struct db *db, void *arg)
{
	struct op_ctx *c = arg;
	return c->ops->outbox_claim(db, c->id, c->now, c->next);
}

static int tx_mark_sent(struct db *db, void *arg)
{
	struct op_ctx *c = arg;
	return c->ops->outbox_mark_sent(db, c->id, c->now, c->erase);
}

static int tx_mark_retry(struct db *db, void *arg)
{
	struct op_ctx *c = arg;
	return c->ops->outbox_mark_retry(db, c->id, c->next, c->error, c->failed, c->erase);
}

static int tx_pending(struct db *db, void *arg)
{
	struct op_ctx *c = arg;
	int rc = c->ops->outbox_pending(db, &c->count);
	return rc < 0 ? rc : 1;
}

/* Erases token bodies past their lifetime and deletes old sent rows, template by template
 * (before = 0 for templates without token: nothing of theirs is erased). */
static int tx_purge(struct db *db, void *arg)
{
	struct op_ctx *c = arg;
	int total = 0;
	const char *t;
	for (size_t i = 0; (t = mail_template_name(i)) != NULL; i++) {
		long long life = mail_template_token_lifetime_ms(t);
		int rc = c->ops->outbox_purge(db, t, life ? c->now - life : 0,
					      c->now - SENT_RETENTION_MS);
		if (rc < 0)
			return rc;
		total += rc;
	}
	return total;
}

/* Notes a failed store call: logged when the store first goes down and then at most once a
 * minute, so an outage does not flood the log. */
static void store_problem(struct outbox_worker *w, const char *what, int rc)
{
	double t = mono_seconds();
	if (!w->down || t - w->last_down_log >= DOWN_LOG_INTERVAL_S) {
		char code[16];
		snprintf(code, sizeof code, "%d", rc);
		log_line(LOG_WARN, NULL, "outbox: store call failed; will keep trying", "step",
			 what, "status", code, (const char *)NULL);
		w->last_down_log = t;
	}
	w->down = true;
}

static void store_ok(struct outbox_worker *w)
{
	if (w->down)
		log_line(LOG_INFO, NULL, "outbox: store reachable again", (const char *)NULL);
	w->down = false;
}

static bool stopping(struct outbox_worker *w)
{
	pthread_mutex_lock(&w->mu);
	bool s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* ---- delivery ---- */

/* Space-separated http(s) links of a text body (caller frees), for the development log. */
static char *links_of(const char *text)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (const char *p = text; p && *p;) {
		const char *h = strstr(p, "http");
		if (!h)
			break;
		if (strncmp(h, "http://", 7) == 0 || strncmp(h, "https://", 8) == 0) {
			size_t n = strcspn(h, " \t\r\n<>\"'");
			if (b.len)
				buf_putc(&b, ' ');
			buf_append(&b, h, n);
			p = h + n;
		} else {
			p = h + 4;
		}
	}
	return buf_steal(&b);
}

/* Writes msg to DATA_DIR/outbox/<UTC timestamp>-<id>.eml (directory 0700, file 0600) through
 * a temporary name and rename, so a reader never sees half a file. *name is set to the file
 * name (caller frees). */
static bool write_file(const struct config *cfg, const struct outbox_row *row, const char *msg,
		       char **name, char **error)
{
	char *dir = xasprintf("%s/outbox", cfg->data_dir ? cfg->data_dir : ".");
	long long t = now_ms();
	time_t secs = (time_t)(t / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	*name = xasprintf("%s.%03lldZ-%lld.eml", stamp, t % 1000, row->id);
	char *path = xasprintf("%s/%s", dir, *name);
	char *tmp = xasprintf("%s/.%s.tmp", dir, *name);
	bool ok = false;
	int fd = -1;
	if (config_mkdir_p(dir, 0700) != 0) {
		*error = xasprintf("cannot create the outbox directory: %s", strerror(errno));
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*error = xasprintf("cannot create the outbox file: %s", strerror(errno));
		goto out;
	}
	size_t len = strlen(msg), off = 0;
	while (off < len) {
		ssize_t n = write(fd, msg + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error = xasprintf("cannot write the outbox file: %s", strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		*error = xasprintf("cannot write the outbox file: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		*error = xasprintf("cannot rename the outbox file: %s", strerror(errno));
		goto out;
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (!ok)
		unlink(tmp);
	free(tmp);
	free(path);
	free(dir);
	return ok;
}

/* Records the outcome of one delivery. A sent row is retried a few times: until it is marked,
 * the mail would go out again (at least once, not twice if it can be helped). */
static void record(struct outbox_worker *w, const struct outbox_row *row, bool ok,
		   const char *error)
{
	struct app *app = w->app;
	char id[24], attempt[16];
	snprintf(id, sizeof id, "%lld", row->id);
	bool token = mail_template_has_token(row->template_name);
	struct op_ctx c = {.ops = app->store->ops, .id = row->id, .now = now_ms()};
	if (ok) {
		c.erase = token;
		int rc = ST_ERROR;
		for (int i = 0; i < MARK_TRIES; i++) {
			rc = store_tx(app->store, true, tx_mark_sent, &c);
			if (rc >= 0)
				break;
			struct timespec ts = {0, 300 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		metrics_email(app->metrics, row->template_name, "sent");
		if (rc < 0) {
			store_problem(w, "mark_sent", rc);
			log_line(LOG_ERROR, NULL,
				 "outbox: mail delivered but not marked sent; it may "
				 "be delivered again",
				 "outboxId", id, (const char *)NULL);
		}
		return;
	}
	int attempts = row->attempts + 1;
	c.failed = attempts >= OUTBOX_MAX_ATTEMPTS;
	c.erase = c.failed && token;
	c.next = c.now + outbox_retry_delay_ms(attempts);
	c.error = error ? error : "unknown error";
	int rc = store_tx(app->store, true, tx_mark_retry, &c);
	if (rc < 0)
		store_problem(w, "mark_retry", rc);
	metrics_email(app->metrics, row->template_name, c.failed ? "failed" : "retry");
	snprintf(attempt, sizeof attempt, "%d", attempts);
	log_line(c.failed ? LOG_ERROR : LOG_WARN, NULL,
		 c.failed ? "outbox: mail failed for good"
			  : "outbox: mail delivery failed; will retry",
		 "outboxId", id, "template", row->template_name, "attempt", attempt, "error",
		 c.error, (const char *)NULL);
}

static void deliver(struct outbox_worker *w, const struct outbox_row *row)
{
	const struct config *cfg = w->app->cfg;
	if (!row->body_text && !row->body_html) {
		/* Its token outlived the row's bodies (purged): nothing left worth sending. */
		struct outbox_row last = *row;
		last.attempts = OUTBOX_MAX_ATTEMPTS - 1;
		record(w, &last, false, "bodies erased after the token expired");
		return;
	}
	struct mime_mail m = {cfg->mail_from, row->to_address, row->subject,
			      row->body_text, row->body_html,  0};
	char *msg = mime_build(&m);
	char *error = NULL, *file = NULL;
	bool ok;
	if (cfg->smtp_url && cfg->smtp_url[0]) {
		ok = smtp_send(cfg, row->to_address, msg, &error);
	} else {
		ok = write_file(cfg, row, msg, &file, &error);
		if (ok) {
			char *links = cfg->env == ENV_DEVELOPMENT ? links_of(row->body_text) : NULL;
			log_line(LOG_INFO, NULL, "mail written to the file outbox", "to",
				 row->to_address, "template", row->template_name, "file", file,
				 links ? "links" : NULL, links, (const char *)NULL);
			free(links);
		}
	}
	explicit_bzero(msg, strlen(msg));
	free(msg);
	free(file);
	record(w, row, ok, error);
	free(error);
}

/* One pass: deliver what is due, purge when it is time, refresh the gauge. Returns true when
 * the batch was full (more may be due at once). */
static bool pass(struct outbox_worker *w)
{
	struct app *app = w->app;
	struct op_ctx c = {.ops = app->store->ops, .now = now_ms()};
	int n = store_tx(app->store, false, tx_select_due, &c);
	if (n < 0) {
		store_problem(w, "select_due", n);
		return false;
	}
	store_ok(w);
	int done = 0;
	for (int i = 0; i < n; i++) {
		if (!stopping(w)) {
			/* Every node runs a worker on the shared outbox: a row is delivered only by
			 * the worker that claims it. */
			struct op_ctx k = {.ops = app->store->ops, .id = c.rows[i].id, .now = now_ms()};
			k.next = k.now + CLAIM_MS;
			int rc = store_tx(app->store, true, tx_claim, &k);
			if (rc < 0)
				store_problem(w, "claim", rc);
			else if (rc > 0)
				deliver(w, &c.rows[i]);
			done++;
		}
		outbox_row_free(&c.rows[i]);
	}
	free(c.rows);

	double t = mono_seconds();
	if (t >= w->next_purge && !stopping(w)) {
		struct op_ctx p = {.ops = app->store->ops, .now = now_ms()};
		int rc = store_tx(app->store, true, tx_purge, &p);
		if (rc < 0)
			store_problem(w, "purge", rc);
		else
			w->next_purge = t + PURGE_INTERVAL_S;
	}
	struct op_ctx g = {.ops = app->store->ops};
	if (store_tx(app->store, false, tx_pending, &g) >= 0)
		mail_metrics_set_pending(g.count);
	return done == OUTBOX_BATCH;
}

static void *run(void *arg)
{
	struct outbox_worker *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		bool stop = w->stop;
		w->wake = false;
		pthread_mutex_unlock(&w->mu);
		if (stop)
			break;
		bool more = pass(w);
		pthread_mutex_lock(&w->mu);
		if (!w->stop && !w->wake && !more) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&w->cv, &w->mu, &until);
		}
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

struct outbox_worker *outbox_start(struct app *app)
{
	smtp_global_init();
	struct outbox_worker *w = xcalloc(1, sizeof *w);
	w->app = app;
	w->next_purge = mono_seconds(); /* the first pass purges */
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &attr);
	pthread_condattr_destroy(&attr);
	int rc = pthread_create(&w->thread, NULL, run, w);
	if (rc != 0) {
		log_msg(LOG_ERROR, "outbox: cannot start the worker thread: %s", strerror(rc));
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	log_line(LOG_INFO, NULL, "outbox worker started", "transport",
		 app->cfg->smtp_url ? "smtp" : "file", (const char *)NULL);
	return w;
}

void outbox_wake(struct outbox_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->wake = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void outbox_stop(struct outbox_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
