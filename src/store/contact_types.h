/* Row and query types of the contact side of the store (SPEC §6, §9): contacts, tags and their
 * links, relationships, tombstones and the contact listing query. Strings in a row are owned by
 * the row and freed by its *_free function; timestamps are Unix milliseconds, 0 meaning NULL.
 * Strings in a *_write or *_query struct are borrowed from the caller for the call only. */
#ifndef CRM_STORE_CONTACT_TYPES_H
#define CRM_STORE_CONTACT_TYPES_H

#include <stdbool.h>

/* One contacts row (without its tags). */
struct contact_row {
	long long id;
	char *first_name, *last_name, *email, *phone, *address, *company, *job_role;
	char *first_name_key, *last_name_key; /* folded ('' last_name_key when no last name) */
	int birthday_year, birthday_month, birthday_day; /* 0: none */
	char *custom_fields;				 /* JSON object text, or NULL when empty */
	long long last_contacted, created_at, updated_at;
	/* When set, the strings above point into this one allocation (a store that read them in
	 * one piece), which contact_row_free frees instead of each of them. */
	char *strings;
};
void contact_row_free(struct contact_row *c);
/* Frees rows[0..n) and the array itself. */
void contact_rows_free(struct contact_row *rows, int n);

/* Every writable column of a contact, as stored (NULL = SQL NULL). last_name_key is never
 * NULL ("" without a last name); email_key is NULL exactly when email is. */
struct contact_write {
	const char *first_name, *first_name_key, *last_name, *last_name_key;
	const char *email, *email_key, *phone, *phone_digits, *address;
	const char *company, *company_key, *job_role;
	int birthday_year, birthday_month, birthday_day; /* 0: NULL */
	const char *custom_fields;			 /* JSON object text or NULL */
};

/* The sorts of GET /contacts (§9.2). */
enum contact_sort {
	CSORT_FIRST_NAME, /* first_name_key, last_name_key, id */
	CSORT_LAST_NAME,  /* last_name_key, first_name_key, id */
	CSORT_CREATED_AT,
	CSORT_UPDATED_AT,
	CSORT_LAST_CONTACTED, /* nulls last in both directions */
};

/* One page of a contact listing: filters, sort and keyset position. Every filter is ANDed. */
struct contact_query {
	enum contact_sort sort;
	bool desc; /* every sort column and the id tie-break reversed */
	/* q: each term's prefix range [term_lo[i], term_hi[i]) must hold one of the contact's
	 * search words. */
	const char *const *term_lo, *const *term_hi;
	int nterms;
	/* tag: folded names; any (default) or all of them linked. */
	const char *const *tag_keys;
	int ntags;
	bool tag_all;
	const char *company_key, *email_key; /* NULL: no filter */
	bool has_since;
	long long since; /* updated_at >= since (the change feed) */
	/* Keyset: only rows strictly after this position in the sort order. For the name sorts
	 * after_s1/after_s2 are the two keys; for the time sorts after_n, or after_null when the
	 * last row had no lastContacted. */
	bool has_after;
	const char *after_s1, *after_s2;
	long long after_n;
	bool after_null;
	long long after_id;
	int limit; /* rows to read */
};

/* A tag of a contact (contact_tags joined with tags). */
struct tag_ref {
	long long contact_id, id;
	char *name, *name_key;
	long long link_id; /* the contact_tags row's id (the v1 tag link object, §15.1) */
};
void tag_refs_free(struct tag_ref *rows, int n);

/* A contact read in the same round trip as the session check (store_ops.auth_lookup_contact):
 * the arguments of contacts_select_with_tags in, its return value and outputs out. */
struct contact_read {
	long long user_id, id;
	int rc; /* 1 found, 0 none, < 0 enum store_status */
	struct contact_row row;
	struct tag_ref *tags;
	int ntags;
};
/* Frees a heap-allocated contact_read with its outputs (NULL is fine). */
void contact_read_free(struct contact_read *r);

/* A page of a listing read in the same round trip as the session check
 * (store_ops.auth_lookup_page): the arguments of contacts_select_page in, its return value and
 * outputs out (the outputs are the caller's to free). */
struct contact_page_read {
	long long user_id;
	const struct contact_query *q;
	int rc; /* contacts_select_page's value */
	struct contact_row *rows;
	struct tag_ref *tags;
	int ntags;
};

/* One tags row with the number of the user's contacts linked to it. */
struct tag_row {
	long long id;
	char *name, *name_key;
	long long contact_count, created_at, updated_at;
};
void tag_row_free(struct tag_row *t);
void tag_rows_free(struct tag_row *rows, int n);

/* One page of GET /tags, sorted by (name_key, id). */
struct tag_query {
	const char *prefix_lo, *prefix_hi; /* q: name_key in [lo, hi); NULL: none */
	const char *name_key;		   /* name: equality; NULL: none */
	bool has_after;
	const char *after_key;
	long long after_id;
	int limit;
};

/* One contact_relationships row with its related contact's names. */
struct relationship_row {
	long long id, contact_id, related_contact_id, inverse_id, created_at;
	char *type, *label;
	char *related_first_name, *related_last_name;
};
void relationship_row_free(struct relationship_row *r);
void relationship_rows_free(struct relationship_row *rows, int n);

/* A tombstone: the record's id and its deletion time. */
struct tombstone_row {
	long long id, deleted_at;
};

#endif
