/* Destructors of the contact-side row types shared by both stores (see contact_types.h). */
#include "store/contact_types.h"

#include <stdlib.h>
#include <string.h>

void contact_row_free(struct contact_row *c)
{
	if (!c)
		return;
	if (c->strings) {
		free(c->strings);
		memset(c, 0, sizeof *c);
		return;
	}
	free(c->first_name);
	free(c->last_name);
	free(c->email);
	free(c->phone);
	free(c->address);
	free(c->company);
	free(c->job_role);
	free(c->first_name_key);
	free(c->last_name_key);
	free(c->custom_fields);
	memset(c, 0, sizeof *c);
}

void contact_rows_free(struct contact_row *rows, int n)
{
	if (!rows)
		return;
	for (int i = 0; i < n; i++)
		contact_row_free(&rows[i]);
	free(rows);
}

void tag_refs_free(struct tag_ref *rows, int n)
{
	if (!rows)
		return;
	for (int i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].name_key);
	}
	free(rows);
}

void tag_row_free(struct tag_row *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->name_key);
	memset(t, 0, sizeof *t);
}

void tag_rows_free(struct tag_row *rows, int n)
{
	if (!rows)
		return;
	for (int i = 0; i < n; i++)
		tag_row_free(&rows[i]);
	free(rows);
}

void relationship_row_free(struct relationship_row *r)
{
	if (!r)
		return;
	free(r->type);
	free(r->label);
	free(r->related_first_name);
	free(r->related_last_name);
	memset(r, 0, sizeof *r);
}

void relationship_rows_free(struct relationship_row *rows, int n)
{
	if (!rows)
		return;
	for (int i = 0; i < n; i++)
		relationship_row_free(&rows[i]);
	free(rows);
}

void contact_read_free(struct contact_read *r)
{
	if (!r)
		return;
	contact_row_free(&r->row);
	tag_refs_free(r->tags, r->ntags);
	free(r);
}
