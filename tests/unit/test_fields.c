/* Field specs: unknown, read-only, wrong types, ranges, text rules, all problems at once. */
#include <stdlib.h>

#include "test.h"
#include "util/fields.h"

static const struct field_spec spec[] = {
	{"firstName", FT_TEXT, FF_REQUIRED, 1, 100},
	{"lastName", FT_TEXT, FF_NULLABLE, 0, 100},
	{"address", FT_TEXT_ML, FF_NULLABLE, 0, 500},
	{"password", FT_SECRET, 0, 12, 128},
	{"durationMinutes", FT_INT, FF_NULLABLE, 0, 10080},
	{"contactId", FT_ID, 0, 0, 0},
	{"reactivate", FT_BOOL, 0, 0, 0},
	{"id", FT_ID, FF_READ_ONLY, 0, 0},
};
#define N ((int)(sizeof spec / sizeof spec[0]))

static json_t *parse(const char *text, struct field_value *out, bool *ok)
{
	json_t *body = json_loads(text, 0, NULL);
	json_t *details = NULL;
	*ok = fields_parse(body, spec, N, out, &details);
	json_decref(body);
	return details;
}

static bool has(json_t *details, const char *field, const char *reason)
{
	size_t i;
	json_t *d;
	json_array_foreach(details, i, d) {
		if (strcmp(json_string_value(json_object_get(d, "field")), field) == 0 &&
		    strcmp(json_string_value(json_object_get(d, "reason")), reason) == 0)
			return true;
	}
	return false;
}

TEST(valid_body)
{
	struct field_value v[N];
	bool ok;
	json_t *d = parse("{\"firstName\":\"  Ann \\u00a0\",\"lastName\":\"\",\"address\":\"a\\nb\","
			  "\"password\":\" correct horse \",\"durationMinutes\":30,"
			  "\"contactId\":7,\"reactivate\":true}",
			  v, &ok);
	CHECK(ok);
	CHECK(d == NULL);
	CHECK_STR(v[0].text, "Ann");
	CHECK(v[1].present && v[1].null && v[1].text == NULL);
	CHECK_STR(v[2].text, "a\nb");
	CHECK_STR(v[3].text, " correct horse "); /* passwords are never trimmed */
	CHECK_INT(v[4].num, 30);
	CHECK_INT(v[5].num, 7);
	CHECK(v[6].flag);
	fields_free(v, N);
}

TEST(every_problem_at_once)
{
	struct field_value v[N];
	bool ok;
	json_t *d = parse("{\"lastName\":\"a\\u0007b\",\"password\":\"short\","
			  "\"durationMinutes\":42.0,\"contactId\":\"7\",\"reactivate\":1,"
			  "\"id\":3,\"nickname\":\"x\"}",
			  v, &ok);
	CHECK(!ok);
	CHECK(has(d, "firstName", "required"));
	CHECK(has(d, "lastName", "invalid_characters"));
	CHECK(has(d, "password", "too_short"));
	CHECK(has(d, "durationMinutes", "wrong_type"));
	CHECK(has(d, "contactId", "wrong_type"));
	CHECK(has(d, "reactivate", "wrong_type"));
	CHECK(has(d, "id", "read_only"));
	CHECK(has(d, "nickname", "unknown_field"));
	CHECK_INT(json_array_size(d), 8);
	json_decref(d);
	fields_free(v, N);
}

TEST(ranges_and_required_text)
{
	struct field_value v[N];
	bool ok;
	json_t *d = parse("{\"firstName\":\"   \",\"durationMinutes\":10081,\"contactId\":0}", v, &ok);
	CHECK(!ok);
	CHECK(has(d, "firstName", "required"));
	CHECK(has(d, "durationMinutes", "out_of_range"));
	CHECK(has(d, "contactId", "out_of_range"));
	json_decref(d);
	fields_free(v, N);
}

TEST(length_counts_code_points)
{
	char *t = NULL;
	/* 100 × "é" (200 bytes) is within 100 code points */
	char s[256] = "";
	for (int i = 0; i < 100; i++)
		strcat(s, "\xc3\xa9");
	CHECK(field_check_text(s, strlen(s), FT_TEXT, 1, 100, true, &t) == NULL);
	free(t);
	strcat(s, "e");
	CHECK_STR(field_check_text(s, strlen(s), FT_TEXT, 1, 100, true, &t), "too_long");
	CHECK_STR(field_check_text("a\xe2\x80\xa8" "b", 5, FT_TEXT, 0, 0, false, &t),
		  "invalid_characters"); /* U+2028 */
	CHECK(field_check_text("a\tb", 3, FT_TEXT_ML, 0, 0, false, &t) == NULL);
	free(t);
}

int main(void)
{
	return RUN_TESTS();
}
