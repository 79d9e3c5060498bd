/* Router: pattern ranking, 405 Allow lists, id parameters, segment decoding; and the route
 * table against docs/openapi.yaml (embedded as JSON): both must list the same operations. */
#include <jansson.h>
#include <stdlib.h>

#include "http/router.h"
#include "test.h"

extern const char crm_openapi_json[];

static int split(const char *path, char **segs)
{
	int n = 0;
	const char *p = path;
	while (*p == '/') {
		p++;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		segs[n++] = router_decode_segment(p, len);
		p += len;
	}
	return n;
}

static enum route_result match(enum http_method m, const char *path, const struct route **r,
			       char *allow)
{
	char *segs[32];
	int n = split(path, segs);
	const char *params[HTTP_MAX_PARAMS];
	const char *bad = NULL;
	enum route_result rr = router_match(m, segs, n, true, r, params, allow, 128, &bad);
	for (int i = 0; i < n; i++)
		free(segs[i]);
	return rr;
}

TEST(health_found)
{
	router_init();
	const struct route *r = NULL;
	char allow[128];
	CHECK_INT(match(HTTP_GET, "/api/v1/health", &r, allow), ROUTE_FOUND);
	CHECK(r && strcmp(r->pattern, "/api/v1/health") == 0);
	CHECK_INT(match(HTTP_HEAD, "/api/v1/health", &r, allow), ROUTE_FOUND);
}

TEST(method_not_allowed_lists_get_and_head)
{
	router_init();
	const struct route *r = NULL;
	char allow[128];
	CHECK_INT(match(HTTP_POST, "/api/v1/health", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET, HEAD");
}

TEST(literal_segments_outrank_parameters)
{
	router_init();
	const struct route *r = NULL;
	char allow[128];
	CHECK_INT(match(HTTP_GET, "/api/v1/contacts/export.csv", &r, allow), ROUTE_FOUND);
	CHECK(r && strcmp(r->pattern, "/api/v1/contacts/export.csv") == 0);
	CHECK_INT(match(HTTP_GET, "/api/v1/contacts/42", &r, allow), ROUTE_FOUND);
	CHECK(r && strcmp(r->pattern, "/api/v1/contacts/{id:id}") == 0);
	CHECK_INT(match(HTTP_DELETE, "/api/v1/contacts/42", &r, allow), ROUTE_FOUND);
	CHECK(r && r->method == HTTP_DELETE && strcmp(r->pattern, "/api/v1/contacts/{id:id}") == 0);
	CHECK_INT(match(HTTP_POST, "/api/v1/contacts/42", &r, allow), ROUTE_METHOD_NOT_ALLOWED);
	CHECK_STR(allow, "GET, HEAD, PATCH, DELETE");
	CHECK_INT(match(HTTP_GET, "/api/v1/contacts/42/tags", &r, allow), ROUTE_FOUND);
	CHECK(r && strcmp(r->pattern, "/api/v1/contacts/{id:id}/tags") == 0);
	CHECK_INT(match(HTTP_GET, "/api/v1/contacts/42/nothing/here/at/all", &r, allow),
		  ROUTE_NOT_FOUND);
}

TEST(resource_routes_are_exact)
{
	router_init();
	const struct route *r = NULL;
	char allow[128];
	CHECK_INT(match(HTTP_GET, "/api/v1/health/", &r, allow), ROUTE_NOT_FOUND);
	CHECK_INT(match(HTTP_GET, "/api/v1/HEALTH", &r, allow), ROUTE_NOT_FOUND);
	CHECK_INT(match(HTTP_GET, "/api/v1", &r, allow), ROUTE_NOT_FOUND);
}

TEST(compat_routes_fold_case_and_one_slash)
{
	router_init();
	const struct route *r = NULL;
	char allow[128];
	CHECK_INT(match(HTTP_GET, "/api/v1/TEST", &r, allow), ROUTE_FOUND);
	CHECK_INT(match(HTTP_GET, "/api/v1/test/", &r, allow), ROUTE_FOUND);
	CHECK_INT(match(HTTP_GET, "/api/v1/test//", &r, allow), ROUTE_NOT_FOUND);
}

TEST(segment_decoding)
{
	char *s = router_decode_segment("a%2Fb", 5);
	CHECK_STR(s, "a/b");
	free(s);
	s = router_decode_segment("caf%C3%A9", 9);
	CHECK_STR(s, "café");
	free(s);
	CHECK(router_decode_segment("%FF", 3) == NULL);  /* invalid UTF-8 */
	CHECK(router_decode_segment("%0A", 3) == NULL);  /* control character */
	CHECK(router_decode_segment("%4", 2) == NULL);   /* truncated escape */
	CHECK(router_decode_segment("%zz", 3) == NULL);  /* not hex */
	s = router_decode_segment("a+b", 3);
	CHECK_STR(s, "a+b"); /* '+' is literal in paths */
	free(s);
}

TEST(id_parsing)
{
	long long v = 0;
	CHECK(parse_id("1", &v) && v == 1);
	CHECK(parse_id("9223372036854775807", &v) && v == 9223372036854775807LL);
	CHECK(!parse_id("9223372036854775808", &v));
	CHECK(!parse_id("0", &v));
	CHECK(!parse_id("01", &v));
	CHECK(!parse_id("-1", &v));
	CHECK(!parse_id("1.5", &v));
	CHECK(!parse_id("", &v));
	CHECK(!parse_id("12345678901234567890", &v));
}

/* "/api/v1/contacts/{id:id}" -> "/contacts/{id}" */
static void openapi_path(const char *pattern, char *out, size_t n)
{
	const char *p = pattern + strlen("/api/v1");
	size_t o = 0;
	while (*p && o + 1 < n) {
		if (*p == ':') {
			while (*p && *p != '}')
				p++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

TEST(route_table_matches_openapi)
{
	router_init();
	json_error_t err;
	json_t *doc = json_loads(crm_openapi_json, 0, &err);
	CHECK(doc != NULL);
	if (!doc)
		return;
	json_t *paths = json_object_get(doc, "paths");
	CHECK(json_is_object(paths));
	int documented = 0, routed = 0;
	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item) {
		const char *method;
		json_t *op;
		json_object_foreach(item, method, op) {
			static const char *verbs[] = {"get", "post", "patch", "delete", "put"};
			bool verb = false;
			for (size_t i = 0; i < 5; i++)
				verb |= strcmp(method, verbs[i]) == 0;
			if (!verb)
				continue;
			documented++;
			bool found = false;
			for (int i = 0; i < routes_count; i++) {
				if (routes[i].flags & RF_COMPAT)
					continue;
				char p[256];
				openapi_path(routes[i].pattern, p, sizeof p);
				char m[16];
				snprintf(m, sizeof m, "%s", http_method_name(routes[i].method));
				for (char *c = m; *c; c++)
					*c = (char)(*c - 'A' + 'a');
				found |= strcmp(p, path) == 0 && strcmp(m, method) == 0;
			}
			if (!found)
				fprintf(stderr, "  documented but not routed: %s %s\n", method, path);
			CHECK(found);
		}
	}
	for (int i = 0; i < routes_count; i++) {
		if (routes[i].flags & RF_COMPAT)
			continue;
		routed++;
		char p[256];
		openapi_path(routes[i].pattern, p, sizeof p);
		char m[16];
		snprintf(m, sizeof m, "%s", http_method_name(routes[i].method));
		for (char *c = m; *c; c++)
			*c = (char)(*c - 'A' + 'a');
		json_t *op = json_object_get(json_object_get(paths, p), m);
		if (!op)
			fprintf(stderr, "  routed but not documented: %s %s\n", m, p);
		CHECK(op != NULL);
	}
	CHECK_INT(documented, routed);
	json_decref(doc);
}

int main(void)
{
	return RUN_TESTS();
}
