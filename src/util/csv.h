/* CSV cells and records as the export writes them (SPEC §9.6): RFC 4180 quoting with inner
 * quotes doubled, line breaks kept inside quotes, null as an empty unquoted field, integers
 * unquoted, formula neutralisation (a leading ', for text starting with = + - @ TAB or CR),
 * CRLF after every record. */
#ifndef CRM_UTIL_CSV_H
#define CRM_UTIL_CSV_H

#include <stdbool.h>

#include "util/buf.h"

/* Appends one text cell (NULL = empty unquoted field), preceded by ',' unless first. */
void csv_text(struct buf *out, const char *text, bool first);
/* Appends an unquoted integer cell. */
void csv_int(struct buf *out, long long v, bool first);
/* Ends the record with CRLF. */
void csv_end(struct buf *out);

#endif
