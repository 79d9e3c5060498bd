/* Search words and query terms (see search.h): folding through utf8proc, then splitting at
 * every code point that is not a letter or a digit (general categories L* and N*). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "domain/search.h"
#include "util/alloc.h"
#include "util/fold.h"

void word_set_free(struct word_set *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->words[i]);
	free(w->words);
	memset(w, 0, sizeof *w);
}

static void add_word(struct word_set *w, const char *s, size_t len)
{
	for (size_t i = 0; i < w->n; i++)
		if (strlen(w->words[i]) == len && memcmp(w->words[i], s, len) == 0)
			return;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->words = xrealloc(w->words, w->cap * sizeof *w->words);
	}
	w->words[w->n++] = xstrndup(s, len);
}

static bool is_word_char(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL ||
	       c == UTF8PROC_CATEGORY_LT || c == UTF8PROC_CATEGORY_LM ||
	       c == UTF8PROC_CATEGORY_LO || c == UTF8PROC_CATEGORY_ND ||
	       c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* Splits folded text into words, each cut to SEARCH_WORD_MAX_CPS code points. */
static void split_into(struct word_set *w, const char *folded)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)folded;
	size_t len = strlen(folded), i = 0;
	size_t start = 0, cut = 0, cps = 0;
	bool in_word = false;
	while (i <= len) {
		utf8proc_int32_t cp = 0;
		utf8proc_ssize_t n = 1;
		if (i < len) {
			n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
			if (n <= 0) {
				n = 1;
				cp = ' ';
			}
		}
		bool word = i < len && is_word_char(cp);
		if (word) {
			if (!in_word) {
				in_word = true;
				start = i;
				cps = 0;
			}
			if (cps < SEARCH_WORD_MAX_CPS) {
				cps++;
				cut = i + (size_t)n;
			}
		} else if (in_word) {
			add_word(w, folded + start, cut - start);
			in_word = false;
		}
		i += (size_t)n;
	}
}

void search_add_text(struct word_set *w, const char *text)
{
	if (!text || !*text)
		return;
	char *f = fold(text);
	split_into(w, f);
	free(f);
}

void search_add_phone(struct word_set *w, const char *phone)
{
	if (!phone)
		return;
	char digits[64];
	size_t n = 0;
	for (const char *p = phone; *p && n < sizeof digits - 1; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	digits[n] = '\0';
	for (size_t i = 0; n >= 3 && i + 3 <= n; i++)
		add_word(w, digits + i, n - i);
}

size_t search_query_terms(const char *q, struct word_set *terms)
{
	search_add_text(terms, q);
	return terms->n;
}
