/* The error-code registry (SPEC §1.5). */
#include "errors/errors.h"

#include "store/store.h"

static const struct err_info registry[ERR__COUNT] = {
	[ERR_NONE] = {ERR_NONE, 200, "none", ""},
	[ERR_MALFORMED_JSON] = {ERR_MALFORMED_JSON, 400, "malformed_json", "The request body could not be parsed."},
	[ERR_VALIDATION_FAILED] = {ERR_VALIDATION_FAILED, 400, "validation_failed", "One or more fields are invalid."},
	[ERR_INVALID_TOKEN] = {ERR_INVALID_TOKEN, 400, "invalid_token", "The token is invalid or has expired."},
	[ERR_INVALID_SIGNATURE] = {ERR_INVALID_SIGNATURE, 400, "invalid_signature", "The signature is missing or invalid."},
	[ERR_UNAUTHENTICATED] = {ERR_UNAUTHENTICATED, 401, "unauthenticated", "Authentication is required."},
	[ERR_TOKEN_EXPIRED] = {ERR_TOKEN_EXPIRED, 401, "token_expired", "The access token has expired."},
	[ERR_INVALID_CREDENTIALS] = {ERR_INVALID_CREDENTIALS, 401, "invalid_credentials", "The credentials are incorrect."},
	[ERR_INVALID_REFRESH_TOKEN] = {ERR_INVALID_REFRESH_TOKEN, 401, "invalid_refresh_token", "The refresh token is invalid."},
	[ERR_PLAN_LIMIT_REACHED] = {ERR_PLAN_LIMIT_REACHED, 402, "plan_limit_reached", "The plan's limit has been reached."},
	[ERR_PREMIUM_REQUIRED] = {ERR_PREMIUM_REQUIRED, 402, "premium_required", "This feature requires the Premium plan."},
	[ERR_FORBIDDEN] = {ERR_FORBIDDEN, 403, "forbidden", "Access is not allowed."},
	[ERR_ORIGIN_NOT_ALLOWED] = {ERR_ORIGIN_NOT_ALLOWED, 403, "origin_not_allowed", "The request origin is not allowed."},
	[ERR_EMAIL_NOT_VERIFIED] = {ERR_EMAIL_NOT_VERIFIED, 403, "email_not_verified", "The email address is not verified yet."},
	[ERR_ACCOUNT_INACTIVE] = {ERR_ACCOUNT_INACTIVE, 403, "account_inactive", "The account is deactivated."},
	[ERR_REAUTHENTICATION_REQUIRED] = {ERR_REAUTHENTICATION_REQUIRED, 403, "reauthentication_required", "Sign in again to confirm this action."},
	[ERR_NOT_FOUND] = {ERR_NOT_FOUND, 404, "not_found", "The resource was not found."},
	[ERR_METHOD_NOT_ALLOWED] = {ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed", "The method is not allowed on this resource."},
	[ERR_NOT_ACCEPTABLE] = {ERR_NOT_ACCEPTABLE, 406, "not_acceptable", "The requested representation is not available."},
	[ERR_CONFLICT] = {ERR_CONFLICT, 409, "conflict", "The request conflicts with the current state."},
	[ERR_LIMIT_EXCEEDED] = {ERR_LIMIT_EXCEEDED, 409, "limit_exceeded", "An account limit would be exceeded."},
	[ERR_PAYLOAD_TOO_LARGE] = {ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large", "The request body is too large."},
	[ERR_URI_TOO_LONG] = {ERR_URI_TOO_LONG, 414, "uri_too_long", "The request target is too long."},
	[ERR_UNSUPPORTED_MEDIA_TYPE] = {ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type", "The request body must be application/json (UTF-8)."},
	[ERR_RATE_LIMITED] = {ERR_RATE_LIMITED, 429, "rate_limited", "Too many requests; retry later."},
	[ERR_HEADERS_TOO_LARGE] = {ERR_HEADERS_TOO_LARGE, 431, "headers_too_large", "The request headers are too large."},
	[ERR_INTERNAL] = {ERR_INTERNAL, 500, "internal", "An unexpected error occurred."},
	[ERR_UPSTREAM_ERROR] = {ERR_UPSTREAM_ERROR, 502, "upstream_error", "An upstream service failed."},
	[ERR_SERVICE_UNAVAILABLE] = {ERR_SERVICE_UNAVAILABLE, 503, "service_unavailable", "The service is temporarily unavailable."},
	[ERR_WRITE_UNCONFIRMED] = {ERR_WRITE_UNCONFIRMED, 503, "service_unavailable", "The store did not confirm this write in time; it may have been applied. Check before retrying."},
};

const struct err_info *err_info(enum err_code code)
{
	if ((int)code <= 0 || code >= ERR__COUNT)
		return &registry[ERR_INTERNAL];
	return &registry[code];
}

enum err_code err_from_store(int status)
{
	switch (status) {
	case ST_UNAVAILABLE:
	case ST_TIMEOUT:
		return ERR_SERVICE_UNAVAILABLE;
	case ST_UNCONFIRMED:
		return ERR_WRITE_UNCONFIRMED;
	case ST_CONFLICT:
		return ERR_CONFLICT;
	default:
		return ERR_INTERNAL;
	}
}
