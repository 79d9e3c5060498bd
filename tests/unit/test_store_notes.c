/* Unit tests of the notes and interactions operations of the store (store.h, notes_insert …
 * contacts_recompute_last_contacted): the same checks on SQLite (a fresh database per test) and
 * PostgreSQL (CRM_TEST_DATABASE_URL; a fresh schema per test, dropped after it). Without
 * CRM_TEST_DATABASE_URL the test pg_required fails, so the PostgreSQL half is never skipped
 * silently; CRM_TEST_NO_PG=1 runs SQLite alone on purpose. Contacts are inserted with plain SQL
 * so these tests depend on nothing but the schema. All times are explicit. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "store/pg/pgs.h"
#include "store/sqlite/sq.h"
#include "store/store.h"
#include "test.h"
#include "util/alloc.h"

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
	snprintf(f->dir, sizeof f->dir, "/tmp/crm-test-notes-XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	snprintf(f->path, sizeof f->path, "%s/crm.sqlite3", f->dir);
	f->cfg.data_dir = f->dir;
	f->cfg.sqlite_path = f->path;
	if (pg) {
		snprintf(f->schema, sizeof f->schema, "tn_%d_%d", (int)getpid(), ++seq);
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

/* First column of the first row of sql (no parameters; the text must suit both stores), or
 * -1 when there is no row or it is NULL. */
static long long q_int(struct fx *f, const char *sql)
{
	long long v = -1;
	if (!f->pg) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(sq_handle(f->db), sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return v;
	}
	PGresult *r = PQexec(pg_handle(f->db), sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

static long long add_user(struct fx *f, const char *name)
{
	char email[64];
	snprintf(email, sizeof email, "%s@example.com", name);
	struct user_new in = {.email = email,
			      .email_key = email,
			      .username = name,
			      .username_key = name,
			      .first_name = "U"};
	long long id = -1;
	return f->o->users_insert(f->db, &in, 1000, &id) == 1 ? id : -1;
}

/* A contact of uid (created and updated at 1 ms); returns its id or -1. */
static long long add_contact(struct fx *f, long long uid, const char *name)
{
	char *sql =
	    f->pg
		? xasprintf("INSERT INTO contacts (user_id, first_name, first_name_key, created_at,"
			    " updated_at) VALUES (%lld, '%s', '%s', 'epoch'::timestamptz +"
			    " interval '1 millisecond', 'epoch'::timestamptz + interval"
			    " '1 millisecond') RETURNING id",
			    uid, name, name)
		: xasprintf("INSERT INTO contacts (user_id, first_name, first_name_key, created_at,"
			    " updated_at) VALUES (%lld, '%s', '%s', 1, 1) RETURNING id",
			    uid, name, name);
	long long id = q_int(f, sql);
	free(sql);
	return id;
}

static long long contact_col(struct fx *f, long long id, const char *col)
{
	char *sql = f->pg ? xasprintf("SELECT (extract(epoch FROM %s) * 1000)::bigint FROM contacts"
				      " WHERE id = %lld",
				      col, id)
			  : xasprintf("SELECT %s FROM contacts WHERE id = %lld", col, id);
	long long v = q_int(f, sql);
	free(sql);
	return v;
}

static long long add_note(struct fx *f, long long uid, long long cid, const char *title,
			  long long t)
{
	long long id = -1;
	int rc = f->o->notes_insert(f->db, uid, cid, title, title, "body", t, &id);
	return rc == 1 ? id : -1;
}

static struct list_query page_query(int limit)
{
	struct list_query q;
	memset(&q, 0, sizeof q);
	q.limit = limit;
	return q;
}

TEST(pg_required)
{
	const char *no = getenv("CRM_TEST_NO_PG");
	if (pg_url() || (no && strcmp(no, "1") == 0))
		return;
	fprintf(stderr, "  CRM_TEST_DATABASE_URL is unset, so the PostgreSQL half did not run\n");
	test_failed_checks++;
}

STORE_TEST(notes_crud_tombstone_and_tenancy)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob");
	long long c1 = add_contact(f, u, "c1"), c2 = add_contact(f, u, "c2");
	long long n1 = add_note(f, u, c1, "hello", 5000);
	CHECK(n1 > 0);
	long long dup = -1;
	CHECK_INT(o->notes_insert(f->db, u, c1, "Hello", "hello", "x", 5001, &dup), ST_CONFLICT);
	CHECK(add_note(f, u, c2, "hello", 5002) > 0); /* unique per contact only */
	struct note_row r;
	CHECK_INT(o->notes_select(f->db, u, n1, &r), 1);
	CHECK_STR(r.title, "hello");
	CHECK_STR(r.content, "body");
	CHECK_INT(r.contact_id, c1);
	CHECK_INT(r.created_at, 5000);
	CHECK_INT(r.updated_at, 5000);
	CHECK(!r.deleted);
	note_row_free(&r);
	CHECK_INT(o->notes_select(f->db, v, n1, &r), 0); /* another user's note is not there */
	long long found = 0;
	CHECK_INT(o->notes_select_by_title(f->db, u, c1, "hello", 0, &found), 1);
	CHECK_INT(found, n1);
	CHECK_INT(o->notes_select_by_title(f->db, u, c1, "hello", n1, &found), 0);
	CHECK_INT(o->notes_select_by_title(f->db, v, c1, "hello", 0, &found), 0);

	struct note_patch p = {.set_content = true, .content = "new"};
	CHECK_INT(o->notes_update(f->db, v, n1, &p, 6000), 0);
	CHECK_INT(o->notes_update(f->db, u, n1, &p, 6000), 1);
	struct note_patch mv = {.set_contact = true, .contact_id = c2};
	CHECK_INT(o->notes_update(f->db, u, n1, &mv, 6001), ST_CONFLICT); /* c2 has "hello" */
	struct note_patch both = {.set_contact = true,
				  .contact_id = c2,
				  .set_title = true,
				  .title = "Other",
				  .title_key = "other"};
	CHECK_INT(o->notes_update(f->db, u, n1, &both, 6002), 1);
	CHECK_INT(o->notes_select(f->db, u, n1, &r), 1);
	CHECK_STR(r.title, "Other");
	CHECK_STR(r.content, "new");
	CHECK_INT(r.contact_id, c2);
	CHECK_INT(r.created_at, 5000);
	CHECK_INT(r.updated_at, 6002);
	note_row_free(&r);

	long long cid = 0;
	CHECK_INT(o->notes_delete(f->db, v, n1, 7000, &cid), 0);
	CHECK_INT(o->notes_delete(f->db, u, n1, 7000, &cid), 1);
	CHECK_INT(cid, c2);
	CHECK_INT(o->notes_delete(f->db, u, n1, 7001, &cid), 0);
	CHECK_INT(q_int(f, "SELECT count(*) FROM tombstones WHERE kind = 'note'"), 1);
	CHECK_INT(o->notes_select(f->db, u, n1, &r), 0);
}

/* Rows of one page as ids, "a,b,c". */
static void note_ids(struct note_row *rows, int n, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%lld%s", i ? "," : "", rows[i].id,
				      rows[i].deleted ? "d" : "");
	note_rows_free(rows, n);
}

STORE_TEST(notes_keyset_pages_filters_and_counts)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob");
	long long c1 = add_contact(f, u, "c1"), c2 = add_contact(f, u, "c2");
	long long cv = add_contact(f, v, "cv");
	long long id[5];
	id[0] = add_note(f, u, c1, "a", 1000);
	id[1] = add_note(f, u, c2, "b", 2000);
	id[2] = add_note(f, u, c1, "c", 2000); /* same created_at: id breaks the tie */
	id[3] = add_note(f, u, c2, "d", 3000);
	id[4] = add_note(f, u, c1, "e", 4000);
	add_note(f, v, cv, "a", 2500);
	char got[128], want[128];
	struct note_row *rows;
	struct list_query q = page_query(2);
	q.desc = true;
	int n = o->notes_select_many(f->db, u, &q, &rows);
	CHECK_INT(n, 2);
	note_ids(rows, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld", id[4], id[3]);
	CHECK_STR(got, want);
	q.has_after = true;
	q.after_key = 3000;
	q.after_id = id[3];
	n = o->notes_select_many(f->db, u, &q, &rows);
	CHECK_INT(n, 2);
	note_ids(rows, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld", id[2], id[1]);
	CHECK_STR(got, want);
	q.after_key = 2000;
	q.after_id = id[1];
	n = o->notes_select_many(f->db, u, &q, &rows);
	CHECK_INT(n, 1);
	note_ids(rows, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld", id[0]);
	CHECK_STR(got, want);

	/* ascending, one contact, range [2000, 4000) */
	q = page_query(10);
	q.contact_id = c1;
	q.has_from = q.has_to = true;
	q.from = 2000;
	q.to = 4000;
	n = o->notes_select_many(f->db, u, &q, &rows);
	CHECK_INT(n, 1);
	note_ids(rows, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld", id[2]);
	CHECK_STR(got, want);
	long long total = -1;
	CHECK_INT(o->notes_count(f->db, u, &q, &total), 1);
	CHECK_INT(total, 1);
	q = page_query(10);
	q.title_key = "d";
	CHECK_INT(o->notes_select_many(f->db, u, &q, &rows), 1);
	CHECK_INT(rows[0].id, id[3]);
	note_rows_free(rows, 1);
	CHECK_INT(o->notes_count(f->db, u, NULL, &total), 1);
	CHECK_INT(total, 5);
	CHECK_INT(o->notes_count(f->db, v, NULL, &total), 1);
	CHECK_INT(total, 1);

	/* updated_at sort: a change moves a note to the end */
	struct note_patch p = {.set_content = true, .content = "x"};
	CHECK_INT(o->notes_update(f->db, u, id[0], &p, 9000), 1);
	q = page_query(1);
	q.sort = SORT_UPDATED_AT;
	q.desc = true;
	CHECK_INT(o->notes_select_many(f->db, u, &q, &rows), 1);
	CHECK_INT(rows[0].id, id[0]);
	note_rows_free(rows, 1);
}

STORE_TEST(notes_change_feed_merges_tombstones)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob");
	long long c1 = add_contact(f, u, "c1"), cv = add_contact(f, v, "cv");
	long long a = add_note(f, u, c1, "a", 1000);
	long long b = add_note(f, u, c1, "b", 2000);
	long long c = add_note(f, u, c1, "c", 3000);
	long long d = add_note(f, u, c1, "d", 4000);
	long long x = add_note(f, v, cv, "x", 3500);
	long long cid;
	CHECK_INT(o->notes_delete(f->db, u, b, 3000, &cid), 1); /* same instant as c */
	CHECK_INT(o->notes_delete(f->db, v, x, 3600, &cid), 1);
	struct note_row *rows;
	struct list_query q = page_query(10);
	q.feed = true;
	q.since = 2000;
	q.desc = true; /* ignored in feed mode */
	char got[128], want[128];
	int n = o->notes_select_many(f->db, u, &q, &rows);
	CHECK_INT(n, 3);
	note_ids(rows, n, got, sizeof got);
	/* (3000, b) and (3000, c) in id order, then d; user v's tombstone is not there */
	snprintf(want, sizeof want, "%lldd,%lld,%lld", b, c, d);
	CHECK_STR(got, want);
	long long total;
	CHECK_INT(o->notes_count(f->db, u, &q, &total), 1);
	CHECK_INT(total, 3);
	q.has_after = true;
	q.after_key = 3000;
	q.after_id = b;
	n = o->notes_select_many(f->db, u, &q, &rows);
	note_ids(rows, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lld", c, d);
	CHECK_STR(got, want);
	/* filters apply to live notes only */
	q = page_query(10);
	q.feed = true;
	q.since = 0;
	q.title_key = "a";
	n = o->notes_select_many(f->db, u, &q, &rows);
	note_ids(rows, n, got, sizeof got);
	snprintf(want, sizeof want, "%lld,%lldd", a, b);
	CHECK_STR(got, want);
}

STORE_TEST(interactions_crud_pages_and_last_contacted)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob");
	long long c1 = add_contact(f, u, "c1"), c2 = add_contact(f, u, "c2");
	struct interaction_new in = {.contact_id = c1,
				     .type = "call",
				     .occurred_at = 50000,
				     .notes = "n",
				     .has_duration = true,
				     .duration_minutes = 10};
	long long i1 = -1, i2 = -1, i3 = -1;
	CHECK_INT(o->interactions_insert(f->db, u, &in, 1000, &i1), 1);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c1, 1000), 1);
	CHECK_INT(contact_col(f, c1, "last_contacted"), 50000);
	CHECK_INT(contact_col(f, c1, "updated_at"), 1000);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c1, 1001), 0); /* unchanged */
	CHECK_INT(contact_col(f, c1, "updated_at"), 1000);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, v, c1, 1001), 0); /* not v's */
	in.type = "email";
	in.occurred_at = 40000;
	in.notes = NULL;
	in.has_duration = false;
	CHECK_INT(o->interactions_insert(f->db, u, &in, 2000, &i2), 1);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c1, 2000), 0); /* older */
	in.type = "meeting";
	in.occurred_at = 60000;
	CHECK_INT(o->interactions_insert(f->db, u, &in, 3000, &i3), 1);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c1, 3000), 1);
	CHECK_INT(contact_col(f, c1, "last_contacted"), 60000);

	struct interaction_row r;
	CHECK_INT(o->interactions_select(f->db, u, i1, &r), 1);
	CHECK_STR(r.type, "call");
	CHECK_STR(r.notes, "n");
	CHECK(r.has_duration && r.duration_minutes == 10);
	CHECK_INT(r.occurred_at, 50000);
	interaction_row_free(&r);
	CHECK_INT(o->interactions_select(f->db, u, i2, &r), 1);
	CHECK(r.notes == NULL && !r.has_duration);
	interaction_row_free(&r);
	CHECK_INT(o->interactions_select(f->db, v, i1, &r), 0);

	/* default order: occurred_at descending; type any-of; range */
	struct interaction_row *rows;
	struct list_query q = page_query(10);
	q.sort = SORT_OCCURRED_AT;
	q.desc = true;
	CHECK_INT(o->interactions_select_many(f->db, u, &q, &rows), 3);
	CHECK(rows[0].id == i3 && rows[1].id == i1 && rows[2].id == i2);
	interaction_rows_free(rows, 3);
	q.types[0] = "email";
	q.types[1] = "call";
	q.ntypes = 2;
	CHECK_INT(o->interactions_select_many(f->db, u, &q, &rows), 2);
	CHECK(rows[0].id == i1 && rows[1].id == i2);
	interaction_rows_free(rows, 2);
	long long total;
	CHECK_INT(o->interactions_count(f->db, u, &q, &total), 1);
	CHECK_INT(total, 2);
	q.has_from = q.has_to = true;
	q.from = 40001;
	q.to = 60000;
	CHECK_INT(o->interactions_select_many(f->db, u, &q, &rows), 1);
	CHECK_INT(rows[0].id, i1);
	interaction_rows_free(rows, 1);

	/* move the latest to c2: both contacts recomputed */
	struct interaction_patch p = {.set_contact = true, .contact_id = c2, .set_duration = true};
	CHECK_INT(o->interactions_update(f->db, v, i3, &p, 4000), 0);
	CHECK_INT(o->interactions_update(f->db, u, i3, &p, 4000), 1);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c1, 4000), 1);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c2, 4000), 1);
	CHECK_INT(contact_col(f, c1, "last_contacted"), 50000);
	CHECK_INT(contact_col(f, c2, "last_contacted"), 60000);
	struct interaction_patch np = {.set_notes = true,
				       .notes = "later",
				       .set_type = true,
				       .type = "visit",
				       .set_occurred_at = true,
				       .occurred_at = 70000};
	CHECK_INT(o->interactions_update(f->db, u, i3, &np, 4001), 1);
	CHECK_INT(o->interactions_select(f->db, u, i3, &r), 1);
	CHECK_STR(r.type, "visit");
	CHECK_STR(r.notes, "later");
	CHECK_INT(r.occurred_at, 70000);
	CHECK_INT(r.updated_at, 4001);
	CHECK_INT(r.contact_id, c2);
	interaction_row_free(&r);

	/* delete: tombstone, last_contacted back to NULL when none is left */
	long long cid = 0;
	CHECK_INT(o->interactions_delete(f->db, u, i3, 5000, &cid), 1);
	CHECK_INT(cid, c2);
	CHECK_INT(o->contacts_recompute_last_contacted(f->db, u, c2, 5000), 1);
	CHECK_INT(contact_col(f, c2, "last_contacted"), -1);
	CHECK_INT(contact_col(f, c2, "updated_at"), 5000);
	q = page_query(10);
	q.feed = true;
	q.since = 4000;
	CHECK_INT(o->interactions_select_many(f->db, u, &q, &rows), 1);
	CHECK(rows[0].deleted && rows[0].id == i3 && rows[0].updated_at == 5000);
	interaction_rows_free(rows, 1);
}

STORE_TEST(caps_use_the_id_span_and_count_exactly)
{
	const struct store_ops *o = f->o;
	long long u = add_user(f, "ann"), v = add_user(f, "bob");
	long long cu = add_contact(f, u, "cu"), cv = add_contact(f, v, "cv");
	CHECK_INT(o->notes_at_cap(f->db, u, 3), 0); /* no notes */
	char t[16];
	/* u's notes interleaved with v's: the id span of u's passes 3 before their count does */
	for (int i = 0; i < 3; i++) {
		snprintf(t, sizeof t, "u%d", i);
		add_note(f, u, cu, t, 1000 + i);
		snprintf(t, sizeof t, "v%d", i);
		add_note(f, v, cv, t, 1000 + i);
		CHECK_INT(o->notes_at_cap(f->db, u, 3), i == 2);
	}
	CHECK_INT(o->notes_at_cap(f->db, u, 4), 0);
	CHECK_INT(o->notes_at_cap(f->db, v, 3), 1);
	struct interaction_new in = {.contact_id = cu, .type = "call", .occurred_at = 1};
	long long id;
	CHECK_INT(o->interactions_at_cap(f->db, u, 1), 0);
	CHECK_INT(o->interactions_insert(f->db, u, &in, 1000, &id), 1);
	CHECK_INT(o->interactions_at_cap(f->db, u, 1), 1);
	CHECK_INT(o->interactions_at_cap(f->db, u, 2), 0);
	CHECK_INT(o->interactions_at_cap(f->db, v, 1), 0);
}

int main(void)
{
	return RUN_TESTS();
}
