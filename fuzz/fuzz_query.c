/* libFuzzer target: query strings (src/http/query.c): decoding, the allowed-parameter checks
 * (repeatable, loose) and lookups, on an arbitrary target after '?'. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/query.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	struct request req;
	memset(&req, 0, sizeof req);
	char *q = xstrndup((const char *)data, size);
	req.target = xasprintf("/api/v1/contacts?%s", q);
	free(q);
	const char *bad = NULL;
	if (query_parse(&req, &bad)) {
		json_t *details = NULL;
		query_check(&req, "q,tag*,sort,limit,cursor,includeTotal,from,to", false, &details);
		json_decref(details);
		details = NULL;
		query_check(&req, NULL, true, &details);
		json_decref(details);
		details = NULL;
		query_check(&req, NULL, false, &details);
		json_decref(details);
		int n = query_count(&req, "tag");
		for (int i = 0; i <= n; i++)
			query_nth(&req, "tag", i);
		http_query(&req, "q");
	}
	for (int i = 0; i < req.nquery; i++) {
		free(req.query[i].name);
		free(req.query[i].value);
	}
	free(req.target);
	return 0;
}
