/* The per-account hard caps of SPEC §17 through the domain (notes_create, interactions_create),
 * on SQLite and (notes, with CRM_TEST_DATABASE_URL) PostgreSQL: an account one row below the cap,
 * loaded with one set-based INSERT, accepts one more note or interaction and then answers 409
 * limit_exceeded; ownership is still checked first and conflicts after (§1.6 step 11), and a
 * deletion makes room again. The black-box API tests cannot reach 200,000 notes or 1,000,000
 * interactions in reasonable time, so this is where the cap is proven. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "config/config.h"
#include "domain/accounts.h"
#include "domain/notes.h"
#include "store/pg/pgs.h"
#include "store/sqlite/sq.h"
#include "store/store.h"
#include "test.h"
#include "util/alloc.h"

struct fx {
	bool pg;
	char dir[64], path[128], schema[64];
	char *url;
	struct config cfg;
	struct app app;
	struct store *s;
};

static const char *pg_url(void)
{
	const char *u = getenv("CRM_TEST_DATABASE_URL");
	return u && u[0] ? u : NULL;
}

/* Runs one statement without parameters on a connection of its own; false on failure. */
static bool exec_sql(struct fx *f, const char *sql)
{
	struct db *db;
	if (store_acquire(f->s, &db) != 0)
		return false;
	bool ok;
	if (f->pg) {
		PGresult *r = PQexec(pg_handle(db), sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!ok)
			fprintf(stderr, "  %s\n", PQerrorMessage(pg_handle(db)));
		PQclear(r);
	} else {
		ok = sqlite3_exec(sq_handle(db), sql, NULL, NULL, NULL) == SQLITE_OK;
		if (!ok)
			fprintf(stderr, "  %s\n", sqlite3_errmsg(sq_handle(db)));
	}
	store_release(f->s, db);
	return ok;
}

static bool fx_open(struct fx *f, bool pg)
{
	static int seq;
	memset(f, 0, sizeof *f);
	f->pg = pg;
	snprintf(f->dir, sizeof f->dir, "/tmp/crm-test-caps-XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	snprintf(f->path, sizeof f->path, "%s/crm.sqlite3", f->dir);
	f->cfg.data_dir = f->dir;
	f->cfg.sqlite_path = f->path;
	if (pg) {
		snprintf(f->schema, sizeof f->schema, "tc_%d_%d", (int)getpid(), ++seq);
		const char *u = pg_url();
		f->url = xasprintf("%s%cschema=%s", u, strchr(u, '?') ? '&' : '?', f->schema);
		f->cfg.database_url = f->url;
	}
	f->cfg.db_pool_size = 2;
	f->cfg.worker_threads = 2;
	f->cfg.db_statement_timeout_ms = 60000;
	f->s = store_open(&f->cfg);
	if (!f->s)
		return false;
	f->app.cfg = &f->cfg;
	f->app.store = f->s;
	struct db *db;
	if (store_acquire(f->s, &db) != 0)
		return false;
	int rc = f->s->ops->migrate(db, NULL);
	store_release(f->s, db);
	return rc >= 1;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void fx_close(struct fx *f)
{
	if (f->s && f->pg) {
		char *sql = xasprintf("DROP SCHEMA IF EXISTS \"%s\" CASCADE", f->schema);
		exec_sql(f, sql);
		free(sql);
	}
	store_close(f->s);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f->url);
}

/* Users 1 and 2 with contacts 1, 2 (user 1) and 3 (user 2); the test acts as user 1. */
static bool seed(struct fx *f, struct actx *a)
{
	const char *ts = f->pg ? "now()" : "1";
	char *sql = xasprintf("INSERT INTO users (id, email, email_key, username, username_key, "
			      "first_name, created_at,"
			      " updated_at) VALUES (1, 'a@x.io', 'a@x.io', 'a', 'a', 'A', %s, %s),"
			      " (2, 'b@x.io', 'b@x.io', 'b', 'b', 'B', %s, %s);"
			      " INSERT INTO contacts (id, user_id, first_name, first_name_key, "
			      "created_at, updated_at)"
			      " VALUES (1, 1, 'c1', 'c1', %s, %s), (2, 1, 'c2', 'c2', %s, %s), (3, "
			      "2, 'c3', 'c3', %s, %s)",
			      ts, ts, ts, ts, ts, ts, ts, ts, ts, ts);
	bool ok = exec_sql(f, sql);
	free(sql);
	memset(a, 0, sizeof *a);
	a->app = &f->app;
	a->user_id = 1;
	a->now = (long long)time(NULL) * 1000;
	return ok;
}

static const char *detail_field(json_t *details)
{
	return json_string_value(json_object_get(json_array_get(details, 0), "field"));
}

static void notes_cap(struct fx *f)
{
	struct actx a;
	CHECK(seed(f, &a));
	/* NOTES_PER_ACCOUNT - 1 notes on contact 1 */
	char *sql = f->pg
			? xasprintf("INSERT INTO notes (user_id, contact_id, title, title_key,"
				    " content, created_at, updated_at) SELECT 1, 1, 'n' || i,"
				    " 'n' || i, 'c', now(), now() FROM generate_series(1, %d) i",
				    NOTES_PER_ACCOUNT - 1)
			: xasprintf("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s"
				    " WHERE i < %d) INSERT INTO notes (user_id, contact_id, title,"
				    " title_key, content, created_at, updated_at) SELECT 1, 1,"
				    " 'n' || i, 'n' || i, 'c', i, i FROM s",
				    NOTES_PER_ACCOUNT - 1);
	CHECK(exec_sql(f, sql));
	free(sql);
	struct note_row n = {0};
	json_t *details = NULL;
	struct note_in in = {.contact_id = 2, .title = "last", .content = "fits"};
	CHECK_INT(notes_create(&a, &in, &n, &details), ERR_NONE);
	long long last_id = n.id;
	note_row_free(&n);
	in.title = "one too many";
	CHECK_INT(notes_create(&a, &in, &n, &details), ERR_LIMIT_EXCEEDED);
	CHECK_STR(detail_field(details), "notes");
	json_decref(details);
	details = NULL;
	in.title = "last"; /* a title clash too: the cap answers first */
	CHECK_INT(notes_create(&a, &in, &n, &details), ERR_LIMIT_EXCEEDED);
	json_decref(details);
	details = NULL;
	in.contact_id = 3; /* another user's contact: ownership answers first */
	CHECK_INT(notes_create(&a, &in, &n, &details), ERR_NOT_FOUND);
	json_decref(details);
	details = NULL;
	CHECK_INT(notes_delete(&a, last_id), ERR_NONE);
	in.contact_id = 2;
	in.title = "room again";
	CHECK_INT(notes_create(&a, &in, &n, &details), ERR_NONE);
	note_row_free(&n);
	/* user 2 is not limited by user 1's notes */
	a.user_id = 2;
	in.contact_id = 3;
	CHECK_INT(notes_create(&a, &in, &n, &details), ERR_NONE);
	note_row_free(&n);
}

static void interactions_cap(struct fx *f)
{
	struct actx a;
	CHECK(seed(f, &a));
	char *sql =
	    f->pg ? xasprintf("INSERT INTO interactions (user_id, contact_id, type, occurred_at,"
			      " created_at, updated_at) SELECT 1, 1, 'call', now(), now(), now()"
			      " FROM generate_series(1, %d) i",
			      INTERACTIONS_PER_ACCOUNT - 1)
		  : xasprintf("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s"
			      " WHERE i < %d) INSERT INTO interactions (user_id, contact_id, type,"
			      " occurred_at, created_at, updated_at) SELECT 1, 1, 'call', i, i, i"
			      " FROM s",
			      INTERACTIONS_PER_ACCOUNT - 1);
	CHECK(exec_sql(f, sql));
	free(sql);
	struct interaction_row r = {0};
	json_t *details = NULL;
	struct interaction_new in = {.contact_id = 2, .type = "call", .occurred_at = a.now};
	CHECK_INT(interactions_create(&a, &in, &r, &details), ERR_NONE);
	long long last_id = r.id;
	interaction_row_free(&r);
	CHECK_INT(interactions_create(&a, &in, &r, &details), ERR_LIMIT_EXCEEDED);
	CHECK_STR(detail_field(details), "interactions");
	json_decref(details);
	details = NULL;
	in.contact_id = 3;
	CHECK_INT(interactions_create(&a, &in, &r, &details), ERR_NOT_FOUND);
	json_decref(details);
	details = NULL;
	CHECK_INT(interactions_delete(&a, last_id), ERR_NONE);
	in.contact_id = 2;
	CHECK_INT(interactions_create(&a, &in, &r, &details), ERR_NONE);
	interaction_row_free(&r);
}

/* Runs body on SQLite and, when pg is set and PostgreSQL is configured, on PostgreSQL. */
static void each_store(void (*body)(struct fx *), const char *name, bool pg)
{
	for (int k = 0; k < 2; k++) {
		if (k == 1 && (!pg || !pg_url()))
			continue;
		struct fx f;
		int before = test_failed_checks;
		if (fx_open(&f, k == 1))
			body(&f);
		else
			CHECK(!"store opened and migrated");
		fx_close(&f);
		if (test_failed_checks != before)
			fprintf(stderr, "  ^ %s on store %s\n", name, k ? "postgres" : "sqlite");
	}
}

TEST(notes_cap_200000)
{
	each_store(notes_cap, "notes_cap_200000", true);
}

TEST(interactions_cap_1000000)
{
	/* SQLite only: loading a million rows into PostgreSQL takes ~10 s, and the cap's SQL is the
	 * same statement with another table and number as the notes cap, which runs on both
	 * stores here and in test_store_notes (caps_use_the_id_span_and_count_exactly). */
	each_store(interactions_cap, "interactions_cap_1000000", false);
}

int main(void)
{
	return RUN_TESTS();
}
