/* The compatibility list and shape helpers (handlers/compat_common.h, SPEC §15.1): the
 * page/limit walk over keyset pages, checked against a fake listing so pages past 1000 rows and
 * past the end are cheap to test; V1Pagination; digit-string ids in id arrays; v1 field names in
 * details; the V1Interaction shape. */
#include <stdlib.h>

#include "handlers/compat_common.h"
#include "test.h"
#include "util/alloc.h"

/* A listing of rows with ids fake_n .. 1 (newest first); its cursor is the decimal offset of
 * the next row. Counts calls and the largest limit asked for. */
static int fake_n, fake_calls, fake_max_limit;
static enum err_code fake_err;

static enum err_code fake_list(struct actx *a, const struct timeline_list_in *in, json_t **data,
			       json_t **page, json_t **details)
{
	fake_calls++;
	if (in->limit > fake_max_limit)
		fake_max_limit = in->limit;
	if (fake_err != ERR_NONE)
		return fake_err;
	int off = in->cursor ? atoi(in->cursor) : 0;
	json_t *arr = json_array();
	int i = off;
	for (; i < fake_n && i < off + in->limit; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(fake_n - i));
		json_array_append_new(arr, o);
	}
	json_t *p = json_object();
	json_object_set_new(p, "hasMore", json_boolean(i < fake_n));
	if (i < fake_n) {
		char *c = xasprintf("%d", i);
		json_object_set_new(p, "nextCursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(p, "nextCursor", json_null());
	}
	if (in->include_total)
		json_object_set_new(p, "total", json_integer(fake_n));
	*data = arr;
	*page = p;
	return ERR_NONE;
}

/* Runs the walk for page/limit over n rows; returns the items (caller decrefs). */
static json_t *walk(int n, int page, int limit, long long *total, enum err_code *e)
{
	fake_n = n;
	fake_calls = fake_max_limit = 0;
	struct timeline_list_in in = {0};
	struct v1_paging p = {page, limit};
	json_t *items = NULL, *details = NULL;
	*e = v1_timeline_page(NULL, fake_list, &in, &p, &items, total, &details);
	json_decref(details);
	return items;
}

static long long id_at(json_t *items, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(items, i), "id"));
}

TEST(first_and_middle_pages)
{
	long long total;
	enum err_code e;
	json_t *items = walk(12, 1, 5, &total, &e);
	CHECK_INT(e, ERR_NONE);
	CHECK_INT(total, 12);
	CHECK_INT(json_array_size(items), 5);
	CHECK_INT(id_at(items, 0), 12);
	CHECK_INT(fake_calls, 1);
	json_decref(items);
	items = walk(12, 3, 5, &total, &e);
	CHECK_INT(total, 12);
	CHECK_INT(json_array_size(items), 2);
	CHECK_INT(id_at(items, 0), 2);
	CHECK_INT(id_at(items, 1), 1);
	CHECK_INT(fake_calls, 2);
	json_decref(items);
}

TEST(a_page_past_the_end_costs_one_read)
{
	long long total;
	enum err_code e;
	json_t *items = walk(12, 4, 5, &total, &e);
	CHECK_INT(e, ERR_NONE);
	CHECK_INT(total, 12);
	CHECK_INT(json_array_size(items), 0);
	CHECK_INT(fake_calls, 1);
	json_decref(items);
	items = walk(0, 1, 1000, &total, &e);
	CHECK_INT(total, 0);
	CHECK_INT(json_array_size(items), 0);
	json_decref(items);
}

TEST(skips_in_chunks_of_at_most_1000)
{
	long long total;
	enum err_code e;
	json_t *items = walk(2500, 3, 1000, &total, &e);
	CHECK_INT(e, ERR_NONE);
	CHECK_INT(total, 2500);
	CHECK_INT(json_array_size(items), 500);
	CHECK_INT(id_at(items, 0), 500);
	CHECK_INT(fake_calls, 3);
	CHECK_INT(fake_max_limit, 1000);
	json_decref(items);
	items = walk(2500, 2301, 1, &total, &e);
	CHECK_INT(json_array_size(items), 1);
	CHECK_INT(id_at(items, 0), 200);
	CHECK_INT(fake_calls, 4); /* 1000 + 1000 + 300 skipped, then the page */
	json_decref(items);
}

TEST(errors_pass_through)
{
	long long total;
	enum err_code e;
	fake_err = ERR_NOT_FOUND;
	json_t *items = walk(10, 2, 5, &total, &e);
	fake_err = ERR_NONE;
	CHECK_INT(e, ERR_NOT_FOUND);
	CHECK(items == NULL);
}

TEST(pagination_object)
{
	struct v1_paging p = {2, 3};
	json_t *o = v1_pagination(&p, 7);
	char *s = json_dumps(o, JSON_COMPACT);
	CHECK_STR(s, "{\"currentPage\":2,\"pageSize\":3,\"totalItems\":7,\"totalPages\":3}");
	free(s);
	json_decref(o);
	o = v1_pagination(&p, 0);
	CHECK_INT(json_integer_value(json_object_get(o, "totalPages")), 0);
	json_decref(o);
}

TEST(digit_strings_in_id_arrays)
{
	json_t *in = json_loads(
	    "[\"42\", 7, \"1.5\", \"\", true, \"99999999999999999999\", \"007\"]", 0, NULL);
	json_t *out = v1_id_array(in);
	char *s = json_dumps(out, JSON_COMPACT);
	CHECK_STR(s, "[42,7,\"1.5\",\"\",true,0,7]");
	free(s);
	json_decref(out);
	json_decref(in);
	json_t *str = json_string("1");
	out = v1_id_array(str);
	CHECK(out == str);
	json_decref(out);
	json_decref(str);
}

TEST(details_get_v1_field_names)
{
	json_t *d =
	    json_loads("[{\"field\":\"ids[3]\",\"reason\":\"not_found\"},"
		       "{\"field\":\"idsx\",\"reason\":\"x\"},{\"field\":\"ids\",\"reason\":\"y\"},"
		       "{\"field\":\"occurredAt\",\"reason\":\"z\"}]",
		       0, NULL);
	v1_details_rename(d, "ids", "contactIds");
	v1_details_rename(d, "occurredAt", "occuredAt");
	v1_details_rename(NULL, "a", "b");
	char *s = json_dumps(d, JSON_COMPACT);
	CHECK_STR(
	    s, "[{\"field\":\"contactIds[3]\",\"reason\":\"not_found\"},"
	       "{\"field\":\"idsx\",\"reason\":\"x\"},{\"field\":\"contactIds\",\"reason\":\"y\"},"
	       "{\"field\":\"occuredAt\",\"reason\":\"z\"}]");
	free(s);
	json_decref(d);
}

TEST(v1_interaction_shape)
{
	json_t *r = json_loads(
	    "{\"id\":5,\"contactId\":2,\"type\":\"call\",\"occurredAt\":\"t\","
	    "\"notes\":null,\"durationMinutes\":3,\"createdAt\":\"c\",\"updatedAt\":\"u\"}",
	    0, NULL);
	json_t *v = v1_interaction(r, 9);
	char *s = json_dumps(v, JSON_COMPACT);
	CHECK_STR(s,
		  "{\"id\":5,\"contactId\":2,\"userId\":9,\"type\":\"call\",\"occuredAt\":\"t\","
		  "\"notes\":null,\"durationMinutes\":3,\"createdAt\":\"c\",\"updatedAt\":\"u\"}");
	free(s);
	json_decref(v);
	json_decref(r);
}

int main(void)
{
	return RUN_TESTS();
}
