/* Destructors of the notes and interactions row types (see types_notes.h). */
#include "store/types_notes.h"

#include <stdlib.h>
#include <string.h>

void note_row_free(struct note_row *n)
{
	if (!n)
		return;
	free(n->title);
	free(n->content);
	memset(n, 0, sizeof *n);
}

void note_rows_free(struct note_row *rows, int n)
{
	for (int i = 0; rows && i < n; i++)
		note_row_free(&rows[i]);
	free(rows);
}

void interaction_row_free(struct interaction_row *r)
{
	if (!r)
		return;
	free(r->type);
	free(r->notes);
	memset(r, 0, sizeof *r);
}

void interaction_rows_free(struct interaction_row *rows, int n)
{
	for (int i = 0; rows && i < n; i++)
		interaction_row_free(&rows[i]);
	free(rows);
}
