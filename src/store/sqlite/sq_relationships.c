/* SQLite store functions for contact_relationships (SPEC §6, §9.5): a contact's list with the
 * related contact's names, one row, the count of the cap, the duplicate check, the pair insert
 * (each row naming the other in inverse_id, whose foreign key is checked at COMMIT) and the
 * pair delete (the inverse goes by the inverse_id cascade). */
#include <stdlib.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"

#define REL_COLS                                                                                   \
	"r.id, r.contact_id, r.related_contact_id, r.inverse_id, r.created_at, r.type, r.label,"   \
	" c.first_name, c.last_name"
#define REL_FROM                                                                                   \
	" FROM contact_relationships r JOIN contacts c ON c.user_id = r.user_id"                   \
	" AND c.id = r.related_contact_id"

static void read_rel(sqlite3_stmt *st, struct relationship_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->contact_id = sqlite3_column_int64(st, 1);
	r->related_contact_id = sqlite3_column_int64(st, 2);
	r->inverse_id = sqlite3_column_int64(st, 3);
	r->created_at = sqlite3_column_int64(st, 4);
	r->type = sq_col_strdup(st, 5);
	r->label = sq_col_strdup(st, 6);
	r->related_first_name = sq_col_strdup(st, 7);
	r->related_last_name = sq_col_strdup(st, 8);
}

int sq_relationships_select(struct db *db, long long user_id, long long contact_id,
			    struct relationship_row **rows)
{
	static const char SQL[] =
	    "SELECT " REL_COLS REL_FROM " WHERE r.user_id = ?1 AND r.contact_id = ?2"
	    " ORDER BY r.type, c.first_name_key, c.last_name_key, r.id";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	int rc, n = 0, cap = 0;
	struct relationship_row *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		read_rel(st, &out[n++]);
	}
	if (rc < 0) {
		relationship_rows_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}

int sq_relationships_select_one(struct db *db, long long user_id, long long id,
				struct relationship_row *out)
{
	static const char SQL[] = "SELECT " REL_COLS REL_FROM " WHERE r.user_id = ?1 AND r.id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		read_rel(st, out);
		sqlite3_reset(st);
	}
	return rc;
}

int sq_relationships_count(struct db *db, long long user_id, long long contact_id, long long *count)
{
	static const char SQL[] =
	    "SELECT count(*) FROM contact_relationships WHERE user_id = ?1 AND contact_id = ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 1;
}

int sq_relationships_exists(struct db *db, long long user_id, long long contact_id,
			    long long related_id, const char *type)
{
	static const char SQL[] = "SELECT 1 FROM contact_relationships WHERE user_id = ?1"
				  " AND contact_id = ?2 AND related_contact_id = ?3 AND type = ?4";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int64(st, 3, related_id);
	sq_bind_text(st, 4, type);
	int rc = sq_step(db, st);
	if (rc > 0)
		sqlite3_reset(st);
	return rc;
}

/* Inserts one row of a pair (inverse_id may be 0 = NULL for now). */
static int insert_one(struct db *db, long long user_id, long long contact_id, long long related_id,
		      const char *type, const char *label, long long inverse_id, long long t,
		      long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO contact_relationships (user_id, contact_id, related_contact_id, type,"
	    " label, inverse_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT DO NOTHING";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int64(st, 3, related_id);
	sq_bind_text(st, 4, type);
	sq_bind_text(st, 5, label);
	if (inverse_id)
		sqlite3_bind_int64(st, 6, inverse_id);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, t);
	int rc = sq_run(db, st);
	if (rc == 0)
		return ST_CONFLICT;
	if (rc > 0)
		*id_out = sq_last_insert_id(db);
	return rc;
}

int sq_relationships_insert_pair(struct db *db, long long user_id, long long contact_id,
				 long long related_id, const char *type, const char *inverse_type,
				 const char *label, long long t, long long *id_out)
{
	static const char LINK[] =
	    "UPDATE contact_relationships SET inverse_id = ?3 WHERE user_id = ?1 AND id = ?2";
	long long first = 0, second = 0;
	int rc = insert_one(db, user_id, contact_id, related_id, type, label, 0, t, &first);
	if (rc < 0)
		return rc;
	rc =
	    insert_one(db, user_id, related_id, contact_id, inverse_type, label, first, t, &second);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = sq_prepare(db, LINK);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, second);
	rc = sq_run(db, st);
	if (rc > 0)
		*id_out = first;
	return rc < 0 ? rc : 1;
}

int sq_relationships_delete(struct db *db, long long user_id, long long contact_id, long long id)
{
	static const char SQL[] = "DELETE FROM contact_relationships WHERE user_id = ?1"
				  " AND contact_id = ?2 AND id = ?3";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int64(st, 3, id);
	return sq_run(db, st);
}
