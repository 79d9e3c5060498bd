/* Query strings: decoding, unknown and repeated parameters. */
#include <stdlib.h>

#include "http/query.h"
#include "test.h"
#include "util/alloc.h"

static void load(struct request *req, const char *target)
{
	memset(req, 0, sizeof *req);
	req->target = xstrdup(target);
}

static void clear(struct request *req)
{
	query_free(req);
	free(req->target);
}

TEST(decodes_plus_and_percent)
{
	struct request req;
	load(&req, "/x?q=ann+lee&tag=a%2Cb&empty");
	const char *bad = NULL;
	CHECK(query_parse(&req, &bad));
	CHECK_STR(http_query(&req, "q"), "ann lee");
	CHECK_STR(http_query(&req, "tag"), "a,b");
	CHECK_STR(http_query(&req, "empty"), "");
	clear(&req);
}

TEST(rejects_bad_escapes)
{
	struct request req;
	load(&req, "/x?q=%FF");
	const char *bad = NULL;
	CHECK(!query_parse(&req, &bad));
	CHECK_STR(bad, "q");
	clear(&req);
}

TEST(unknown_and_duplicate)
{
	struct request req;
	load(&req, "/x?limit=1&limit=2&tag=a&tag=b&zzz=1");
	const char *bad = NULL;
	CHECK(query_parse(&req, &bad));
	json_t *details = NULL;
	CHECK(!query_check(&req, "limit,tag*", false, &details));
	CHECK_INT(json_array_size(details), 2);
	char *s = json_dumps(details, JSON_COMPACT);
	CHECK(strstr(s, "{\"field\":\"limit\",\"reason\":\"duplicate\"}") != NULL);
	CHECK(strstr(s, "{\"field\":\"zzz\",\"reason\":\"unknown_field\"}") != NULL);
	free(s);
	json_decref(details);
	details = NULL;
	CHECK(query_check(&req, "limit*,tag*,zzz", false, &details));
	CHECK(details == NULL);
	CHECK_INT(query_count(&req, "tag"), 2);
	CHECK_STR(query_nth(&req, "tag", 1), "b");
	clear(&req);
}

int main(void)
{
	return RUN_TESTS();
}
