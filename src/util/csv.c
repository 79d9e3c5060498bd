/* CSV cells (see csv.h). */
#include "util/csv.h"

void csv_text(struct buf *out, const char *text, bool first)
{
	if (!first)
		buf_putc(out, ',');
	if (!text)
		return;
	buf_putc(out, '"');
	/* Spreadsheets run cells starting with these as formulas: neutralise them. */
	char c0 = text[0];
	if (c0 == '=' || c0 == '+' || c0 == '-' || c0 == '@' || c0 == '\t' || c0 == '\r')
		buf_putc(out, '\'');
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			buf_putc(out, '"');
		buf_putc(out, *p);
	}
	buf_putc(out, '"');
}

void csv_int(struct buf *out, long long v, bool first)
{
	if (!first)
		buf_putc(out, ',');
	buf_put_i64(out, v);
}

void csv_end(struct buf *out)
{
	buf_puts(out, "\r\n");
}
