/* `crm migrate-to-postgres`, the whole copy: the SQLite file checked (not in use by another
 * process, at this binary's schema, no table unknown to copy_tables) and opened read-only in
 * one read transaction, so every table comes from the same snapshot; the PostgreSQL migrations
 * applied through the store's own migration runner; then one PostgreSQL transaction (store_tx)
 * that locks every table, refuses to merge into a database holding any row, copies the tables
 * in foreign-key order (migrate_copy_table.c) and sets the identity counters. Nothing is
 * printed as copied before COMMIT succeeded. */
#include "store/migrate_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

const char *const copy_tables[] = {
    /* accounts */
    "users",
    "oauth_accounts",
    "sessions",
    "refresh_tokens",
    "email_tokens",
    /* data tables */
    "contacts",
    "tags",
    "contact_tags",
    "contact_relationships",
    "notes",
    "interactions",
    /* figures kept by triggers (0003_insights_rollups), copied as they are */
    "interaction_days",
    "user_counts",
    "tag_interaction_days", /* 0006_tag_insight_rollups */
    "search_terms",
    "tombstones",
    /* billing, audit, mail, login throttle */
    "subscriptions",
    "stripe_events",
    "audit_log",
    "email_outbox",
    "login_failures",
};
const int copy_tables_count = (int)(sizeof copy_tables / sizeof copy_tables[0]);

/* SQLite's locks on Unix (fcntl byte ranges, see its file format document): readers and
 * writers lock bytes of [PENDING_BYTE, PENDING_BYTE + 512) of the database file, and in WAL
 * mode every open connection also holds a read lock on the -shm file's "DMS" byte 128 (bytes
 * 120..127 are the WAL write, checkpoint, recovery and reader locks). An idle `crm serve` keeps
 * its connection, and so these locks, for as long as it runs. */
#define SQLITE_LOCK_START 0x40000000L
#define SQLITE_LOCK_LEN 512
#define SQLITE_SHM_LOCK_START 120
#define SQLITE_SHM_LOCK_LEN 9
#define BUSY_TIMEOUT_MS 5000

/* The pid of another process holding a lock on [start, start + len) of path; 0 when none (or
 * path does not exist). Must run before this process opens path with SQLite: closing any
 * descriptor of a file drops all of the process's fcntl locks on it. */
static long lock_holder(const char *path, off_t start, off_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	long pid = 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid > 0 ? fl.l_pid : 1;
	close(fd);
	return pid;
}

/* Prints why and returns false when another process has the SQLite database open. */
static bool source_idle(const char *path, FILE *err)
{
	char *shm = xasprintf("%s-shm", path);
	long pid = lock_holder(path, SQLITE_LOCK_START, SQLITE_LOCK_LEN);
	if (!pid)
		pid = lock_holder(shm, SQLITE_SHM_LOCK_START, SQLITE_SHM_LOCK_LEN);
	free(shm);
	if (pid)
		fprintf(err,
			"crm: %s is open in another process (pid %ld), probably a running `crm "
			"serve`: stop it first, so that nothing is written after the copy\n",
			path, pid);
	return pid == 0;
}

/* Opens path read-only (never creating it, never checkpointing its WAL into it) and starts
 * the read transaction that every table is copied in. NULL (reason printed) on failure. Like
 * any SQLite reader of a WAL database, it may leave an empty -wal and a -shm file beside it
 * (with the database file's mode); the next server to open the file uses them as usual. */
static sqlite3 *source_open(const char *path, FILE *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		fprintf(err, "crm: cannot read the SQLite database %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(h, 1);
		sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
		rc = sqlite3_db_config(h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fprintf(err, "crm: cannot open the SQLite database %s: %s\n", path,
			h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close_v2(h);
		return NULL;
	}
	return h;
}

static void source_close(sqlite3 *h)
{
	if (!h)
		return;
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(h);
}

/* True when the source's applied migrations are exactly this binary's SQLite migrations. */
static bool source_schema_current(sqlite3 *h, const char *path, FILE *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, "SELECT version FROM schema_migrations ORDER BY version", -1, &st,
			       NULL) != SQLITE_OK) {
		fprintf(err, "crm: %s is not a crm database: %s\n", path, sqlite3_errmsg(h));
		return false;
	}
	/* The applied versions must be this binary's, in order: fewer is an older schema, an
	 * unknown one comes from a newer crm. */
	int i = 0, step;
	bool unknown = false;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (i >= sqlite_migrations_count ||
		    sqlite3_column_int(st, 0) != sqlite_migrations[i].version)
			unknown = true;
		i++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		fprintf(err, "crm: cannot read %s: %s\n", path, sqlite3_errmsg(h));
		return false;
	}
	if (unknown) {
		fprintf(err,
			"crm: %s has migrations this crm does not know: copy it with the crm "
			"version that last ran on it\n",
			path);
		return false;
	}
	if (i != sqlite_migrations_count) {
		fprintf(err,
			"crm: %s has %d of %d migrations applied: run `crm migrate` on it first "
			"(with DATABASE_URL unset)\n",
			path, i, sqlite_migrations_count);
		return false;
	}
	return true;
}

static bool known_table(const char *name)
{
	for (int i = 0; i < copy_tables_count; i++)
		if (strcmp(copy_tables[i], name) == 0)
			return true;
	return false;
}

/* True when every table of the source is one that is copied (or SQLite's own, or the
 * migration runner's). */
static bool source_tables_known(sqlite3 *h, FILE *err)
{
	static const char SQL[] = "SELECT name FROM sqlite_master WHERE type = 'table'"
				  " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
				  " AND name <> 'schema_migrations' ORDER BY name";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, SQL, -1, &st, NULL) != SQLITE_OK) {
		fprintf(err, "crm: cannot list the SQLite tables: %s\n", sqlite3_errmsg(h));
		return false;
	}
	bool ok = true;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!name || !known_table(name)) {
			fprintf(err, "crm: the SQLite table %s is not in the copy's table list\n",
				name ? name : "?");
			ok = false;
		}
	}
	if (step != SQLITE_DONE) {
		fprintf(err, "crm: cannot list the SQLite tables: %s\n", sqlite3_errmsg(h));
		ok = false;
	}
	sqlite3_finalize(st);
	return ok;
}

struct copy_ctx {
	sqlite3 *src;
	FILE *err;
	bool refused;
	struct copy_count *counts; /* one per copy_tables entry */
};

/* "users", "oauth_accounts", ...: every copied table, for LOCK and the emptiness check. */
static char *table_list_sql(const char *before, const char *each_open, const char *each_close,
			    const char *after)
{
	struct buf b = {0};
	buf_puts(&b, before);
	for (int i = 0; i < copy_tables_count; i++)
		buf_printf(&b, "%s%s\"%s\"%s", i ? ", " : "", each_open, copy_tables[i],
			   each_close);
	buf_puts(&b, after);
	return buf_steal(&b);
}

/* Locks every table against writers (a server still running on this database would have
 * to wait, and cannot slip a row in between the check and the copy), then refuses to go on
 * if any of them holds a row. 0, or < 0 with ctx->refused set when refused. */
static int target_empty(struct db *db, struct copy_ctx *x)
{
	char *lock = table_list_sql("LOCK TABLE ", "", "", " IN EXCLUSIVE MODE");
	int rc;
	PGresult *r = pg_exec_params(db, lock, 0, NULL, &rc);
	free(lock);
	PQclear(r);
	if (rc < 0) {
		fprintf(x->err, "crm: cannot lock the PostgreSQL tables%s\n",
			rc == ST_TIMEOUT ? " in time: is a crm server using this database?" : "");
		return rc;
	}
	char *probe = table_list_sql("SELECT ", "EXISTS (SELECT 1 FROM ", ")", "");
	r = pg_exec_params(db, probe, 0, NULL, &rc);
	free(probe);
	if (!r) {
		fprintf(x->err, "crm: cannot read the PostgreSQL tables\n");
		return rc;
	}
	struct buf held = {0};
	for (int i = 0; i < copy_tables_count; i++)
		if (pg_get_bool(r, 0, i))
			buf_printf(&held, "%s%s", held.len ? ", " : "", copy_tables[i]);
	PQclear(r);
	if (held.len) {
		fprintf(x->err,
			"crm: the PostgreSQL database already holds data (%s); refusing to merge "
			"into it: copy into an empty database\n",
			held.data);
		buf_free(&held);
		x->refused = true;
		return ST_CONFLICT;
	}
	return 0;
}

/* ALTER TABLE ... ENABLE / DISABLE TRIGGER USER on every copied table that has triggers of its
 * own (the constraint triggers behind foreign keys stay on; a table with deferred constraint
 * checks still pending could not be altered before COMMIT, and needs no change). 0 or < 0. */
static int set_user_triggers(struct db *db, bool on)
{
	static const char SQL[] = "SELECT EXISTS (SELECT 1 FROM pg_trigger t"
				  " WHERE t.tgrelid = to_regclass($1) AND NOT t.tgisinternal)";
	for (int i = 0; i < copy_tables_count; i++) {
		const char *name = copy_tables[i];
		int rc;
		PGresult *r = pg_exec_prepared(db, "crm_copy_has_triggers", SQL, 1, &name, &rc);
		if (!r)
			return rc;
		bool has = pg_get_bool(r, 0, 0);
		PQclear(r);
		if (!has)
			continue;
		char *sql = xasprintf("ALTER TABLE \"%s\" %s TRIGGER USER", copy_tables[i],
				      on ? "ENABLE" : "DISABLE");
		r = pg_exec_params(db, sql, 0, NULL, &rc);
		free(sql);
		PQclear(r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The copy transaction (store_tx may run it again after a serialization failure). */
static int copy_tx(struct db *db, void *arg)
{
	struct copy_ctx *x = arg;
	x->refused = false;
	int rc = target_empty(db, x);
	if (rc < 0)
		return rc;
	/* The tables are ours now; a large table may take longer than DB_STATEMENT_TIMEOUT_MS. */
	if ((rc = pg_run(db, "crm_copy_no_timeout", "SET LOCAL statement_timeout = 0", 0, NULL)) <
	    0)
		return rc;
	/* The tables' own triggers keep figures (interaction counts, per-day rows, account
	 * counts) that are copied from the source as they are: counting each copied row again
	 * would double them. Disabled for this transaction only (ALTER TABLE is transactional). */
	if ((rc = set_user_triggers(db, false)) < 0)
		return rc;
	for (int i = 0; i < copy_tables_count; i++) {
		rc = copy_table_rows(x->src, pg_handle(db), copy_tables[i], &x->counts[i], x->err);
		if (rc < 0)
			return rc;
	}
	return set_user_triggers(db, true);
}

/* Applies the pending PostgreSQL migrations with the store's runner (what `crm migrate`
 * does), printing each to out. COPY_DONE, COPY_FAILED when the database is unreachable, or
 * COPY_SCHEMA when a migration failed. */
static enum copy_status target_migrate(struct store *st, FILE *out, FILE *err)
{
	struct db *db;
	if (store_acquire(st, &db) < 0) {
		fprintf(err, "crm: the PostgreSQL database is unreachable\n");
		return COPY_FAILED;
	}
	int n = st->ops->migrate(db, out);
	store_release(st, db);
	if (n == ST_UNAVAILABLE) {
		fprintf(err, "crm: the PostgreSQL database is unreachable\n");
		return COPY_FAILED;
	}
	if (n < 0) {
		fprintf(err, "crm: migrating the PostgreSQL database failed\n");
		return COPY_SCHEMA;
	}
	fprintf(out, "%d migration(s) applied; schema is current\n", n);
	return COPY_DONE;
}

static void print_counts(const struct copy_count *counts, const char *path, FILE *out)
{
	long long total = 0;
	fprintf(out, "copied %s into PostgreSQL:\n", path);
	for (int i = 0; i < copy_tables_count; i++) {
		fprintf(out, "  %-24s %8lld rows", copy_tables[i], counts[i].rows);
		if (counts[i].next_id)
			fprintf(out, ", next id %lld", counts[i].next_id);
		fputc('\n', out);
		total += counts[i].rows;
	}
	fprintf(out, "%lld rows in %d tables\n", total, copy_tables_count);
}

enum copy_status store_copy_sqlite_to_pg(const struct config *cfg, const char *sqlite_path,
					 FILE *out, FILE *err)
{
	if (!cfg->database_url || !cfg->database_url[0]) {
		fprintf(err, "crm: no PostgreSQL database named (DATABASE_URL or --to)\n");
		return COPY_FAILED;
	}
	if (!source_idle(sqlite_path, err))
		return COPY_REFUSED;
	sqlite3 *src = source_open(sqlite_path, err);
	if (!src)
		return COPY_FAILED;
	enum copy_status result = COPY_SCHEMA;
	struct store *st = NULL;
	if (!source_schema_current(src, sqlite_path, err) || !source_tables_known(src, err))
		goto out;
	result = COPY_FAILED;
	st = store_open(cfg);
	if (!st || strcmp(st->ops->name, "postgres") != 0) {
		fprintf(err, "crm: cannot open the PostgreSQL store\n");
		goto out;
	}
	if ((result = target_migrate(st, out, err)) != COPY_DONE)
		goto out;
	result = COPY_FAILED;
	struct copy_ctx x = {.src = src, .err = err};
	x.counts = xcalloc((size_t)copy_tables_count, sizeof *x.counts);
	int rc = store_tx(st, true, copy_tx, &x);
	if (rc >= 0) {
		print_counts(x.counts, sqlite_path, out);
		result = COPY_DONE;
	} else if (x.refused) {
		result = COPY_REFUSED;
	} else {
		fprintf(err, "crm: the copy failed and was rolled back; the PostgreSQL database "
			     "holds no copied row\n");
	}
	free(x.counts);
out:
	store_close(st);
	source_close(src);
	return result;
}
