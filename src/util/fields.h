/* Request bodies parsed against a declared list of fields (SPEC §2): unknown and read-only
 * fields are refused, every bad field is reported at once, strings are checked for UTF-8,
 * control characters and length in code points, single-line text is trimmed, and an optional
 * field's "" means "no value". Handlers then read typed values, never raw JSON. */
#ifndef CRM_UTIL_FIELDS_H
#define CRM_UTIL_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

enum field_type {
	FT_TEXT,      /* single-line string: trimmed, no control characters */
	FT_TEXT_ML,   /* multi-line string: stored as sent; LF, CR, TAB allowed */
	FT_SECRET,    /* password: never trimmed, length only */
	FT_INT,       /* JSON integer (no fraction or exponent) within [min, max] */
	FT_ID,        /* positive id (JSON integer; with FF_ID_STRING also a digit string) */
	FT_BOOL,
	FT_JSON,      /* any JSON value, checked by the handler (customFields, arrays) */
};

enum field_flags {
	FF_REQUIRED = 1 << 0,
	FF_NULLABLE = 1 << 1,  /* null (and "" for text) is accepted as "no value" */
	FF_READ_ONLY = 1 << 2, /* server-owned: present → read_only */
	FF_ID_STRING = 1 << 3, /* compatibility routes: ids may be strings of digits */
};

struct field_spec {
	const char *name;
	enum field_type type;
	unsigned flags;
	long long min, max; /* text: code points; int: value; 0,0 = unbounded */
};

/* The parsed value of one field. Strings are owned by the field_value set (fields_free). */
struct field_value {
	bool present; /* the key was in the body */
	bool null;    /* present with null, or "" for optional text */
	char *text;   /* FT_TEXT/FT_TEXT_ML/FT_SECRET (trimmed for FT_TEXT) */
	long long num; /* FT_INT, FT_ID */
	bool flag;     /* FT_BOOL */
	json_t *json;  /* FT_JSON: borrowed from the body */
};

/* Parses body (an object; NULL = {}) against spec[0..n). Fills out[0..n) and appends
 * {field, reason} objects to *details (created on first problem; the caller owns it).
 * prefix is prepended to field names in details ("" normally). Returns true when no problem
 * was found. Call fields_free(out, n) in every case. */
bool fields_parse(json_t *body, const struct field_spec *spec, int n, struct field_value *out,
		  json_t **details);
void fields_free(struct field_value *out, int n);

/* Checks one string against the text rules. Returns NULL when fine, else the reason.
 * *trimmed receives a new string (caller frees) with the value to store. */
const char *field_check_text(const char *s, size_t len, enum field_type type, long long min,
			     long long max, bool required, char **trimmed);

/* Appends one {field, reason} object to *details (an array, created when NULL). */
void details_add(json_t **details, const char *field, const char *reason);

/* Unicode White_Space trimming: the start and length of s without leading and trailing
 * white space. */
void text_trim(const char *s, size_t len, size_t *start, size_t *out_len);

#endif
