/* Unit tests of the contact operations of the store (store.h, contacts_exists …
 * search_note_texts): the same checks run against SQLite (a fresh database per test) and
 * PostgreSQL (CRM_TEST_DATABASE_URL, a fresh schema per test), so both stores agree on keys,
 * conflicts, the listing's sorts, keysets and filters, tags, relationship pairs, cascades,
 * tombstones and tenancy. Without CRM_TEST_DATABASE_URL the test pg_required fails
 * (CRM_TEST_NO_PG=1 runs SQLite alone on purpose). */
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

static const long long T0 = 1700000000000LL;

struct fx {
	bool pg;
	const char *name;
	char dir[64], path[128], schema[64];
	char *url;
	struct config cfg;
	struct store *s;
	const struct store_ops *o;
	struct db *db;
	long long u1, u2;
};

static const char *pg_url(void)
{
	const char *u = getenv("CRM_TEST_DATABASE_URL");
	return u && u[0] ? u : NULL;
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
	return f->o->users_insert(f->db, &in, T0, &id) == 1 ? id : -1;
}

static bool fx_open(struct fx *f, bool pg)
{
	static int seq;
	memset(f, 0, sizeof *f);
	f->pg = pg;
	f->name = pg ? "postgres" : "sqlite";
	snprintf(f->dir, sizeof f->dir, "/tmp/crm-test-contacts-XXXXXX");
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
	f->cfg.db_statement_timeout_ms = 5000;
	f->s = store_open(&f->cfg);
	if (!f->s)
		return false;
	f->o = f->s->ops;
	if (store_acquire(f->s, &f->db) != 0) {
		f->db = NULL;
		return false;
	}
	if (f->o->migrate(f->db, NULL) < 1)
		return false;
	f->u1 = add_user(f, "ann");
	f->u2 = add_user(f, "bob");
	return f->u1 > 0 && f->u2 > 0;
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

/* Sets a contact's last_contacted (ms, 0 = NULL) directly. */
static void set_last_contacted(struct fx *f, long long id, long long ms)
{
	char sql[200];
	if (f->pg) {
		if (ms)
			snprintf(
			    sql, sizeof sql,
			    "UPDATE contacts SET last_contacted = 'epoch'::timestamptz + %lld *"
			    " interval '1 millisecond' WHERE id = %lld",
			    ms, id);
		else
			snprintf(sql, sizeof sql,
				 "UPDATE contacts SET last_contacted = NULL WHERE id = %lld", id);
		PQclear(PQexec(pg_handle(f->db), sql));
	} else {
		snprintf(sql, sizeof sql, "UPDATE contacts SET last_contacted = %s WHERE id = %lld",
			 ms ? "?1" : "NULL", id);
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(sq_handle(f->db), sql, -1, &st, NULL);
		if (ms)
			sqlite3_bind_int64(st, 1, ms);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
}

/* Inserts a contact with the given names (keys = lower case ASCII) and optional email. */
static long long add_contact(struct fx *f, long long uid, const char *first, const char *last,
			     const char *email, long long t)
{
	char fk[64], lk[64], ek[64];
	snprintf(fk, sizeof fk, "%s", first);
	snprintf(lk, sizeof lk, "%s", last ? last : "");
	snprintf(ek, sizeof ek, "%s", email ? email : "");
	for (char *p = fk; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	for (char *p = lk; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	for (char *p = ek; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	struct contact_write w = {.first_name = first,
				  .first_name_key = fk,
				  .last_name = last,
				  .last_name_key = lk,
				  .email = email,
				  .email_key = email ? ek : NULL,
				  .company = "Acme",
				  .company_key = "acme"};
	long long id = -1;
	int rc = f->o->contacts_insert(f->db, uid, &w, t, &id);
	return rc == 1 ? id : rc;
}

/* The ids of one page of q for user uid, as a comma-separated string. */
static char *page_ids(struct fx *f, long long uid, const struct contact_query *q)
{
	struct contact_row *rows = NULL;
	struct tag_ref *tags = NULL;
	int ntags = 0;
	int n = f->o->contacts_select_page(f->db, uid, q, &rows, &tags, &ntags);
	char *out = xstrdup("");
	for (int i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%lld", out, i ? "," : "", rows[i].id);
		free(out);
		out = next;
	}
	if (n < 0) {
		free(out);
		out = xasprintf("error %d", n);
	}
	contact_rows_free(rows, n > 0 ? n : 0);
	tag_refs_free(tags, ntags);
	return out;
}

#define CHECK_PAGE(f, uid, q, want)                                                                \
	do {                                                                                       \
		char *got_ = page_ids(f, uid, q);                                                  \
		char *want_ = want;                                                                \
		CHECK_STR(got_, want_);                                                            \
		free(got_);                                                                        \
		free(want_);                                                                       \
	} while (0)

TEST(pg_required)
{
	const char *no = getenv("CRM_TEST_NO_PG");
	if (pg_url() || (no && strcmp(no, "1") == 0))
		return;
	fprintf(stderr, "  CRM_TEST_DATABASE_URL is unset, so the PostgreSQL half did not run\n");
	test_failed_checks++;
}

STORE_TEST(contact_rows_keys_and_conflicts)
{
	long long a = add_contact(f, f->u1, "Ann", "Lee", "Ann@X.com", T0);
	CHECK(a > 0);
	CHECK_INT(add_contact(f, f->u1, "Dup", NULL, "ann@x.COM", T0 + 1), ST_CONFLICT);
	CHECK(add_contact(f, f->u2, "Other", NULL, "ann@x.com", T0 + 1) > 0);
	CHECK_INT(f->o->contacts_exists(f->db, f->u1, a), 1);
	CHECK_INT(f->o->contacts_exists(f->db, f->u2, a), 0);
	struct contact_row c = {0};
	CHECK_INT(f->o->contacts_select(f->db, f->u1, a, &c), 1);
	CHECK_STR(c.first_name, "Ann");
	CHECK_STR(c.last_name_key, "lee");
	CHECK_STR(c.email, "Ann@X.com");
	CHECK(c.custom_fields == NULL && c.birthday_month == 0 && c.last_contacted == 0);
	CHECK_INT(c.created_at, T0);
	contact_row_free(&c);
	CHECK_INT(f->o->contacts_select(f->db, f->u2, a, &c), 0);
	long long other = 0;
	CHECK_INT(f->o->contacts_select_by_email_key(f->db, f->u1, "ann@x.com", 0, &other), 1);
	CHECK_INT(other, a);
	CHECK_INT(f->o->contacts_select_by_email_key(f->db, f->u1, "ann@x.com", a, &other), 0);
	struct contact_write w = {.first_name = "Ann",
				  .first_name_key = "ann",
				  .last_name_key = "",
				  .birthday_month = 2,
				  .birthday_day = 29,
				  .custom_fields = "{\"a\":1}"};
	CHECK_INT(f->o->contacts_update(f->db, f->u1, a, &w, T0 + 5), 1);
	CHECK_INT(f->o->contacts_update(f->db, f->u2, a, &w, T0 + 5), 0);
	CHECK_INT(f->o->contacts_select(f->db, f->u1, a, &c), 1);
	CHECK(c.last_name == NULL && c.email == NULL && c.birthday_year == 0);
	CHECK_INT(c.birthday_day, 29);
	CHECK(c.custom_fields && strstr(c.custom_fields, "\"a\""));
	CHECK_INT(c.updated_at, T0 + 5);
	contact_row_free(&c);
	CHECK_INT(f->o->contacts_touch(f->db, f->u1, a, T0 + 9), 1);
	CHECK_INT(f->o->contacts_touch(f->db, f->u2, a, T0 + 9), 0);
	long long n = 0;
	CHECK_INT(f->o->contacts_count(f->db, f->u1, &n), 1);
	CHECK_INT(n, 1);
	long long ids[] = {a, 999999, a + 1};
	bool found[3];
	CHECK_INT(f->o->contacts_owned(f->db, f->u1, ids, 3, found), 1);
	CHECK(found[0] && !found[1] && !found[2]);
}

STORE_TEST(listing_sorts_keysets_and_filters)
{
	long long c1 = add_contact(f, f->u1, "bob", "b", NULL, T0 + 1);
	long long c2 = add_contact(f, f->u1, "ann", "z", NULL, T0 + 2);
	long long c3 = add_contact(f, f->u1, "ann", "a", NULL, T0 + 3);
	long long c4 = add_contact(f, f->u1, "cy", NULL, NULL, T0 + 4);
	add_contact(f, f->u2, "aaa", NULL, NULL, T0);
	set_last_contacted(f, c1, T0 + 100);
	set_last_contacted(f, c3, T0 + 100);
	struct contact_query q = {.sort = CSORT_FIRST_NAME, .limit = 10};
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld,%lld,%lld", c3, c2, c1, c4));
	q.desc = true;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld,%lld,%lld", c4, c1, c2, c3));
	q.has_after = true;
	q.after_s1 = "ann";
	q.after_s2 = "z";
	q.after_id = c2;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld", c3));
	q = (struct contact_query){.sort = CSORT_LAST_NAME, .limit = 2};
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld", c4, c3));
	/* lastContacted: nulls last both ways, keysets across the null boundary */
	q = (struct contact_query){.sort = CSORT_LAST_CONTACTED, .limit = 10};
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld,%lld,%lld", c1, c3, c2, c4));
	q.desc = true;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld,%lld,%lld", c3, c1, c4, c2));
	q.has_after = true;
	q.after_n = T0 + 100;
	q.after_id = c1;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld", c4, c2));
	q.after_null = true;
	q.after_id = c4;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld", c2));
	q.desc = false;
	q.after_id = c2;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld", c4));
	/* the change-feed bound and created/updated keysets */
	q = (struct contact_query){
	    .sort = CSORT_UPDATED_AT, .limit = 10, .has_since = true, .since = T0 + 2};
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld,%lld", c2, c3, c4));
	q.has_after = true;
	q.after_n = T0 + 3;
	q.after_id = c3;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld", c4));
	/* search terms by prefix range, every term */
	const char *t1[] = {"ann", "annie", "lee"}, *t2[] = {"bob", "lee"};
	CHECK_INT(f->o->search_terms_replace(f->db, f->u1, c2, t1, 3), 3);
	CHECK_INT(f->o->search_terms_replace(f->db, f->u1, c1, t2, 2), 2);
	const char *lo[] = {"le", "an"}, *hi[] = {"le\xF4\x8F\xBF\xBF", "an\xF4\x8F\xBF\xBF"};
	q = (struct contact_query){
	    .sort = CSORT_FIRST_NAME, .limit = 10, .term_lo = lo, .term_hi = hi, .nterms = 1};
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld", c2, c1));
	q.nterms = 2;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld", c2));
	long long total = -1;
	CHECK_INT(f->o->contacts_count_matching(f->db, f->u1, &q, &total), 1);
	CHECK_INT(total, 1);
	CHECK_PAGE(f, f->u2, &q, xstrdup(""));
	/* company, email, tags any/all */
	q = (struct contact_query){.sort = CSORT_FIRST_NAME, .limit = 10, .company_key = "acme"};
	CHECK_INT(f->o->contacts_count_matching(f->db, f->u1, &q, &total), 1);
	CHECK_INT(total, 4);
	long long t_red = 0, t_blue = 0;
	CHECK_INT(f->o->tags_insert(f->db, f->u1, "Red", "red", T0, &t_red), 1);
	CHECK_INT(f->o->tags_insert(f->db, f->u1, "Blue", "blue", T0, &t_blue), 1);
	long long both[] = {t_red, t_blue}, pair[] = {c1, c2};
	CHECK_INT(f->o->contact_tags_insert(f->db, f->u1, pair, 2, &t_red, 1, T0), 2);
	CHECK_INT(f->o->contact_tags_insert(f->db, f->u1, &c1, 1, both, 2, T0), 1);
	const char *keys[] = {"blue", "red"};
	q = (struct contact_query){
	    .sort = CSORT_FIRST_NAME, .limit = 10, .tag_keys = keys, .ntags = 2};
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld,%lld", c2, c1));
	q.tag_all = true;
	CHECK_PAGE(f, f->u1, &q, xasprintf("%lld", c1));
	CHECK_PAGE(f, f->u2, &q, xstrdup(""));
}

STORE_TEST(tags_links_rename_delete)
{
	long long c = add_contact(f, f->u1, "Ann", NULL, NULL, T0);
	long long t1 = 0, t2 = 0, dummy = 0;
	CHECK_INT(f->o->tags_insert(f->db, f->u1, "Work", "work", T0, &t1), 1);
	CHECK_INT(f->o->tags_insert(f->db, f->u1, "WORK", "work", T0, &dummy), 0);
	CHECK_INT(f->o->tags_insert(f->db, f->u2, "work", "work", T0, &dummy), 1);
	CHECK_INT(f->o->tags_insert(f->db, f->u1, "home \"q\" \\", "home \"q\" \\", T0, &t2), 1);
	const char *keys[] = {"work", "home \"q\" \\", "none"};
	struct tag_row *rows = NULL;
	int n = f->o->tags_select_by_keys(f->db, f->u1, keys, 3, &rows);
	CHECK_INT(n, 2);
	tag_rows_free(rows, n > 0 ? n : 0);
	long long both[] = {t1, t2};
	CHECK_INT(f->o->contact_tags_insert(f->db, f->u1, &c, 1, both, 2, T0), 2);
	CHECK_INT(f->o->contact_tags_insert(f->db, f->u1, &c, 1, both, 2, T0), 0);
	struct tag_ref *refs = NULL;
	n = f->o->contact_tags_select(f->db, f->u1, &c, 1, &refs);
	CHECK_INT(n, 2);
	if (n == 2)
		CHECK_STR(refs[0].name, "home \"q\" \\");
	tag_refs_free(refs, n > 0 ? n : 0);
	CHECK_INT(f->o->contact_tags_select(f->db, f->u2, &c, 1, &refs), 0);
	struct tag_row t = {0};
	CHECK_INT(f->o->tags_select(f->db, f->u1, t1, &t), 1);
	CHECK_INT(t.contact_count, 1);
	tag_row_free(&t);
	CHECK_INT(f->o->tags_select(f->db, f->u2, t1, &t), 0);
	CHECK_INT(f->o->tags_update(f->db, f->u1, t1, "Wörk", "work", T0 + 7), 1);
	struct contact_row row = {0};
	CHECK_INT(f->o->contacts_select(f->db, f->u1, c, &row), 1);
	CHECK_INT(row.updated_at, T0 + 7);
	contact_row_free(&row);
	struct tag_query tq = {.limit = 10, .prefix_lo = "wo", .prefix_hi = "wo\xF4\x8F\xBF\xBF"};
	n = f->o->tags_select_page(f->db, f->u1, &tq, &rows);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(rows[0].name, "Wörk");
	tag_rows_free(rows, n > 0 ? n : 0);
	long long total = 0;
	tq = (struct tag_query){.limit = 10};
	CHECK_INT(f->o->tags_count_matching(f->db, f->u1, &tq, &total), 1);
	CHECK_INT(total, 2);
	CHECK_INT(f->o->contact_tags_delete(f->db, f->u1, &c, 1, &t2, 1), 1);
	CHECK_INT(f->o->tags_delete(f->db, f->u2, t1, T0 + 8), 0);
	CHECK_INT(f->o->tags_delete(f->db, f->u1, t1, T0 + 9), 1);
	CHECK_INT(f->o->contact_tags_select(f->db, f->u1, &c, 1, &refs), 0);
	CHECK_INT(f->o->tags_count(f->db, f->u1, &total), 1);
	CHECK_INT(total, 1);
}

/* The session check with the contact in one round trip (a pipeline on PostgreSQL): the same
 * answers as auth_lookup and contacts_select_with_tags made one after the other, for the
 * user's own contact, another user's, a missing one and an unknown session; the connection
 * serves ordinary statements afterwards. */
STORE_TEST(auth_lookup_contact)
{
	const struct store_ops *o = f->o;
	long long mine = add_contact(f, f->u1, "Ann", "Lee", NULL, T0);
	long long theirs = add_contact(f, f->u2, "Bo", NULL, NULL, T0);
	long long t1 = 0, t2 = 0, sid = 0;
	CHECK_INT(o->tags_insert(f->db, f->u1, "Work", "work", T0, &t1), 1);
	CHECK_INT(o->tags_insert(f->db, f->u1, "home", "home", T0, &t2), 1);
	CHECK_INT(o->contact_tags_insert(f->db, f->u1, &mine, 1, (long long[]){t1, t2}, 2, T0), 2);
	CHECK_INT(o->sessions_insert(f->db, f->u1, "password", T0, T0 + 1000, NULL, NULL, &sid), 1);
	for (int round = 0; round < 2; round++) { /* the second on prepared statements */
		struct auth_row a;
		struct contact_read r = {.user_id = f->u1, .id = mine};
		CHECK_INT(o->auth_lookup_contact(f->db, sid, T0 + 1, &a, &r), 1);
		CHECK_INT(a.user_id, f->u1);
		CHECK(a.session_live && a.user_active);
		CHECK_INT(r.rc, 1);
		CHECK_INT(r.row.id, mine);
		CHECK_STR(r.row.first_name, "Ann");
		CHECK_INT(r.ntags, 2);
		if (r.ntags == 2) {
			CHECK_STR(r.tags[0].name, "home");
			CHECK_STR(r.tags[1].name, "Work");
		}
		auth_row_free(&a);
		contact_row_free(&r.row);
		tag_refs_free(r.tags, r.ntags);
	}
	struct auth_row a;
	struct contact_read r = {.user_id = f->u1, .id = theirs};
	CHECK_INT(o->auth_lookup_contact(f->db, sid, T0 + 2000, &a, &r), 1);
	CHECK(!a.session_live);
	CHECK_INT(r.rc, 0);
	CHECK(r.row.first_name == NULL && r.tags == NULL && r.ntags == 0);
	auth_row_free(&a);
	r = (struct contact_read){.user_id = f->u1, .id = theirs + 1000};
	CHECK_INT(o->auth_lookup_contact(f->db, sid + 1000, T0 + 1, &a, &r), 0);
	CHECK_INT(r.rc, 0);
	CHECK(a.role == NULL);
	r = (struct contact_read){.user_id = f->u2, .id = theirs};
	CHECK_INT(o->auth_lookup_contact(f->db, sid + 1000, T0 + 1, &a, &r), 0);
	CHECK_INT(r.rc, 1);
	CHECK_INT(r.ntags, 0);
	contact_row_free(&r.row);
	struct contact_row c = {0};
	CHECK_INT(o->contacts_select(f->db, f->u1, mine, &c), 1);
	CHECK_STR(c.last_name, "Lee");
	contact_row_free(&c);
}

STORE_TEST(relationship_pairs_and_cascades)
{
	long long a = add_contact(f, f->u1, "A", NULL, NULL, T0);
	long long b = add_contact(f, f->u1, "B", NULL, NULL, T0);
	long long x = add_contact(f, f->u2, "X", NULL, NULL, T0);
	long long rel = 0;
	CHECK_INT(
	    f->o->relationships_insert_pair(f->db, f->u1, a, b, "parent", "child", NULL, T0, &rel),
	    1);
	CHECK_INT(f->o->relationships_exists(f->db, f->u1, b, a, "child"), 1);
	CHECK_INT(f->o->relationships_exists(f->db, f->u2, b, a, "child"), 0);
	long long n = 0;
	CHECK_INT(f->o->relationships_count(f->db, f->u1, b, &n), 1);
	CHECK_INT(n, 1);
	struct relationship_row r = {0};
	CHECK_INT(f->o->relationships_select_one(f->db, f->u1, rel, &r), 1);
	CHECK_STR(r.type, "parent");
	CHECK_STR(r.related_first_name, "B");
	long long inv = r.inverse_id;
	CHECK(inv > 0);
	relationship_row_free(&r);
	CHECK_INT(f->o->relationships_select_one(f->db, f->u2, rel, &r), 0);
	/* a foreign contact cannot be linked: the composite foreign key refuses it */
	long long bad = 0;
	CHECK(f->o->relationships_insert_pair(f->db, f->u1, a, x, "friend", "friend", NULL, T0,
					      &bad) < 0);
	CHECK_INT(f->o->relationships_delete(f->db, f->u1, b, rel), 0);
	CHECK_INT(f->o->relationships_delete(f->db, f->u1, a, rel), 1);
	CHECK_INT(f->o->relationships_count(f->db, f->u1, b, &n), 1);
	CHECK_INT(n, 0);
	/* contact deletion: relationships both ways, links, search terms; one tombstone */
	CHECK_INT(
	    f->o->relationships_insert_pair(f->db, f->u1, a, b, "friend", "friend", "x", T0, &rel),
	    1);
	const char *words[] = {"a", "b"};
	CHECK_INT(f->o->search_terms_replace(f->db, f->u1, a, words, 2), 2);
	long long tag = 0;
	f->o->tags_insert(f->db, f->u1, "t", "t", T0, &tag);
	f->o->contact_tags_insert(f->db, f->u1, &a, 1, &tag, 1, T0);
	long long ids[] = {a, x};
	CHECK_INT(f->o->contacts_delete(f->db, f->u1, ids, 2, T0 + 50), 1);
	CHECK_INT(f->o->contacts_exists(f->db, f->u2, x), 1);
	CHECK_INT(f->o->relationships_count(f->db, f->u1, b, &n), 1);
	CHECK_INT(n, 0);
	struct tag_row tr = {0};
	CHECK_INT(f->o->tags_select(f->db, f->u1, tag, &tr), 1);
	CHECK_INT(tr.contact_count, 0);
	tag_row_free(&tr);
	struct tombstone_row *tombs = NULL;
	int nt = f->o->tombstones_select_page(f->db, f->u1, "contact", T0, false, 0, 0, 10, &tombs);
	CHECK_INT(nt, 1);
	if (nt == 1)
		CHECK(tombs[0].id == a && tombs[0].deleted_at == T0 + 50);
	free(tombs);
	nt =
	    f->o->tombstones_select_page(f->db, f->u1, "contact", T0, true, T0 + 50, a, 10, &tombs);
	CHECK_INT(nt, 0);
	free(tombs);
	CHECK_INT(
	    f->o->tombstones_select_page(f->db, f->u2, "contact", T0, false, 0, 0, 10, &tombs), 0);
	free(tombs);
	long long count = 0;
	CHECK_INT(f->o->tombstones_count(f->db, f->u1, "contact", T0 + 51, &count), 1);
	CHECK_INT(count, 0);
	CHECK_INT(f->o->tombstones_purge(f->db, T0 + 51), 1);
	const char *lo[] = {"a"}, *hi[] = {"a\xF4\x8F\xBF\xBF"};
	struct contact_query q = {.limit = 10, .term_lo = lo, .term_hi = hi, .nterms = 1};
	CHECK_INT(f->o->contacts_count_matching(f->db, f->u1, &q, &count), 1);
	CHECK_INT(count, 0);
}

int main(void)
{
	return RUN_TESTS();
}
