/* The SQLite store: opening the database file, one connection per thread (opened lazily, all
 * closed with the store), transactions, ping and pool statistics. WAL mode lets readers run
 * beside the single writer; BEGIN IMMEDIATE takes the write lock up front so a write
 * transaction never fails half-way on lock upgrade; synchronous=FULL makes a commit durable
 * before it is acknowledged (SPEC §13.7). */
#include "store/sqlite/sq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "log/log.h"
#include "store/sqlite/sq_accounts.h"
#include "store/sqlite/sq_contacts.h"
#include "store/sqlite/sq_insights.h"
#include "store/sqlite/sq_exports.h"
#include "store/sqlite/sq_notes.h"
#include "store/sqlite/sq_oauth.h"
#include "store/sqlite/sq_billing.h"
#include "store/sqlite/sq_impl.h"
#include "util/alloc.h"

#define BUSY_TIMEOUT_MS 5000

static struct sq_store *sq_of(struct store *s)
{
	return s->impl;
}

/* Creates dir and its parents (mode 0700) where missing. Returns 0 or -1 (errno set). */
static int make_dirs(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *q = p + 1; rc == 0; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* Creates the database file's directory and the file itself with owner-only permissions
 * (SQLite gives the -wal and -shm files the same mode). */
static int prepare_path(const char *path)
{
	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return 0;
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		int rc = make_dirs(dir);
		if (rc != 0)
			log_msg(LOG_ERROR, "sqlite: cannot create directory %s: %s", dir,
				strerror(errno));
		free(dir);
		if (rc != 0)
			return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_msg(LOG_ERROR, "sqlite: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Interrupts a statement that runs past its deadline (SQLITE_INTERRUPT -> ST_TIMEOUT). */
static int progress(void *arg)
{
	struct sq_conn *c = arg;
	return c->deadline_ns && sq_mono_ns() > c->deadline_ns;
}

/* Runs a pragma and returns its first column as a new string (or NULL). */
static char *pragma_text(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void conn_close(struct sq_conn *c)
{
	sq_cache_free(c);
	sqlite3_close_v2(c->h);
	free(c);
}

/* Opens a connection configured as SPEC §13.7 requires and links it into the store. */
static struct sq_conn *conn_open(struct sq_store *s)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(
	    s->path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, "sqlite: cannot open %s: %s", s->path,
			h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close_v2(h);
		return NULL;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
	char *mode = pragma_text(h, "PRAGMA journal_mode=WAL");
	bool wal = mode && strcmp(mode, "wal") == 0;
	if (!wal && strcmp(s->path, ":memory:") != 0)
		log_msg(LOG_WARN, "sqlite: journal_mode is %s, not wal", mode ? mode : "unknown");
	free(mode);
	rc = sqlite3_exec(h, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", NULL, NULL, NULL);
	char *fk = pragma_text(h, "PRAGMA foreign_keys");
	bool fk_on = fk && strcmp(fk, "1") == 0;
	free(fk);
	if (rc != SQLITE_OK || !fk_on) {
		log_msg(LOG_ERROR, "sqlite: cannot configure %s: %s", s->path, sqlite3_errmsg(h));
		sqlite3_close_v2(h);
		return NULL;
	}
	struct sq_conn *c = xcalloc(1, sizeof *c);
	c->h = h;
	c->store = s;
	c->timeout_ms = s->timeout_ms;
	sqlite3_progress_handler(h, 1000, progress, c);
	pthread_mutex_lock(&s->mu);
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add(&s->nconns, 1);
	return c;
}

/* Thread exit: the thread's connection goes with it. */
static void conn_destroy(void *arg)
{
	struct sq_conn *c = arg;
	struct sq_store *s = c->store;
	pthread_mutex_lock(&s->mu);
	for (struct sq_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&s->nconns, 1);
	conn_close(c);
}

static int sq_acquire(struct store *st, struct db **out)
{
	struct sq_store *s = sq_of(st);
	struct sq_conn *c = pthread_getspecific(s->key);
	if (!c) {
		c = conn_open(s);
		if (!c)
			return ST_UNAVAILABLE;
		pthread_setspecific(s->key, c);
	}
	if (c->depth++ == 0)
		atomic_fetch_add(&s->in_use, 1);
	*out = (struct db *)(void *)c;
	return 0;
}

static void sq_release(struct store *st, struct db *db)
{
	struct sq_conn *c = sq_conn_of(db);
	if (--c->depth > 0)
		return;
	sq_reset_busy(c);
	if (!sqlite3_get_autocommit(c->h)) {
		log_msg(LOG_WARN, "sqlite: connection released inside a transaction; rolled back");
		sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
	}
	c->read_tx = false;
	atomic_fetch_sub(&sq_of(st)->in_use, 1);
}

/* Takes the store's write_mu for a write transaction, waiting at most the statement timeout.
 * 0, or ST_TIMEOUT. */
static int write_lock(struct sq_conn *c)
{
	int rc;
	if (c->timeout_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long long ns = ts.tv_nsec + (long long)c->timeout_ms * 1000000LL;
		ts.tv_sec += (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		rc = pthread_mutex_timedlock(&c->store->write_mu, &ts);
	} else {
		rc = pthread_mutex_lock(&c->store->write_mu);
	}
	if (rc != 0) {
		log_msg(LOG_WARN, "sqlite: no write turn within %d ms", c->timeout_ms);
		return ST_TIMEOUT;
	}
	c->writing = true;
	return 0;
}

static void write_unlock(struct sq_conn *c)
{
	if (c->writing) {
		c->writing = false;
		pthread_mutex_unlock(&c->store->write_mu);
	}
}

static int sq_begin(struct db *db, bool write)
{
	struct sq_conn *c = sq_conn_of(db);
	if (write && write_lock(c) < 0)
		return ST_TIMEOUT;
	sqlite3_stmt *st = sq_prepare(db, write ? "BEGIN IMMEDIATE" : "BEGIN");
	int rc = st ? sq_step(db, st) : ST_ERROR;
	if (rc < 0) {
		write_unlock(c);
		return rc;
	}
	c->read_tx = !write;
	return 0;
}

static void sq_rollback(struct db *db)
{
	struct sq_conn *c = sq_conn_of(db);
	c->read_tx = false;
	sq_reset_busy(c);
	/* An interrupted or failed statement may already have ended the transaction. */
	if (!sqlite3_get_autocommit(c->h)) {
		sqlite3_stmt *st = sq_prepare(db, "ROLLBACK");
		if (!st || sq_step(db, st) < 0)
			log_msg(LOG_ERROR, "sqlite: rollback failed");
	}
	write_unlock(c);
}

static int sq_commit(struct db *db)
{
	struct sq_conn *c = sq_conn_of(db);
	c->read_tx = false;
	sq_reset_busy(c);
	if (sqlite3_get_autocommit(c->h)) {
		/* SQLite ended the transaction itself (e.g. an interrupted write): nothing of it
		 * is committed, so the caller must not think otherwise. */
		log_msg(LOG_ERROR, "sqlite: commit without an open transaction");
		write_unlock(c);
		return ST_ERROR;
	}
	sqlite3_stmt *st = sq_prepare(db, "COMMIT");
	int rc = st ? sq_step(db, st) : ST_ERROR;
	if (rc < 0)
		sq_rollback(db); /* a failed COMMIT (e.g. deferred FK) leaves it open */
	write_unlock(c);
	return rc < 0 ? rc : 0;
}

static int sq_ping(struct db *db, int timeout_ms)
{
	struct sq_conn *c = sq_conn_of(db);
	sqlite3_stmt *st = sq_prepare(db, "SELECT 1");
	if (!st)
		return ST_ERROR;
	if (timeout_ms > 0)
		c->deadline_ns = sq_mono_ns() + timeout_ms * 1000000LL;
	int rc = sq_step(db, st);
	if (rc > 0)
		sqlite3_reset(st);
	return rc > 0 ? 1 : rc < 0 ? rc : ST_ERROR;
}

static void sq_pool_stats(struct store *st, struct store_pool_stats *out)
{
	struct sq_store *s = sq_of(st);
	out->in_use = atomic_load(&s->in_use);
	out->idle = atomic_load(&s->nconns) - out->in_use;
	if (out->idle < 0)
		out->idle = 0;
}

/* Closes every connection. The threads that used the store must be done with it. */
static void sq_close(struct store *st)
{
	struct sq_store *s = sq_of(st);
	pthread_setspecific(s->key, NULL);
	pthread_mutex_lock(&s->mu);
	struct sq_conn *c = s->conns;
	s->conns = NULL;
	pthread_mutex_unlock(&s->mu);
	while (c) {
		struct sq_conn *next = c->next;
		conn_close(c);
		c = next;
	}
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->write_mu);
	free(s->path);
	free(s);
}

static const struct store_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .acquire = sq_acquire,
    .release = sq_release,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .ping = sq_ping,
    .pool_stats = sq_pool_stats,
    .migrations = sq_migrations_list,
    .migrate = sq_migrate,
    .users_lock = sq_users_lock,
    .users_write_time = sq_users_write_time,
    .users_insert = sq_users_insert,
    .users_select = sq_users_select,
    .users_select_by_email_key = sq_users_select_by_email_key,
    .users_select_by_username_key = sq_users_select_by_username_key,
    .users_update = sq_users_update,
    .users_delete = sq_users_delete,
    .sessions_insert = sq_sessions_insert,
    .sessions_select = sq_sessions_select,
    .sessions_select_live = sq_sessions_select_live,
    .sessions_touch = sq_sessions_touch,
    .sessions_revoke = sq_sessions_revoke,
    .sessions_revoke_all = sq_sessions_revoke_all,
    .sessions_trim = sq_sessions_trim,
    .auth_lookup = sq_auth_lookup,
    .auth_lookup_contact = sq_auth_lookup_contact,
    .refresh_insert = sq_refresh_insert,
    .refresh_consume = sq_refresh_consume,
    .refresh_select = sq_refresh_select,
    .email_tokens_insert = sq_email_tokens_insert,
    .email_tokens_select = sq_email_tokens_select,
    .email_tokens_use = sq_email_tokens_use,
    .email_tokens_invalidate = sq_email_tokens_invalidate,
    .login_failures_insert = sq_login_failures_insert,
    .login_failures_window = sq_login_failures_window,
    .login_failures_clear = sq_login_failures_clear,
    .login_failures_purge = sq_login_failures_purge,
    .audit_insert = sq_audit_insert,
    .outbox_insert = sq_outbox_insert,
    .outbox_count_recent = sq_outbox_count_recent,
    .outbox_select_due = sq_outbox_select_due,
    .outbox_claim = sq_outbox_claim,
    .outbox_mark_sent = sq_outbox_mark_sent,
    .outbox_mark_retry = sq_outbox_mark_retry,
    .outbox_purge = sq_outbox_purge,
    .outbox_pending = sq_outbox_pending,
    .contacts_exists = sq_contacts_exists,
    .contacts_touch = sq_contacts_touch,
    .contacts_count = sq_contacts_count,
    .contacts_insert = sq_contacts_insert,
    .contacts_update = sq_contacts_update,
    .contacts_select = sq_contacts_select,
    .contacts_select_with_tags = sq_contacts_select_with_tags,
    .contacts_select_by_email_key = sq_contacts_select_by_email_key,
    .contacts_owned = sq_contacts_owned,
    .contacts_delete = sq_contacts_delete,
    .contacts_select_page = sq_contacts_select_page,
    .contacts_count_matching = sq_contacts_count_matching,
    .tombstones_select_page = sq_tombstones_select_page,
    .tombstones_count = sq_tombstones_count,
    .tombstones_purge = sq_tombstones_purge,
    .tags_select_by_keys = sq_tags_select_by_keys,
    .tags_insert = sq_tags_insert,
    .tags_count = sq_tags_count,
    .tags_select = sq_tags_select,
    .tags_select_page = sq_tags_select_page,
    .tags_count_matching = sq_tags_count_matching,
    .tags_update = sq_tags_update,
    .tags_delete = sq_tags_delete,
    .contact_tags_select = sq_contact_tags_select,
    .contact_tags_insert = sq_contact_tags_insert,
    .contact_tags_delete = sq_contact_tags_delete,
    .relationships_select = sq_relationships_select,
    .relationships_select_one = sq_relationships_select_one,
    .relationships_count = sq_relationships_count,
    .relationships_exists = sq_relationships_exists,
    .relationships_insert_pair = sq_relationships_insert_pair,
    .relationships_delete = sq_relationships_delete,
    .search_terms_replace = sq_search_terms_replace,
    .search_note_texts = sq_search_note_texts,
    .notes_insert = sq_notes_insert,
    .notes_select = sq_notes_select,
    .notes_select_by_title = sq_notes_select_by_title,
    .notes_update = sq_notes_update,
    .notes_delete = sq_notes_delete,
    .notes_select_many = sq_notes_select_many,
    .notes_count = sq_notes_count,
    .notes_at_cap = sq_notes_at_cap,
    .interactions_insert = sq_interactions_insert,
    .interactions_select = sq_interactions_select,
    .interactions_update = sq_interactions_update,
    .interactions_delete = sq_interactions_delete,
    .interactions_select_many = sq_interactions_select_many,
    .interactions_count = sq_interactions_count,
    .interactions_at_cap = sq_interactions_at_cap,
    .contacts_recompute_last_contacted = sq_contacts_recompute_last_contacted,
    .oauth_accounts_insert = sq_oauth_accounts_insert,
    .oauth_accounts_select = sq_oauth_accounts_select,
    .oauth_accounts_select_by_user = sq_oauth_accounts_select_by_user,
    .oauth_accounts_select_many = sq_oauth_accounts_select_many,
    .oauth_accounts_delete = sq_oauth_accounts_delete,
    .oauth_accounts_touch = sq_oauth_accounts_touch,
    .subscriptions_select = sq_subscriptions_select,
    .subscriptions_select_by_customer = sq_subscriptions_select_by_customer,
    .subscriptions_set_customer = sq_subscriptions_set_customer,
    .subscriptions_store_state = sq_subscriptions_store_state,
    .stripe_events_select = sq_stripe_events_select,
    .stripe_events_insert = sq_stripe_events_insert,
    .outbox_insert_dedupe = sq_outbox_insert_dedupe,
    .insights_overview = sq_insights_overview,
    .insights_recently_contacted = sq_insights_recently_contacted,
    .insights_stale_page = sq_insights_stale_page,
    .insights_stale_count = sq_insights_stale_count,
    .insights_most_interacted = sq_insights_most_interacted,
    .insights_most_floor = sq_insights_most_floor,
    .insights_most_interacted_floor = sq_insights_most_interacted_floor,
    .insights_summary = sq_insights_summary,
    .insights_summary_types = sq_insights_summary_types,
    .insights_trend = sq_insights_trend,
    .insights_trend_days = sq_insights_trend_days,
    .insights_tags = sq_insights_tags,
    .export_contacts = sq_export_contacts,
    .export_contact_tags = sq_export_contact_tags,
    .export_relationships = sq_export_relationships,
    .export_tags = sq_export_tags,
    .export_notes = sq_export_notes,
    .export_interactions = sq_export_interactions,
    .export_security_events = sq_export_security_events,
};

struct store *sq_store_open(const struct config *cfg)
{
	if (!sqlite3_threadsafe()) {
		log_msg(LOG_ERROR, "sqlite: library built without thread support");
		return NULL;
	}
	struct sq_store *s = xcalloc(1, sizeof *s);
	if (cfg->sqlite_path)
		s->path = xstrdup(cfg->sqlite_path);
	else
		s->path = xasprintf("%s/crm.sqlite3", cfg->data_dir ? cfg->data_dir : "./data");
	s->timeout_ms = cfg->db_statement_timeout_ms > 0 ? cfg->db_statement_timeout_ms : 0;
	s->base.ops = &sq_ops;
	s->base.impl = s;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->write_mu, NULL);
	if (pthread_key_create(&s->key, conn_destroy) != 0) {
		log_msg(LOG_ERROR, "sqlite: pthread_key_create failed");
		pthread_mutex_destroy(&s->mu);
		pthread_mutex_destroy(&s->write_mu);
		free(s->path);
		free(s);
		return NULL;
	}
	struct sq_conn *c = prepare_path(s->path) == 0 ? conn_open(s) : NULL;
	if (!c) {
		sq_close(&s->base);
		return NULL;
	}
	pthread_setspecific(s->key, c);
	return &s->base;
}
