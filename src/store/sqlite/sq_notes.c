/* SQLite store functions for the notes table (SPEC §6, §10.1): insert, lookups, the partial
 * update, deletion with its tombstone, keyset pages and the change feed, and counts.
 *
 * Listings use one fixed statement per shape (contact filter or not, cursor or not, sort
 * column, direction), all generated from the same fragments below, so each keeps a plan that
 * can walk the (user_id, created_at, id) or (user_id, contact_id, created_at) index; optional
 * filters whose absence is a NULL parameter stay in every shape. Parameters: ?1 user, ?2
 * contact, ?3 title_key, ?4 from, ?5 to, ?6/?7 the cursor's key and id, ?8 limit, ?9 since. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_notes.h"
#include "store/store.h"
#include "util/alloc.h"

#define NOTE_COLS "id, contact_id, title, content, created_at, updated_at, 0"
#define FILTERS                                                                                    \
	" AND (?3 IS NULL OR title_key = ?3) AND (?4 IS NULL OR created_at >= ?4)"                 \
	" AND (?5 IS NULL OR created_at < ?5)"
#define ALL ""
#define ONE " AND contact_id = ?2"
#define NOCUR(col, cmp) ""
#define CUR(col, cmp) " AND (" col ", id) " cmp " (?6, ?7)"
#define PAGE(contact, cur, col, cmp, dir)                                                          \
	"SELECT " NOTE_COLS " FROM notes WHERE user_id = ?1" contact FILTERS cur(                  \
	    col, cmp) " ORDER BY " col " " dir ", id " dir " LIMIT ?8"
#define PAGES(contact, cur)                                                                        \
	PAGE(contact, cur, "created_at", ">", "ASC"),                                              \
	    PAGE(contact, cur, "created_at", "<", "DESC"),                                         \
	    PAGE(contact, cur, "updated_at", ">", "ASC"),                                          \
	    PAGE(contact, cur, "updated_at", "<", "DESC")

/* Index: cursor 8 + contact 4 + updated_at 2 + descending 1. */
static const char *const PAGE_SQL[16] = {PAGES(ALL, NOCUR), PAGES(ONE, NOCUR), PAGES(ALL, CUR),
					 PAGES(ONE, CUR)};

#define TOMB_CUR " AND (deleted_at, record_id) > (?6, ?7)"
#define FEED(contact, cur, tcur)                                                                   \
	"SELECT " NOTE_COLS " FROM notes WHERE user_id = ?1" contact FILTERS                       \
	" AND updated_at >= ?9" cur(                                                               \
	    "updated_at",                                                                          \
	    ">") " UNION ALL SELECT record_id, 0, NULL, NULL, 0, deleted_at, 1 FROM tombstones"    \
		 " WHERE user_id = ?1 AND kind = 'note' AND deleted_at >= ?9" tcur                 \
		 " ORDER BY 6, 1 LIMIT ?8"

/* Index: cursor 2 + contact 1. */
static const char *const FEED_SQL[4] = {FEED(ALL, NOCUR, ""), FEED(ONE, NOCUR, ""),
					FEED(ALL, CUR, TOMB_CUR), FEED(ONE, CUR, TOMB_CUR)};

#define COUNT(contact) "SELECT count(*) FROM notes WHERE user_id = ?1" contact FILTERS
#define FEED_COUNT(contact)                                                                        \
	"SELECT (" COUNT(contact) " AND updated_at >= ?9) + (SELECT count(*) FROM tombstones"      \
				  " WHERE user_id = ?1 AND kind = 'note' AND deleted_at >= ?9)"

/* Index: feed 2 + contact 1. */
static const char *const COUNT_SQL[4] = {COUNT(ALL), COUNT(ONE), FEED_COUNT(ALL), FEED_COUNT(ONE)};

/* Binds what a listing statement of either table uses (notes and interactions share the
 * parameter numbers ?1..?9; interactions add ?10 ntypes and ?11..?20 types). Parameters the
 * statement does not have are skipped. */
void sq_bind_list_query(sqlite3_stmt *st, long long user_id, const struct list_query *q)
{
	int n = sqlite3_bind_parameter_count(st);
	sqlite3_bind_int64(st, 1, user_id);
	if (n >= 2)
		sqlite3_bind_int64(st, 2, q->contact_id);
	if (n >= 3)
		sq_bind_text(st, 3, q->title_key);
	if (n >= 4 && q->has_from)
		sqlite3_bind_int64(st, 4, q->from);
	if (n >= 5 && q->has_to)
		sqlite3_bind_int64(st, 5, q->to);
	if (n >= 7 && q->has_after) {
		sqlite3_bind_int64(st, 6, q->after_key);
		sqlite3_bind_int64(st, 7, q->after_id);
	}
	if (n >= 8)
		sqlite3_bind_int64(st, 8, q->limit);
	if (n >= 9)
		sqlite3_bind_int64(st, 9, q->since);
	if (n >= 10)
		sqlite3_bind_int(st, 10, q->ntypes);
	for (int i = 0; i < q->ntypes && 11 + i <= n; i++)
		sq_bind_text(st, 11 + i, q->types[i]);
}

static void read_note(sqlite3_stmt *st, struct note_row *n)
{
	n->id = sqlite3_column_int64(st, 0);
	n->contact_id = sqlite3_column_int64(st, 1);
	n->title = sq_col_strdup(st, 2);
	n->content = sq_col_strdup(st, 3);
	n->created_at = sqlite3_column_int64(st, 4);
	n->updated_at = sqlite3_column_int64(st, 5);
	n->deleted = sqlite3_column_int(st, 6) != 0;
}

int sq_notes_insert(struct db *db, long long user_id, long long contact_id, const char *title,
		    const char *title_key, const char *content, long long t, long long *id_out)
{
	static const char SQL[] = "INSERT INTO notes (user_id, contact_id, title, title_key,"
				  " content, created_at, updated_at)"
				  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sq_bind_text(st, 3, title);
	sq_bind_text(st, 4, title_key);
	sq_bind_text(st, 5, content);
	sqlite3_bind_int64(st, 6, t);
	int rc = sq_run(db, st);
	if (rc > 0 && id_out)
		*id_out = sq_last_insert_id(db);
	return rc;
}

int sq_notes_select(struct db *db, long long user_id, long long id, struct note_row *out)
{
	static const char SQL[] = "SELECT " NOTE_COLS " FROM notes WHERE user_id = ?1 AND id = ?2";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_note(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int sq_notes_select_by_title(struct db *db, long long user_id, long long contact_id,
			     const char *title_key, long long except_id, long long *id_out)
{
	static const char SQL[] = "SELECT id FROM notes WHERE user_id = ?1 AND contact_id = ?2"
				  " AND title_key = ?3 AND id <> ?4";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sq_bind_text(st, 3, title_key);
	sqlite3_bind_int64(st, 4, except_id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		if (id_out)
			*id_out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

/* One static statement for every patch: each column keeps its value unless its flag says
 * otherwise. A title clash is ST_CONFLICT (the statement fails, the transaction stays). */
int sq_notes_update(struct db *db, long long user_id, long long id, const struct note_patch *p,
		    long long t)
{
	static const char SQL[] = "UPDATE notes SET"
				  " title = CASE WHEN ?4 THEN ?5 ELSE title END,"
				  " title_key = CASE WHEN ?4 THEN ?6 ELSE title_key END,"
				  " content = CASE WHEN ?7 THEN ?8 ELSE content END,"
				  " contact_id = CASE WHEN ?9 THEN ?10 ELSE contact_id END,"
				  " updated_at = ?3"
				  " WHERE user_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int(st, 4, p->set_title);
	sq_bind_text(st, 5, p->title);
	sq_bind_text(st, 6, p->title_key);
	sqlite3_bind_int(st, 7, p->set_content);
	sq_bind_text(st, 8, p->content);
	sqlite3_bind_int(st, 9, p->set_contact);
	sqlite3_bind_int64(st, 10, p->contact_id);
	return sq_run(db, st);
}

int sq_notes_delete(struct db *db, long long user_id, long long id, long long t,
		    long long *contact_id_out)
{
	static const char SQL[] =
	    "DELETE FROM notes WHERE user_id = ?1 AND id = ?2 RETURNING contact_id";
	static const char TOMB[] = "INSERT INTO tombstones (user_id, kind, record_id, deleted_at) "
				   "VALUES (?1, 'note', ?2, ?3)"
				   " ON CONFLICT (user_id, kind, record_id) DO UPDATE SET "
				   "deleted_at = excluded.deleted_at";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc <= 0)
		return rc;
	if (contact_id_out)
		*contact_id_out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st); /* completes the DELETE (RETURNING rows are computed up front) */
	st = sq_prepare(db, TOMB);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, t);
	int rt = sq_run(db, st);
	return rt < 0 ? rt : 1;
}

int sq_notes_select_many(struct db *db, long long user_id, const struct list_query *q,
			 struct note_row **rows)
{
	*rows = NULL;
	const char *sql;
	if (q->feed)
		sql = FEED_SQL[(q->has_after ? 2 : 0) + (q->contact_id ? 1 : 0)];
	else
		sql = PAGE_SQL[(q->has_after ? 8 : 0) + (q->contact_id ? 4 : 0) +
			       (q->sort == SORT_UPDATED_AT ? 2 : 0) + (q->desc ? 1 : 0)];
	sqlite3_stmt *st = sq_prepare(db, sql);
	if (!st)
		return ST_ERROR;
	sq_bind_list_query(st, user_id, q);
	int n = 0, cap = 0, rc;
	struct note_row *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		memset(&out[n], 0, sizeof out[n]);
		read_note(st, &out[n++]);
	}
	if (rc < 0) {
		note_rows_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}

int sq_notes_count(struct db *db, long long user_id, const struct list_query *q, long long *count)
{
	static const char ALL_SQL[] = "SELECT count(*) FROM notes WHERE user_id = ?1";
	const char *sql = q ? COUNT_SQL[(q->feed ? 2 : 0) + (q->contact_id ? 1 : 0)] : ALL_SQL;
	sqlite3_stmt *st = sq_prepare(db, sql);
	if (!st)
		return ST_ERROR;
	if (q)
		sq_bind_list_query(st, user_id, q);
	else
		sqlite3_bind_int64(st, 1, user_id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 1;
	}
	return rc < 0 ? rc : ST_ERROR;
}

/* The id span (max - min + 1) bounds the count from above, since ids are unique: below cap,
 * the cap cannot be reached and the count is skipped. Otherwise the count stops at cap. */
int sq_notes_at_cap(struct db *db, long long user_id, long long cap)
{
	static const char SQL[] =
	    "SELECT CASE WHEN COALESCE((SELECT max(id) FROM notes WHERE user_id = ?1)"
	    " - (SELECT min(id) FROM notes WHERE user_id = ?1) + 1, 0) < ?2 THEN 0"
	    " ELSE (SELECT count(*) FROM (SELECT 1 FROM notes WHERE user_id = ?1 LIMIT ?2)) >= ?2"
	    " END";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, cap);
	int rc = sq_step(db, st);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	int at = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return at;
}
