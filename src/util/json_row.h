/* An object written from a struct's fields by one list of keys, in two forms with the same
 * bytes: members set on a jansson tree (for the routes that reply with or change a tree) and
 * members appended as compact JSON text (for pages and exports, which would otherwise build,
 * dump and free one tree per row). A key list names each member, in order, with the field it
 * reads and what that field holds:
 *
 *	static const struct json_row_key note_keys[] = {
 *		JSON_ROW_KEY("id", JSON_ROW_I64, struct note_row, id),
 *		JSON_ROW_KEY("title", JSON_ROW_TEXT_EMPTY, struct note_row, title),
 *		JSON_ROW_KEY("createdAt", JSON_ROW_TIME, struct note_row, created_at),
 *	};
 *	json_row_set(o, note_keys, JSON_ROW_N(note_keys), &row);       // the tree's members
 *	json_row_put_members(buf, note_keys, JSON_ROW_N(note_keys), &row); // "id":1,"title":...
 *
 * tests/unit/test_json_row.c holds the two forms to the same bytes for every kind. */
#ifndef CRM_UTIL_JSON_ROW_H
#define CRM_UTIL_JSON_ROW_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

enum json_row_kind {
	JSON_ROW_I64,	       /* long long */
	JSON_ROW_TEXT,	       /* char *: null when NULL or not UTF-8 */
	JSON_ROW_TEXT_EMPTY,   /* char *: "" when NULL (null when not UTF-8) */
	JSON_ROW_TIME,	       /* long long Unix milliseconds: an ISO 8601 string (§1.3) */
	JSON_ROW_TIME_OR_NULL, /* as JSON_ROW_TIME, null when 0 */
	JSON_ROW_OPT_INT,      /* int, null unless the bool at present is true */
	JSON_ROW_OWN,	       /* the first of a caller's own kinds, which it writes itself */
};

struct json_row_key {
	const char *key;    /* as jansson takes it (an ASCII literal) */
	const char *quoted; /* the text before the value: ,"key": */
	unsigned char quoted_len;
	unsigned char kind;
	unsigned short offset;	/* of the field in the struct */
	unsigned short present; /* JSON_ROW_OPT_INT: of its bool */
};

#define JSON_ROW_KEY(k, kind, type, field)                                                         \
	{                                                                                          \
		k, ",\"" k "\":", sizeof(k) + 3, kind, offsetof(type, field), 0                    \
	}
#define JSON_ROW_OPT(k, type, field, present_field)                                                \
	{                                                                                          \
		k, ",\"" k "\":", sizeof(k) + 3, JSON_ROW_OPT_INT, offsetof(type, field),          \
		    offsetof(type, present_field)                                                  \
	}
/* A member of a caller's own kind (from JSON_ROW_OWN on), which reads what it needs itself. */
#define JSON_ROW_OWN_KEY(k, kind)                                                                  \
	{                                                                                          \
		k, ",\"" k "\":", sizeof(k) + 3, kind, 0, 0                                        \
	}
#define JSON_ROW_N(keys) (sizeof(keys) / sizeof *(keys))

/* The value of k read from row: a new tree, and the same as text. A kind from JSON_ROW_OWN on
 * is the caller's to write (null here). */
json_t *json_row_value(const struct json_row_key *k, const void *row);
void json_row_put_value(struct buf *out, const struct json_row_key *k, const void *row);

/* The text before member i of a list (the key, with a comma unless it is the first). */
void json_row_put_key(struct buf *out, const struct json_row_key *k, size_t i);

/* Sets the members of keys[0..n) read from row on the object o. */
void json_row_set(json_t *o, const struct json_row_key *keys, size_t n, const void *row);

/* Appends the same members as text, without braces: "k1":v1,"k2":v2. */
void json_row_put_members(struct buf *out, const struct json_row_key *keys, size_t n,
			  const void *row);

/* Appends the ISO 8601 string of Unix milliseconds ms, quoted (JSON_ROW_TIME's text). */
void json_put_time(struct buf *out, long long ms);

#endif
