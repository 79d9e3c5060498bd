/* Row types that only the exports read (SPEC §8 /me/export): a security event as the export
 * shows it. Strings are owned by the row and freed by its *_free function; timestamps are Unix
 * milliseconds. */
#ifndef CRM_STORE_EXPORT_TYPES_H
#define CRM_STORE_EXPORT_TYPES_H

/* One audit_log row of the user, reduced to what the export may show: never its details,
 * user agent or request id. */
struct security_event_row {
	long long id, created_at;
	char *event;
	char *ip; /* NULL when none was recorded */
};
/* Frees rows[0..n) and the array itself. */
void security_event_rows_free(struct security_event_row *rows, int n);

#endif
