/* SQLite store functions for the interactions table (SPEC §6, §10.2): insert, lookup, the
 * partial update, deletion with its tombstone, keyset pages and the change feed, counts, and
 * the derived contacts.last_contacted.
 *
 * Listings follow sq_notes.c: one fixed statement per shape, generated from the fragments
 * below, with the parameter numbers of sq_bind_list_query (?10 the number of type filters,
 * ?11..?20 the types; an unused slot binds NULL, which `type IN (...)` never matches). */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_notes.h"
#include "store/store.h"
#include "util/alloc.h"

#define INTERACTION_COLS                                                                           \
	"id, contact_id, type, occurred_at, notes, duration_minutes, created_at, updated_at, 0"
#define FILTERS                                                                                    \
	" AND (?10 = 0 OR type IN (?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20))"             \
	" AND (?4 IS NULL OR occurred_at >= ?4) AND (?5 IS NULL OR occurred_at < ?5)"
#define ALL ""
#define ONE " AND contact_id = ?2"
#define NOCUR(col, cmp) ""
#define CUR(col, cmp) " AND (" col ", id) " cmp " (?6, ?7)"
#define PAGE(contact, cur, col, cmp, dir)                                                          \
	"SELECT " INTERACTION_COLS " FROM interactions WHERE user_id = ?1" contact FILTERS cur(    \
	    col, cmp) " ORDER BY " col " " dir ", id " dir " LIMIT ?8"
#define PAGES(contact, cur)                                                                        \
	PAGE(contact, cur, "created_at", ">", "ASC"),                                              \
	    PAGE(contact, cur, "created_at", "<", "DESC"),                                         \
	    PAGE(contact, cur, "occurred_at", ">", "ASC"),                                         \
	    PAGE(contact, cur, "occurred_at", "<", "DESC")

/* Index: cursor 8 + contact 4 + occurred_at 2 + descending 1. */
static const char *const PAGE_SQL[16] = {PAGES(ALL, NOCUR), PAGES(ONE, NOCUR), PAGES(ALL, CUR),
					 PAGES(ONE, CUR)};

#define TOMB_CUR " AND (deleted_at, record_id) > (?6, ?7)"
#define FEED(contact, cur, tcur)                                                                   \
	"SELECT " INTERACTION_COLS " FROM interactions WHERE user_id = ?1" contact FILTERS         \
	" AND updated_at >= ?9" cur(                                                               \
	    "updated_at",                                                                          \
	    ">") " UNION ALL SELECT record_id, 0, NULL, 0, NULL, NULL, 0, deleted_at, 1 FROM "     \
		 "tombstones"                                                                      \
		 " WHERE user_id = ?1 AND kind = 'interaction' AND deleted_at >= ?9" tcur          \
		 " ORDER BY 8, 1 LIMIT ?8"

/* Index: cursor 2 + contact 1. */
static const char *const FEED_SQL[4] = {FEED(ALL, NOCUR, ""), FEED(ONE, NOCUR, ""),
					FEED(ALL, CUR, TOMB_CUR), FEED(ONE, CUR, TOMB_CUR)};

#define COUNT(contact) "SELECT count(*) FROM interactions WHERE user_id = ?1" contact FILTERS
#define FEED_COUNT(contact)                                                                        \
	"SELECT (" COUNT(contact) " AND updated_at >= ?9) + (SELECT count(*) FROM tombstones"      \
				  " WHERE user_id = ?1 AND kind = 'interaction'"                   \
				  " AND deleted_at >= ?9)"

/* Index: feed 2 + contact 1. */
static const char *const COUNT_SQL[4] = {COUNT(ALL), COUNT(ONE), FEED_COUNT(ALL), FEED_COUNT(ONE)};

static void read_interaction(sqlite3_stmt *st, struct interaction_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->contact_id = sqlite3_column_int64(st, 1);
	r->type = sq_col_strdup(st, 2);
	r->occurred_at = sqlite3_column_int64(st, 3);
	r->notes = sq_col_strdup(st, 4);
	r->has_duration = sqlite3_column_type(st, 5) != SQLITE_NULL;
	r->duration_minutes = sqlite3_column_int(st, 5);
	r->created_at = sqlite3_column_int64(st, 6);
	r->updated_at = sqlite3_column_int64(st, 7);
	r->deleted = sqlite3_column_int(st, 8) != 0;
}

int sq_interactions_insert(struct db *db, long long user_id, const struct interaction_new *in,
			   long long t, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO interactions (user_id, contact_id, type, occurred_at, notes,"
	    " duration_minutes, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, in->contact_id);
	sq_bind_text(st, 3, in->type);
	sqlite3_bind_int64(st, 4, in->occurred_at);
	sq_bind_text(st, 5, in->notes);
	if (in->has_duration)
		sqlite3_bind_int(st, 6, in->duration_minutes);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, t);
	int rc = sq_run(db, st);
	if (rc > 0 && id_out)
		*id_out = sq_last_insert_id(db);
	return rc;
}

int sq_interactions_select(struct db *db, long long user_id, long long id,
			   struct interaction_row *out)
{
	static const char SQL[] =
	    "SELECT " INTERACTION_COLS " FROM interactions WHERE user_id = ?1 AND id = ?2";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_interaction(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

/* One static statement for every patch: each column keeps its value unless its flag says
 * otherwise. */
int sq_interactions_update(struct db *db, long long user_id, long long id,
			   const struct interaction_patch *p, long long t)
{
	static const char SQL[] =
	    "UPDATE interactions SET"
	    " contact_id = CASE WHEN ?4 THEN ?5 ELSE contact_id END,"
	    " type = CASE WHEN ?6 THEN ?7 ELSE type END,"
	    " occurred_at = CASE WHEN ?8 THEN ?9 ELSE occurred_at END,"
	    " notes = CASE WHEN ?10 THEN ?11 ELSE notes END,"
	    " duration_minutes = CASE WHEN ?12 THEN ?13 ELSE duration_minutes END,"
	    " updated_at = ?3"
	    " WHERE user_id = ?1 AND id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int(st, 4, p->set_contact);
	sqlite3_bind_int64(st, 5, p->contact_id);
	sqlite3_bind_int(st, 6, p->set_type);
	sq_bind_text(st, 7, p->type);
	sqlite3_bind_int(st, 8, p->set_occurred_at);
	sqlite3_bind_int64(st, 9, p->occurred_at);
	sqlite3_bind_int(st, 10, p->set_notes);
	sq_bind_text(st, 11, p->notes);
	sqlite3_bind_int(st, 12, p->set_duration);
	if (p->has_duration)
		sqlite3_bind_int(st, 13, p->duration_minutes);
	else
		sqlite3_bind_null(st, 13);
	return sq_run(db, st);
}

int sq_interactions_delete(struct db *db, long long user_id, long long id, long long t,
			   long long *contact_id_out)
{
	static const char SQL[] =
	    "DELETE FROM interactions WHERE user_id = ?1 AND id = ?2 RETURNING contact_id";
	static const char TOMB[] = "INSERT INTO tombstones (user_id, kind, record_id, deleted_at)"
				   " VALUES (?1, 'interaction', ?2, ?3)"
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
	sqlite3_reset(st);
	st = sq_prepare(db, TOMB);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, t);
	int rt = sq_run(db, st);
	return rt < 0 ? rt : 1;
}

int sq_interactions_select_many(struct db *db, long long user_id, const struct list_query *q,
				struct interaction_row **rows)
{
	*rows = NULL;
	const char *sql;
	if (q->feed)
		sql = FEED_SQL[(q->has_after ? 2 : 0) + (q->contact_id ? 1 : 0)];
	else
		sql = PAGE_SQL[(q->has_after ? 8 : 0) + (q->contact_id ? 4 : 0) +
			       (q->sort == SORT_OCCURRED_AT ? 2 : 0) + (q->desc ? 1 : 0)];
	sqlite3_stmt *st = sq_prepare(db, sql);
	if (!st)
		return ST_ERROR;
	sq_bind_list_query(st, user_id, q);
	int n = 0, cap = 0, rc;
	struct interaction_row *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		memset(&out[n], 0, sizeof out[n]);
		read_interaction(st, &out[n++]);
	}
	if (rc < 0) {
		interaction_rows_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}

int sq_interactions_count(struct db *db, long long user_id, const struct list_query *q,
			  long long *count)
{
	static const char ALL_SQL[] = "SELECT count(*) FROM interactions WHERE user_id = ?1";
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

/* MAX(occurred_at) is read from the (user_id, contact_id, occurred_at) index; updated_at moves
 * only when the value changes (IS NOT treats NULL as a value). */
int sq_contacts_recompute_last_contacted(struct db *db, long long user_id, long long contact_id,
					 long long t)
{
	static const char SQL[] =
	    "UPDATE contacts SET last_contacted = (SELECT MAX(occurred_at) FROM interactions"
	    " WHERE user_id = ?1 AND contact_id = ?2), updated_at = ?3"
	    " WHERE user_id = ?1 AND id = ?2 AND last_contacted IS NOT (SELECT MAX(occurred_at)"
	    " FROM interactions WHERE user_id = ?1 AND contact_id = ?2)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int64(st, 3, t);
	return sq_run(db, st);
}

/* As sq_notes_at_cap: the id span bounds the count, so the count runs only near the cap. */
int sq_interactions_at_cap(struct db *db, long long user_id, long long cap)
{
	static const char SQL[] =
	    "SELECT CASE WHEN COALESCE((SELECT max(id) FROM interactions WHERE user_id = ?1)"
	    " - (SELECT min(id) FROM interactions WHERE user_id = ?1) + 1, 0) < ?2 THEN 0"
	    " ELSE (SELECT count(*) FROM (SELECT 1 FROM interactions WHERE user_id = ?1"
	    " LIMIT ?2)) >= ?2 END";
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
