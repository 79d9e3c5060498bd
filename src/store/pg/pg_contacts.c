/* PostgreSQL store functions for the contacts table (SPEC §6, §9.1): existence and touch (the
 * interface notes and interactions use), count (plan limit and hard cap), insert, the full-row
 * update, lookups by id and email_key, the ownership check of bulk requests and the deletion
 * with its tombstones. Id arrays travel as one bigint[] parameter. A taken email is detected
 * with ON CONFLICT DO NOTHING so that it never aborts the transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

char *pg_id_array(const long long *ids, int n)
{
	struct buf b = {0};
	buf_putc(&b, '{');
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", ids[i]);
	buf_putc(&b, '}');
	return buf_steal(&b);
}

char *pg_text_array(const char *const *strs, int n)
{
	struct buf b = {0};
	buf_putc(&b, '{');
	for (int i = 0; i < n; i++) {
		buf_puts(&b, i ? ",\"" : "\"");
		for (const char *p = strs[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *p);
		}
		buf_putc(&b, '"');
	}
	buf_putc(&b, '}');
	return buf_steal(&b);
}

/* The text columns of PG_CONTACT_COLS, copied into one allocation (contact_row.strings): a
 * page of 26 rows made 260 allocations of them, most of the server's malloc and free on a
 * listing (bench/README.md). */
void pg_read_contact(const PGresult *r, int i, struct contact_row *c)
{
	char **const text[] = {&c->first_name,	 &c->last_name,	     &c->email,
			       &c->phone,	 &c->address,	     &c->company,
			       &c->job_role,	 &c->first_name_key, &c->last_name_key,
			       &c->custom_fields};
	static const int col[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13};
	enum { N = sizeof col / sizeof col[0] };
	size_t total = 0;
	for (int k = 0; k < N; k++)
		if (!PQgetisnull(r, i, col[k]))
			total += (size_t)PQgetlength(r, i, col[k]) + 1;
	char *p = c->strings = total ? xmalloc(total) : NULL;
	for (int k = 0; k < N; k++) {
		if (PQgetisnull(r, i, col[k])) {
			*text[k] = NULL;
			continue;
		}
		size_t len = (size_t)PQgetlength(r, i, col[k]);
		memcpy(p, PQgetvalue(r, i, col[k]), len);
		p[len] = '\0';
		*text[k] = p;
		p += len + 1;
	}
	c->id = pg_get_i64(r, i, 0);
	c->birthday_year = (int)pg_get_i64(r, i, 10);
	c->birthday_month = (int)pg_get_i64(r, i, 11);
	c->birthday_day = (int)pg_get_i64(r, i, 12);
	c->last_contacted = pg_get_i64(r, i, 14);
	c->created_at = pg_get_i64(r, i, 15);
	c->updated_at = pg_get_i64(r, i, 16);
}

static void param_int_or_null(struct pg_params *p, int v)
{
	if (v)
		pg_param_i64(p, v);
	else
		pg_param_null(p);
}

/* Appends the writable columns as $3..$18 in the order of the INSERT and UPDATE below. */
static void param_write(struct pg_params *p, const struct contact_write *c)
{
	pg_param_str(p, c->first_name);
	pg_param_str(p, c->first_name_key);
	pg_param_str(p, c->last_name);
	pg_param_str(p, c->last_name_key ? c->last_name_key : "");
	pg_param_str(p, c->email);
	pg_param_str(p, c->email_key);
	pg_param_str(p, c->phone);
	pg_param_str(p, c->phone_digits);
	pg_param_str(p, c->address);
	pg_param_str(p, c->company);
	pg_param_str(p, c->company_key);
	pg_param_str(p, c->job_role);
	param_int_or_null(p, c->birthday_year);
	param_int_or_null(p, c->birthday_month);
	param_int_or_null(p, c->birthday_day);
	pg_param_str(p, c->custom_fields);
}

/* Runs a one-row count query; 1 with *count set, or < 0. */
static int count_one(struct db *db, const char *name, const char *sql, struct pg_params *p,
		     long long *count)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	*count = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}

int pg_contacts_exists(struct db *db, long long user_id, long long id)
{
	static const char SQL[] =
	    "SELECT 1 FROM contacts WHERE user_id = $1::bigint AND id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	int rc = pg_run(db, "contacts_exists", SQL, p.n, p.v);
	return rc < 0 ? rc : rc > 0;
}

int pg_contacts_touch(struct db *db, long long user_id, long long id, long long t)
{
	static const char SQL[] = "UPDATE contacts SET updated_at = " PG_TS(
	    "$3") " WHERE user_id = $1::bigint AND id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	pg_param_i64(&p, t);
	return pg_run(db, "contacts_touch", SQL, p.n, p.v);
}

int pg_contacts_count(struct db *db, long long user_id, long long *count)
{
	/* The figure the triggers of db/postgres/0003_insights_rollups.sql keep in the
	 * transaction of every contact written or removed: counting the rows cost about 0.5 ms
	 * per 1,000 contacts on every create, under the account's write lock. No row yet: no
	 * contacts. */
	static const char SQL[] = "SELECT COALESCE((SELECT contacts FROM user_counts"
				  " WHERE user_id = $1::bigint), 0)";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	return count_one(db, "contacts_count", SQL, &p, count);
}

int pg_contacts_insert(struct db *db, long long user_id, const struct contact_write *c, long long t,
		       long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO contacts (user_id, created_at, updated_at, first_name, first_name_key,"
	    " last_name, last_name_key, email, email_key, phone, phone_digits, address, company,"
	    " company_key, job_role, birthday_year, birthday_month, birthday_day, custom_fields)"
	    " VALUES ($1::bigint, " PG_TS("$2") ", " PG_TS(
		"$2") ", $3, $4, $5, $6, $7, $8, $9,"
		      " $10, $11, $12, $13, $14, $15::int, $16::int, $17::int, $18::jsonb)"
		      " ON CONFLICT DO NOTHING RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, t);
	param_write(&p, c);
	int rc;
	PGresult *r = pg_exec_prepared(db, "contacts_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : ST_CONFLICT;
}

int pg_contacts_update(struct db *db, long long user_id, long long id,
		       const struct contact_write *c, long long t)
{
	static const char SQL[] =
	    "UPDATE contacts SET first_name = $3, first_name_key = $4, last_name = $5,"
	    " last_name_key = $6, email = $7, email_key = $8, phone = $9, phone_digits = $10,"
	    " address = $11, company = $12, company_key = $13, job_role = $14,"
	    " birthday_year = $15::int, birthday_month = $16::int, birthday_day = $17::int,"
	    " custom_fields = $18::jsonb, updated_at = " PG_TS(
		"$19") " WHERE user_id = $1::bigint AND id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	param_write(&p, c);
	pg_param_i64(&p, t);
	return pg_run(db, "contacts_update", SQL, p.n, p.v);
}

int pg_contacts_select(struct db *db, long long user_id, long long id, struct contact_row *out)
{
	static const char SQL[] = "SELECT " PG_CONTACT_COLS " FROM contacts c"
				  " WHERE c.user_id = $1::bigint AND c.id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "contacts_select", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		pg_read_contact(r, 0, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* One row per tag (the contact's columns repeated), or one row with NULL tag columns. */
void pg_contact_tags_stmt(struct pg_stmt *s, long long user_id, long long id)
{
	static const char SQL[] =
	    "SELECT " PG_CONTACT_COLS ", t.id, t.name, t.name_key, ct.id FROM contacts c"
	    " LEFT JOIN contact_tags ct ON ct.user_id = c.user_id AND ct.contact_id = c.id"
	    " LEFT JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
	    " WHERE c.user_id = $1::bigint AND c.id = $2::bigint ORDER BY t.name_key, t.id";
	s->name = "contacts_select_with_tags";
	s->sql = SQL;
	s->p.n = 0;
	pg_param_i64(&s->p, user_id);
	pg_param_i64(&s->p, id);
}

int pg_contact_tags_read(struct pg_stmt *s, long long id, struct contact_row *out,
			 struct tag_ref **tags, int *ntags)
{
	*tags = NULL;
	*ntags = 0;
	PGresult *r = s->r;
	s->r = NULL;
	if (!r)
		return s->rc;
	int rc = s->rc;
	if (rc == 0) {
		PQclear(r);
		return 0;
	}
	pg_read_contact(r, 0, out);
	int k = PQnfields(r) - 4, n = PQgetisnull(r, 0, k) ? 0 : rc;
	if (n) {
		*tags = xcalloc((size_t)n, sizeof **tags);
		for (int i = 0; i < n; i++) {
			struct tag_ref *t = &(*tags)[i];
			t->contact_id = id;
			t->id = pg_get_i64(r, i, k);
			t->name = pg_get_strdup(r, i, k + 1);
			t->name_key = pg_get_strdup(r, i, k + 2);
			t->link_id = pg_get_i64(r, i, k + 3);
		}
	}
	*ntags = n;
	PQclear(r);
	return 1;
}

int pg_contacts_select_with_tags(struct db *db, long long user_id, long long id,
				 struct contact_row *out, struct tag_ref **tags, int *ntags)
{
	struct pg_stmt s;
	pg_contact_tags_stmt(&s, user_id, id);
	s.r = pg_exec_prepared(db, s.name, s.sql, s.p.n, s.p.v, &s.rc);
	return pg_contact_tags_read(&s, id, out, tags, ntags);
}

int pg_contacts_select_by_email_key(struct db *db, long long user_id, const char *email_key,
				    long long except_id, long long *id_out)
{
	static const char SQL[] = "SELECT id FROM contacts WHERE user_id = $1::bigint"
				  " AND email_key = $2 AND id <> $3::bigint LIMIT 1";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, email_key);
	pg_param_i64(&p, except_id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "contacts_select_by_email_key", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_contacts_owned(struct db *db, long long user_id, const long long *ids, int n, bool *found)
{
	static const char SQL[] = "SELECT id FROM contacts WHERE user_id = $1::bigint"
				  " AND id = ANY($2::bigint[])";
	for (int i = 0; i < n; i++)
		found[i] = false;
	char *arr = pg_id_array(ids, n);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, arr);
	int rc;
	PGresult *r = pg_exec_prepared(db, "contacts_owned", SQL, p.n, p.v, &rc);
	free(arr);
	if (!r)
		return rc;
	int count = 0;
	for (int row = 0; row < rc; row++) {
		long long id = pg_get_i64(r, row, 0);
		for (int i = 0; i < n; i++)
			if (ids[i] == id && !found[i]) {
				found[i] = true;
				count++;
			}
	}
	PQclear(r);
	return count;
}

int pg_contacts_delete(struct db *db, long long user_id, const long long *ids, int n, long long t)
{
	static const char TOMB[] =
	    "INSERT INTO tombstones (user_id, kind, record_id, deleted_at)"
	    " SELECT user_id, 'contact', id, " PG_TS(
		"$3") " FROM contacts"
		      " WHERE user_id = $1::bigint AND id = ANY($2::bigint[])"
		      " ON CONFLICT (user_id, kind, record_id) DO UPDATE SET deleted_at = "
		      "EXCLUDED.deleted_at";
	static const char DEL[] = "DELETE FROM contacts WHERE user_id = $1::bigint"
				  " AND id = ANY($2::bigint[])";
	char *arr = pg_id_array(ids, n);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, arr);
	pg_param_i64(&p, t);
	int rc = pg_run(db, "contacts_delete_tombstones", TOMB, p.n, p.v);
	if (rc >= 0)
		rc = pg_run(db, "contacts_delete", DEL, 2, p.v);
	free(arr);
	return rc;
}
