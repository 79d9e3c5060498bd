/* The PostgreSQL implementations of the export operations of struct store_ops (pg_exports.c),
 * registered in pg.c. Each has exactly the contract of the store_ops member of the same name
 * without the pg_ prefix (store.h, block "Exports"). */
#ifndef CRM_STORE_PG_EXPORTS_H
#define CRM_STORE_PG_EXPORTS_H

#include "store/contact_types.h"
#include "store/export_types.h"
#include "store/types_notes.h"

struct db;

int pg_export_contacts(struct db *db, long long user_id, long long after_id, int limit,
		       struct contact_row **rows);
int pg_export_contact_tags(struct db *db, long long user_id, long long lo_id, long long hi_id,
			   struct tag_ref **rows);
int pg_export_relationships(struct db *db, long long user_id, long long lo_id, long long hi_id,
			    int limit, struct relationship_row **rows);
int pg_export_tags(struct db *db, long long user_id, long long after_id, int limit,
		   struct tag_row **rows);
int pg_export_notes(struct db *db, long long user_id, long long after_id, int limit,
		    struct note_row **rows);
int pg_export_interactions(struct db *db, long long user_id, long long after_id, int limit,
			   struct interaction_row **rows);
int pg_export_security_events(struct db *db, long long user_id, long long after_id, int limit,
			      struct security_event_row **rows);

#endif
