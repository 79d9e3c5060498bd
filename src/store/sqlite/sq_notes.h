/* The SQLite implementations of the notes and interactions operations of struct store_ops
 * (sq_notes.c, sq_interactions.c), registered in sqlite.c. Each has exactly the contract of the
 * store_ops member of the same name without the sq_ prefix (store.h). */
#ifndef CRM_STORE_SQ_NOTES_H
#define CRM_STORE_SQ_NOTES_H

#include <sqlite3.h>

#include "store/types_notes.h"

struct db;

/* Notes (sq_notes.c). */
int sq_notes_insert(struct db *db, long long user_id, long long contact_id, const char *title,
		    const char *title_key, const char *content, long long t, long long *id_out);
int sq_notes_select(struct db *db, long long user_id, long long id, struct note_row *out);
int sq_notes_select_by_title(struct db *db, long long user_id, long long contact_id,
			     const char *title_key, long long except_id, long long *id_out);
int sq_notes_update(struct db *db, long long user_id, long long id, const struct note_patch *p,
		    long long t);
int sq_notes_delete(struct db *db, long long user_id, long long id, long long t,
		    long long *contact_id_out);
int sq_notes_select_many(struct db *db, long long user_id, const struct list_query *q,
			 struct note_row **rows);
int sq_notes_count(struct db *db, long long user_id, const struct list_query *q, long long *count);
int sq_notes_at_cap(struct db *db, long long user_id, long long cap);

/* Interactions and the derived last_contacted (sq_interactions.c). */
int sq_interactions_insert(struct db *db, long long user_id, const struct interaction_new *in,
			   long long t, long long *id_out);
int sq_interactions_select(struct db *db, long long user_id, long long id,
			   struct interaction_row *out);
int sq_interactions_update(struct db *db, long long user_id, long long id,
			   const struct interaction_patch *p, long long t);
int sq_interactions_delete(struct db *db, long long user_id, long long id, long long t,
			   long long *contact_id_out);
int sq_interactions_select_many(struct db *db, long long user_id, const struct list_query *q,
				struct interaction_row **rows);
int sq_interactions_count(struct db *db, long long user_id, const struct list_query *q,
			  long long *count);
int sq_interactions_at_cap(struct db *db, long long user_id, long long cap);
int sq_contacts_recompute_last_contacted(struct db *db, long long user_id, long long contact_id,
					 long long t);

/* Binds a listing statement's parameters from q (sq_notes.c; shared by both files): ?1 user,
 * ?2 contact, ?3 title_key, ?4 from, ?5 to, ?6/?7 cursor key and id, ?8 limit, ?9 since,
 * ?10 number of types, ?11..?20 types; absent values bind NULL, numbers past the statement's
 * last parameter are skipped. */
void sq_bind_list_query(sqlite3_stmt *st, long long user_id, const struct list_query *q);

#endif
