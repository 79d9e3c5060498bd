/* Contact field rules (SPEC §2.2): customFields entries, totals, number normalisation, merge and
 * storage form; birthdays; phones; tag-name arrays (merge by folded form); id arrays; the
 * relationship inverses. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "domain/contact_fields.h"
#include "domain/contacts_internal.h"
#include "domain/relationships.h"
#include "test.h"

static bool has_detail(json_t *details, const char *field, const char *reason)
{
	size_t i;
	json_t *d;
	json_array_foreach(details, i, d)
	{
		if (strcmp(json_string_value(json_object_get(d, "field")), field) == 0 &&
		    strcmp(json_string_value(json_object_get(d, "reason")), reason) == 0)
			return true;
	}
	return false;
}

static json_t *J(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!v)
		abort();
	return v;
}

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

TEST(cf_entries_accept_scalars)
{
	json_t *o =
	    J("{\"s\":\"x\",\"i\":1,\"r\":2.5,\"t\":true,\"f\":false,\"e\":\"\",\"A_9\":0}");
	json_t *details = NULL;
	CHECK(cf_check_entries(o, false, &details));
	CHECK(details == NULL);
	json_decref(o);
}

TEST(cf_entries_name_every_bad_key)
{
	json_t *o = J("{\"bad key\":1,\"n\":{\"a\":1},\"a\":[1],\"z\":null,\"c\":\"a\\u0007b\","
		      "\"ok\":1}");
	json_t *details = NULL;
	CHECK(!cf_check_entries(o, false, &details));
	CHECK(has_detail(details, "customFields.bad key", "invalid_format"));
	CHECK(has_detail(details, "customFields.n", "wrong_type"));
	CHECK(has_detail(details, "customFields.a", "wrong_type"));
	CHECK(has_detail(details, "customFields.z", "wrong_type"));
	CHECK(has_detail(details, "customFields.c", "invalid_characters"));
	CHECK_INT(json_array_size(details), 5);
	json_decref(details);
	details = NULL;
	/* in a PATCH, null removes the key */
	json_t *p = J("{\"z\":null}");
	CHECK(cf_check_entries(p, true, &details));
	json_decref(p);
	json_decref(o);
	json_t *arr = J("[1]");
	CHECK(!cf_check_entries(arr, false, &details));
	CHECK(has_detail(details, "customFields", "wrong_type"));
	json_decref(details);
	json_decref(arr);
}

TEST(cf_string_length_counts_code_points)
{
	char *s = malloc(3000);
	strcpy(s, "{\"k\":\"");
	for (int i = 0; i < 1000; i++)
		strcat(s, "\xC3\xA9"); /* é: 2 bytes, 1 code point */
	strcat(s, "\"}");
	json_t *o = J(s);
	json_t *details = NULL;
	CHECK(cf_check_entries(o, false, &details));
	json_decref(o);
	s[strlen(s) - 2] = '\0';
	strcat(s, "x\"}");
	o = J(s);
	CHECK(!cf_check_entries(o, false, &details));
	CHECK(has_detail(details, "customFields.k", "too_long"));
	json_decref(details);
	json_decref(o);
	free(s);
}

TEST(cf_totals)
{
	json_t *o = json_object();
	char k[16];
	for (int i = 0; i < 50; i++) {
		snprintf(k, sizeof k, "k%d", i);
		json_object_set_new(o, k, json_integer(i));
	}
	json_t *details = NULL;
	CHECK(cf_check_totals(o, &details));
	json_object_set_new(o, "k50", json_integer(50));
	CHECK(!cf_check_totals(o, &details));
	CHECK(has_detail(details, "customFields", "too_many"));
	json_decref(details);
	json_decref(o);
	/* 10,000 bytes compact */
	o = json_object();
	char big[1001];
	memset(big, 'x', 1000);
	big[1000] = '\0';
	for (int i = 0; i < 9; i++) {
		snprintf(k, sizeof k, "k%d", i);
		json_object_set_new(o, k, json_string(big));
	}
	details = NULL;
	CHECK(cf_check_totals(o, &details)); /* 9 * 1007 + 1 + 8 bytes */
	json_object_set_new(o, "k9", json_string(big));
	CHECK(!cf_check_totals(o, &details));
	CHECK(has_detail(details, "customFields", "too_long"));
	json_decref(details);
	json_decref(o);
}

TEST(cf_normalize_sorts_keys_and_numbers)
{
	json_t *o = J("{\"z\":1e2,\"a\":100.0,\"m\":-0.0,\"b\":2.5,\"c\":9007199254740992.0,"
		      "\"d\":9007199254740993,\"e\":1e20,\"f\":true,\"g\":\"s\"}");
	json_t *n = cf_normalize(o);
	char *s = dump(n);
	CHECK_STR(s, "{\"a\":100,\"b\":2.5,\"c\":9007199254740992,\"d\":9.00719925474099e15,"
		     "\"e\":1e20,\"f\":true,\"g\":\"s\",\"m\":0,\"z\":100}");
	free(s);
	json_decref(n);
	json_decref(o);
	n = cf_normalize(NULL);
	CHECK(json_is_object(n) && json_object_size(n) == 0);
	json_decref(n);
}

TEST(cf_serialize_parse_round_trip)
{
	json_t *o = J("{\"b\":0.1,\"a\":1,\"big\":1e300,\"neg\":-12.5e-7}");
	json_t *n = cf_normalize(o);
	char *stored = cf_serialize(n);
	CHECK(stored != NULL);
	json_t *back = cf_parse(stored);
	char *s1 = dump(n), *s2 = dump(back);
	CHECK_STR(s2, s1);
	free(s1);
	free(s2);
	json_decref(back);
	/* the jsonb text form of PostgreSQL: integers beyond 64 bits, spaces */
	back = cf_parse("{\"a\": 1, \"e\": 100000000000000000000, \"x\": 2.50}");
	s1 = dump(back);
	CHECK_STR(s1, "{\"a\":1,\"e\":1e20,\"x\":2.5}");
	free(s1);
	json_decref(back);
	CHECK(cf_serialize(json_object_get(n, "none")) == NULL);
	json_t *empty = json_object();
	CHECK(cf_serialize(empty) == NULL);
	json_decref(empty);
	back = cf_parse(NULL);
	CHECK(json_object_size(back) == 0);
	json_decref(back);
	free(stored);
	json_decref(n);
	json_decref(o);
}

TEST(cf_merge_one_level)
{
	json_t *base = J("{\"a\":1,\"b\":\"x\",\"c\":true}");
	json_t *patch = J("{\"a\":null,\"d\":4,\"b\":\"y\"}");
	json_t *m = cf_merge(base, patch);
	char *s = dump(m);
	CHECK_STR(s, "{\"b\":\"y\",\"c\":true,\"d\":4}");
	free(s);
	json_decref(m);
	m = cf_merge(base, NULL); /* "customFields": null */
	CHECK(json_object_size(m) == 0);
	json_decref(m);
	m = cf_merge(NULL, patch);
	s = dump(m);
	CHECK_STR(s, "{\"b\":\"y\",\"d\":4}");
	free(s);
	json_decref(m);
	json_decref(patch);
	json_decref(base);
}

TEST(birthdays)
{
	int y, m, d;
	CHECK(birthday_parse("1984-04-12", 2026, &y, &m, &d) == NULL && y == 1984 && m == 4 &&
	      d == 12);
	CHECK(birthday_parse("--02-29", 2026, &y, &m, &d) == NULL && y == 0 && m == 2 && d == 29);
	CHECK(birthday_parse("2000-02-29", 2026, &y, &m, &d) == NULL);
	CHECK(birthday_parse("1900-01-01", 2026, &y, &m, &d) == NULL);
	CHECK(birthday_parse("2026-12-31", 2026, &y, &m, &d) == NULL);
	CHECK_STR(birthday_parse("2027-01-01", 2026, &y, &m, &d), "out_of_range");
	CHECK_STR(birthday_parse("1899-12-31", 2026, &y, &m, &d), "out_of_range");
	CHECK_STR(birthday_parse("1999-02-29", 2026, &y, &m, &d), "invalid_value");
	CHECK_STR(birthday_parse("--02-30", 2026, &y, &m, &d), "invalid_value");
	CHECK_STR(birthday_parse("--00-10", 2026, &y, &m, &d), "invalid_value");
	CHECK_STR(birthday_parse("--4-12", 2026, &y, &m, &d), "invalid_format");
	CHECK_STR(birthday_parse("84-04-12", 2026, &y, &m, &d), "invalid_format");
	CHECK_STR(birthday_parse("1984/04/12", 2026, &y, &m, &d), "invalid_format");
	CHECK_STR(birthday_parse("1984-04-12T00:00:00Z", 2026, &y, &m, &d), "invalid_format");
	char out[16];
	birthday_format(1984, 4, 2, out);
	CHECK_STR(out, "1984-04-02");
	birthday_format(0, 12, 31, out);
	CHECK_STR(out, "--12-31");
}

TEST(phones)
{
	CHECK(phone_check("+1 (415) 555-2671") == NULL);
	CHECK(phone_check("030 1234.567/8") == NULL);
	CHECK(phone_check("123") == NULL);
	CHECK(phone_check("12345678901234567890") == NULL);
	CHECK_STR(phone_check("12"), "invalid_format");
	CHECK_STR(phone_check("123456789012345678901"), "invalid_format");
	CHECK_STR(phone_check("1+2345"), "invalid_format");
	CHECK_STR(phone_check("++12345"), "invalid_format");
	CHECK_STR(phone_check("555-CALL"), "invalid_characters");
	CHECK_STR(phone_check("123#45"), "invalid_characters");
	char *dg = phone_digits("+1 (415) 555-2671");
	CHECK_STR(dg, "14155552671");
	free(dg);
}

TEST(tag_names_merge_by_folded_form)
{
	json_t *a = J("[\"VIP\",\" vip \",\"Café\",\"CAFE\",\"b\"]");
	char **names = NULL, **keys = NULL;
	int *pos = NULL, n = 0;
	json_t *details = NULL;
	CHECK(tag_names_parse(a, "tags", 0, 50, &names, &keys, &pos, &n, &details));
	CHECK_INT(n, 3);
	CHECK_STR(names[0], "VIP");
	CHECK_STR(names[1], "Café");
	CHECK_STR(keys[1], "cafe");
	CHECK_STR(names[2], "b");
	CHECK_INT(pos[2], 4);
	names_free(names, n);
	names_free(keys, n);
	free(pos);
	json_decref(a);
	a = J("[\"ok\",\"a,b\",3,\"\",\"x\"]");
	CHECK(!tag_names_parse(a, "add", 0, 50, &names, NULL, NULL, &n, &details));
	CHECK(has_detail(details, "add[1]", "invalid_characters"));
	CHECK(has_detail(details, "add[2]", "wrong_type"));
	CHECK(has_detail(details, "add[3]", "required"));
	CHECK_INT(json_array_size(details), 3);
	json_decref(details);
	details = NULL;
	json_decref(a);
	a = J("[]");
	CHECK(!tag_names_parse(a, "names", 1, 50, &names, NULL, NULL, &n, &details));
	CHECK(has_detail(details, "names", "too_few"));
	json_decref(details);
	json_decref(a);
}

TEST(id_arrays)
{
	json_t *a = J("[3,1,2]");
	long long *ids = NULL;
	int n = 0;
	json_t *details = NULL;
	CHECK(id_array_parse(a, "ids", 1, 500, &ids, &n, &details));
	CHECK(n == 3 && ids[0] == 3 && ids[2] == 2);
	free(ids);
	json_decref(a);
	a = J("[1,\"2\",0,1,2.0,-5]");
	CHECK(!id_array_parse(a, "ids", 1, 500, &ids, &n, &details));
	CHECK(has_detail(details, "ids[1]", "wrong_type"));
	CHECK(has_detail(details, "ids[2]", "out_of_range"));
	CHECK(has_detail(details, "ids[3]", "duplicate"));
	CHECK(has_detail(details, "ids[4]", "wrong_type"));
	CHECK(has_detail(details, "ids[5]", "out_of_range"));
	json_decref(details);
	details = NULL;
	json_decref(a);
	a = J("{}");
	CHECK(!id_array_parse(a, "ids", 1, 500, &ids, &n, &details));
	CHECK(has_detail(details, "ids", "wrong_type"));
	json_decref(details);
	json_decref(a);
}

TEST(relationship_inverses)
{
	CHECK_STR(relationship_inverse("parent"), "child");
	CHECK_STR(relationship_inverse("child"), "parent");
	CHECK_STR(relationship_inverse("manager"), "report");
	CHECK_STR(relationship_inverse("report"), "manager");
	CHECK_STR(relationship_inverse("spouse"), "spouse");
	CHECK_STR(relationship_inverse("other"), "other");
	CHECK(relationship_inverse("Parent") == NULL);
	CHECK(relationship_inverse("cousin") == NULL);
}

static void check_upper(const char *in, const char *want)
{
	char *got = prefix_upper(in);
	CHECK_STR(got, want);
	free(got);
}

TEST(prefix_upper_bounds)
{
	check_upper("ab", "ac");
	check_upper("z", "{");
	check_upper("caf\xC3\xA9", "caf\xC3\xAA");	     /* é → ê */
	check_upper("a\x7F", "a\xC2\x80");		     /* into two bytes */
	check_upper("\xED\x9F\xBF", "\xEE\x80\x80");	     /* U+D7FF → U+E000 */
	check_upper("a\xF4\x8F\xBF\xBF", "b");		     /* trailing U+10FFFF dropped */
	check_upper("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x81"); /* 😀 → 😁 */
}

int main(void)
{
	return RUN_TESTS();
}
