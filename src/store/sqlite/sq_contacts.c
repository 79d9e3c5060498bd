/* SQLite store functions for the contacts table (SPEC §6, §9.1): existence and touch (the
 * interface notes and interactions use), count (plan limit and hard cap), insert, the full-row
 * update, lookups by id and email_key, the ownership check of bulk requests and the deletion
 * with its tombstones. Id arrays travel as one bound JSON text read through json_each. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

void sq_bind_id_array(sqlite3_stmt *st, int idx, const long long *ids, int n)
{
	struct buf b = {0};
	buf_putc(&b, '[');
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", ids[i]);
	buf_putc(&b, ']');
	sqlite3_bind_text(st, idx, b.data, (int)b.len, free);
}

void sq_bind_text_array(sqlite3_stmt *st, int idx, const char *const *strs, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(strs[i]));
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	sqlite3_bind_text(st, idx, text, -1, free);
}

static int col_int_or0(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : sqlite3_column_int(st, col);
}

void sq_read_contact(sqlite3_stmt *st, struct contact_row *c)
{
	c->id = sqlite3_column_int64(st, 0);
	c->strings = NULL; /* each string its own allocation */
	c->first_name = sq_col_strdup(st, 1);
	c->last_name = sq_col_strdup(st, 2);
	c->email = sq_col_strdup(st, 3);
	c->phone = sq_col_strdup(st, 4);
	c->address = sq_col_strdup(st, 5);
	c->company = sq_col_strdup(st, 6);
	c->job_role = sq_col_strdup(st, 7);
	c->first_name_key = sq_col_strdup(st, 8);
	c->last_name_key = sq_col_strdup(st, 9);
	c->birthday_year = col_int_or0(st, 10);
	c->birthday_month = col_int_or0(st, 11);
	c->birthday_day = col_int_or0(st, 12);
	c->custom_fields = sq_col_strdup(st, 13);
	c->last_contacted = sqlite3_column_int64(st, 14);
	c->created_at = sqlite3_column_int64(st, 15);
	c->updated_at = sqlite3_column_int64(st, 16);
}

static void bind_int_or_null(sqlite3_stmt *st, int idx, int v)
{
	if (v)
		sqlite3_bind_int(st, idx, v);
	else
		sqlite3_bind_null(st, idx);
}

/* Binds the writable columns as ?3..?18 in the order of the INSERT and UPDATE below. */
static void bind_write(sqlite3_stmt *st, const struct contact_write *c)
{
	sq_bind_text(st, 3, c->first_name);
	sq_bind_text(st, 4, c->first_name_key);
	sq_bind_text(st, 5, c->last_name);
	sq_bind_text(st, 6, c->last_name_key ? c->last_name_key : "");
	sq_bind_text(st, 7, c->email);
	sq_bind_text(st, 8, c->email_key);
	sq_bind_text(st, 9, c->phone);
	sq_bind_text(st, 10, c->phone_digits);
	sq_bind_text(st, 11, c->address);
	sq_bind_text(st, 12, c->company);
	sq_bind_text(st, 13, c->company_key);
	sq_bind_text(st, 14, c->job_role);
	bind_int_or_null(st, 15, c->birthday_year);
	bind_int_or_null(st, 16, c->birthday_month);
	bind_int_or_null(st, 17, c->birthday_day);
	sq_bind_text(st, 18, c->custom_fields);
}

int sq_contacts_exists(struct db *db, long long user_id, long long id)
{
	static const char SQL[] = "SELECT 1 FROM contacts WHERE user_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc > 0)
		sqlite3_reset(st);
	return rc;
}

int sq_contacts_touch(struct db *db, long long user_id, long long id, long long t)
{
	static const char SQL[] =
	    "UPDATE contacts SET updated_at = ?3 WHERE user_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, t);
	return sq_run(db, st);
}

int sq_contacts_count(struct db *db, long long user_id, long long *count)
{
	/* As pg_contacts_count: the figure the triggers of db/sqlite/0003_insights_rollups.sql
	 * keep. */
	static const char SQL[] =
	    "SELECT COALESCE((SELECT contacts FROM user_counts WHERE user_id = ?1), 0)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 1;
}

int sq_contacts_insert(struct db *db, long long user_id, const struct contact_write *c, long long t,
		       long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO contacts (user_id, created_at, updated_at, first_name, first_name_key,"
	    " last_name, last_name_key, email, email_key, phone, phone_digits, address, company,"
	    " company_key, job_role, birthday_year, birthday_month, birthday_day, custom_fields)"
	    " VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	    " ?17, ?18) ON CONFLICT DO NOTHING";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, t);
	bind_write(st, c);
	int rc = sq_run(db, st);
	if (rc == 0)
		return ST_CONFLICT; /* the only unique key besides the id is (user_id, email_key) */
	if (rc > 0)
		*id_out = sq_last_insert_id(db);
	return rc;
}

int sq_contacts_update(struct db *db, long long user_id, long long id,
		       const struct contact_write *c, long long t)
{
	static const char SQL[] =
	    "UPDATE contacts SET first_name = ?3, first_name_key = ?4, last_name = ?5,"
	    " last_name_key = ?6, email = ?7, email_key = ?8, phone = ?9, phone_digits = ?10,"
	    " address = ?11, company = ?12, company_key = ?13, job_role = ?14, birthday_year = ?15,"
	    " birthday_month = ?16, birthday_day = ?17, custom_fields = ?18, updated_at = ?19"
	    " WHERE user_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	bind_write(st, c);
	sqlite3_bind_int64(st, 19, t);
	return sq_run(db, st);
}

int sq_contacts_select(struct db *db, long long user_id, long long id, struct contact_row *out)
{
	static const char SQL[] =
	    "SELECT " SQ_CONTACT_COLS " FROM contacts c WHERE c.user_id = ?1 AND c.id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		sq_read_contact(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* As pg_contacts_select_with_tags: one row per tag, or one with NULL tag columns. */
int sq_contacts_select_with_tags(struct db *db, long long user_id, long long id,
				 struct contact_row *out, struct tag_ref **tags, int *ntags)
{
	static const char SQL[] =
	    "SELECT " SQ_CONTACT_COLS ", t.id, t.name, t.name_key, ct.id FROM contacts c"
	    " LEFT JOIN contact_tags ct ON ct.user_id = c.user_id AND ct.contact_id = c.id"
	    " LEFT JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
	    " WHERE c.user_id = ?1 AND c.id = ?2 ORDER BY t.name_key, t.id";
	*tags = NULL;
	*ntags = 0;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc, rows = 0, cap = 0, n = 0;
	struct tag_ref *out_tags = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		int k = sqlite3_column_count(st) - 4;
		if (rows++ == 0)
			sq_read_contact(st, out);
		if (sqlite3_column_type(st, k) == SQLITE_NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			out_tags = xrealloc(out_tags, (size_t)cap * sizeof *out_tags);
		}
		struct tag_ref *t = &out_tags[n++];
		t->contact_id = id;
		t->id = sqlite3_column_int64(st, k);
		t->name = sq_col_strdup(st, k + 1);
		t->name_key = sq_col_strdup(st, k + 2);
		t->link_id = sqlite3_column_int64(st, k + 3);
	}
	if (rc < 0) {
		tag_refs_free(out_tags, n);
		if (rows)
			contact_row_free(out);
		return rc;
	}
	*tags = out_tags;
	*ntags = n;
	return rows ? 1 : 0;
}

int sq_contacts_select_by_email_key(struct db *db, long long user_id, const char *email_key,
				    long long except_id, long long *id_out)
{
	static const char SQL[] = "SELECT id FROM contacts WHERE user_id = ?1 AND email_key = ?2"
				  " AND id <> ?3 LIMIT 1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, email_key);
	sqlite3_bind_int64(st, 3, except_id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*id_out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int sq_contacts_owned(struct db *db, long long user_id, const long long *ids, int n, bool *found)
{
	static const char SQL[] = "SELECT id FROM contacts WHERE user_id = ?1"
				  " AND id IN (SELECT value FROM json_each(?2))";
	for (int i = 0; i < n; i++)
		found[i] = false;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_id_array(st, 2, ids, n);
	int rc, count = 0;
	while ((rc = sq_step(db, st)) > 0) {
		long long id = sqlite3_column_int64(st, 0);
		for (int i = 0; i < n; i++)
			if (ids[i] == id && !found[i]) {
				found[i] = true;
				count++;
			}
	}
	return rc < 0 ? rc : count;
}

int sq_contacts_delete(struct db *db, long long user_id, const long long *ids, int n, long long t)
{
	static const char TOMB[] =
	    "INSERT INTO tombstones (user_id, kind, record_id, deleted_at)"
	    " SELECT user_id, 'contact', id, ?3 FROM contacts WHERE user_id = ?1"
	    " AND id IN (SELECT value FROM json_each(?2))"
	    " ON CONFLICT DO UPDATE SET deleted_at = excluded.deleted_at";
	static const char DEL[] = "DELETE FROM contacts WHERE user_id = ?1"
				  " AND id IN (SELECT value FROM json_each(?2))";
	sqlite3_stmt *st = sq_prepare(db, TOMB);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_id_array(st, 2, ids, n);
	sqlite3_bind_int64(st, 3, t);
	int rc = sq_run(db, st);
	if (rc < 0)
		return rc;
	st = sq_prepare(db, DEL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_id_array(st, 2, ids, n);
	return sq_run(db, st);
}
