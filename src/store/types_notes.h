/* Row and query types of the notes and interactions store operations (SPEC §6, §10), exchanged
 * between src/domain/notes.c, interactions.c and both stores. Strings in a row are owned by the
 * row and freed by its *_free function; timestamps are Unix milliseconds. */
#ifndef CRM_STORE_TYPES_NOTES_H
#define CRM_STORE_TYPES_NOTES_H

#include <stdbool.h>

/* One note, or (deleted = true) a change-feed tombstone carrying only id and updated_at (its
 * deletion time). */
struct note_row {
	long long id, contact_id;
	char *title, *content;
	long long created_at, updated_at;
	bool deleted;
};
void note_row_free(struct note_row *n);
/* Frees n rows and the array itself. */
void note_rows_free(struct note_row *rows, int n);

/* A partial update of a note; each set_* says whether its value is written. */
struct note_patch {
	bool set_title, set_content, set_contact;
	const char *title, *title_key, *content;
	long long contact_id;
};

/* One interaction, or (deleted = true) a change-feed tombstone (id and updated_at only). */
struct interaction_row {
	long long id, contact_id;
	char *type; /* lowercase */
	long long occurred_at;
	char *notes;	   /* NULL: none */
	bool has_duration; /* false: duration_minutes is NULL */
	int duration_minutes;
	long long created_at, updated_at;
	bool deleted;
};
void interaction_row_free(struct interaction_row *r);
void interaction_rows_free(struct interaction_row *rows, int n);

/* What a new interaction is created with (type already lowercase, notes NULL for none). */
struct interaction_new {
	long long contact_id;
	const char *type;
	long long occurred_at;
	const char *notes;
	bool has_duration;
	int duration_minutes;
};

/* A partial update of an interaction; set_notes with notes NULL and set_duration with
 * has_duration false clear the value. */
struct interaction_patch {
	bool set_contact, set_type, set_occurred_at, set_notes, set_duration;
	long long contact_id;
	const char *type;
	long long occurred_at;
	const char *notes;
	bool has_duration;
	int duration_minutes;
};

/* The keyset sort column of a listing (ties broken by id in the same direction). */
enum list_sort_col {
	SORT_CREATED_AT,  /* notes, interactions */
	SORT_UPDATED_AT,  /* notes */
	SORT_OCCURRED_AT, /* interactions */
};

#define INTERACTION_MAX_TYPE_FILTERS 10

/* The filters, order and position of one page of a notes or interactions listing.
 * Normal mode: rows matching the filters ordered by (sort column, id) in direction desc,
 * strictly after (after_key, after_id) when has_after. Feed mode (SPEC §9.2 change feed): rows
 * with updated_at >= since matching the filters, merged with every tombstone of the kind
 * deleted at or after since, ordered by (updated_at, id) ascending; sort and desc are ignored. */
struct list_query {
	long long contact_id;  /* 0: every contact of the user */
	const char *title_key; /* notes: folded title equality; NULL: any */
	const char *types[INTERACTION_MAX_TYPE_FILTERS]; /* interactions: any of (lowercase) */
	int ntypes;					 /* 0: any type */
	bool has_from, has_to; /* range on created_at (notes) / occurred_at (interactions) */
	long long from, to;    /* from inclusive, to exclusive */
	bool feed;
	long long since;
	enum list_sort_col sort;
	bool desc;
	bool has_after;
	long long after_key, after_id;
	int limit; /* at most this many rows */
};

#endif
