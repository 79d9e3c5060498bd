/* The SQLite implementations of the contact operations of struct store_ops (contacts, the
 * listing, tombstones, tags and their links, relationships, search terms), registered in
 * sqlite.c. Each has exactly the contract of the store_ops member of the same name without the
 * sq_ prefix (store.h). Also the array binding shared by those files. */
#ifndef CRM_STORE_SQ_CONTACTS_H
#define CRM_STORE_SQ_CONTACTS_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store/contact_types.h"

struct db;

/* Binds ids[0..n) as one JSON array text ("[1,2]"), for `IN (SELECT value FROM json_each(?))`:
 * one statement for any number of ids, every value still bound. */
void sq_bind_id_array(sqlite3_stmt *st, int idx, const long long *ids, int n);
/* Binds strs[0..n) as one JSON array of strings, for json_each like sq_bind_id_array. */
void sq_bind_text_array(sqlite3_stmt *st, int idx, const char *const *strs, int n);
/* Reads the contact columns (SQ_CONTACT_COLS, starting at col 0) of the current row. */
void sq_read_contact(sqlite3_stmt *st, struct contact_row *c);

/* The contact columns sq_read_contact expects, for a contacts table aliased `c`. */
#define SQ_CONTACT_COLS                                                                            \
	"c.id, c.first_name, c.last_name, c.email, c.phone, c.address, c.company, c.job_role,"     \
	" c.first_name_key, c.last_name_key, c.birthday_year, c.birthday_month, c.birthday_day,"   \
	" c.custom_fields, c.last_contacted, c.created_at, c.updated_at"

/* Contacts (sq_contacts.c). */
int sq_contacts_exists(struct db *db, long long user_id, long long id);
int sq_contacts_touch(struct db *db, long long user_id, long long id, long long t);
int sq_contacts_count(struct db *db, long long user_id, long long *count);
int sq_contacts_insert(struct db *db, long long user_id, const struct contact_write *c, long long t,
		       long long *id_out);
int sq_contacts_update(struct db *db, long long user_id, long long id,
		       const struct contact_write *c, long long t);
int sq_contacts_select(struct db *db, long long user_id, long long id, struct contact_row *out);
int sq_contacts_select_with_tags(struct db *db, long long user_id, long long id,
				 struct contact_row *out, struct tag_ref **tags, int *ntags);
int sq_contacts_select_by_email_key(struct db *db, long long user_id, const char *email_key,
				    long long except_id, long long *id_out);
int sq_contacts_owned(struct db *db, long long user_id, const long long *ids, int n, bool *found);
int sq_contacts_delete(struct db *db, long long user_id, const long long *ids, int n, long long t);

/* The listing (sq_contacts_list.c). */
int sq_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows, struct tag_ref **tags, int *ntags);
int sq_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count);

/* Tombstones and search terms (sq_search.c). */
int sq_tombstones_select_page(struct db *db, long long user_id, const char *kind, long long since,
			      bool after, long long after_t, long long after_id, int limit,
			      struct tombstone_row **rows);
int sq_tombstones_count(struct db *db, long long user_id, const char *kind, long long since,
			long long *count);
int sq_tombstones_purge(struct db *db, long long before);
int sq_search_terms_replace(struct db *db, long long user_id, long long contact_id,
			    const char *const *terms, int n);
int sq_search_note_texts(struct db *db, long long user_id, long long contact_id,
			 void (*fn)(void *ctx, const char *text), void *ctx);

/* Tags and links (sq_tags.c). */
int sq_tags_select_by_keys(struct db *db, long long user_id, const char *const *keys, int n,
			   struct tag_row **rows);
int sq_tags_insert(struct db *db, long long user_id, const char *name, const char *name_key,
		   long long t, long long *id_out);
int sq_tags_count(struct db *db, long long user_id, long long *count);
int sq_tags_select(struct db *db, long long user_id, long long id, struct tag_row *out);
int sq_tags_select_page(struct db *db, long long user_id, const struct tag_query *q,
			struct tag_row **rows);
int sq_tags_count_matching(struct db *db, long long user_id, const struct tag_query *q,
			   long long *count);
int sq_tags_update(struct db *db, long long user_id, long long id, const char *name,
		   const char *name_key, long long t);
int sq_tags_delete(struct db *db, long long user_id, long long id, long long t);
int sq_contact_tags_select(struct db *db, long long user_id, const long long *contact_ids, int n,
			   struct tag_ref **rows);
int sq_contact_tags_insert(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt, long long t);
int sq_contact_tags_delete(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt);

/* Relationships (sq_relationships.c). */
int sq_relationships_select(struct db *db, long long user_id, long long contact_id,
			    struct relationship_row **rows);
int sq_relationships_select_one(struct db *db, long long user_id, long long id,
				struct relationship_row *out);
int sq_relationships_count(struct db *db, long long user_id, long long contact_id,
			   long long *count);
int sq_relationships_exists(struct db *db, long long user_id, long long contact_id,
			    long long related_id, const char *type);
int sq_relationships_insert_pair(struct db *db, long long user_id, long long contact_id,
				 long long related_id, const char *type, const char *inverse_type,
				 const char *label, long long t, long long *id_out);
int sq_relationships_delete(struct db *db, long long user_id, long long contact_id, long long id);

#endif
