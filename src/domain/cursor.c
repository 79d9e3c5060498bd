/* Pagination cursors (see cursor.h): base64url of a compact JSON object
 * {"v":1,"s":sort,"f":digest,"k":[keys],"i":id}. Cursors are not secret; a forged one can
 * only page through the caller's own rows, since every query stays scoped by user. */
#include "domain/cursor.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define CURSOR_MAX 512

void cursor_filter_digest(const char *canonical, char out[17])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)canonical, strlen(canonical));
	sodium_bin2hex(out, 17, h, 8);
}

char *cursor_encode(const char *sort, const char *digest, json_t *keys_steal, long long id)
{
	json_t *o = json_object();
	json_object_set_new(o, "v", json_integer(1));
	json_object_set_new(o, "s", json_string(sort));
	json_object_set_new(o, "f", json_string(digest));
	json_object_set_new(o, "k", keys_steal ? keys_steal : json_array());
	json_object_set_new(o, "i", json_integer(id));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	size_t n = strlen(text);
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = xmalloc(len);
	sodium_bin2base64(out, len, (const unsigned char *)text, n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(text);
	return out;
}

enum cursor_result cursor_decode(const char *s, const char *sort, const char *digest,
				 json_t **keys, long long *id)
{
	size_t len = strlen(s);
	if (len == 0 || len > CURSOR_MAX)
		return CURSOR_INVALID;
	unsigned char buf[CURSOR_MAX];
	size_t n = 0;
	if (sodium_base642bin(buf, sizeof buf, s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return CURSOR_INVALID;
	json_t *o = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *k = json_object_get(o, "k");
	json_t *i = json_object_get(o, "i");
	if (!json_is_object(o) || json_integer_value(json_object_get(o, "v")) != 1 ||
	    !json_is_string(json_object_get(o, "s")) || !json_is_string(json_object_get(o, "f")) ||
	    !json_is_array(k) || !json_is_integer(i) || json_integer_value(i) < 1) {
		json_decref(o);
		return CURSOR_INVALID;
	}
	if (strcmp(json_string_value(json_object_get(o, "s")), sort) != 0 ||
	    strcmp(json_string_value(json_object_get(o, "f")), digest) != 0) {
		json_decref(o);
		return CURSOR_MISMATCH;
	}
	*keys = json_incref(k);
	*id = json_integer_value(i);
	json_decref(o);
	return CURSOR_OK;
}
