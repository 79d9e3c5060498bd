/* The PostgreSQL implementations of the notes and interactions operations of struct store_ops
 * (pg_notes.c, pg_interactions.c), registered in pg.c. Each has exactly the contract of the
 * store_ops member of the same name without the pg_ prefix (store.h). */
#ifndef CRM_STORE_PG_NOTES_H
#define CRM_STORE_PG_NOTES_H

#include "store/pg/pgs.h"
#include "store/types_notes.h"

struct db;

/* Notes (pg_notes.c). */
int pg_notes_insert(struct db *db, long long user_id, long long contact_id, const char *title,
		    const char *title_key, const char *content, long long t, long long *id_out);
int pg_notes_select(struct db *db, long long user_id, long long id, struct note_row *out);
int pg_notes_select_by_title(struct db *db, long long user_id, long long contact_id,
			     const char *title_key, long long except_id, long long *id_out);
int pg_notes_update(struct db *db, long long user_id, long long id, const struct note_patch *p,
		    long long t);
int pg_notes_delete(struct db *db, long long user_id, long long id, long long t,
		    long long *contact_id_out);
int pg_notes_select_many(struct db *db, long long user_id, const struct list_query *q,
			 struct note_row **rows);
int pg_notes_count(struct db *db, long long user_id, const struct list_query *q, long long *count);
int pg_notes_at_cap(struct db *db, long long user_id, long long cap);

/* Interactions and the derived last_contacted (pg_interactions.c). */
int pg_interactions_insert(struct db *db, long long user_id, const struct interaction_new *in,
			   long long t, long long *id_out);
int pg_interactions_select(struct db *db, long long user_id, long long id,
			   struct interaction_row *out);
int pg_interactions_update(struct db *db, long long user_id, long long id,
			   const struct interaction_patch *p, long long t);
int pg_interactions_delete(struct db *db, long long user_id, long long id, long long t,
			   long long *contact_id_out);
int pg_interactions_select_many(struct db *db, long long user_id, const struct list_query *q,
				struct interaction_row **rows);
int pg_interactions_count(struct db *db, long long user_id, const struct list_query *q,
			  long long *count);
int pg_interactions_at_cap(struct db *db, long long user_id, long long cap);
int pg_contacts_recompute_last_contacted(struct db *db, long long user_id, long long contact_id,
					 long long t);

/* Appends the parameters of a listing statement built from q (pg_notes.c; shared by both
 * files), in the numbering of sq_bind_list_query: $1 user, $2 contact (0: all), $3 title_key,
 * $4 from, $5 to, $6/$7 cursor key and id, $8 limit, $9 since, and with types also $10 the
 * number of types and $11..$20 the types. Absent values are NULL. */
void pg_list_params(struct pg_params *p, long long user_id, const struct list_query *q, bool types);

#endif
