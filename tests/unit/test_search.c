/* Search words (SPEC §9.2): folding, splitting, phone suffixes, cutting to 64 code points. */
#include <stdbool.h>
#include <stdlib.h>

#include "domain/search.h"
#include "test.h"

static bool has(const struct word_set *w, const char *word)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->words[i], word) == 0)
			return true;
	return false;
}

TEST(email_splits_into_words)
{
	struct word_set w = {0};
	search_add_text(&w, "Ann@Example.com");
	CHECK(has(&w, "ann") && has(&w, "example") && has(&w, "com"));
	CHECK_INT(w.n, 3);
	word_set_free(&w);
}

TEST(folding_removes_case_and_accents)
{
	struct word_set w = {0};
	search_add_text(&w, "  José ÅSTRÖM straße ");
	CHECK(has(&w, "jose"));
	CHECK(has(&w, "astrom"));
	CHECK(has(&w, "strasse")); /* full case folding: ß → ss */
	word_set_free(&w);
}

TEST(phone_digits_and_suffixes)
{
	struct word_set w = {0};
	search_add_phone(&w, "+1 (415) 555-2671");
	CHECK(has(&w, "14155552671"));
	CHECK(has(&w, "4155552671"));
	CHECK(has(&w, "671"));
	CHECK(!has(&w, "71"));
	CHECK_INT(w.n, 9);
	word_set_free(&w);
}

TEST(words_are_cut_and_distinct)
{
	struct word_set w = {0};
	char longw[200];
	memset(longw, 'a', 150);
	longw[150] = '\0';
	search_add_text(&w, longw);
	search_add_text(&w, "x x x");
	CHECK_INT(w.n, 2);
	CHECK_INT(strlen(w.words[0]), 64);
	word_set_free(&w);
}

TEST(query_terms)
{
	struct word_set t = {0};
	CHECK_INT(search_query_terms("Ann, Lee!", &t), 2);
	word_set_free(&t);
	CHECK_INT(search_query_terms("  --- ", &t), 0);
	word_set_free(&t);
}

int main(void)
{
	return RUN_TESTS();
}
