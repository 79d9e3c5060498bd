/* The two forms of a Note and an Interaction (domain/notes.c, domain/interactions.c, from their
 * key lists through util/json_row.c): the text a page or an export writes and the jansson tree
 * the other routes dump are the same bytes, live rows, change-feed rows and tombstones alike. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/notes_internal.h"
#include "test.h"
#include "util/json.h"

/* The rows hold char *; these tests only read them. */
#define T(lit) ((char *)(lit))

/* The dumped tree, as a list shows it: in the feed a live row gains "deleted": false. */
static char *tree_text(json_t *o, bool deleted, bool feed)
{
	if (feed && !deleted)
		json_object_set_new(o, "deleted", json_false());
	struct buf b = {0};
	json_put_compact(&b, o);
	json_decref(o);
	return buf_steal(&b);
}

static char *note_text(const struct note_row *n, bool feed)
{
	struct buf b = {0};
	note_put_json(&b, n, feed);
	return buf_steal(&b);
}

static char *interaction_text(const struct interaction_row *r, bool feed)
{
	struct buf b = {0};
	interaction_put_json(&b, r, feed);
	return buf_steal(&b);
}

/* The two forms are the same bytes (both freed). */
static void check_forms(char *tree, char *text)
{
	CHECK_STR(text, tree);
	free(tree);
	free(text);
}

/* Both forms of n, outside and inside the feed. */
static void check_note(const struct note_row *n)
{
	for (int feed = 0; feed < 2; feed++)
		check_forms(tree_text(note_to_json(n), n->deleted, feed), note_text(n, feed));
}

static void check_interaction(const struct interaction_row *r)
{
	for (int feed = 0; feed < 2; feed++)
		check_forms(tree_text(interaction_to_json(r), r->deleted, feed),
			    interaction_text(r, feed));
}

TEST(a_note_holds_each_column_in_its_member)
{
	struct note_row n = {.id = 5,
			     .contact_id = 6,
			     .title = T("Title"),
			     .content = T("Body"),
			     .created_at = 1000,
			     .updated_at = 2000};
	check_note(&n);
	char *text = note_text(&n, false);
	CHECK_STR(text, "{\"id\":5,\"contactId\":6,\"title\":\"Title\",\"content\":\"Body\","
			"\"createdAt\":\"1970-01-01T00:00:01.000Z\","
			"\"updatedAt\":\"1970-01-01T00:00:02.000Z\"}");
	free(text);
	text = note_text(&n, true);
	CHECK(strstr(text, "\"updatedAt\":\"1970-01-01T00:00:02.000Z\",\"deleted\":false}") !=
	      NULL);
	free(text);
}

TEST(a_note_with_missing_or_awkward_text)
{
	struct note_row n = {.id = 9007199254740993LL,
			     .contact_id = 1,
			     .created_at = 0,
			     .updated_at = 253402300799999LL};
	check_note(&n); /* NULL title and content are "" */
	char *text = note_text(&n, false);
	CHECK(strstr(text, "\"title\":\"\",\"content\":\"\"") != NULL);
	CHECK(strstr(text, "\"createdAt\":\"1970-01-01T00:00:00.000Z\"") != NULL);
	free(text);
	n.title = T("\"quoted\" \\ back\x01\x1f\x7f \xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8");
	n.content = T("line\nline\r\n\ttab");
	check_note(&n);
	n.title = T("bad \xc0\xaf utf-8"); /* overlong: not UTF-8, null in both forms */
	n.content = T("\xed\xa0\x80");	   /* a surrogate */
	check_note(&n);
	text = note_text(&n, false);
	CHECK(strstr(text, "\"title\":null,\"content\":null") != NULL);
	free(text);
}

TEST(a_deleted_note_is_its_tombstone)
{
	struct note_row n = {
	    .id = 12, .contact_id = 3, .title = T("gone"), .updated_at = 5000, .deleted = true};
	check_note(&n);
	char *text = note_text(&n, true);
	CHECK_STR(text, "{\"id\":12,\"deleted\":true,\"updatedAt\":\"1970-01-01T00:00:05.000Z\"}");
	free(text);
}

TEST(an_interaction_holds_each_column_in_its_member)
{
	struct interaction_row r = {.id = 21,
				    .contact_id = 22,
				    .type = T("call"),
				    .occurred_at = 1000,
				    .notes = T("N"),
				    .has_duration = true,
				    .duration_minutes = 45,
				    .created_at = 2000,
				    .updated_at = 3000};
	check_interaction(&r);
	char *text = interaction_text(&r, false);
	CHECK_STR(text, "{\"id\":21,\"contactId\":22,\"type\":\"call\","
			"\"occurredAt\":\"1970-01-01T00:00:01.000Z\",\"notes\":\"N\","
			"\"durationMinutes\":45,\"createdAt\":\"1970-01-01T00:00:02.000Z\","
			"\"updatedAt\":\"1970-01-01T00:00:03.000Z\"}");
	free(text);
}

TEST(an_interaction_without_notes_or_duration)
{
	struct interaction_row r = {.id = 1,
				    .contact_id = 2,
				    .occurred_at = -1,
				    .created_at = 1,
				    .updated_at = 1,
				    .duration_minutes = 30};
	check_interaction(&r); /* NULL type is "", NULL notes and no duration are null */
	char *text = interaction_text(&r, false);
	CHECK(strstr(text, "\"type\":\"\",") != NULL);
	CHECK(strstr(text, "\"notes\":null,\"durationMinutes\":null,") != NULL);
	free(text);
	r.has_duration = true;
	r.duration_minutes = 0;
	r.notes = T("caf\xc3\xa9 \"ok\"\n\x02");
	r.type = T("in person");
	check_interaction(&r);
	r.notes = T("cut \xe2\x82"); /* truncated */
	check_interaction(&r);
	r.deleted = true;
	check_interaction(&r);
	text = interaction_text(&r, true);
	CHECK_STR(text, "{\"id\":1,\"deleted\":true,\"updatedAt\":\"1970-01-01T00:00:00.001Z\"}");
	free(text);
}

int main(void)
{
	RUN_TESTS();
}
