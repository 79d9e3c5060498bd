/* Destructors of the export row types (see export_types.h). */
#include "store/export_types.h"

#include <stdlib.h>

void security_event_rows_free(struct security_event_row *rows, int n)
{
	for (int i = 0; rows && i < n; i++) {
		free(rows[i].event);
		free(rows[i].ip);
	}
	free(rows);
}
