/* Contact search (SPEC §9.2): the search words of a contact and the terms of a query, computed
 * by the service identically for both stores, and the refresh of a contact's search_terms rows
 * whenever the texts they come from change (contact fields or the contact's notes). */
#ifndef CRM_DOMAIN_SEARCH_H
#define CRM_DOMAIN_SEARCH_H

#include <stddef.h>

struct actx;
struct db;

#define SEARCH_WORD_MAX_CPS 64
#define SEARCH_MAX_TERMS 10

/* A growing set of distinct words (folded, cut to 64 code points). */
struct word_set {
	char **words;
	size_t n, cap;
};
void word_set_free(struct word_set *w);

/* Adds the words of text (folded, split at every character that is not a letter or digit,
 * Unicode categories L and N) to w. NULL text adds nothing. */
void search_add_text(struct word_set *w, const char *text);
/* Adds a phone's digit string and every suffix of it with 3 or more digits. */
void search_add_phone(struct word_set *w, const char *phone);

/* Splits a query into its terms (same folding and splitting; cut to 64 code points).
 * Returns the number of terms (0: the query is ignored). */
size_t search_query_terms(const char *q, struct word_set *terms);

/* Rewrites the search_terms rows of one contact from its current fields and notes, inside the
 * caller's write transaction. Returns >= 0 or a store status. */
int contact_search_refresh(struct actx *a, struct db *db, long long contact_id);

#endif
