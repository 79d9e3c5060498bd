/* Passwords (SPEC §3.1, §2.2): Argon2id hashes through libsodium, imported bcrypt hashes
 * verified through libcrypt (with the v1 client's legacy escaping), the new-password rules,
 * and the cap on concurrent hash computations. Every function here may take tens of
 * milliseconds and must run off the HTTP polling threads (http_defer). */
#ifndef CRM_AUTH_PASSWORD_H
#define CRM_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

struct config;

#define PASSWORD_HASH_MAX 128

/* Prepares the dummy hash, the common-password list and the concurrency cap. Returns false
 * when COMMON_PASSWORDS_FILE cannot be read. */
bool password_init(const struct config *cfg);
void password_shutdown(void);

/* Waits up to 2 s for one of PASSWORD_HASH_CONCURRENCY slots. False when saturated (503). */
bool password_slot_acquire(void);
void password_slot_release(void);
/* Hash computations running now (the crm_password_hashes_in_flight gauge). */
int password_in_flight(void);

/* Argon2id PHC string of pw into out. False only on resource failure. */
bool password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);

/* Verifies pw against a stored hash (Argon2id or bcrypt). NULL hash: verifies against the
 * dummy hash and returns false, so unknown accounts cost the same. *rehash is set when the
 * stored hash should be replaced by a fresh Argon2id one. */
bool password_verify(const char *hash, const char *pw, size_t len, bool *rehash);

/* New-password rules beyond length: NULL when acceptable, else "too_short", "too_long" or
 * "too_common" (in the list, or equal to the email, its local part or the username,
 * case-insensitively). email and username may be NULL. */
const char *password_check_new(const char *pw, size_t len, const char *email, const char *username);

#endif
