/* SQLite store functions for tags and contact_tags (SPEC §6, §9.3, §9.4): lookups by folded
 * name, insert (get-or-create runs under the user lock), counts, the /tags page with usage
 * counts, rename and delete (both touching the linked contacts), and the links of many
 * contacts at once (one statement over json_each for any number of contacts and tags). */
#include <stdlib.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"

/* The tag columns read_tag expects; contact_count is kept by triggers on contact_tags
 * (db/sqlite/0005_tag_contact_counts.sql). */
#define TAG_COLS "t.id, t.name, t.name_key, t.created_at, t.updated_at, t.contact_count"

static void read_tag(sqlite3_stmt *st, struct tag_row *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->name = sq_col_strdup(st, 1);
	t->name_key = sq_col_strdup(st, 2);
	t->created_at = sqlite3_column_int64(st, 3);
	t->updated_at = sqlite3_column_int64(st, 4);
	t->contact_count = sqlite3_column_int64(st, 5);
}

/* Steps st collecting tag rows into a new array. */
static int collect_tags(struct db *db, sqlite3_stmt *st, struct tag_row **rows)
{
	int rc, n = 0, cap = 0;
	struct tag_row *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		read_tag(st, &out[n++]);
	}
	if (rc < 0) {
		tag_rows_free(out, n);
		*rows = NULL;
		return rc;
	}
	*rows = out;
	return n;
}

int sq_tags_select_by_keys(struct db *db, long long user_id, const char *const *keys, int n,
			   struct tag_row **rows)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t WHERE t.user_id = ?1"
				  " AND t.name_key IN (SELECT value FROM json_each(?2))";
	*rows = NULL;
	if (n == 0)
		return 0;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text_array(st, 2, keys, n);
	return collect_tags(db, st, rows);
}

int sq_tags_insert(struct db *db, long long user_id, const char *name, const char *name_key,
		   long long t, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO tags (user_id, name, name_key, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT DO NOTHING";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, name);
	sq_bind_text(st, 3, name_key);
	sqlite3_bind_int64(st, 4, t);
	int rc = sq_run(db, st);
	if (rc > 0)
		*id_out = sq_last_insert_id(db);
	return rc;
}

int sq_tags_count(struct db *db, long long user_id, long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM tags WHERE user_id = ?1";
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

int sq_tags_select(struct db *db, long long user_id, long long id, struct tag_row *out)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t WHERE t.user_id = ?1"
				  " AND t.id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_tag(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* ?2/?3: the q prefix range (NULL: none); ?4: name_key equality (NULL: none); ?5 = 1 with
 * (?6, ?7) the keyset position. */
#define TAG_FILTERS                                                                                \
	" WHERE t.user_id = ?1 AND (?2 IS NULL OR (t.name_key >= ?2 AND t.name_key < ?3))"         \
	" AND (?4 IS NULL OR t.name_key = ?4)"

static void bind_tag_query(sqlite3_stmt *st, long long user_id, const struct tag_query *q)
{
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, q->prefix_lo);
	sq_bind_text(st, 3, q->prefix_hi);
	sq_bind_text(st, 4, q->name_key);
}

int sq_tags_select_page(struct db *db, long long user_id, const struct tag_query *q,
			struct tag_row **rows)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t" TAG_FILTERS
				  " AND (?5 = 0 OR (t.name_key, t.id) > (?6, ?7))"
				  " ORDER BY t.name_key, t.id LIMIT ?8";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	bind_tag_query(st, user_id, q);
	sqlite3_bind_int(st, 5, q->has_after ? 1 : 0);
	sq_bind_text(st, 6, q->has_after ? q->after_key : "");
	sqlite3_bind_int64(st, 7, q->after_id);
	sqlite3_bind_int(st, 8, q->limit);
	return collect_tags(db, st, rows);
}

int sq_tags_count_matching(struct db *db, long long user_id, const struct tag_query *q,
			   long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM tags t" TAG_FILTERS;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	bind_tag_query(st, user_id, q);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 1;
}

/* updated_at = t on every contact linked to tag id. */
static int touch_linked(struct db *db, long long user_id, long long id, long long t)
{
	static const char SQL[] =
	    "UPDATE contacts SET updated_at = ?3 WHERE user_id = ?1 AND id IN"
	    " (SELECT contact_id FROM contact_tags WHERE user_id = ?1 AND tag_id = ?2)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, t);
	return sq_run(db, st);
}

int sq_tags_update(struct db *db, long long user_id, long long id, const char *name,
		   const char *name_key, long long t)
{
	static const char SQL[] = "UPDATE tags SET name = ?3, name_key = ?4, updated_at = ?5"
				  " WHERE user_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sq_bind_text(st, 3, name);
	sq_bind_text(st, 4, name_key);
	sqlite3_bind_int64(st, 5, t);
	int rc = sq_run(db, st);
	if (rc > 0) {
		int r2 = touch_linked(db, user_id, id, t);
		if (r2 < 0)
			return r2;
	}
	return rc;
}

int sq_tags_delete(struct db *db, long long user_id, long long id, long long t)
{
	static const char SQL[] = "DELETE FROM tags WHERE user_id = ?1 AND id = ?2";
	int rc = touch_linked(db, user_id, id, t);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	return sq_run(db, st);
}

int sq_contact_tags_select(struct db *db, long long user_id, const long long *contact_ids, int n,
			   struct tag_ref **rows)
{
	static const char SQL[] =
	    "SELECT ct.contact_id, t.id, t.name, t.name_key, ct.id FROM contact_tags ct"
	    " JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
	    " WHERE ct.user_id = ?1 AND ct.contact_id IN (SELECT value FROM json_each(?2))"
	    " ORDER BY ct.contact_id, t.name_key, t.id";
	*rows = NULL;
	if (n == 0)
		return 0;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_id_array(st, 2, contact_ids, n);
	int rc, count = 0, cap = 0;
	struct tag_ref *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		struct tag_ref *r = &out[count++];
		r->contact_id = sqlite3_column_int64(st, 0);
		r->id = sqlite3_column_int64(st, 1);
		r->name = sq_col_strdup(st, 2);
		r->name_key = sq_col_strdup(st, 3);
		r->link_id = sqlite3_column_int64(st, 4);
	}
	if (rc < 0) {
		tag_refs_free(out, count);
		return rc;
	}
	*rows = out;
	return count;
}

int sq_contact_tags_insert(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt, long long t)
{
	static const char SQL[] =
	    "INSERT INTO contact_tags (user_id, contact_id, tag_id, created_at)"
	    " SELECT ?1, c.value, g.value, ?4 FROM json_each(?2) c, json_each(?3) g WHERE true"
	    " ON CONFLICT DO NOTHING";
	if (nc == 0 || nt == 0)
		return 0;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_id_array(st, 2, contact_ids, nc);
	sq_bind_id_array(st, 3, tag_ids, nt);
	sqlite3_bind_int64(st, 4, t);
	return sq_run(db, st);
}

int sq_contact_tags_delete(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt)
{
	static const char SOME[] = "DELETE FROM contact_tags WHERE user_id = ?1"
				   " AND contact_id IN (SELECT value FROM json_each(?2))"
				   " AND tag_id IN (SELECT value FROM json_each(?3))";
	static const char ALL[] = "DELETE FROM contact_tags WHERE user_id = ?1"
				  " AND contact_id IN (SELECT value FROM json_each(?2))";
	if (nc == 0 || nt == 0)
		return 0;
	sqlite3_stmt *st = sq_prepare(db, nt < 0 ? ALL : SOME);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_id_array(st, 2, contact_ids, nc);
	if (nt > 0)
		sq_bind_id_array(st, 3, tag_ids, nt);
	return sq_run(db, st);
}
