/* libFuzzer target: the Authorization header's token as the credential check reads it (the
 * "Bearer " scheme, or a bare JWT on compatibility routes) and the access-token verifier
 * (src/auth/jwt.c) with a fixed configuration. A third of the inputs are first turned into a
 * correctly signed token around the fuzzed claims, so the checks after the signature run too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/jwt.h"
#include "config/config.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg.access_token_secret) {
		cfg.access_token_secret = xstrdup("fuzz-access-secret-0123456789abcdef0123");
		cfg.jwt_issuer = xstrdup("http://localhost:3000");
		cfg.jwt_audience = xstrdup("personal-crm-api");
		cfg.access_token_expiry = 900;
	}
	if (size > 65536)
		return 0;
	char *header = xstrndup((const char *)data, size);
	const char *token = header;
	if (strncasecmp(header, "Bearer ", 7) == 0 && header[7] != ' ')
		token = header + 7;
	long long uid = 0, sid = 0;
	const long long now = 1767225600; /* 2026-01-01 */
	jwt_verify_access(&cfg, token, now, &uid, &sid);
	if (size > 0 && data[0] % 3 == 0) {
		/* A genuine token, then the fuzz input spliced into it. */
		long long exp = 0;
		char *good = jwt_issue(&cfg, 42, 7, now, &exp);
		if (jwt_verify_access(&cfg, good, now, &uid, &sid) != JWT_OK || uid != 42 || sid != 7)
			abort();
		size_t glen = strlen(good);
		size_t cut = size % (glen + 1);
		char *mixed = xasprintf("%.*s%s", (int)cut, good, header);
		jwt_verify_access(&cfg, mixed, now, &uid, &sid);
		free(mixed);
		free(good);
	}
	free(header);
	return 0;
}
