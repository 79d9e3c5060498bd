/* Contacts (SPEC §5, §6, §9.1–9.2): the business rules behind the contact routes, with no HTTP
 * types. Writes run in one transaction each under the user's write lock (§6 write order) and
 * check, in the order of §1.6 step 11, ownership (404), the plan limit (402), the hard caps
 * (409 limit_exceeded), then uniqueness (409 conflict). Field shapes are validated by the
 * handlers (domain/contact_fields.h); each operation returns an error code from the registry
 * (ERR_NONE on success) and may add {field, reason} details.
 *
 * Two functions here are the interface the notes and interactions code relies on:
 * contact_exists and contact_touch, both run inside the caller's transaction. */
#ifndef CRM_DOMAIN_CONTACTS_H
#define CRM_DOMAIN_CONTACTS_H

#include <jansson.h>
#include <stdbool.h>

#include "errors/errors.h"
#include "store/contact_types.h"
#include "util/buf.h"

struct actx;
struct db;

#define CONTACTS_HARD_CAP 100000
#define TAGS_PER_ACCOUNT 1000
#define TAGS_PER_CONTACT 50
#define RELATIONSHIPS_PER_CONTACT 100

/* 1 when contact_id is the caller's (a->user_id), 0 otherwise, < 0 a store status. Runs on the
 * caller's connection db (inside its transaction). */
int contact_exists(struct actx *a, struct db *db, long long contact_id);

/* Sets the caller's contact's updated_at to t (the caller's write time, users_write_time).
 * Returns 1 when updated, 0 when there is no such contact, < 0 a store status. */
int contact_touch(struct actx *a, struct db *db, long long contact_id, long long t);

/* A contact's fields as validated by the handler. On create every has_* is true for the fields
 * sent; on PATCH has_* says which fields to change. Strings are borrowed; NULL clears. */
struct contact_input {
	bool has_first_name, has_last_name, has_email, has_phone, has_address, has_company;
	bool has_job_role, has_birthday, has_custom_fields, has_tags;
	const char *first_name, *last_name, *email, *phone, *address, *company, *job_role;
	int birthday_year, birthday_month, birthday_day; /* all 0: no birthday */
	/* customFields (borrowed, normalised): on create the object (NULL = {}); on PATCH the
	 * patch, whose null values remove keys, or NULL for "customFields": null (remove all). */
	json_t *custom_fields;
	/* PATCH only: custom_fields replaces the stored object whole instead of being merged
	 * (compatibility C3, §15.2); NULL then clears it. */
	bool custom_fields_replace;
	/* tags: distinct by folded form, first spelling kept (contact_names_dedupe). */
	const char *const *tags;
	int ntags;
};

/* POST /contacts: on success *out is the new Contact object (new reference). */
enum err_code contacts_create(struct actx *a, const struct contact_input *in, json_t **out,
			      json_t **details);
/* One contact: on success *out is its Contact object (new reference). */
enum err_code contacts_get(struct actx *a, long long id, json_t **out);
/* GET /contacts/{id}: on success the text of its envelope, {"data":Contact}, appended to out.
 * read is the contact already read with the session (store_ops.auth_lookup_contact), or NULL
 * to read it here. */
enum err_code contacts_get_text(struct actx *a, long long id, const struct contact_read *read,
				struct buf *out);
/* PATCH /contacts/{id} (at least one has_* set). customFields limits are checked on the merged
 * result (400 with details). */
enum err_code contacts_update(struct actx *a, long long id, const struct contact_input *in,
			      json_t **out, json_t **details);
/* DELETE /contacts/{id}: the cascade of §6 and one tombstone. */
enum err_code contacts_delete(struct actx *a, long long id);
/* POST /contacts/bulk-delete: all or nothing; ids not the caller's give ERR_NOT_FOUND with an
 * {"ids[i]", "not_found"} detail each. *deleted is the number deleted. */
enum err_code contacts_bulk_delete(struct actx *a, const long long *ids, int n, int *deleted,
				   json_t **details);

/* GET /contacts parameters, validated by the handler (strings borrowed). */
struct contact_list_in {
	const char *q;		 /* NULL: none */
	const char *const *tags; /* raw names (folded here) */
	int ntags;
	bool tag_all;
	const char *company, *email; /* NULL: none */
	enum contact_sort sort;
	bool desc;
	int limit;
	const char *cursor; /* NULL: first page */
	bool include_total;
	bool has_since; /* the change feed (sort is then updatedAt ascending) */
	long long since;
};

/* One page, appended to out as the JSON text of its envelope (§1.3): {"data":[items],"page":{...}}.
 * A bad cursor gives ERR_VALIDATION_FAILED with a {"cursor", invalid_format|mismatch} detail;
 * out is then untouched. */
enum err_code contacts_list(struct actx *a, const struct contact_list_in *in, struct buf *out,
			    json_t **details);

/* A page planned before the session check, to be read with it (store_ops.auth_lookup_page):
 * the plan of in, or NULL when the page takes more than one statement (includeTotal, the
 * change feed) or its cursor does not fit (contacts_list then reports it). Strings of in are
 * not kept. */
struct contacts_page;
struct contacts_page *contacts_list_plan(const struct contact_list_in *in);
/* The read the store fills (for accounts_authenticate). */
struct contact_page_read *contacts_page_read(struct contacts_page *cp);
/* contacts_list's answer from the page read with the session. */
enum err_code contacts_list_planned(struct actx *a, struct contacts_page *cp, struct buf *out);
void contacts_page_free(struct contacts_page *cp); /* NULL is fine */

#endif
