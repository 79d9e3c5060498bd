/* Opaque tokens (refresh, email verification, password reset, OAuth state): 32 random bytes
 * as base64url without padding (43 characters); only their SHA-256 is ever stored. */
#ifndef CRM_AUTH_TOKENS_H
#define CRM_AUTH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_CHARS 43
#define TOKEN_HASH_HEX 64

/* Writes a new random token (43 chars + NUL) into out (at least 44 bytes). */
void token_new(char out[TOKEN_CHARS + 1]);
/* Lowercase hex SHA-256 of the token text (64 chars + NUL). */
void token_hash(const char *token, char out[TOKEN_HASH_HEX + 1]);
/* Does s look like a token (43 base64url characters)? Cheap pre-check before hashing. */
bool token_well_formed(const char *s);
/* base64url without padding of n random bytes, into a new string (caller frees). */
char *random_b64url(size_t n);

#endif
