/* SQLite statement plumbing shared by every SQLite store function: the per-connection cache of
 * prepared statements, stepping with the result-code to store_status mapping, and the small
 * bind/column helpers declared in sq.h. */
#include "store/sqlite/sq.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "store/sqlite/sq_impl.h"
#include "util/alloc.h"

long long sq_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

sqlite3 *sq_handle(struct db *db)
{
	return sq_conn_of(db)->h;
}

long long sq_last_insert_id(struct db *db)
{
	return (long long)sqlite3_last_insert_rowid(sq_conn_of(db)->h);
}

const char *sq_last_constraint(struct db *db)
{
	return sq_conn_of(db)->constraint;
}

/* Fibonacci hashing of the key's address; the low bits of pointers are mostly zero. */
static size_t slot_of(const struct sq_conn *c, const char *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 32) & (c->cap - 1);
}

static void cache_grow(struct sq_conn *c)
{
	struct sq_slot *old = c->slots;
	size_t oldcap = c->cap;
	c->cap = oldcap ? oldcap * 2 : 64;
	c->slots = xcalloc(c->cap, sizeof *c->slots);
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t j = slot_of(c, old[i].key);
		while (c->slots[j].key)
			j = (j + 1) & (c->cap - 1);
		c->slots[j] = old[i];
	}
	free(old);
}

void sq_cache_free(struct sq_conn *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].st)
			sqlite3_finalize(c->slots[i].st);
	free(c->slots);
	c->slots = NULL;
	c->cap = c->used = 0;
}

void sq_reset_busy(struct sq_conn *c)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(c->h, NULL); st; st = sqlite3_next_stmt(c->h, st))
		if (sqlite3_stmt_busy(st))
			sqlite3_reset(st);
}

/* Keeps the constraint named by SQLite's message ("UNIQUE constraint failed: t.col"). */
static void note_constraint(struct sq_conn *c)
{
	const char *msg = sqlite3_errmsg(c->h);
	const char *p = strstr(msg, "failed: ");
	snprintf(c->constraint, sizeof c->constraint, "%s", p ? p + 8 : msg);
}

/* The mapping documented at sq_status; sql (may be NULL) only names the statement in the log. */
static int status_of(struct sq_conn *c, int rc, const char *sql)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT:
		note_constraint(c);
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return ST_CONFLICT;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return ST_FK;
		break; /* CHECK, NOT NULL, ...: a bug in the caller, logged below */
	case SQLITE_BUSY:
		if (rc == SQLITE_BUSY_SNAPSHOT || rc == SQLITE_BUSY_RECOVERY)
			return ST_RETRY;
		log_msg(LOG_WARN, "sqlite: database busy for longer than busy_timeout");
		return ST_TIMEOUT;
	case SQLITE_LOCKED:
		return ST_RETRY;
	case SQLITE_INTERRUPT:
		log_msg(LOG_WARN, "sqlite: statement timeout: %.80s", sql ? sql : "?");
		return ST_TIMEOUT;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_NOLFS:
		log_msg(LOG_ERROR, "sqlite: %s (%d)", sqlite3_errmsg(c->h), rc);
		return ST_UNAVAILABLE;
	default:
		break;
	}
	log_msg(LOG_ERROR, "sqlite: %s (%d) in: %.120s", sqlite3_errmsg(c->h), rc, sql ? sql : "?");
	return ST_ERROR;
}

int sq_status(struct db *db, int rc)
{
	return status_of(sq_conn_of(db), rc, NULL);
}

sqlite3_stmt *sq_prepare(struct db *db, const char *sql)
{
	struct sq_conn *c = sq_conn_of(db);
	if ((c->used + 1) * 10 >= c->cap * 7)
		cache_grow(c);
	size_t i = slot_of(c, sql);
	while (c->slots[i].key && c->slots[i].key != sql)
		i = (i + 1) & (c->cap - 1);
	sqlite3_stmt *st = c->slots[i].st;
	if (st && strcmp(sqlite3_sql(st), sql) != 0) {
		/* The address was reused for other text (not a static string): prepare anew. */
		sqlite3_finalize(st);
		st = c->slots[i].st = NULL;
	}
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		int rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK || !st) {
			log_msg(LOG_ERROR, "sqlite: prepare failed: %s in: %.120s",
				sqlite3_errmsg(c->h), sql);
			sqlite3_finalize(st);
			return NULL;
		}
		if (!c->slots[i].key)
			c->used++;
		c->slots[i].key = sql;
		c->slots[i].st = st;
	}
	if (c->read_tx && !sqlite3_stmt_readonly(st)) {
		log_msg(LOG_ERROR, "sqlite: writing statement in a read-only transaction: %.120s",
			sql);
		return NULL;
	}
	c->constraint[0] = '\0';
	c->deadline_ns = c->timeout_ms > 0 ? sq_mono_ns() + c->timeout_ms * 1000000LL : 0;
	return st;
}

/* The process-wide set of interned SQL texts (open addressing, never shrinks). */
static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static char **intern_tab;
static size_t intern_cap, intern_used;

static size_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static const char *intern(const char *sql)
{
	pthread_mutex_lock(&intern_mu);
	if ((intern_used + 1) * 10 >= intern_cap * 7) {
		char **old = intern_tab;
		size_t oldcap = intern_cap;
		intern_cap = oldcap ? oldcap * 2 : 256;
		intern_tab = xcalloc(intern_cap, sizeof *intern_tab);
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			size_t j = text_hash(old[i]) & (intern_cap - 1);
			while (intern_tab[j])
				j = (j + 1) & (intern_cap - 1);
			intern_tab[j] = old[i];
		}
		free(old);
	}
	size_t i = text_hash(sql) & (intern_cap - 1);
	while (intern_tab[i] && strcmp(intern_tab[i], sql) != 0)
		i = (i + 1) & (intern_cap - 1);
	if (!intern_tab[i]) {
		intern_tab[i] = xstrdup(sql);
		intern_used++;
	}
	const char *out = intern_tab[i];
	pthread_mutex_unlock(&intern_mu);
	return out;
}

sqlite3_stmt *sq_prepare_text(struct db *db, const char *sql)
{
	return sq_prepare(db, intern(sql));
}

int sq_step(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	int s = rc == SQLITE_DONE ? 0 : status_of(sq_conn_of(db), rc, sqlite3_sql(st));
	sqlite3_reset(st);
	return s;
}

int sq_run(struct db *db, sqlite3_stmt *st)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	int s = rc == SQLITE_DONE ? sqlite3_changes(sq_conn_of(db)->h)
				  : status_of(sq_conn_of(db), rc, sqlite3_sql(st));
	sqlite3_reset(st);
	return s;
}

int sq_exec(struct db *db, const char *sql)
{
	struct sq_conn *c = sq_conn_of(db);
	c->constraint[0] = '\0';
	c->deadline_ns = c->timeout_ms > 0 ? sq_mono_ns() + c->timeout_ms * 1000000LL : 0;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : status_of(c, rc, sql);
}

void sq_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s)
		sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

char *sq_col_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	if (!s)
		return NULL;
	return xstrndup((const char *)s, (size_t)sqlite3_column_bytes(st, col));
}
