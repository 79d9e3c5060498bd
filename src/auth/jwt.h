/* Access tokens (SPEC §3.2): HS256 JWTs issued through libjwt and verified in jwt.c, with the
 * header algorithm pinned to HS256 and the signature compared in constant time (libsodium). */
#ifndef CRM_AUTH_JWT_H
#define CRM_AUTH_JWT_H

struct config;

enum jwt_result {
	JWT_OK,
	JWT_EXPIRED, /* correctly signed, past exp + leeway */
	JWT_INVALID, /* anything else */
};

#define JWT_LEEWAY_SECONDS 30

/* Issues a token for (user, session) at now_s (Unix seconds). Returns a new string (caller
 * frees) and sets *exp_s. */
char *jwt_issue(const struct config *cfg, long long user_id, long long session_id, long long now_s,
		long long *exp_s);

/* Verifies token at now_s; on JWT_OK sets *user_id and *session_id. A token this thread verified
 * lately under the same settings is only checked against the clock again (jwt.c). */
enum jwt_result jwt_verify_access(const struct config *cfg, const char *token, long long now_s,
				  long long *user_id, long long *session_id);

#endif
