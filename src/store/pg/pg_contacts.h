/* The PostgreSQL implementations of the contact operations of struct store_ops (contacts, the
 * listing, tombstones, tags and their links, relationships, search terms), registered in
 * pg.c. Each has exactly the contract of the store_ops member of the same name without the
 * pg_ prefix (store.h). Also the array parameters
 * and the contact row reader shared by those files. */
#ifndef CRM_STORE_PG_CONTACTS_H
#define CRM_STORE_PG_CONTACTS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "store/contact_types.h"
#include "store/pg/pgs.h"

struct db;

/* PostgreSQL array literals for one bound parameter ("{1,2}" for $n::bigint[], quoted and
 * escaped elements for $n::text[]): one statement for any number of values, every value still
 * bound. New strings (caller frees after the call). */
char *pg_id_array(const long long *ids, int n);
char *pg_text_array(const char *const *strs, int n);
/* Reads the contact columns (PG_CONTACT_COLS, starting at col 0) of row i. */
void pg_read_contact(const PGresult *r, int i, struct contact_row *c);
/* contacts_select_with_tags as a statement of a pipeline (pg_exec_pipeline), and its value
 * and outputs read from the statement's result, which pg_contact_tags_read clears. */
void pg_contact_tags_stmt(struct pg_stmt *s, long long user_id, long long id);
int pg_contact_tags_read(struct pg_stmt *s, long long id, struct contact_row *out,
			 struct tag_ref **tags, int *ntags);

/* The contact columns pg_read_contact expects, for a contacts table aliased `c`. */
#define PG_CONTACT_COLS                                                                            \
	"c.id, c.first_name, c.last_name, c.email, c.phone, c.address, c.company, c.job_role,"     \
	" c.first_name_key, c.last_name_key, c.birthday_year, c.birthday_month, c.birthday_day,"   \
	" c.custom_fields::text, " PG_MS("c.last_contacted") " AS last_contacted, " PG_MS(         \
	    "c.created_at") " AS created_at, " PG_MS("c.updated_at") " AS updated_at"

/* Contacts (pg_contacts.c). */
int pg_contacts_exists(struct db *db, long long user_id, long long id);
int pg_contacts_touch(struct db *db, long long user_id, long long id, long long t);
int pg_contacts_count(struct db *db, long long user_id, long long *count);
int pg_contacts_insert(struct db *db, long long user_id, const struct contact_write *c, long long t,
		       long long *id_out);
int pg_contacts_update(struct db *db, long long user_id, long long id,
		       const struct contact_write *c, long long t);
int pg_contacts_select(struct db *db, long long user_id, long long id, struct contact_row *out);
int pg_contacts_select_with_tags(struct db *db, long long user_id, long long id,
				 struct contact_row *out, struct tag_ref **tags, int *ntags);
int pg_contacts_select_by_email_key(struct db *db, long long user_id, const char *email_key,
				    long long except_id, long long *id_out);
int pg_contacts_owned(struct db *db, long long user_id, const long long *ids, int n, bool *found);
int pg_contacts_delete(struct db *db, long long user_id, const long long *ids, int n, long long t);

/* The listing (pg_contacts_list.c). */
int pg_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows, struct tag_ref **tags, int *ntags);
/* pg_contacts_select_page with *before run in the same round trip as the page's first
 * statement (its result left in *before); before NULL: none. */
int pg_contacts_select_page_after(struct db *db, struct pg_stmt *before, long long user_id,
				  const struct contact_query *q, struct contact_row **rows,
				  struct tag_ref **tags, int *ntags);
int pg_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count);

/* Tombstones and search terms (pg_search.c). */
int pg_tombstones_select_page(struct db *db, long long user_id, const char *kind, long long since,
			      bool after, long long after_t, long long after_id, int limit,
			      struct tombstone_row **rows);
int pg_tombstones_count(struct db *db, long long user_id, const char *kind, long long since,
			long long *count);
int pg_tombstones_purge(struct db *db, long long before);
int pg_search_terms_replace(struct db *db, long long user_id, long long contact_id,
			    const char *const *terms, int n);
int pg_search_note_texts(struct db *db, long long user_id, long long contact_id,
			 void (*fn)(void *ctx, const char *text), void *ctx);

/* Tags and links (pg_tags.c). */
int pg_tags_select_by_keys(struct db *db, long long user_id, const char *const *keys, int n,
			   struct tag_row **rows);
int pg_tags_insert(struct db *db, long long user_id, const char *name, const char *name_key,
		   long long t, long long *id_out);
int pg_tags_count(struct db *db, long long user_id, long long *count);
int pg_tags_select(struct db *db, long long user_id, long long id, struct tag_row *out);
int pg_tags_select_page(struct db *db, long long user_id, const struct tag_query *q,
			struct tag_row **rows);
int pg_tags_count_matching(struct db *db, long long user_id, const struct tag_query *q,
			   long long *count);
int pg_tags_update(struct db *db, long long user_id, long long id, const char *name,
		   const char *name_key, long long t);
int pg_tags_delete(struct db *db, long long user_id, long long id, long long t);
int pg_contact_tags_select(struct db *db, long long user_id, const long long *contact_ids, int n,
			   struct tag_ref **rows);
int pg_contact_tags_insert(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt, long long t);
int pg_contact_tags_delete(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt);

/* Relationships (pg_relationships.c). */
int pg_relationships_select(struct db *db, long long user_id, long long contact_id,
			    struct relationship_row **rows);
int pg_relationships_select_one(struct db *db, long long user_id, long long id,
				struct relationship_row *out);
int pg_relationships_count(struct db *db, long long user_id, long long contact_id,
			   long long *count);
int pg_relationships_exists(struct db *db, long long user_id, long long contact_id,
			    long long related_id, const char *type);
int pg_relationships_insert_pair(struct db *db, long long user_id, long long contact_id,
				 long long related_id, const char *type, const char *inverse_type,
				 const char *label, long long t, long long *id_out);
int pg_relationships_delete(struct db *db, long long user_id, long long contact_id, long long id);

#endif
