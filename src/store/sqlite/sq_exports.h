/* The SQLite implementations of the export operations of struct store_ops (sq_exports.c),
 * registered in sqlite.c. Each has exactly the contract of the store_ops member of the same
 * name without the sq_ prefix (store.h, block "Exports"). */
#ifndef CRM_STORE_SQ_EXPORTS_H
#define CRM_STORE_SQ_EXPORTS_H

#include "store/contact_types.h"
#include "store/export_types.h"
#include "store/types_notes.h"

struct db;

int sq_export_contacts(struct db *db, long long user_id, long long after_id, int limit,
		       struct contact_row **rows);
int sq_export_contact_tags(struct db *db, long long user_id, long long lo_id, long long hi_id,
			   struct tag_ref **rows);
int sq_export_relationships(struct db *db, long long user_id, long long lo_id, long long hi_id,
			    int limit, struct relationship_row **rows);
int sq_export_tags(struct db *db, long long user_id, long long after_id, int limit,
		   struct tag_row **rows);
int sq_export_notes(struct db *db, long long user_id, long long after_id, int limit,
		    struct note_row **rows);
int sq_export_interactions(struct db *db, long long user_id, long long after_id, int limit,
			   struct interaction_row **rows);
int sq_export_security_events(struct db *db, long long user_id, long long after_id, int limit,
			      struct security_event_row **rows);

#endif
