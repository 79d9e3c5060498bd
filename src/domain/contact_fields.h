/* The field rules of the contact side that are more than a length (SPEC §2.2): customFields
 * (entries, totals, number normalisation, merge, storage form), birthdays, phones, tag-name
 * arrays and id arrays. Pure functions, shared by the handlers (validation) and the domain
 * (merged customFields, stored form); each adds {field, reason} details on failure. */
#ifndef CRM_DOMAIN_CONTACT_FIELDS_H
#define CRM_DOMAIN_CONTACT_FIELDS_H

#include <jansson.h>
#include <stdbool.h>

#define CF_MAX_KEYS 50
#define CF_MAX_KEY_LEN 50
#define CF_MAX_STRING 1000
#define CF_MAX_BYTES 10000

/* Checks every entry of the customFields object obj: keys ^[A-Za-z0-9_]{1,50}$
 * (customFields.<key> invalid_format), values strings (≤ 1000 code points, single-line rules
 * without trimming), finite numbers or booleans; objects, arrays and null are wrong_type, except
 * that null is allowed when patch is true (it removes the key). obj that is not an object gives
 * customFields wrong_type. Returns true when every entry is fine. */
bool cf_check_entries(const json_t *obj, bool patch, json_t **details);

/* Checks the totals of a (merged) customFields object: at most 50 keys (customFields too_many)
 * and a compact serialised size of at most 10,000 bytes (customFields too_long). */
bool cf_check_totals(const json_t *obj, json_t **details);

/* A new object with obj's entries, keys in byte order and numbers normalised: integers and
 * integral reals within ±2^53 become JSON integers, every other number a real (so both stores,
 * one keeping JSON text and one jsonb, return the same value). NULL obj gives {}. */
json_t *cf_normalize(const json_t *obj);

/* The merge of PATCH /contacts/{id} (§9.1): base (may be NULL) with patch applied one level
 * deep, a null value removing its key; patch NULL removes everything. New normalised object. */
json_t *cf_merge(const json_t *base, const json_t *patch);

/* The stored text of customFields (compact JSON, sorted keys, reals with 17 digits), or NULL
 * for an empty object. Caller frees. */
char *cf_serialize(const json_t *obj);

/* The stored text back as a normalised object ({} for NULL or unreadable text). New ref. */
json_t *cf_parse(const char *text);

/* Parses a birthday: "YYYY-MM-DD" with 1900 ≤ year ≤ current_year, or "--MM-DD" (year
 * unknown, *y = 0); it must be a real date (--02-29 allowed). Returns NULL and fills y/m/d, or
 * the reason: invalid_format, out_of_range (year) or invalid_value (no such date). */
const char *birthday_parse(const char *s, int current_year, int *y, int *m, int *d);
/* Writes "YYYY-MM-DD" or "--MM-DD" into out (at least 16 bytes). */
void birthday_format(int y, int m, int d, char *out);

/* Checks a trimmed phone: only digits, spaces and + ( ) . - /, '+' only first, 3..20 digits.
 * Returns NULL or the reason (invalid_characters, invalid_format). */
const char *phone_check(const char *s);
/* The digits of s (new string). */
char *phone_digits(const char *s);

/* Parses an array of tag names at field (e.g. "tags", "names", "add"): an array (wrong_type)
 * of min..max elements (too_few / too_many) of strings (field[i] wrong_type) that pass the tag
 * name rules (1..50 code points after trimming, single-line, no comma → field[i] reason).
 * Names folding to the same form are merged, keeping the first spelling. On success *names is a
 * new array of new strings (names_free) and *n its length; *keys (may be NULL) their folded
 * forms; *pos (may be NULL; free) the index in arr each kept name came from. */
bool tag_names_parse(const json_t *arr, const char *field, int min, int max, char ***names,
		     char ***keys, int **pos, int *n, json_t **details);
/* Checks one tag name (already a string): NULL and *trimmed (new string) or the reason. */
const char *tag_name_check(const char *s, size_t len, char **trimmed);
void names_free(char **names, int n);

/* Parses an array of ids at field: min..max elements, each a JSON integer ≥ 1 (field[i]
 * wrong_type / out_of_range), no repeats (field[i] duplicate on the repeated element). On
 * success *ids is a new array (free) of *n ids. */
bool id_array_parse(const json_t *arr, const char *field, int min, int max, long long **ids, int *n,
		    json_t **details);

#endif
