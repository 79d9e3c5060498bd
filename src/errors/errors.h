/* The error-code registry (SPEC §1.5): each code with its HTTP status, slug and default
 * message. Every error answer of the service comes from this table. */
#ifndef CRM_ERRORS_H
#define CRM_ERRORS_H

enum err_code {
	ERR_NONE = 0,
	ERR_MALFORMED_JSON,
	ERR_VALIDATION_FAILED,
	ERR_INVALID_TOKEN,
	ERR_INVALID_SIGNATURE,
	ERR_UNAUTHENTICATED,
	ERR_TOKEN_EXPIRED,
	ERR_INVALID_CREDENTIALS,
	ERR_INVALID_REFRESH_TOKEN,
	ERR_PLAN_LIMIT_REACHED,
	ERR_PREMIUM_REQUIRED,
	ERR_FORBIDDEN,
	ERR_ORIGIN_NOT_ALLOWED,
	ERR_EMAIL_NOT_VERIFIED,
	ERR_ACCOUNT_INACTIVE,
	ERR_REAUTHENTICATION_REQUIRED,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_NOT_ACCEPTABLE,
	ERR_CONFLICT,
	ERR_LIMIT_EXCEEDED,
	ERR_PAYLOAD_TOO_LARGE,
	ERR_URI_TOO_LONG,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_RATE_LIMITED,
	ERR_HEADERS_TOO_LARGE,
	ERR_INTERNAL,
	ERR_UPSTREAM_ERROR,
	ERR_SERVICE_UNAVAILABLE,
	/* 503 service_unavailable as well, for a write whose COMMIT the store never confirmed
	 * (timeout or lost connection after it was sent): it may have been applied, so the
	 * answer carries no Retry-After and says to check before retrying. */
	ERR_WRITE_UNCONFIRMED,
	ERR__COUNT
};

struct err_info {
	enum err_code code;
	int status;
	const char *slug;
	const char *message;
};

/* The registry row for code (ERR_INTERNAL's row for an unknown value). */
const struct err_info *err_info(enum err_code code);

/* Maps a negative store status to the error a client sees (unavailable/timeout → 503,
 * conflict → 409, anything else → 500). */
enum err_code err_from_store(int status);

#endif
