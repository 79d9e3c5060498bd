/* Unit tests of the store-free rules of notes and interactions (domain/notes.h,
 * domain/notes_internal.h): interaction types and occurredAt (§2.2), the Note, Interaction and
 * tombstone objects (§10, §9.2), and listing queries with their cursors and pages (§1.4). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/notes_internal.h"
#include "test.h"

static const long long NOW = 1751290334000LL; /* 2025-06-30T13:32:14Z */

TEST(interaction_types_are_checked_and_lowercased)
{
	char *lower = NULL;
	CHECK(interaction_type_normalize("Phone Call", &lower) == NULL);
	CHECK_STR(lower, "phone call");
	free(lower);
	CHECK(interaction_type_normalize("Réunion_ÉQUIPE-2", &lower) == NULL);
	CHECK_STR(lower, "réunion_équipe-2");
	free(lower);
	char fifty[51];
	memset(fifty, 'a', 50);
	fifty[50] = '\0';
	CHECK(interaction_type_normalize(fifty, &lower) == NULL);
	free(lower);
	static const char *const bad[] = {"call!", "a/b", "tab\there", "x.y", "emoji😀", "a\nb"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_STR(interaction_type_normalize(bad[i], &lower), "invalid_characters");
		CHECK(lower == NULL);
	}
	char long_type[52];
	memset(long_type, 'b', 51);
	long_type[51] = '\0';
	CHECK_STR(interaction_type_normalize(long_type, &lower), "too_long");
	CHECK_STR(interaction_type_normalize("", &lower), "too_short");
	CHECK_STR(interaction_type_normalize("\xff", &lower), "invalid_characters");
}

TEST(occurred_at_allows_dates_and_at_most_a_day_ahead)
{
	long long ms = 0;
	CHECK(interaction_time_parse("2025-06-30T15:32:14.5+02:00", NOW, &ms) == NULL);
	CHECK_INT(ms, NOW + 500);
	CHECK(interaction_time_parse("2025-06-30", NOW, &ms) == NULL);
	CHECK_INT(ms, 1751241600000LL);
	CHECK(interaction_time_parse("2025-07-01T13:32:14Z", NOW, &ms) == NULL); /* exactly +24 h */
	CHECK_STR(interaction_time_parse("2025-07-01T13:32:14.001Z", NOW, &ms), "out_of_range");
	CHECK_STR(interaction_time_parse("1899-12-31", NOW, &ms), "out_of_range");
	CHECK_STR(interaction_time_parse("2025-06-31", NOW, &ms), "invalid_format");
	CHECK_STR(interaction_time_parse("30/06/2025", NOW, &ms), "invalid_format");
	CHECK_STR(interaction_time_parse("2025-06-30T15:32", NOW, &ms), "invalid_format");
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

TEST(objects_have_every_key_in_order)
{
	char title[] = "T", content[] = "a\nb", type[] = "call", notes[] = "n";
	struct note_row n = {.id = 7,
			     .contact_id = 3,
			     .title = title,
			     .content = content,
			     .created_at = NOW,
			     .updated_at = NOW + 1};
	char *s = dump(note_to_json(&n));
	CHECK_STR(s, "{\"id\":7,\"contactId\":3,\"title\":\"T\",\"content\":\"a\\nb\","
		     "\"createdAt\":\"2025-06-30T13:32:14.000Z\","
		     "\"updatedAt\":\"2025-06-30T13:32:14.001Z\"}");
	free(s);
	struct interaction_row r = {.id = 9,
				    .contact_id = 3,
				    .type = type,
				    .occurred_at = NOW,
				    .created_at = NOW,
				    .updated_at = NOW};
	s = dump(interaction_to_json(&r));
	CHECK_STR(s, "{\"id\":9,\"contactId\":3,\"type\":\"call\","
		     "\"occurredAt\":\"2025-06-30T13:32:14.000Z\",\"notes\":null,"
		     "\"durationMinutes\":null,\"createdAt\":\"2025-06-30T13:32:14.000Z\","
		     "\"updatedAt\":\"2025-06-30T13:32:14.000Z\"}");
	free(s);
	r.has_duration = true;
	r.duration_minutes = 0;
	r.notes = notes;
	json_t *o = interaction_to_json(&r);
	CHECK_INT(json_integer_value(json_object_get(o, "durationMinutes")), 0);
	CHECK_STR(json_string_value(json_object_get(o, "notes")), "n");
	json_decref(o);
	struct note_row t = {.id = 17, .updated_at = NOW, .deleted = true};
	s = dump(note_to_json(&t));
	CHECK_STR(s, "{\"id\":17,\"deleted\":true,\"updatedAt\":\"2025-06-30T13:32:14.000Z\"}");
	free(s);
}

static struct timeline_list_in base_in(void)
{
	struct timeline_list_in in;
	memset(&in, 0, sizeof in);
	in.limit = 25;
	in.sort = SORT_CREATED_AT;
	in.desc = true;
	return in;
}

/* The nextCursor of a page that ended at (key, id) for in. New string. */
static char *next_cursor(const struct timeline_list_in *in, const char *kind, long long key,
			 long long id)
{
	struct list_query q;
	char *title_key, sort[24], digest[17];
	json_t *details = NULL;
	CHECK_INT(timeline_query(in, kind, &q, &title_key, sort, digest, &details), ERR_NONE);
	free(title_key);
	json_t *page = timeline_page(in, sort, digest, true, key, id, 0);
	char *c = strdup(json_string_value(json_object_get(page, "nextCursor")));
	json_decref(page);
	return c;
}

TEST(queries_and_cursors_round_trip)
{
	struct timeline_list_in in = base_in();
	in.title = "  Héllo ";
	in.contact_id = 5;
	in.limit = 10;
	struct list_query q;
	char *title_key, sort[24], digest[17];
	json_t *details = NULL;
	CHECK_INT(timeline_query(&in, "note", &q, &title_key, sort, digest, &details), ERR_NONE);
	CHECK_STR(q.title_key, "hello");
	CHECK_INT(q.limit, 11); /* one more than shown, to learn hasMore */
	CHECK_INT(q.contact_id, 5);
	CHECK(q.desc && !q.feed && !q.has_after);
	CHECK_STR(sort, "-createdAt");
	free(title_key);

	char *c = next_cursor(&in, "note", NOW, 42);
	in.cursor = c;
	CHECK_INT(timeline_query(&in, "note", &q, &title_key, sort, digest, &details), ERR_NONE);
	CHECK(q.has_after && q.after_key == NOW && q.after_id == 42);
	free(title_key);
	in.limit = 50; /* the page size is not part of the cursor */
	CHECK_INT(timeline_query(&in, "note", &q, &title_key, sort, digest, &details), ERR_NONE);
	free(title_key);
	CHECK(details == NULL);

	/* another sort, filter or listing kind: mismatch */
	struct timeline_list_in other = in;
	other.desc = false;
	CHECK_INT(timeline_query(&other, "note", &q, &title_key, sort, digest, &details),
		  ERR_VALIDATION_FAILED);
	free(title_key);
	other = in;
	other.title = "hello"; /* the same folded title is the same filter */
	CHECK_INT(timeline_query(&other, "note", &q, &title_key, sort, digest, &details), ERR_NONE);
	free(title_key);
	other.contact_id = 6;
	CHECK_INT(timeline_query(&other, "note", &q, &title_key, sort, digest, &details),
		  ERR_VALIDATION_FAILED);
	free(title_key);
	other = in;
	CHECK_INT(timeline_query(&other, "interaction", &q, &title_key, sort, digest, &details),
		  ERR_VALIDATION_FAILED);
	free(title_key);
	CHECK_INT(json_array_size(details), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(details, 0), "reason")),
		  "mismatch");
	json_decref(details);
	details = NULL;

	other = in;
	other.cursor = "not a cursor";
	CHECK_INT(timeline_query(&other, "note", &q, &title_key, sort, digest, &details),
		  ERR_VALIDATION_FAILED);
	free(title_key);
	CHECK_STR(json_string_value(json_object_get(json_array_get(details, 0), "reason")),
		  "invalid_format");
	json_decref(details);
	details = NULL;
	timeline_cursor_check("not a cursor", &details);
	CHECK_INT(json_array_size(details), 1);
	json_decref(details);
	details = NULL;
	timeline_cursor_check(c, &details); /* decodable: no verdict without valid filters */
	CHECK(details == NULL);
	free(c);
}

TEST(type_filters_in_any_order_share_a_cursor_and_the_feed_has_its_own)
{
	struct timeline_list_in in = base_in();
	in.sort = SORT_OCCURRED_AT;
	in.types[0] = "call";
	in.types[1] = "email";
	in.ntypes = 2;
	char *c = next_cursor(&in, "interaction", NOW, 3);
	struct timeline_list_in swapped = in;
	swapped.types[0] = "email";
	swapped.types[1] = "call";
	swapped.cursor = c;
	struct list_query q;
	char *title_key, sort[24], digest[17];
	json_t *details = NULL;
	CHECK_INT(timeline_query(&swapped, "interaction", &q, &title_key, sort, digest, &details),
		  ERR_NONE);
	free(title_key);
	CHECK_INT(q.ntypes, 2);
	CHECK_STR(sort, "-occurredAt");

	struct timeline_list_in feed = base_in();
	feed.has_since = true;
	feed.since = NOW - 1000;
	feed.cursor = c;
	CHECK_INT(timeline_query(&feed, "interaction", &q, &title_key, sort, digest, &details),
		  ERR_VALIDATION_FAILED);
	free(title_key);
	json_decref(details);
	details = NULL;
	feed.cursor = NULL;
	CHECK_INT(timeline_query(&feed, "interaction", &q, &title_key, sort, digest, &details),
		  ERR_NONE);
	free(title_key);
	CHECK(q.feed && !q.desc && q.sort == SORT_UPDATED_AT && q.since == NOW - 1000);
	CHECK_STR(sort, "feed:updatedAt");
	free(c);
}

TEST(pages_carry_total_only_when_asked)
{
	struct timeline_list_in in = base_in();
	json_t *p = timeline_page(&in, "-createdAt", "0123456789abcdef", false, 0, 0, 9);
	char *s = dump(p);
	CHECK_STR(s, "{\"limit\":25,\"nextCursor\":null,\"hasMore\":false}");
	free(s);
	in.include_total = true;
	in.limit = 2;
	p = timeline_page(&in, "-createdAt", "0123456789abcdef", true, NOW, 8, 9);
	CHECK(json_is_string(json_object_get(p, "nextCursor")));
	CHECK(json_is_true(json_object_get(p, "hasMore")));
	CHECK_INT(json_integer_value(json_object_get(p, "total")), 9);
	CHECK_INT(json_integer_value(json_object_get(p, "limit")), 2);
	json_decref(p);
}

int main(void)
{
	return RUN_TESTS();
}
