/* Unit tests of the account operations of the store (store.h, users_lock … outbox_pending): the
 * same checks run against SQLite (a fresh database in a temporary directory per test) and
 * PostgreSQL (CRM_TEST_DATABASE_URL, a libpq URI; a fresh schema per test, dropped after it).
 * Without CRM_TEST_DATABASE_URL the test pg_required fails, so the PostgreSQL half can never be
 * skipped silently; CRM_TEST_NO_PG=1 runs SQLite alone on purpose. All times are explicit. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>

#include "config/config.h"
#include "store/pg/pgs.h"
#include "store/sqlite/sq.h"
#include "store/store.h"
#include "test.h"
#include "util/alloc.h"

static const long long NOW = 1700000000000LL;
static const long long DAY = 86400000LL;

struct fx {
	bool pg;
	const char *name;
	char dir[64], path[128], schema[64];
	char *url;
	struct config cfg;
	struct store *s;
	const struct store_ops *o;
	struct db *db; /* held for direct (autocommit) calls */
};

static const char *pg_url(void)
{
	const char *u = getenv("CRM_TEST_DATABASE_URL");
	return u && u[0] ? u : NULL;
}

static bool fx_open(struct fx *f, bool pg)
{
	static int seq;
	memset(f, 0, sizeof *f);
	f->pg = pg;
	f->name = pg ? "postgres" : "sqlite";
	snprintf(f->dir, sizeof f->dir, "/tmp/crm-test-accounts-XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	snprintf(f->path, sizeof f->path, "%s/crm.sqlite3", f->dir);
	f->cfg.data_dir = f->dir;
	f->cfg.sqlite_path = f->path;
	if (pg) {
		snprintf(f->schema, sizeof f->schema, "t_%d_%d", (int)getpid(), ++seq);
		const char *u = pg_url();
		f->url = xasprintf("%s%cschema=%s", u, strchr(u, '?') ? '&' : '?', f->schema);
		f->cfg.database_url = f->url;
	}
	f->cfg.db_pool_size = 2;
	f->cfg.worker_threads = 2;
	f->cfg.db_statement_timeout_ms = 5000;
	f->s = store_open(&f->cfg);
	if (!f->s)
		return false;
	f->o = f->s->ops;
	if (store_acquire(f->s, &f->db) != 0) {
		f->db = NULL;
		return false;
	}
	return f->o->migrate(f->db, NULL) >= 1;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void fx_close(struct fx *f)
{
	if (f->db && f->pg) {
		char *sql = xasprintf("DROP SCHEMA IF EXISTS \"%s\" CASCADE", f->schema);
		PQclear(PQexec(pg_handle(f->db), sql));
		free(sql);
	}
	if (f->db)
		store_release(f->s, f->db);
	store_close(f->s);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f->url);
}

/* Runs body once per store (PostgreSQL only when configured), each on fresh fixtures. */
static void for_each_store(void (*body)(struct fx *), const char *test)
{
	for (int k = 0; k < 2; k++) {
		if (k == 1 && !pg_url())
			continue;
		struct fx f;
		int before = test_failed_checks;
		if (fx_open(&f, k == 1))
			body(&f);
		else
			CHECK(!"store opened and migrated");
		fx_close(&f);
		if (test_failed_checks != before)
			fprintf(stderr, "  ^ %s on store %s\n", test, f.name);
	}
}

#define STORE_TEST(id)                                                                             \
	static void body_##id(struct fx *f);                                                       \
	TEST(id)                                                                                   \
	{                                                                                          \
		for_each_store(body_##id, #id);                                                    \
	}                                                                                          \
	static void body_##id(struct fx *f)

/* First column of the first row of a one-parameter query ($1, which SQLite also accepts), or
 * LLONG_MIN when there is no row or it is NULL; sq_sql/pg_sql differ only where types do. */
static long long q_int2(struct fx *f, const char *sq_sql, const char *pg_sql, long long arg)
{
	long long v = LLONG_MIN;
	if (!f->pg) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(sq_handle(f->db), sq_sql, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, arg);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    sqlite3_column_type(st, 0) != SQLITE_NULL)
				v = sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
		return v;
	}
	char num[24];
	snprintf(num, sizeof num, "%lld", arg);
	const char *vals[] = {num};
	PGresult *r = PQexecParams(pg_handle(f->db), pg_sql, 1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "  query failed: %s", PQerrorMessage(pg_handle(f->db)));
	PQclear(r);
	return v;
}

static long long q_int(struct fx *f, const char *sql, long long arg)
{
	return q_int2(f, sql, sql, arg);
}

/* Inserts user <name> (email <name>@Example.com, keys lower case); returns its id or -1. */
static long long add_user(struct fx *f, const char *name)
{
	char email[64], key[64];
	snprintf(email, sizeof email, "%s@Example.com", name);
	snprintf(key, sizeof key, "%s@example.com", name);
	struct user_new in = {.email = email,
			      .email_key = key,
			      .username = name,
			      .username_key = name,
			      .password_hash = "$argon2id$h",
			      .first_name = "First"};
	long long id = -1;
	return f->o->users_insert(f->db, &in, NOW, &id) == 1 ? id : -1;
}

static long long add_session(struct fx *f, long long uid, long long t, long long expires)
{
	long long id = -1;
	int rc = f->o->sessions_insert(f->db, uid, "password", t, expires, "10.0.0.1", "UA", &id);
	return rc == 1 ? id : -1;
}

TEST(pg_required)
{
	const char *no = getenv("CRM_TEST_NO_PG");
	if (pg_url() || (no && strcmp(no, "1") == 0))
		return;
	fprintf(stderr, "  CRM_TEST_DATABASE_URL is unset, so the PostgreSQL half did not run"
			" (CRM_TEST_NO_PG=1 runs SQLite alone on purpose)\n");
	test_failed_checks++;
}

/* ---- users ---- */

struct tx_ctx {
	struct fx *f;
	long long id;
	int rc[6];
};

static int tx_lock(struct db *db, void *arg)
{
	struct tx_ctx *c = arg;
	c->rc[0] = c->f->o->users_lock(db, c->id);
	c->rc[1] = c->f->o->users_lock(db, c->id + 1000);
	return 0;
}

/* A transaction meeting both conflicts carries on (both stores), then rolls back. */
static int tx_conflicts(struct db *db, void *arg)
{
	struct tx_ctx *c = arg;
	const struct store_ops *o = c->f->o;
	struct user_new bob = {.email = "bob@x",
			       .email_key = "bob@x",
			       .username = "bob",
			       .username_key = "bob",
			       .first_name = "Bob"};
	struct user_new dup_email = bob, dup_name = bob;
	dup_email.email_key = "ann@example.com";
	dup_name.username_key = "ann";
	long long id;
	c->rc[0] = o->users_insert(db, &bob, NOW, &id);
	c->rc[1] = o->users_insert(db, &dup_email, NOW, &id);
	c->rc[2] = o->users_insert(db, &dup_name, NOW, &id);
	struct user_row u;
	c->rc[3] = o->users_select_by_username_key(db, "bob", &u);
	user_row_free(&u);
	return ST_CONFLICT;
}

STORE_TEST(users_insert_select_conflict)
{
	const struct store_ops *o = f->o;
	struct user_new in = {.email = "Ann@Example.com",
			      .email_key = "ann@example.com",
			      .username = "Ann",
			      .username_key = "ann",
			      .password_hash = "$a$h",
			      .first_name = "Ann",
			      .email_verified = true};
	long long id = 0;
	CHECK_INT(o->users_insert(f->db, &in, NOW, &id), 1);
	CHECK(id > 0);
	struct user_row u;
	CHECK_INT(o->users_select(f->db, id, &u), 1);
	CHECK_INT(u.id, id);
	CHECK_STR(u.email, "Ann@Example.com");
	CHECK_STR(u.email_key, "ann@example.com");
	CHECK_STR(u.username, "Ann");
	CHECK_STR(u.username_key, "ann");
	CHECK_STR(u.password_hash, "$a$h");
	CHECK_STR(u.first_name, "Ann");
	CHECK(u.last_name == NULL && u.avatar_url == NULL);
	CHECK(u.email_verified && u.active);
	CHECK_STR(u.role, "USER");
	CHECK_INT(u.created_at, NOW);
	CHECK_INT(u.updated_at, NOW);
	CHECK_INT(u.last_login_at, 0);
	CHECK_INT(u.deactivated_at, 0);
	user_row_free(&u);
	CHECK_INT(o->users_select_by_email_key(f->db, "ann@example.com", &u), 1);
	CHECK_INT(u.id, id);
	user_row_free(&u);
	CHECK_INT(o->users_select_by_username_key(f->db, "ann", &u), 1);
	CHECK_INT(u.id, id);
	user_row_free(&u);
	CHECK_INT(o->users_select(f->db, id + 1000, &u), 0);
	CHECK(u.email == NULL);
	CHECK_INT(o->users_select_by_email_key(f->db, "Ann@Example.com", &u), 0);
	CHECK_INT(o->users_select_by_username_key(f->db, "nobody", &u), 0);

	struct tx_ctx c = {.f = f, .id = id};
	CHECK_INT(store_tx(f->s, true, tx_lock, &c), 0);
	CHECK_INT(c.rc[0], 1);
	CHECK_INT(c.rc[1], 0);

	CHECK_INT(store_tx(f->s, true, tx_conflicts, &c), ST_CONFLICT);
	CHECK_INT(c.rc[0], 1);
	CHECK_INT(c.rc[1], ST_CONFLICT);
	CHECK_INT(c.rc[2], ST_CONFLICT);
	CHECK_INT(c.rc[3], 1);
	CHECK_INT(o->users_select_by_username_key(f->db, "bob", &u), 0); /* rolled back */
	CHECK_INT(o->users_insert(f->db, &in, NOW, &id), ST_CONFLICT);	 /* autocommit */
	CHECK(add_user(f, "bob") > 0);
	CHECK_INT(q_int(f, "SELECT count(*) FROM users WHERE id > $1", 0), 2);
}

static int tx_update_conflict(struct db *db, void *arg)
{
	struct tx_ctx *c = arg;
	struct user_patch p = {.set_username = true, .username = "Bob", .username_key = "bob"};
	c->rc[0] = c->f->o->users_update(db, c->id, &p, NOW + 50);
	struct user_row u;
	c->rc[1] = c->f->o->users_select(db, c->id, &u);
	c->rc[2] = u.username_key && strcmp(u.username_key, "anna") == 0;
	user_row_free(&u);
	return c->rc[0];
}

/* Applies p at time t and reads the user back into u (freed first). */
static int patch(struct fx *f, long long id, const struct user_patch *p, long long t,
		 struct user_row *u)
{
	user_row_free(u);
	int rc = f->o->users_update(f->db, id, p, t);
	f->o->users_select(f->db, id, u);
	return rc;
}

STORE_TEST(users_update_each_flag)
{
	long long id = add_user(f, "ann"), bob = add_user(f, "bob");
	CHECK(id > 0 && bob > 0);
	struct user_row u = {0};
	CHECK_INT(patch(f, id, &(struct user_patch){.set_first_name = true, .first_name = "Annie"},
			NOW + 1, &u),
		  1);
	CHECK_STR(u.first_name, "Annie");
	CHECK_INT(u.updated_at, NOW + 1);
	CHECK(u.last_name == NULL);
	CHECK_STR(u.username, "ann");
	CHECK_STR(u.password_hash, "$argon2id$h");
	CHECK_INT(patch(f, id,
			&(struct user_patch){.set_last_name = true,
					     .last_name = "Smith",
					     .set_avatar_url = true,
					     .avatar_url = "https://a/b"},
			NOW + 2, &u),
		  1);
	CHECK_STR(u.last_name, "Smith");
	CHECK_STR(u.avatar_url, "https://a/b");
	CHECK_STR(u.first_name, "Annie");
	CHECK_INT(patch(f, id, &(struct user_patch){.set_last_name = true}, NOW + 3, &u), 1);
	CHECK(u.last_name == NULL);
	CHECK_STR(u.avatar_url, "https://a/b");
	CHECK_INT(patch(f, id,
			&(struct user_patch){
			    .set_username = true, .username = "Anna", .username_key = "anna"},
			NOW + 4, &u),
		  1);
	CHECK_STR(u.username, "Anna");
	CHECK_STR(u.username_key, "anna");
	CHECK_INT(patch(f, id, &(struct user_patch){.set_password_hash = true}, NOW + 5, &u), 1);
	CHECK(u.password_hash == NULL);
	CHECK(!u.email_verified);
	CHECK_INT(patch(f, id,
			&(struct user_patch){.set_email_verified = true, .email_verified = true},
			NOW + 6, &u),
		  1);
	CHECK(u.email_verified);
	CHECK_INT(patch(f, id, &(struct user_patch){.set_active = true}, NOW + 7, &u), 1);
	CHECK(!u.active);
	CHECK_INT(u.deactivated_at, NOW + 7);
	CHECK_INT(
	    patch(f, id, &(struct user_patch){.set_active = true, .active = true}, NOW + 8, &u), 1);
	CHECK(u.active);
	CHECK_INT(u.deactivated_at, 0);
	CHECK_INT(patch(f, id, &(struct user_patch){.set_last_login = true}, NOW + 9, &u), 1);
	CHECK_INT(u.last_login_at, NOW + 9);
	CHECK_INT(patch(f, id, &(struct user_patch){0}, NOW + 10, &u), 1);
	CHECK_INT(u.updated_at, NOW + 10);
	CHECK_INT(u.last_login_at, NOW + 9);
	CHECK(u.email_verified && u.active);
	CHECK_STR(u.email_key, "ann@example.com");

	struct tx_ctx c = {.f = f, .id = id};
	CHECK_INT(store_tx(f->s, true, tx_update_conflict, &c), ST_CONFLICT);
	CHECK_INT(c.rc[0], ST_CONFLICT);
	CHECK_INT(c.rc[1], 1); /* the transaction carried on */
	CHECK_INT(c.rc[2], 1);
	struct user_patch to_bob = {.set_username = true, .username = "Bob", .username_key = "bob"};
	CHECK_INT(patch(f, id, &to_bob, NOW + 11, &u), ST_CONFLICT);
	CHECK_STR(u.username_key, "anna");
	CHECK_INT(u.updated_at, NOW + 10);
	struct user_patch same = {.set_username = true, .username = "ANNA", .username_key = "anna"};
	CHECK_INT(patch(f, id, &same, NOW + 12, &u), 1);
	CHECK_STR(u.username, "ANNA");
	CHECK_INT(f->o->users_update(f->db, id + 1000, &to_bob, NOW), 0);
	CHECK_INT(f->o->users_update(f->db, id + 1000, &(struct user_patch){0}, NOW), 0);
	user_row_free(&u);
}

/* ---- sessions and the per-request lookup ---- */

/* Checks that the user's live sessions at t are exactly ids (in order). */
static void check_live(struct fx *f, long long uid, long long t, const long long *ids, int n)
{
	struct session_row *rows = NULL;
	int rc = f->o->sessions_select_live(f->db, uid, t, &rows);
	CHECK_INT(rc, n);
	for (int i = 0; i < rc; i++) {
		if (i < n)
			CHECK_INT(rows[i].id, ids[i]);
		session_row_free(&rows[i]);
	}
	free(rows);
}

STORE_TEST(sessions)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob"), far = NOW + 30 * DAY;
	long long s1 = add_session(f, u, NOW, far);
	long long s2 = -1, sv = add_session(f, v, NOW, far);
	CHECK_INT(o->sessions_insert(f->db, u, "google", NOW + 10, far, NULL, NULL, &s2), 1);
	long long s3 = add_session(f, u, NOW + 20, NOW + 30), s4 = add_session(f, u, NOW + 30, far);
	CHECK(s1 > 0 && s2 > s1 && s3 > s2 && s4 > s3 && sv > 0);
	struct session_row s;
	CHECK_INT(o->sessions_select(f->db, s2, &s), 1);
	CHECK_INT(s.user_id, u);
	CHECK_STR(s.auth_method, "google");
	CHECK_INT(s.created_at, NOW + 10);
	CHECK_INT(s.last_used_at, NOW + 10);
	CHECK_INT(s.expires_at, far);
	CHECK_INT(s.revoked_at, 0);
	CHECK(s.revoke_reason == NULL && s.ip == NULL && s.user_agent == NULL);
	session_row_free(&s);
	CHECK_INT(o->sessions_select(f->db, s4 + 1000, &s), 0);
	check_live(f, u, NOW + 29, (long long[]){s4, s3, s2, s1}, 4);
	check_live(f, u, NOW + 30, (long long[]){s4, s2, s1}, 3); /* s3 expired */

	CHECK_INT(o->sessions_touch(f->db, s1, NOW + 50, "10.0.0.2", "UA2"), 1);
	CHECK_INT(o->sessions_select(f->db, s1, &s), 1);
	CHECK_INT(s.last_used_at, NOW + 50);
	CHECK_STR(s.ip, "10.0.0.2");
	CHECK_STR(s.user_agent, "UA2");
	CHECK_STR(s.auth_method, "password");
	session_row_free(&s);

	CHECK_INT(o->sessions_revoke(f->db, v, s2, NOW + 60, "logout"), 0); /* not v's */
	CHECK_INT(o->sessions_revoke(f->db, u, s2, NOW + 60, "logout"), 1);
	CHECK_INT(o->sessions_revoke(f->db, u, s2, NOW + 61, "logout"), 0);
	CHECK_INT(o->sessions_revoke(f->db, u, s3, NOW + 61, "logout"), 0); /* expired */
	CHECK_INT(o->sessions_select(f->db, s2, &s), 1);
	CHECK_INT(s.revoked_at, NOW + 60);
	CHECK_STR(s.revoke_reason, "logout");
	session_row_free(&s);

	long long s5 = add_session(f, u, NOW + 70, far), s6 = add_session(f, u, NOW + 80, far);
	/* by last use: s6 80, s5 70, s1 50, s4 30 */
	CHECK_INT(o->sessions_trim(f->db, u, NOW + 90, 2, "limit"), 2);
	check_live(f, u, NOW + 90, (long long[]){s6, s5}, 2);
	CHECK_INT(o->sessions_select(f->db, s4, &s), 1);
	CHECK_INT(s.revoked_at, NOW + 90);
	CHECK_STR(s.revoke_reason, "limit");
	session_row_free(&s);
	CHECK_INT(o->sessions_touch(f->db, s5, NOW + 80, NULL, NULL), 1); /* tie: newest id stays */
	CHECK_INT(o->sessions_trim(f->db, u, NOW + 91, 1, "limit"), 1);
	check_live(f, u, NOW + 91, (long long[]){s6}, 1);
	CHECK_INT(o->sessions_trim(f->db, u, NOW + 92, 1, "limit"), 0);

	CHECK_INT(o->sessions_revoke_all(f->db, u, s6, NOW + 100, "password"), 0);
	long long s7 = add_session(f, u, NOW + 100, far);
	CHECK(s7 > 0);
	CHECK_INT(o->sessions_revoke_all(f->db, u, s6, NOW + 101, "password"), 1);
	check_live(f, u, NOW + 101, (long long[]){s6}, 1);
	CHECK_INT(o->sessions_revoke_all(f->db, u, 0, NOW + 102, "all"), 1);
	check_live(f, u, NOW + 102, NULL, 0);
	check_live(f, v, NOW + 102, (long long[]){sv}, 1);
}

STORE_TEST(auth_lookup)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), far = NOW + DAY;
	long long live = add_session(f, u, NOW, far), gone = add_session(f, u, NOW + 1, far);
	long long soon = add_session(f, u, NOW + 2, NOW + 100);
	CHECK_INT(o->sessions_revoke(f->db, u, gone, NOW + 3, "logout"), 1);
	struct auth_row a;
	CHECK_INT(o->auth_lookup(f->db, live, NOW + 5, &a), 1);
	CHECK_INT(a.user_id, u);
	CHECK_INT(a.session_id, live);
	CHECK(a.session_live && a.user_active);
	CHECK_STR(a.role, "USER");
	CHECK_INT(a.session_created_at, NOW);
	auth_row_free(&a);
	CHECK_INT(o->auth_lookup(f->db, gone, NOW + 5, &a), 1);
	CHECK(!a.session_live && a.user_active);
	CHECK_INT(a.session_created_at, NOW + 1);
	auth_row_free(&a);
	CHECK_INT(o->auth_lookup(f->db, soon, NOW + 99, &a), 1);
	CHECK(a.session_live);
	auth_row_free(&a);
	CHECK_INT(o->auth_lookup(f->db, soon, NOW + 100, &a), 1);
	CHECK(!a.session_live);
	auth_row_free(&a);
	CHECK_INT(o->auth_lookup(f->db, soon + 1000, NOW, &a), 0);
	CHECK(a.role == NULL);
	CHECK_INT(o->users_update(f->db, u, &(struct user_patch){.set_active = true}, NOW + 6), 1);
	CHECK_INT(o->auth_lookup(f->db, live, NOW + 7, &a), 1);
	CHECK(a.session_live && !a.user_active);
	auth_row_free(&a);
}

/* ---- refresh tokens ---- */

struct race {
	struct fx *f;
	pthread_barrier_t go;
	atomic_int consumed, zero, failed;
};

static int tx_consume(struct db *db, void *arg)
{
	struct race *r = arg;
	struct refresh_row row;
	return r->f->o->refresh_consume(db, "race", NOW + 9, &row);
}

static void *race_main(void *arg)
{
	struct race *r = arg;
	pthread_barrier_wait(&r->go);
	int rc = store_tx(r->f->s, true, tx_consume, r);
	atomic_fetch_add(rc == 1 ? &r->consumed : rc == 0 ? &r->zero : &r->failed, 1);
	return NULL;
}

STORE_TEST(refresh_tokens)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), s = add_session(f, u, NOW, NOW + DAY);
	CHECK_INT(o->refresh_insert(f->db, u, s, "h1", NOW + 1), 1);
	CHECK_INT(o->refresh_insert(f->db, u, s, "h1", NOW + 1), ST_CONFLICT);
	struct refresh_row r;
	CHECK_INT(o->refresh_select(f->db, "h1", &r), 1);
	CHECK(r.id > 0);
	CHECK_INT(r.user_id, u);
	CHECK_INT(r.session_id, s);
	CHECK_INT(r.created_at, NOW + 1);
	CHECK_INT(r.used_at, 0);
	CHECK_INT(o->refresh_consume(f->db, "h1", NOW + 5, &r), 1);
	CHECK_INT(r.used_at, NOW + 5);
	CHECK_INT(r.session_id, s);
	CHECK_INT(r.created_at, NOW + 1);
	CHECK_INT(o->refresh_consume(f->db, "h1", NOW + 6, &r), 0);
	CHECK_INT(o->refresh_select(f->db, "h1", &r), 1);
	CHECK_INT(r.used_at, NOW + 5);
	CHECK_INT(o->refresh_consume(f->db, "nope", NOW, &r), 0);
	CHECK_INT(o->refresh_select(f->db, "nope", &r), 0);

	/* 20 parallel refreshes of one token: exactly one consumes it. */
	CHECK_INT(o->refresh_insert(f->db, u, s, "race", NOW + 8), 1);
	store_release(f->s, f->db);
	struct race rc = {.f = f};
	pthread_t t[20];
	pthread_barrier_init(&rc.go, NULL, 20);
	for (int i = 0; i < 20; i++)
		pthread_create(&t[i], NULL, race_main, &rc);
	for (int i = 0; i < 20; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&rc.go);
	CHECK_INT(store_acquire(f->s, &f->db), 0);
	CHECK_INT(atomic_load(&rc.consumed), 1);
	CHECK_INT(atomic_load(&rc.zero), 19);
	CHECK_INT(atomic_load(&rc.failed), 0);
}

/* ---- email tokens ---- */

static struct email_token_row tok(struct fx *f, const char *hash)
{
	struct email_token_row t;
	CHECK_INT(f->o->email_tokens_select(f->db, hash, &t), 1);
	return t;
}

STORE_TEST(email_tokens)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob"), half = 1800000;
	CHECK_INT(
	    o->email_tokens_insert(f->db, u, "verify_email", "t1", "a@x", "pw1", NOW, NOW + DAY),
	    1);
	CHECK_INT(o->email_tokens_insert(f->db, u, "reset_password", "r1", "a@x", NULL, NOW + 1,
					 NOW + 1 + half),
		  1);
	CHECK_INT(
	    o->email_tokens_insert(f->db, v, "verify_email", "v1", "b@x", NULL, NOW, NOW + DAY), 1);
	struct email_token_row t = tok(f, "t1");
	CHECK_INT(t.user_id, u);
	CHECK_STR(t.purpose, "verify_email");
	CHECK_STR(t.email, "a@x");
	CHECK_STR(t.password_hash, "pw1");
	CHECK_INT(t.created_at, NOW);
	CHECK_INT(t.expires_at, NOW + DAY);
	CHECK(t.used_at == 0 && t.invalidated_at == 0);
	long long t1 = t.id;
	email_token_row_free(&t);

	/* a new verify token invalidates t1 only (not r1, not v's) */
	CHECK_INT(o->email_tokens_insert(f->db, u, "verify_email", "t2", "a@x", "pw2", NOW + 10,
					 NOW + 10 + DAY),
		  1);
	t = tok(f, "t1");
	CHECK_INT(t.invalidated_at, NOW + 10);
	CHECK(t.password_hash == NULL);
	email_token_row_free(&t);
	t = tok(f, "r1");
	CHECK_INT(t.invalidated_at, 0);
	long long r1 = t.id;
	email_token_row_free(&t);
	t = tok(f, "v1");
	CHECK_INT(t.invalidated_at, 0);
	email_token_row_free(&t);
	t = tok(f, "t2");
	CHECK_STR(t.password_hash, "pw2");
	long long t2 = t.id;
	email_token_row_free(&t);

	CHECK_INT(o->email_tokens_use(f->db, t1, NOW + 20), 0);
	CHECK_INT(o->email_tokens_use(f->db, t2, NOW + 20), 1);
	CHECK_INT(o->email_tokens_use(f->db, t2, NOW + 21), 0);
	t = tok(f, "t2");
	CHECK_INT(t.used_at, NOW + 20);
	CHECK(t.password_hash == NULL);
	email_token_row_free(&t);
	CHECK_INT(o->email_tokens_insert(f->db, u, "verify_email", "t3", "a@x", NULL, NOW + 30,
					 NOW + 30 + DAY),
		  1);
	t = tok(f, "t2");
	CHECK_INT(t.invalidated_at, 0); /* used tokens stay as they are */
	email_token_row_free(&t);

	CHECK_INT(o->email_tokens_use(f->db, r1, NOW + 1 + half), 0); /* expired */
	CHECK_INT(o->email_tokens_invalidate(f->db, u, "reset_password", NOW + 1 + half), 0);
	CHECK_INT(o->email_tokens_invalidate(f->db, u, "reset_password", NOW + 40), 1);
	CHECK_INT(o->email_tokens_use(f->db, r1, NOW + 50), 0);
	t = tok(f, "r1");
	CHECK_INT(t.invalidated_at, NOW + 40);
	email_token_row_free(&t);
	CHECK_INT(o->email_tokens_invalidate(f->db, u, "verify_email", NOW + 40), 1); /* t3 */
	CHECK_INT(o->email_tokens_invalidate(f->db, u, "verify_email", NOW + 41), 0);
	t = tok(f, "v1");
	CHECK_INT(t.invalidated_at, 0);
	email_token_row_free(&t);
	CHECK_INT(o->email_tokens_select(f->db, "missing", &t), 0);
	CHECK(t.purpose == NULL);
}

/* ---- login failures ---- */

/* Checks login_failures_window's count and release time. */
#define CHECK_WINDOW(key, ip, since, max, want_count, want_release)                                \
	do {                                                                                       \
		int n_ = -1;                                                                       \
		long long rel_ = -1;                                                               \
		CHECK_INT(f->o->login_failures_window(f->db, key, ip, since, max, &n_, &rel_), 1); \
		CHECK_INT(n_, want_count);                                                         \
		CHECK_INT(rel_, want_release);                                                     \
	} while (0)

STORE_TEST(login_failures)
{
	const struct store_ops *o = f->o;
	const char *k = "k1", *ip1 = "10.0.0.1", *ip2 = "10.0.0.2";
	for (int i = 0; i < 5; i++)
		CHECK_INT(o->login_failures_insert(f->db, k, ip1, NOW + 10 * i), 1);
	CHECK_INT(o->login_failures_insert(f->db, k, ip2, NOW + 15), 1);
	CHECK_INT(o->login_failures_insert(f->db, k, ip2, NOW + 25), 1);
	CHECK_INT(o->login_failures_insert(f->db, "k2", ip1, NOW + 5), 1);
	CHECK_WINDOW(k, ip1, NOW, 3, 5, NOW + 20); /* 0 10 [20] 30 40 */
	CHECK_WINDOW(k, ip1, NOW + 15, 3, 3, NOW + 20);
	CHECK_WINDOW(k, ip1, NOW + 25, 3, 2, 0);
	CHECK_WINDOW(k, ip1, NOW, 5, 5, NOW);
	CHECK_WINDOW(k, ip1, NOW, 10, 5, 0);
	CHECK_WINDOW(k, NULL, NOW, 6, 7, NOW + 10); /* 0 [10] 15 20 25 30 40 */
	CHECK_WINDOW(k, ip2, NOW, 2, 2, NOW + 15);
	CHECK_WINDOW("k2", NULL, NOW, 10, 1, 0);
	CHECK_WINDOW("none", ip1, NOW, 1, 0, 0);
	CHECK_INT(o->login_failures_clear(f->db, k, ip1), 5);
	CHECK_WINDOW(k, ip1, NOW, 3, 0, 0);
	CHECK_WINDOW(k, NULL, NOW, 2, 2, NOW + 15);
	CHECK_WINDOW("k2", ip1, NOW, 3, 1, 0);
	CHECK_INT(o->login_failures_clear(f->db, k, NULL), 2);
	CHECK_WINDOW(k, NULL, 0, 1, 0, 0);
	CHECK_INT(o->login_failures_insert(f->db, "k3", ip1, NOW + 100), 1);
	CHECK_INT(o->login_failures_insert(f->db, "k3", NULL, NOW + 200), 1);
	CHECK_INT(o->login_failures_purge(f->db, NOW + 150), 2); /* k2 at 5, k3 at 100 */
	CHECK_WINDOW("k3", NULL, 0, 1, 1, NOW + 200);
	CHECK_WINDOW("k2", NULL, 0, 1, 0, 0);
}

/* ---- audit, outbox ---- */

STORE_TEST(audit_insert)
{
	long long u = add_user(f, "ann");
	struct audit_new a = {.user_id = u,
			      .event = "auth.login",
			      .ip = "10.0.0.1",
			      .user_agent = "UA",
			      .request_id = "req-1",
			      .details_json = "{\"method\":\"password\"}"};
	CHECK_INT(f->o->audit_insert(f->db, &a, NOW), 1);
	CHECK_INT(f->o->audit_insert(f->db, &(struct audit_new){.event = "anon"}, NOW + 1), 1);
	CHECK_INT(q_int(f, "SELECT count(*) FROM audit_log WHERE user_id = $1", u), 1);
	CHECK_INT(q_int2(f, "SELECT created_at FROM audit_log WHERE user_id IS NULL AND id > $1",
			 "SELECT (extract(epoch FROM created_at) * 1000)::bigint FROM audit_log"
			 " WHERE user_id IS NULL AND id > $1",
			 0),
		  NOW + 1);
}

/* Outbox row state: status (0 pending, 1 sent, 2 failed), attempts, bodies erased. */
static long long ob_status(struct fx *f, long long id)
{
	return q_int(f,
		     "SELECT CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 ELSE 2 END"
		     " FROM email_outbox WHERE id = $1",
		     id);
}
static long long ob_erased(struct fx *f, long long id)
{
	return q_int(f,
		     "SELECT CASE WHEN body_text IS NULL AND body_html IS NULL THEN 1 ELSE 0"
		     " END FROM email_outbox WHERE id = $1",
		     id);
}

/* Checks that the rows due at t (at most max) are exactly ids, in order. */
static void check_due(struct fx *f, long long t, int max, const long long *ids, int n)
{
	struct outbox_row *rows = NULL;
	int rc = f->o->outbox_select_due(f->db, t, max, &rows);
	CHECK_INT(rc, n);
	for (int i = 0; i < rc; i++) {
		if (i < n)
			CHECK_INT(rows[i].id, ids[i]);
		outbox_row_free(&rows[i]);
	}
	free(rows);
}

STORE_TEST(outbox)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), m1, m2, m3, m4 = 0;
	struct outbox_new m = {.user_id = u,
			       .to_address = "a@x",
			       .template_name = "verify_email",
			       .subject = "Verify",
			       .body_text = "t",
			       .body_html = "<p>h</p>"};
	CHECK_INT(o->outbox_insert(f->db, &m, NOW, &m1), 1);
	struct outbox_new anon = {.to_address = "b@x",
				  .template_name = "account_exists",
				  .subject = "S",
				  .body_text = "t2",
				  .body_html = "h2"};
	CHECK_INT(o->outbox_insert(f->db, &anon, NOW + 10, &m2), 1);
	CHECK_INT(o->outbox_insert(f->db, &m, NOW + 20, &m3), 1);
	m.template_name = "password_reset";
	CHECK_INT(o->outbox_insert(f->db, &m, NOW + 30, NULL), 1);
	m4 = q_int(f, "SELECT max(id) FROM email_outbox WHERE id > $1", 0);
	int n = -1;
	CHECK_INT(o->outbox_count_recent(f->db, "a@x", "verify_email", NOW, &n), 1);
	CHECK_INT(n, 2);
	CHECK_INT(o->outbox_count_recent(f->db, "a@x", "verify_email", NOW + 5, &n), 1);
	CHECK_INT(n, 1);
	CHECK_INT(o->outbox_count_recent(f->db, "a@x", "password_reset", NOW, &n), 1);
	CHECK_INT(n, 1);
	CHECK_INT(o->outbox_count_recent(f->db, "c@x", "verify_email", 0, &n), 1);
	CHECK_INT(n, 0);
	CHECK_INT(o->outbox_pending(f->db, &n), 1);
	CHECK_INT(n, 4);

	struct outbox_row *rows = NULL;
	CHECK_INT(o->outbox_select_due(f->db, NOW + 15, 10, &rows), 2);
	if (rows) {
		CHECK_INT(rows[0].id, m1);
		CHECK_INT(rows[0].user_id, u);
		CHECK_STR(rows[0].to_address, "a@x");
		CHECK_STR(rows[0].template_name, "verify_email");
		CHECK_STR(rows[0].subject, "Verify");
		CHECK_STR(rows[0].body_text, "t");
		CHECK_STR(rows[0].body_html, "<p>h</p>");
		CHECK_STR(rows[0].status, "pending");
		CHECK_INT(rows[0].attempts, 0);
		CHECK_INT(rows[0].next_attempt_at, NOW);
		CHECK_INT(rows[0].created_at, NOW);
		CHECK_INT(rows[0].sent_at, 0);
		CHECK(rows[0].last_error == NULL);
		CHECK_INT(rows[1].id, m2);
		CHECK_INT(rows[1].user_id, 0);
		for (int i = 0; i < 2; i++)
			outbox_row_free(&rows[i]);
	}
	free(rows);
	check_due(f, NOW + 100, 2, (long long[]){m1, m2}, 2);

	CHECK_INT(o->outbox_mark_retry(f->db, m1, NOW + 1000, "421 busy", false, true), 1);
	CHECK_INT(ob_status(f, m1), 0);
	CHECK_INT(ob_erased(f, m1), 0); /* a retry keeps its bodies */
	check_due(f, NOW + 100, 10, (long long[]){m2, m3, m4}, 3);
	check_due(f, NOW + 1000, 10, (long long[]){m2, m3, m4, m1}, 4);
	CHECK_INT(o->outbox_select_due(f->db, NOW + 1000, 10, &rows), 4);
	if (rows) {
		CHECK_INT(rows[3].attempts, 1);
		CHECK_STR(rows[3].last_error, "421 busy");
		CHECK_INT(rows[3].next_attempt_at, NOW + 1000);
		for (int i = 0; i < 4; i++)
			outbox_row_free(&rows[i]);
	}
	free(rows);
	CHECK_INT(o->outbox_mark_retry(f->db, m1, NOW + 2000, "550 no", true, true), 1);
	CHECK_INT(ob_status(f, m1), 2);
	CHECK_INT(ob_erased(f, m1), 1);
	CHECK_INT(q_int(f, "SELECT attempts FROM email_outbox WHERE id = $1", m1), 2);
	CHECK_INT(o->outbox_mark_sent(f->db, m2, NOW + 50, false), 1);
	CHECK_INT(ob_status(f, m2), 1);
	CHECK_INT(ob_erased(f, m2), 0);
	CHECK_INT(q_int2(f, "SELECT sent_at FROM email_outbox WHERE id = $1",
			 "SELECT (extract(epoch FROM sent_at) * 1000)::bigint FROM email_outbox"
			 " WHERE id = $1",
			 m2),
		  NOW + 50);
	CHECK_INT(o->outbox_mark_sent(f->db, m3, NOW + 60, true), 1);
	CHECK_INT(ob_erased(f, m3), 1);
	CHECK_INT(o->outbox_mark_sent(f->db, m4 + 1000, NOW, true), 0);
	CHECK_INT(o->outbox_pending(f->db, &n), 1);
	CHECK_INT(n, 1);
	check_due(f, NOW + DAY, 10, (long long[]){m4}, 1);

	/* A claim takes a pending row once, and only while it is due (workers of several nodes
	 * may select the same row); claimed, it is due again at the claim's end. */
	CHECK_INT(o->outbox_claim(f->db, m4, NOW + 10, NOW + 5000), 0); /* due at NOW + 30 */
	CHECK_INT(o->outbox_claim(f->db, m4, NOW + 100, NOW + 5000), 1);
	CHECK_INT(o->outbox_claim(f->db, m4, NOW + 100, NOW + 5000), 0);
	check_due(f, NOW + 4999, 10, (long long[]){0}, 0);
	check_due(f, NOW + 5000, 10, (long long[]){m4}, 1);
	CHECK_INT(o->outbox_claim(f->db, m2, NOW + DAY, NOW + DAY + 5000), 0); /* sent */
	CHECK_INT(o->outbox_claim(f->db, m1, NOW + DAY, NOW + DAY + 5000), 0); /* failed */

	/* m4's bodies erased (password_reset, created at 30 < 31), m2 deleted (sent 50 < 55) */
	CHECK_INT(o->outbox_purge(f->db, "password_reset", NOW + 31, NOW + 55), 2);
	CHECK_INT(ob_erased(f, m4), 1);
	CHECK_INT(ob_status(f, m4), 0);
	CHECK_INT(ob_status(f, m2), LLONG_MIN);
	CHECK_INT(ob_status(f, m3), 1);
	CHECK_INT(o->outbox_purge(f->db, "password_reset", NOW + 31, NOW + 55), 0);
	CHECK_INT(o->outbox_purge(f->db, "verify_email", NOW + 100, NOW + 61), 1); /* m3 */
	CHECK_INT(q_int(f, "SELECT count(*) FROM email_outbox WHERE id > $1", 0), 2);
}

/* ---- deleting a user ---- */

static int tx_delete(struct db *db, void *arg)
{
	struct tx_ctx *c = arg;
	c->rc[0] = c->f->o->users_lock(db, c->id);
	return c->f->o->users_delete(db, c->id);
}

static long long count_of(struct fx *f, const char *table, long long uid)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE user_id = $1", table);
	return q_int(f, sql, uid);
}

STORE_TEST(users_delete_cascades)
{
	const struct store_ops *o = f->o;
	static const char *const tables[] = {"sessions", "refresh_tokens", "email_tokens",
					     "email_outbox", "audit_log"};
	long long ids[2] = {add_user(f, "ann"), add_user(f, "bob")};
	for (int i = 0; i < 2; i++) {
		long long s = add_session(f, ids[i], NOW, NOW + DAY);
		CHECK_INT(o->refresh_insert(f->db, ids[i], s, i ? "hb" : "ha", NOW), 1);
		CHECK_INT(o->email_tokens_insert(f->db, ids[i], "verify_email", i ? "eb" : "ea",
						 "x", NULL, NOW, NOW + DAY),
			  1);
		struct outbox_new m = {.user_id = ids[i],
				       .to_address = "x",
				       .template_name = "t",
				       .subject = "s",
				       .body_text = "b",
				       .body_html = "h"};
		CHECK_INT(o->outbox_insert(f->db, &m, NOW, NULL), 1);
		struct audit_new a = {.user_id = ids[i], .event = "auth.login"};
		CHECK_INT(o->audit_insert(f->db, &a, NOW), 1);
		CHECK_INT(o->audit_insert(f->db, &a, NOW + 1), 1);
	}
	CHECK_INT(count_of(f, "audit_log", ids[0]), 2);
	struct tx_ctx c = {.f = f, .id = ids[0]};
	CHECK_INT(store_tx(f->s, true, tx_delete, &c), 1);
	CHECK_INT(c.rc[0], 1);
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
		CHECK_INT(count_of(f, tables[t], ids[0]), 0);
		CHECK(count_of(f, tables[t], ids[1]) >= 1);
	}
	struct user_row u;
	CHECK_INT(o->users_select(f->db, ids[0], &u), 0);
	CHECK_INT(o->users_delete(f->db, ids[0]), 0);
	/* the account.deleted row written afterwards survives a repeated delete */
	CHECK_INT(
	    o->audit_insert(
		f->db, &(struct audit_new){.user_id = ids[0], .event = "account.deleted"}, NOW + 2),
	    1);
	CHECK_INT(store_tx(f->s, true, tx_delete, &c), 0);
	CHECK_INT(c.rc[0], 0);
	CHECK_INT(count_of(f, "audit_log", ids[0]), 1);
	CHECK_INT(count_of(f, "audit_log", ids[1]), 2);
}

int main(void)
{
	return RUN_TESTS();
}
