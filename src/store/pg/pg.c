/* The PostgreSQL store: the connection pool (DB_POOL_SIZE connections made on demand, a 2 s wait
 * for a free one, reconnection after an outage), transactions, ping and pool statistics
 * (SPEC §13.7), failing fast while the server is unreachable (pg_breaker.c). DATABASE_URL is handed
 * to libpq as is, except for our own `schema` parameter, which libpq does not know: it is removed
 * and becomes each connection's search_path. */
#include "store/pg/pgs.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "log/log.h"
#include "store/pg/pg_accounts.h"
#include "store/pg/pg_contacts.h"
#include "store/pg/pg_insights.h"
#include "store/pg/pg_exports.h"
#include "store/pg/pg_notes.h"
#include "store/pg/pg_oauth.h"
#include "store/pg/pg_billing.h"
#include "store/pg/pg_impl.h"
#include "util/alloc.h"
#include "util/buf.h"

#define CONNECT_TIMEOUT_S 3
#define POOL_WAIT_S 2
#define STR_(x) #x
#define STR(x) STR_(x)

static struct pg_store *pg_of(struct store *s)
{
	return s->impl;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes n bytes of s into a new string. */
static char *pct_decode(const char *s, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			buf_putc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_putc(&b, s[i]);
		}
	}
	return buf_steal(&b);
}

/* Returns url without its `schema` query parameter (new string) and sets *schema to the
 * parameter's decoded value (new string), or NULL when absent or empty. */
static char *strip_schema(const char *url, char **schema)
{
	*schema = NULL;
	const char *q = strchr(url, '?');
	if (!q)
		return xstrdup(url);
	struct buf b = {0};
	buf_append(&b, url, (size_t)(q - url));
	char sep = '?';
	for (const char *p = q + 1; *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len >= 7 && strncmp(p, "schema=", 7) == 0) {
			free(*schema);
			*schema = len > 7 ? pct_decode(p + 7, len - 7) : NULL;
		} else if (len) {
			buf_putc(&b, sep);
			buf_append(&b, p, len);
			sep = '&';
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return buf_steal(&b);
}

/* libpq notices ("relation already exists, skipping") go to the debug log, not stderr. */
static void notice(void *arg, const PGresult *r)
{
	(void)arg;
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	log_msg(LOG_DEBUG, "postgres: %s", msg ? msg : "notice");
}

/* Logs libpq's connection error on one line. */
static void log_connect_error(PGconn *c)
{
	char *msg = xstrdup(c ? PQerrorMessage(c) : "out of memory");
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	log_msg(LOG_WARN, "postgres: cannot connect: %s", msg);
	free(msg);
}

/* (Re)makes pc's connection: connect (bounded by connect_timeout), then the search_path.
 * Returns 0 or ST_UNAVAILABLE. Called with pc reserved by this thread. */
static int conn_connect(struct pg_conn *pc)
{
	struct pg_store *ps = pc->store;
	if (pc->c)
		PQfinish(pc->c);
	pc->c = NULL;
	pc->broken = false;
	pg_names_clear(pc);
	PGconn *c = PQconnectdbParams(ps->kw, ps->val, 1);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		log_connect_error(c);
		PQfinish(c);
		pg_breaker_trip(ps, "a connection attempt failed");
		return ST_UNAVAILABLE;
	}
	PQsetNoticeReceiver(c, notice, NULL);
	pc->c = c;
	if (ps->schema) {
		char *id = PQescapeIdentifier(c, ps->schema, strlen(ps->schema));
		if (!id) {
			log_msg(LOG_ERROR, "postgres: cannot quote the schema name");
			goto fail;
		}
		char *sql = xasprintf("SET search_path TO %s", id);
		PQfreemem(id);
		int st;
		PGresult *r =
		    pg_exec_simple(pc, sql, pg_mono_ns() + CONNECT_TIMEOUT_S * 1000000000LL, &st);
		free(sql);
		PQclear(r);
		if (st < 0)
			goto fail;
	}
	return 0;
fail:
	PQfinish(pc->c);
	pc->c = NULL;
	return ST_UNAVAILABLE;
}

/* Whether an idle connection still works. An idle connection has nothing to read unless the
 * server went away (it sends a FATAL message and closes), so a readable socket is consumed to
 * find out, and a dead connection is re-made before use instead of failing the request. */
static bool conn_alive(struct pg_conn *pc)
{
	if (!pc->c || pc->broken || PQstatus(pc->c) != CONNECTION_OK)
		return false;
	struct pollfd p = {.fd = PQsocket(pc->c), .events = POLLIN};
	if (p.fd < 0)
		return false;
	/* A terminated backend's FATAL message and its EOF arrive in separate reads. */
	for (int i = 0; i < 4 && poll(&p, 1, 0) > 0; i++) {
		if (!PQconsumeInput(pc->c) || PQstatus(pc->c) != CONNECTION_OK)
			return false;
		PGnotify *n;
		while ((n = PQnotifies(pc->c)))
			PQfreemem(n);
	}
	return true;
}

/* Returns a reserved slot to the pool, dropping its connection if it is broken. */
static void give_back(struct pg_store *ps, struct pg_conn *pc)
{
	if (pc->broken && pc->c) {
		PQfinish(pc->c);
		pc->c = NULL;
		pg_names_clear(pc);
	}
	pthread_mutex_lock(&ps->mu);
	pc->in_use = false;
	ps->in_use--;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
}

static int pg_acquire(struct store *s, struct db **out)
{
	struct pg_store *ps = pg_of(s);
	if (pg_breaker_open(ps))
		return ST_UNAVAILABLE;
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += POOL_WAIT_S;
	pthread_mutex_lock(&ps->mu);
	while (ps->in_use >= ps->size) {
		int rc = pthread_cond_timedwait(&ps->cv, &ps->mu, &dl);
		if (rc == ETIMEDOUT && ps->in_use >= ps->size) {
			pthread_mutex_unlock(&ps->mu);
			log_msg(LOG_WARN, "postgres: no pooled connection free within %d s",
				POOL_WAIT_S);
			return ST_UNAVAILABLE;
		}
	}
	struct pg_conn *pick = NULL;
	for (int i = 0; i < ps->size; i++) {
		struct pg_conn *pc = &ps->conns[i];
		if (pc->in_use)
			continue;
		if (pc->c) { /* prefer a live connection over making one */
			pick = pc;
			break;
		}
		if (!pick)
			pick = pc;
	}
	pick->in_use = true;
	ps->in_use++;
	pthread_mutex_unlock(&ps->mu);
	if (!conn_alive(pick) && conn_connect(pick) < 0) {
		give_back(ps, pick);
		return ST_UNAVAILABLE;
	}
	*out = (struct db *)(void *)pick;
	return 0;
}

static void pg_rollback(struct db *db)
{
	struct pg_conn *pc = pg_conn_of(db);
	if (pc->broken || !pc->c || PQtransactionStatus(pc->c) == PQTRANS_IDLE)
		return;
	int rc = pg_run(db, "crm_rollback", "ROLLBACK", 0, NULL);
	if (rc < 0)
		pc->broken = true; /* never hand out a connection stuck in a transaction */
}

static void pg_release(struct store *s, struct db *db)
{
	struct pg_conn *pc = pg_conn_of(db);
	if (!pc->broken && pc->c) {
		PGTransactionStatusType ts = PQtransactionStatus(pc->c);
		if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
			log_msg(LOG_WARN, "postgres: connection released inside a transaction");
			pg_rollback(db);
		} else if (ts != PQTRANS_IDLE) {
			pc->broken = true;
		}
	}
	give_back(pg_of(s), pc);
}

static int pg_begin(struct db *db, bool write)
{
	/* Writes run at READ COMMITTED and serialise on the users row (SPEC §6 write order);
	 * reads get one consistent snapshot, as SQLite's read transactions do. */
	int rc = write ? pg_run(db, "crm_begin_write", "BEGIN", 0, NULL)
		       : pg_run(db, "crm_begin_read",
				"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
	return rc < 0 ? rc : 0;
}

static int pg_commit(struct db *db)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, "crm_commit", "COMMIT", 0, NULL, &rc);
	if (!r)
		return rc;
	/* COMMIT of a transaction that a failed statement aborted answers ROLLBACK, not an
	 * error: nothing was committed, so the caller must hear about it. */
	bool rolled_back = strcmp(PQcmdStatus(r), "ROLLBACK") == 0;
	PQclear(r);
	if (rolled_back) {
		log_msg(LOG_ERROR, "postgres: commit of an aborted transaction (rolled back)");
		return ST_ERROR;
	}
	return 0;
}

static int pg_ping(struct db *db, int timeout_ms)
{
	int rc;
	long long deadline = pg_mono_ns() + (timeout_ms > 0 ? timeout_ms : 1000) * 1000000LL;
	PGresult *r = pg_exec_prepared_until(db, "crm_ping", "SELECT 1", 0, NULL, deadline, &rc);
	PQclear(r);
	return r ? 1 : rc;
}

static void pg_pool_stats(struct store *s, struct store_pool_stats *out)
{
	struct pg_store *ps = pg_of(s);
	pthread_mutex_lock(&ps->mu);
	out->in_use = ps->in_use;
	out->idle = 0;
	for (int i = 0; i < ps->size; i++)
		if (!ps->conns[i].in_use && ps->conns[i].c)
			out->idle++;
	pthread_mutex_unlock(&ps->mu);
}

/* Closes every connection. The threads that used the store must be done with it. */
static void pg_close(struct store *s)
{
	struct pg_store *ps = pg_of(s);
	pg_breaker_stop(ps);
	for (int i = 0; i < ps->size; i++) {
		PQfinish(ps->conns[i].c);
		pg_names_clear(&ps->conns[i]);
	}
	free(ps->conns);
	pthread_cond_destroy(&ps->cv);
	pthread_mutex_destroy(&ps->mu);
	free(ps->url);
	free(ps->options);
	free(ps->schema);
	free(ps);
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .page_one_statement = true,
    .close = pg_close,
    .acquire = pg_acquire,
    .release = pg_release,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .ping = pg_ping,
    .pool_stats = pg_pool_stats,
    .migrations = pg_migrations_list,
    .migrate = pg_migrate,
    .users_lock = pg_users_lock,
    .users_write_time = pg_users_write_time,
    .users_insert = pg_users_insert,
    .users_select = pg_users_select,
    .users_select_by_email_key = pg_users_select_by_email_key,
    .users_select_by_username_key = pg_users_select_by_username_key,
    .users_update = pg_users_update,
    .users_delete = pg_users_delete,
    .sessions_insert = pg_sessions_insert,
    .sessions_select = pg_sessions_select,
    .sessions_select_live = pg_sessions_select_live,
    .sessions_touch = pg_sessions_touch,
    .sessions_revoke = pg_sessions_revoke,
    .sessions_revoke_all = pg_sessions_revoke_all,
    .sessions_trim = pg_sessions_trim,
    .auth_lookup = pg_auth_lookup,
    .auth_lookup_contact = pg_auth_lookup_contact,
    .auth_lookup_page = pg_auth_lookup_page,
    .refresh_insert = pg_refresh_insert,
    .refresh_consume = pg_refresh_consume,
    .refresh_select = pg_refresh_select,
    .email_tokens_insert = pg_email_tokens_insert,
    .email_tokens_select = pg_email_tokens_select,
    .email_tokens_use = pg_email_tokens_use,
    .email_tokens_invalidate = pg_email_tokens_invalidate,
    .login_failures_insert = pg_login_failures_insert,
    .login_failures_window = pg_login_failures_window,
    .login_failures_clear = pg_login_failures_clear,
    .login_failures_purge = pg_login_failures_purge,
    .audit_insert = pg_audit_insert,
    .outbox_insert = pg_outbox_insert,
    .outbox_count_recent = pg_outbox_count_recent,
    .outbox_select_due = pg_outbox_select_due,
    .outbox_claim = pg_outbox_claim,
    .outbox_mark_sent = pg_outbox_mark_sent,
    .outbox_mark_retry = pg_outbox_mark_retry,
    .outbox_purge = pg_outbox_purge,
    .outbox_pending = pg_outbox_pending,
    .contacts_exists = pg_contacts_exists,
    .contacts_touch = pg_contacts_touch,
    .contacts_count = pg_contacts_count,
    .contacts_insert = pg_contacts_insert,
    .contacts_update = pg_contacts_update,
    .contacts_select = pg_contacts_select,
    .contacts_select_with_tags = pg_contacts_select_with_tags,
    .contacts_select_by_email_key = pg_contacts_select_by_email_key,
    .contacts_owned = pg_contacts_owned,
    .contacts_delete = pg_contacts_delete,
    .contacts_select_page = pg_contacts_select_page,
    .contacts_count_matching = pg_contacts_count_matching,
    .tombstones_select_page = pg_tombstones_select_page,
    .tombstones_count = pg_tombstones_count,
    .tombstones_purge = pg_tombstones_purge,
    .tags_select_by_keys = pg_tags_select_by_keys,
    .tags_insert = pg_tags_insert,
    .tags_count = pg_tags_count,
    .tags_select = pg_tags_select,
    .tags_select_page = pg_tags_select_page,
    .tags_count_matching = pg_tags_count_matching,
    .tags_update = pg_tags_update,
    .tags_delete = pg_tags_delete,
    .contact_tags_select = pg_contact_tags_select,
    .contact_tags_insert = pg_contact_tags_insert,
    .contact_tags_delete = pg_contact_tags_delete,
    .relationships_select = pg_relationships_select,
    .relationships_select_one = pg_relationships_select_one,
    .relationships_count = pg_relationships_count,
    .relationships_exists = pg_relationships_exists,
    .relationships_insert_pair = pg_relationships_insert_pair,
    .relationships_delete = pg_relationships_delete,
    .search_terms_replace = pg_search_terms_replace,
    .search_note_texts = pg_search_note_texts,
    .notes_insert = pg_notes_insert,
    .notes_select = pg_notes_select,
    .notes_select_by_title = pg_notes_select_by_title,
    .notes_update = pg_notes_update,
    .notes_delete = pg_notes_delete,
    .notes_select_many = pg_notes_select_many,
    .notes_count = pg_notes_count,
    .notes_at_cap = pg_notes_at_cap,
    .interactions_insert = pg_interactions_insert,
    .interactions_select = pg_interactions_select,
    .interactions_update = pg_interactions_update,
    .interactions_delete = pg_interactions_delete,
    .interactions_select_many = pg_interactions_select_many,
    .interactions_count = pg_interactions_count,
    .interactions_at_cap = pg_interactions_at_cap,
    .contacts_recompute_last_contacted = pg_contacts_recompute_last_contacted,
    .oauth_accounts_insert = pg_oauth_accounts_insert,
    .oauth_accounts_select = pg_oauth_accounts_select,
    .oauth_accounts_select_by_user = pg_oauth_accounts_select_by_user,
    .oauth_accounts_select_many = pg_oauth_accounts_select_many,
    .oauth_accounts_delete = pg_oauth_accounts_delete,
    .oauth_accounts_touch = pg_oauth_accounts_touch,
    .subscriptions_select = pg_subscriptions_select,
    .subscriptions_select_by_customer = pg_subscriptions_select_by_customer,
    .subscriptions_set_customer = pg_subscriptions_set_customer,
    .subscriptions_store_state = pg_subscriptions_store_state,
    .stripe_events_select = pg_stripe_events_select,
    .stripe_events_insert = pg_stripe_events_insert,
    .outbox_insert_dedupe = pg_outbox_insert_dedupe,
    .insights_overview = pg_insights_overview,
    .insights_recently_contacted = pg_insights_recently_contacted,
    .insights_stale_page = pg_insights_stale_page,
    .insights_stale_count = pg_insights_stale_count,
    .insights_most_interacted = pg_insights_most_interacted,
    .insights_most_floor = pg_insights_most_floor,
    .insights_most_interacted_floor = pg_insights_most_interacted_floor,
    .insights_summary = pg_insights_summary,
    .insights_summary_types = pg_insights_summary_types,
    .insights_trend = pg_insights_trend,
    .insights_trend_days = pg_insights_trend_days,
    .insights_tags = pg_insights_tags,
    .export_contacts = pg_export_contacts,
    .export_contact_tags = pg_export_contact_tags,
    .export_relationships = pg_export_relationships,
    .export_tags = pg_export_tags,
    .export_notes = pg_export_notes,
    .export_interactions = pg_export_interactions,
    .export_security_events = pg_export_security_events,
};

struct store *pg_store_open(const struct config *cfg)
{
	char *schema;
	char *url = strip_schema(cfg->database_url, &schema);
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &err);
	if (!opts) {
		/* libpq's message may quote parts of the URL, password included: not logged. */
		log_msg(LOG_ERROR, "postgres: DATABASE_URL is not a valid PostgreSQL URI");
		PQfreemem(err);
		free(url);
		free(schema);
		return NULL;
	}
	const char *url_options = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val && o->val[0])
			url_options = o->val;

	struct pg_store *ps = xcalloc(1, sizeof *ps);
	ps->url = url;
	ps->schema = schema;
	ps->timeout_ms = cfg->db_statement_timeout_ms > 0 ? cfg->db_statement_timeout_ms : 0;
	struct buf ob = {0};
	/* Request statements run many at a time: a parallel plan would start worker processes for
	 * each of them (a search under 64 connections went from 100 ms to 1.1 s at p99). The
	 * insights, read one at a time, ask for workers again (pg_insights.c). First, so that the
	 * URL's own options can override it. */
	buf_puts(&ob, "-c max_parallel_workers_per_gather=0 ");
	if (url_options)
		buf_printf(&ob, "%s ", url_options);
	if (ps->timeout_ms)
		buf_printf(&ob, "-c statement_timeout=%d", ps->timeout_ms);
	ps->options = buf_steal(&ob);
	PQconninfoFree(opts);

	/* Order matters with expand_dbname: later entries override the URL's, earlier ones
	 * are defaults it may override. */
	int k = 0;
	ps->kw[k] = "fallback_application_name", ps->val[k++] = "crm";
	ps->kw[k] = "dbname", ps->val[k++] = ps->url;
	ps->kw[k] = "connect_timeout", ps->val[k++] = STR(CONNECT_TIMEOUT_S);
	ps->kw[k] = "client_encoding", ps->val[k++] = "UTF8";
	if (ps->options[0])
		ps->kw[k] = "options", ps->val[k++] = ps->options;
	ps->kw[k] = NULL, ps->val[k] = NULL;

	ps->size = cfg->db_pool_size > 0 ? cfg->db_pool_size
					 : (cfg->worker_threads > 0 ? cfg->worker_threads : 4);
	ps->conns = xcalloc((size_t)ps->size, sizeof *ps->conns);
	for (int i = 0; i < ps->size; i++)
		ps->conns[i].store = ps;
	pthread_mutex_init(&ps->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ps->cv, &ca);
	pthread_condattr_destroy(&ca);
	pg_breaker_init(ps);
	ps->base.ops = &pg_ops;
	ps->base.impl = ps;
	return &ps->base;
}
