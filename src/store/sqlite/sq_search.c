/* SQLite store functions for the contact search index and the tombstones (SPEC §6, §9.2): the
 * replacement of a contact's search_terms rows, the note texts those rows are computed from,
 * and the tombstone page, count and retention purge of the change feeds. */
#include <stdlib.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"

int sq_search_terms_replace(struct db *db, long long user_id, long long contact_id,
			    const char *const *terms, int n)
{
	static const char DEL[] = "DELETE FROM search_terms WHERE user_id = ?1 AND contact_id = ?2";
	static const char INS[] =
	    "INSERT INTO search_terms (user_id, contact_id, term)"
	    " SELECT DISTINCT ?1, ?2, value FROM json_each(?3) WHERE true ON CONFLICT DO NOTHING";
	sqlite3_stmt *st = sq_prepare(db, DEL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	int rc = sq_run(db, st);
	if (rc < 0 || n == 0)
		return rc < 0 ? rc : 0;
	st = sq_prepare(db, INS);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sq_bind_text_array(st, 3, terms, n);
	return sq_run(db, st);
}

int sq_search_note_texts(struct db *db, long long user_id, long long contact_id,
			 void (*fn)(void *ctx, const char *text), void *ctx)
{
	static const char SQL[] =
	    "SELECT title, content FROM notes WHERE user_id = ?1 AND contact_id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	int rc, count = 0;
	while ((rc = sq_step(db, st)) > 0) {
		const char *title = (const char *)sqlite3_column_text(st, 0);
		const char *content = (const char *)sqlite3_column_text(st, 1);
		if (title)
			fn(ctx, title);
		if (content)
			fn(ctx, content);
		count++;
	}
	return rc < 0 ? rc : count;
}

int sq_tombstones_select_page(struct db *db, long long user_id, const char *kind, long long since,
			      bool after, long long after_t, long long after_id, int limit,
			      struct tombstone_row **rows)
{
	static const char SQL[] =
	    "SELECT record_id, deleted_at FROM tombstones WHERE user_id = ?1 AND kind = ?2"
	    " AND deleted_at >= ?3 AND (?4 = 0 OR (deleted_at, record_id) > (?5, ?6))"
	    " ORDER BY deleted_at, record_id LIMIT ?7";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int(st, 4, after ? 1 : 0);
	sqlite3_bind_int64(st, 5, after_t);
	sqlite3_bind_int64(st, 6, after_id);
	sqlite3_bind_int(st, 7, limit);
	struct tombstone_row *out = xcalloc((size_t)(limit > 0 ? limit : 1), sizeof *out);
	int rc, n = 0;
	while ((rc = sq_step(db, st)) > 0) {
		if (n < limit) {
			out[n].id = sqlite3_column_int64(st, 0);
			out[n].deleted_at = sqlite3_column_int64(st, 1);
			n++;
		}
	}
	if (rc < 0) {
		free(out);
		return rc;
	}
	*rows = out;
	return n;
}

int sq_tombstones_count(struct db *db, long long user_id, const char *kind, long long since,
			long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM tombstones WHERE user_id = ?1 AND kind = ?2"
				  " AND deleted_at >= ?3";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sq_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, since);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 1;
}

int sq_tombstones_purge(struct db *db, long long before)
{
	static const char SQL[] = "DELETE FROM tombstones WHERE deleted_at < ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, before);
	return sq_run(db, st);
}
