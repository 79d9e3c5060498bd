/* libFuzzer target: the path-segment decoder and the router (src/http/router.c) on arbitrary
 * request paths, split at '/' exactly as the pipeline does, for every method. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		router_init();
		ready = 1;
	}
	if (size > 16384)
		return 0;
	char *path = xstrndup((const char *)data, size); /* stops at a NUL, like a C target */
	char *segs[256];
	int n = 0;
	const char *p = path;
	int ok = 1;
	while (*p == '/' && n < 256) {
		p++;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *seg = router_decode_segment(p, len);
		if (!seg) {
			ok = 0;
			break;
		}
		segs[n++] = seg;
		p += len;
	}
	if (ok) {
		static const enum http_method methods[] = {HTTP_GET,    HTTP_HEAD,    HTTP_POST, HTTP_PATCH,
							   HTTP_DELETE, HTTP_OPTIONS, HTTP_PUT,  HTTP_OTHER};
		for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
			const struct route *r = NULL;
			const char *params[HTTP_MAX_PARAMS] = {0};
			char allow[128];
			const char *bad = NULL;
			enum route_result rr = router_match(methods[m], segs, n, m % 2 == 0, &r, params,
							    allow, sizeof allow, &bad);
			if (rr == ROUTE_FOUND && !r)
				abort();
			if (rr == ROUTE_METHOD_NOT_ALLOWED && !allow[0])
				abort();
		}
	}
	long long id;
	parse_id(path, &id);
	for (int i = 0; i < n; i++)
		free(segs[i]);
	free(path);
	return 0;
}
