/* Unit tests of the SQLite store plumbing: opening (directory and file modes, pragmas),
 * migrations, ping, the transaction runner (commit, rollback, retries, status mapping),
 * per-thread connections, the statement timeout and the cascades of the schema. Each test works
 * on its own fresh database in a temporary directory. */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "store/sqlite/sq.h"
#include "store/store.h"
#include "test.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg;
	struct store *s;
};

/* Opens a store on a new temporary directory (the database one level below, so the store has
 * to create its directory); migrate selects whether the schema is applied. */
static void open_fixture(struct fixture *f, bool migrate, int timeout_ms)
{
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/crm-test-store-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	snprintf(f->path, sizeof f->path, "%s/db/crm.sqlite3", f->dir);
	f->cfg.data_dir = f->dir;
	f->cfg.sqlite_path = f->path;
	f->cfg.db_pool_size = 4;
	f->cfg.worker_threads = 4;
	f->cfg.db_statement_timeout_ms = timeout_ms;
	f->s = store_open(&f->cfg);
	if (!f->s)
		abort();
	if (migrate) {
		struct db *db;
		if (store_acquire(f->s, &db) != 0)
			abort();
		int n = f->s->ops->migrate(db, NULL);
		store_release(f->s, db);
		if (n != sqlite_migrations_count)
			abort();
	}
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void close_fixture(struct fixture *f)
{
	store_close(f->s);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char INSERT_USER[] =
    "INSERT INTO users (email, email_key, username, username_key, first_name, created_at,"
    " updated_at) VALUES (?1, ?1, ?2, ?2, 'Ann', 1, 1)";

static int insert_user(struct db *db, const char *email, const char *username)
{
	sqlite3_stmt *st = sq_prepare(db, INSERT_USER);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, email);
	sq_bind_text(st, 2, username);
	return sq_run(db, st);
}

/* Runs a one-integer query on a connection of its own. */
static long long query_int(struct store *s, const char *sql)
{
	struct db *db;
	if (store_acquire(s, &db) != 0)
		return -1000;
	sqlite3_stmt *st = sq_prepare(db, sql);
	long long v = -2000;
	if (st && sq_step(db, st) > 0)
		v = sqlite3_column_int64(st, 0);
	store_release(s, db);
	return v;
}

struct tx_ctx {
	const char *email, *username;
	int calls;
	int retry_first; /* return ST_RETRY for this many calls */
	int result;	 /* returned after a successful insert */
};

static int tx_insert(struct db *db, void *arg)
{
	struct tx_ctx *c = arg;
	c->calls++;
	int rc = insert_user(db, c->email, c->username);
	if (rc < 0)
		return rc;
	if (c->calls <= c->retry_first)
		return ST_RETRY;
	return c->result;
}

TEST(open_creates_private_directory_and_file)
{
	struct fixture f;
	open_fixture(&f, false, 5000);
	struct stat sb;
	char dir[160];
	snprintf(dir, sizeof dir, "%s/db", f.dir);
	CHECK(stat(dir, &sb) == 0);
	CHECK_INT(sb.st_mode & 0777, 0700);
	CHECK(stat(f.path, &sb) == 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	CHECK_STR(f.s->ops->name, "sqlite");
	close_fixture(&f);
}

TEST(migrate_applies_once)
{
	struct fixture f;
	open_fixture(&f, false, 5000);
	CHECK_INT(store_schema_current(f.s), 0);
	struct db *db;
	CHECK_INT(store_acquire(f.s, &db), 0);
	/* Every embedded migration, 0001_init first (later ones add indexes and the like). */
	const int nmig = sqlite_migrations_count;
	CHECK(nmig >= 1);
	struct migration_info info[16];
	CHECK_INT(f.s->ops->migrations(db, info, 16), nmig);
	CHECK(!info[0].applied);
	CHECK_INT(info[0].applied_at_ms, 0);

	FILE *log = tmpfile();
	CHECK_INT(f.s->ops->migrate(db, log), nmig);
	CHECK_INT(f.s->ops->migrate(db, log), 0);
	char line[64] = "";
	rewind(log);
	CHECK(fgets(line, sizeof line, log) != NULL);
	CHECK_STR(line, "applied 0001_init\n");
	int more = 0;
	while (fgets(line, sizeof line, log) != NULL)
		more++;
	CHECK_INT(more, nmig - 1);
	fclose(log);

	CHECK_INT(f.s->ops->migrations(db, info, 16), nmig);
	CHECK_INT(info[0].version, 1);
	CHECK_STR(info[0].name, "0001_init");
	CHECK(info[0].applied);
	CHECK(info[0].applied_at_ms > 1600000000000LL);
	store_release(f.s, db);
	CHECK_INT(store_schema_current(f.s), 1);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM schema_migrations"), nmig);
	close_fixture(&f);
}

TEST(pragmas_and_ping)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	struct db *db;
	CHECK_INT(store_acquire(f.s, &db), 0);
	CHECK_INT(f.s->ops->ping(db, 1000), 1);
	sqlite3_stmt *st = sq_prepare(db, "PRAGMA journal_mode");
	CHECK(st && sq_step(db, st) == 1);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
	st = sq_prepare(db, "PRAGMA foreign_keys");
	CHECK(st && sq_step(db, st) == 1);
	CHECK_INT(sqlite3_column_int(st, 0), 1);
	st = sq_prepare(db, "PRAGMA synchronous");
	CHECK(st && sq_step(db, st) == 1);
	CHECK_INT(sqlite3_column_int(st, 0), 2); /* FULL */
	struct store_pool_stats ps;
	f.s->ops->pool_stats(f.s, &ps);
	CHECK_INT(ps.in_use, 1);
	store_release(f.s, db);
	f.s->ops->pool_stats(f.s, &ps);
	CHECK_INT(ps.in_use, 0);
	CHECK_INT(ps.idle, 1);
	close_fixture(&f);
}

TEST(tx_commit_and_rollback)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	struct tx_ctx c = {.email = "ann@example.com", .username = "ann", .result = 7};
	CHECK_INT(store_tx(f.s, true, tx_insert, &c), 7);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM users"), 1);

	struct tx_ctx r = {.email = "bob@example.com", .username = "bob", .result = ST_ERROR};
	CHECK_INT(store_tx(f.s, true, tx_insert, &r), ST_ERROR);
	CHECK_INT(r.calls, 1);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM users"), 1);
	close_fixture(&f);
}

TEST(tx_retries_then_gives_up)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	struct tx_ctx c = {.email = "a@example.com", .username = "a", .retry_first = 2};
	CHECK_INT(store_tx(f.s, true, tx_insert, &c), 0);
	CHECK_INT(c.calls, 3);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM users"), 1);

	struct tx_ctx d = {.email = "b@example.com", .username = "b", .retry_first = 100};
	CHECK_INT(store_tx(f.s, true, tx_insert, &d), ST_RETRY);
	CHECK_INT(d.calls, 6); /* the first try and 5 retries */
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM users"), 1);
	close_fixture(&f);
}

static int tx_insert_twice(struct db *db, void *arg)
{
	(void)arg;
	int rc = insert_user(db, "dup@example.com", "dup1");
	if (rc < 0)
		return rc;
	return insert_user(db, "dup@example.com", "dup2");
}

TEST(unique_violation_is_conflict)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	CHECK_INT(store_tx(f.s, true, tx_insert_twice, NULL), ST_CONFLICT);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM users"), 0);
	struct db *db;
	CHECK_INT(store_acquire(f.s, &db), 0);
	CHECK_INT(insert_user(db, "x@example.com", "x"), 1);
	CHECK_INT(insert_user(db, "y@example.com", "x"), ST_CONFLICT);
	CHECK_STR(sq_last_constraint(db), "users.username_key");
	store_release(f.s, db);
	close_fixture(&f);
}

static const char INSERT_CONTACT[] =
    "INSERT INTO contacts (user_id, first_name, first_name_key, created_at, updated_at)"
    " VALUES (?1, 'Bo', 'bo', 1, 1)";

static int insert_contact(struct db *db, long long user_id)
{
	sqlite3_stmt *st = sq_prepare(db, INSERT_CONTACT);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	return sq_run(db, st);
}

TEST(foreign_keys_and_user_cascade)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	struct db *db;
	CHECK_INT(store_acquire(f.s, &db), 0);
	CHECK_INT(insert_contact(db, 42), ST_FK);
	CHECK_INT(insert_user(db, "c@example.com", "c"), 1);
	long long uid = sq_last_insert_id(db);
	CHECK_INT(insert_contact(db, uid), 1);
	long long cid = sq_last_insert_id(db);
	sqlite3_stmt *st =
	    sq_prepare(db, "INSERT INTO notes (user_id, contact_id, title, title_key,"
			   " content, created_at, updated_at)"
			   " VALUES (?1, ?2, 't', 't', 'c', 1, 1)");
	CHECK(st != NULL);
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, cid);
	CHECK_INT(sq_run(db, st), 1);
	/* a note may not point at another user's contact (composite foreign key) */
	CHECK_INT(insert_user(db, "d@example.com", "d"), 1);
	st = sq_prepare(db, "INSERT INTO notes (user_id, contact_id, title, title_key,"
			    " content, created_at, updated_at)"
			    " VALUES (?1, ?2, 't', 't', 'c', 1, 1)");
	sqlite3_bind_int64(st, 1, sq_last_insert_id(db));
	sqlite3_bind_int64(st, 2, cid);
	CHECK_INT(sq_run(db, st), ST_FK);

	st = sq_prepare(db, "DELETE FROM users WHERE id = ?1");
	sqlite3_bind_int64(st, 1, uid);
	CHECK_INT(sq_run(db, st), 1);
	store_release(f.s, db);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM contacts"), 0);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM notes"), 0);
	CHECK_INT(query_int(f.s, "SELECT count(*) FROM users"), 1);
	close_fixture(&f);
}

static int tx_write_in_read(struct db *db, void *arg)
{
	(void)arg;
	return sq_prepare(db, INSERT_USER) ? 0 : ST_ERROR;
}

TEST(read_tx_refuses_writes)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	CHECK_INT(store_tx(f.s, false, tx_write_in_read, NULL), ST_ERROR);
	CHECK_INT(store_tx(f.s, true, tx_write_in_read, NULL), 0);
	close_fixture(&f);
}

static int tx_slow(struct db *db, void *arg)
{
	(void)arg;
	sqlite3_stmt *st = sq_prepare(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
					  " SELECT i + 1 FROM n) SELECT count(*) FROM n");
	return st ? sq_step(db, st) : ST_ERROR;
}

TEST(statement_timeout)
{
	struct fixture f;
	open_fixture(&f, true, 50);
	CHECK_INT(store_tx(f.s, false, tx_slow, NULL), ST_TIMEOUT);
	CHECK_INT(query_int(f.s, "SELECT 5"), 5); /* the connection still works */
	close_fixture(&f);
}

struct worker {
	struct store *s;
	int failures;
	struct db *seen;
};

static int tx_bump(struct db *db, void *arg)
{
	struct worker *w = arg;
	w->seen = db;
	sqlite3_stmt *st = sq_prepare(db, "UPDATE users SET last_write_at = last_write_at + 1");
	return st ? sq_run(db, st) : ST_ERROR;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 50; i++)
		if (store_tx(w->s, true, tx_bump, w) != 1)
			w->failures++;
	return NULL;
}

TEST(threads_have_own_connections_and_writes_serialise)
{
	struct fixture f;
	open_fixture(&f, true, 5000);
	struct db *db;
	CHECK_INT(store_acquire(f.s, &db), 0);
	CHECK_INT(insert_user(db, "w@example.com", "w"), 1);
	store_release(f.s, db);
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.s = f.s};
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		CHECK_INT(w[i].failures, 0);
		CHECK(w[i].seen != db);
		for (int j = 0; j < i; j++)
			CHECK(w[i].seen != w[j].seen);
	}
	CHECK_INT(query_int(f.s, "SELECT last_write_at FROM users"), 200);
	struct store_pool_stats ps;
	f.s->ops->pool_stats(f.s, &ps);
	CHECK_INT(ps.in_use, 0);
	CHECK_INT(ps.idle, 1); /* the workers' connections closed when their threads ended */
	close_fixture(&f);
}

int main(void)
{
	return RUN_TESTS();
}
