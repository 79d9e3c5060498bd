/* SQLite store functions for the exports (SPEC §8, §9.6): keyset chunks in ascending id of a
 * user's contacts, tags, notes, interactions and security events, and the tags and
 * relationships of a range of contact ids. Every statement is scoped by user_id and served by
 * a (user_id, ...) key: contacts, tags, notes and interactions by their UNIQUE (user_id, id),
 * links and relationships by their unique keys that start (user_id, contact_id). */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/sqlite/sq_exports.h"
#include "store/store.h"
#include "util/alloc.h"

/* Reads the current row of st into the element at row (a struct of the caller's type). */
typedef void (*read_fn)(sqlite3_stmt *st, void *row);
/* Frees rows[0..n) and the array. */
typedef void (*free_fn)(void *rows, int n);

/* Steps st to the end, reading each row into a growing array of elements of size bytes.
 * Returns the array (NULL when empty) with *n the count, or NULL with *n < 0 (a store status)
 * and everything freed. */
static void *collect(struct db *db, sqlite3_stmt *st, size_t size, read_fn rd, free_fn fr, int *n)
{
	int rc, count = 0, cap = 0;
	char *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			out = xrealloc(out, (size_t)cap * size);
		}
		void *row = out + (size_t)count * size;
		memset(row, 0, size);
		rd(st, row);
		count++;
	}
	if (rc < 0) {
		fr(out, count);
		*n = rc;
		return NULL;
	}
	*n = count;
	return out;
}

/* Prepares a keyset statement with ?1 user, ?2 after_id / lo, ?3 limit / hi. */
static sqlite3_stmt *prepare3(struct db *db, const char *sql, long long user_id, long long a,
			      long long b)
{
	sqlite3_stmt *st = sq_prepare(db, sql);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	return st;
}

static void read_contact(sqlite3_stmt *st, void *row)
{
	sq_read_contact(st, row);
}

static void free_contacts(void *rows, int n)
{
	contact_rows_free(rows, n);
}

int sq_export_contacts(struct db *db, long long user_id, long long after_id, int limit,
		       struct contact_row **rows)
{
	static const char SQL[] = "SELECT " SQ_CONTACT_COLS " FROM contacts c"
				  " WHERE c.user_id = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, after_id, limit);
	if (!st)
		return ST_ERROR;
	int n;
	*rows = collect(db, st, sizeof **rows, read_contact, free_contacts, &n);
	return n;
}

static void read_tag_ref(sqlite3_stmt *st, void *row)
{
	struct tag_ref *r = row;
	r->contact_id = sqlite3_column_int64(st, 0);
	r->id = sqlite3_column_int64(st, 1);
	r->name = sq_col_strdup(st, 2);
	r->name_key = sq_col_strdup(st, 3);
}

static void free_tag_refs(void *rows, int n)
{
	tag_refs_free(rows, n);
}

int sq_export_contact_tags(struct db *db, long long user_id, long long lo_id, long long hi_id,
			   struct tag_ref **rows)
{
	static const char SQL[] =
	    "SELECT ct.contact_id, t.id, t.name, t.name_key FROM contact_tags ct"
	    " JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
	    " WHERE ct.user_id = ?1 AND ct.contact_id BETWEEN ?2 AND ?3"
	    " ORDER BY ct.contact_id, t.name_key, t.id";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, lo_id, hi_id);
	if (!st)
		return ST_ERROR;
	int n;
	*rows = collect(db, st, sizeof **rows, read_tag_ref, free_tag_refs, &n);
	return n;
}

static void read_rel(sqlite3_stmt *st, void *row)
{
	struct relationship_row *r = row;
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

static void free_rels(void *rows, int n)
{
	relationship_rows_free(rows, n);
}

int sq_export_relationships(struct db *db, long long user_id, long long lo_id, long long hi_id,
			    int limit, struct relationship_row **rows)
{
	static const char SQL[] =
	    "SELECT r.id, r.contact_id, r.related_contact_id, r.inverse_id, r.created_at, r.type,"
	    " r.label, c.first_name, c.last_name FROM contact_relationships r"
	    " JOIN contacts c ON c.user_id = r.user_id AND c.id = r.related_contact_id"
	    " WHERE r.user_id = ?1 AND r.contact_id BETWEEN ?2 AND ?3"
	    " ORDER BY r.contact_id, r.id LIMIT ?4";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, lo_id, hi_id);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int(st, 4, limit);
	int n;
	*rows = collect(db, st, sizeof **rows, read_rel, free_rels, &n);
	return n;
}

static void read_tag(sqlite3_stmt *st, void *row)
{
	struct tag_row *t = row;
	t->id = sqlite3_column_int64(st, 0);
	t->name = sq_col_strdup(st, 1);
	t->name_key = sq_col_strdup(st, 2);
	t->created_at = sqlite3_column_int64(st, 3);
	t->updated_at = sqlite3_column_int64(st, 4);
	t->contact_count = sqlite3_column_int64(st, 5);
}

static void free_tags(void *rows, int n)
{
	tag_rows_free(rows, n);
}

int sq_export_tags(struct db *db, long long user_id, long long after_id, int limit,
		   struct tag_row **rows)
{
	static const char SQL[] =
	    "SELECT t.id, t.name, t.name_key, t.created_at, t.updated_at, (SELECT count(*) FROM"
	    " contact_tags ct WHERE ct.user_id = t.user_id AND ct.tag_id = t.id) FROM tags t"
	    " WHERE t.user_id = ?1 AND t.id > ?2 ORDER BY t.id LIMIT ?3";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, after_id, limit);
	if (!st)
		return ST_ERROR;
	int n;
	*rows = collect(db, st, sizeof **rows, read_tag, free_tags, &n);
	return n;
}

static void read_note(sqlite3_stmt *st, void *row)
{
	struct note_row *n = row;
	n->id = sqlite3_column_int64(st, 0);
	n->contact_id = sqlite3_column_int64(st, 1);
	n->title = sq_col_strdup(st, 2);
	n->content = sq_col_strdup(st, 3);
	n->created_at = sqlite3_column_int64(st, 4);
	n->updated_at = sqlite3_column_int64(st, 5);
}

static void free_notes(void *rows, int n)
{
	note_rows_free(rows, n);
}

int sq_export_notes(struct db *db, long long user_id, long long after_id, int limit,
		    struct note_row **rows)
{
	static const char SQL[] = "SELECT id, contact_id, title, content, created_at, updated_at"
				  " FROM notes WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, after_id, limit);
	if (!st)
		return ST_ERROR;
	int n;
	*rows = collect(db, st, sizeof **rows, read_note, free_notes, &n);
	return n;
}

static void read_interaction(sqlite3_stmt *st, void *row)
{
	struct interaction_row *r = row;
	r->id = sqlite3_column_int64(st, 0);
	r->contact_id = sqlite3_column_int64(st, 1);
	r->type = sq_col_strdup(st, 2);
	r->occurred_at = sqlite3_column_int64(st, 3);
	r->notes = sq_col_strdup(st, 4);
	r->has_duration = sqlite3_column_type(st, 5) != SQLITE_NULL;
	r->duration_minutes = sqlite3_column_int(st, 5);
	r->created_at = sqlite3_column_int64(st, 6);
	r->updated_at = sqlite3_column_int64(st, 7);
}

static void free_interactions(void *rows, int n)
{
	interaction_rows_free(rows, n);
}

int sq_export_interactions(struct db *db, long long user_id, long long after_id, int limit,
			   struct interaction_row **rows)
{
	static const char SQL[] =
	    "SELECT id, contact_id, type, occurred_at, notes, duration_minutes, created_at,"
	    " updated_at FROM interactions WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, after_id, limit);
	if (!st)
		return ST_ERROR;
	int n;
	*rows = collect(db, st, sizeof **rows, read_interaction, free_interactions, &n);
	return n;
}

static void read_event(sqlite3_stmt *st, void *row)
{
	struct security_event_row *e = row;
	e->id = sqlite3_column_int64(st, 0);
	e->event = sq_col_strdup(st, 1);
	e->created_at = sqlite3_column_int64(st, 2);
	e->ip = sq_col_strdup(st, 3);
}

static void free_events(void *rows, int n)
{
	security_event_rows_free(rows, n);
}

int sq_export_security_events(struct db *db, long long user_id, long long after_id, int limit,
			      struct security_event_row **rows)
{
	/* details, user_agent and request_id are never read: the export shows none of them. */
	static const char SQL[] = "SELECT id, event, created_at, ip FROM audit_log"
				  " WHERE user_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
	*rows = NULL;
	sqlite3_stmt *st = prepare3(db, SQL, user_id, after_id, limit);
	if (!st)
		return ST_ERROR;
	int n;
	*rows = collect(db, st, sizeof **rows, read_event, free_events, &n);
	return n;
}
