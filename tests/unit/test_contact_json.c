/* The two forms of a Contact (domain/contact_json.c): the text a page writes member by member
 * and the jansson tree every other route dumps are the same bytes, for every kind of value;
 * and json_put_string writes a string exactly as jansson does. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/contacts_internal.h"
#include "test.h"
#include "util/json.h"

/* The rows hold char *; these tests only read them. */
#define T(lit) ((char *)(lit))

/* The text of contact_to_json, and the text of contact_put_members in braces. */
static void both_forms(const struct contact_row *c, const struct tag_ref *tags, int n,
		       struct buf *tree, struct buf *text)
{
	json_t *o = contact_to_json(c, tags, n);
	json_put_compact(tree, o);
	json_decref(o);
	buf_putc(text, '{');
	contact_put_members(text, c, tags, n);
	buf_putc(text, '}');
}

/* The text of contact_put_members alone (new string). */
static char *members(const struct contact_row *c, const struct tag_ref *tags, int n)
{
	struct buf text = {0};
	contact_put_members(&text, c, tags, n);
	return buf_steal(&text);
}

static void check_same(const struct contact_row *c, const struct tag_ref *tags, int n)
{
	struct buf tree = {0}, text = {0};
	both_forms(c, tags, n, &tree, &text);
	CHECK_STR(text.data, tree.data);
	/* and the text is JSON that reads back as the tree */
	json_t *back = json_loads(text.data, 0, NULL);
	json_t *o = contact_to_json(c, tags, n);
	CHECK(back != NULL);
	CHECK(json_equal(back, o));
	json_decref(back);
	json_decref(o);
	buf_free(&tree);
	buf_free(&text);
}

TEST(a_contact_with_only_a_first_name)
{
	struct contact_row c = {.id = 1,
				.first_name = T("Ann"),
				.created_at = 1764547200000LL,
				.updated_at = 1764547200001LL};
	check_same(&c, NULL, 0);
	char *text = members(&c, NULL, 0);
	CHECK_STR(text,
		  "\"id\":1,\"firstName\":\"Ann\",\"lastName\":null,\"email\":null,\"phone\":null,"
		  "\"address\":null,\"company\":null,\"jobRole\":null,\"birthday\":null,"
		  "\"customFields\":{},\"tags\":[],\"lastContacted\":null,"
		  "\"createdAt\":\"2025-12-01T00:00:00.000Z\","
		  "\"updatedAt\":\"2025-12-01T00:00:00.001Z\"");
	free(text);
}

TEST(each_member_holds_its_own_column)
{
	struct contact_row c = {.id = 7,
				.first_name = T("F"),
				.last_name = T("L"),
				.email = T("E"),
				.phone = T("P"),
				.address = T("A"),
				.company = T("C"),
				.job_role = T("J"),
				.birthday_month = 3,
				.birthday_day = 4,
				.custom_fields = T("{\"k\":1}"),
				.last_contacted = 1000,
				.created_at = 2000,
				.updated_at = 3000};
	struct tag_ref t = {.contact_id = 7, .id = 8, .name = T("N")};
	check_same(&c, &t, 1);
	char *text = members(&c, &t, 1);
	CHECK_STR(text,
		  "\"id\":7,\"firstName\":\"F\",\"lastName\":\"L\",\"email\":\"E\",\"phone\":\"P\","
		  "\"address\":\"A\",\"company\":\"C\",\"jobRole\":\"J\",\"birthday\":\"--03-04\","
		  "\"customFields\":{\"k\":1},\"tags\":[{\"id\":8,\"name\":\"N\"}],"
		  "\"lastContacted\":\"1970-01-01T00:00:01.000Z\","
		  "\"createdAt\":\"1970-01-01T00:00:02.000Z\","
		  "\"updatedAt\":\"1970-01-01T00:00:03.000Z\"");
	free(text);
}

TEST(every_member_filled)
{
	struct contact_row c = {
	    .id = 9007199254740993LL,
	    .first_name = T("Zo\xc3\xab \"Z\" O'Neil"),
	    .last_name = T("back\\slash / slash"),
	    .email = T("zoe@example.com"),
	    .phone = T("+44 20 7946 0958"),
	    .address = T("1 Main St\nFlat 2\r\n\tRear"),
	    .company = T("\xe5\x8c\x97\xe4\xba\xac \xf0\x9f\x98\x80 Ltd"),
	    .job_role = T("CEO\xe2\x80\xa8line"),
	    .birthday_year = 1990,
	    .birthday_month = 2,
	    .birthday_day = 28,
	    .custom_fields =
		T("{\"b\":1.5,\"a\":\"x\\\"y\",\"c\":true,\"d\":null,\"e\":100000000000000000000,"
		  "\"f\":[1,\"two\"],\"g\":0.1}"),
	    .last_contacted = -1,
	    .created_at = 253402300799999LL,
	    .updated_at = 1,
	};
	struct tag_ref tags[] = {
	    {.contact_id = c.id, .id = 3, .name = T("VIP \"gold\""), .name_key = T("vip \"gold\"")},
	    {.contact_id = c.id,
	     .id = 4,
	     .name = T("\xc3\xa9quipe\\"),
	     .name_key = T("\xc3\xa9quipe\\")},
	};
	check_same(&c, tags, 2);
	c.birthday_year = 0; /* a birthday without its year: --MM-DD */
	c.custom_fields = T("{}");
	check_same(&c, tags, 1);
}

TEST(control_characters_as_jansson_escapes_them)
{
	char s[0x21];
	for (int i = 1; i <= 0x20; i++)
		s[i - 1] = (char)i;
	s[0x20] = '\0';
	struct contact_row c = {.id = 2,
				.first_name = s,
				.last_name = T("\x7f"
					       "del")};
	struct tag_ref t = {.contact_id = 2, .id = 5, .name = s + 5};
	check_same(&c, &t, 1);
	struct buf text = {0};
	json_put_string(&text, "a\x01\x1f\b\f\n\r\t\"\\/z");
	CHECK_STR(text.data, "\"a\\u0001\\u001F\\b\\f\\n\\r\\t\\\"\\\\/z\"");
	buf_free(&text);
}

TEST(text_that_is_not_utf8_is_null_in_both_forms)
{
	struct contact_row c = {.id = 3,
				.first_name = T("ok"),
				.last_name = T("bad \xff byte"),
				.email = T("\xc0\xaf"),			      /* overlong */
				.company = T("\xed\xa0\x80")};		      /* a surrogate */
	struct tag_ref t = {.contact_id = 3, .id = 6, .name = T("\xe2\x82")}; /* cut short */
	check_same(&c, &t, 1);
	char *text = members(&c, &t, 1);
	CHECK(strstr(text, "\"lastName\":null,\"email\":null") != NULL);
	CHECK(strstr(text, "\"company\":null") != NULL);
	CHECK(strstr(text, "\"tags\":[{\"id\":6,\"name\":null}]") != NULL);
	free(text);
	struct buf null_text = {0};
	json_put_string(&null_text, NULL);
	CHECK_STR(null_text.data, "null");
	buf_free(&null_text);
}

TEST(strings_of_every_length_match_jansson)
{
	/* runs of plain bytes around escapes, at every position */
	const char *pieces[] = {"", "a", "\"", "\\", "\n", "\x01", "\xc3\xa9", "\xf0\x9f\x98\x80"};
	enum { NP = sizeof pieces / sizeof *pieces };
	for (int i = 0; i < NP; i++)
		for (int j = 0; j < NP; j++)
			for (int k = 0; k < NP; k++) {
				char s[32];
				strcpy(s, pieces[i]);
				strcat(s, pieces[j]);
				strcat(s, "xy");
				strcat(s, pieces[k]);
				json_t *v = json_string(s);
				struct buf a = {0}, b = {0};
				json_put_compact(&a, v);
				json_put_string(&b, s);
				CHECK_STR(b.data, a.data);
				json_decref(v);
				buf_free(&a);
				buf_free(&b);
			}
}

int main(void)
{
	RUN_TESTS();
}
