/* Releasing the insights row types (see types_insights.h). */
#include "store/types_insights.h"

#include <stdlib.h>

void insight_contact_rows_free(struct insight_contact_row *rows, int n)
{
	for (int i = 0; rows && i < n; i++) {
		free(rows[i].first_name);
		free(rows[i].last_name);
		free(rows[i].email);
		free(rows[i].phone);
		free(rows[i].company);
		free(rows[i].job_role);
	}
	free(rows);
}

void insight_type_counts_free(struct insight_type_count *rows, int n)
{
	for (int i = 0; rows && i < n; i++)
		free(rows[i].type);
	free(rows);
}

void insight_tag_rows_free(struct insight_tag_row *rows, int n)
{
	for (int i = 0; rows && i < n; i++)
		free(rows[i].name);
	free(rows);
}
