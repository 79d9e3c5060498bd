/* The refresh of a contact's search index (SPEC §9.2, declared in search.h): its search words
 * are recomputed from the contact's names, email, company, job role and phone, and from the
 * title and content of each of its notes, and replace its search_terms rows in the caller's
 * write transaction, so a write is searchable as soon as it is acknowledged. */
#include "domain/search.h"

#include "app.h"
#include "domain/accounts.h"
#include "store/store.h"

static void add_note_text(void *ctx, const char *text)
{
	search_add_text(ctx, text);
}

int contact_search_refresh(struct actx *a, struct db *db, long long contact_id)
{
	const struct store_ops *ops = a->app->store->ops;
	struct contact_row c = {0};
	int rc = ops->contacts_select(db, a->user_id, contact_id, &c);
	if (rc <= 0)
		return rc; /* a deleted contact's rows went with it */
	struct word_set w = {0};
	search_add_text(&w, c.first_name);
	search_add_text(&w, c.last_name);
	search_add_text(&w, c.email);
	search_add_text(&w, c.company);
	search_add_text(&w, c.job_role);
	search_add_phone(&w, c.phone);
	contact_row_free(&c);
	rc = ops->search_note_texts(db, a->user_id, contact_id, add_note_text, &w);
	if (rc >= 0)
		rc = ops->search_terms_replace(db, a->user_id, contact_id,
					       (const char *const *)w.words, (int)w.n);
	word_set_free(&w);
	return rc;
}
