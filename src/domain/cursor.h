/* Keyset-pagination cursors (SPEC §1.4): an opaque base64url string (no padding, ≤ 512
 * chars) holding the sort, a digest of the filters and the last row's sort key and id, so a
 * cursor reused with another sort or other filters is refused as a mismatch. */
#ifndef CRM_DOMAIN_CURSOR_H
#define CRM_DOMAIN_CURSOR_H

#include <jansson.h>

enum cursor_result {
	CURSOR_OK,
	CURSOR_INVALID,  /* reason invalid_format */
	CURSOR_MISMATCH, /* reason mismatch */
};

/* A digest of the filters of a listing (any canonical text the caller builds from them). */
void cursor_filter_digest(const char *canonical, char out[17]);

/* Encodes (sort, digest, keys, id): keys is an array of the last row's sort-key values
 * (strings, integers or null), stolen. Returns a new string (caller frees). */
char *cursor_encode(const char *sort, const char *digest, json_t *keys_steal, long long id);

/* Decodes s and checks it belongs to (sort, digest). On CURSOR_OK, *keys is a new array
 * reference (caller decrefs) and *id the last id. */
enum cursor_result cursor_decode(const char *s, const char *sort, const char *digest,
				 json_t **keys, long long *id);

#endif
