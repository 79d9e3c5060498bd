/* libFuzzer target: the CSV cell writer (src/util/csv.c). The input is split at NUL bytes into
 * cells; the record written must parse back (RFC 4180, as a spreadsheet reads it) into the same
 * cells, with a leading ' only where formula neutralisation adds one. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses one quoted cell at *p into out (without the quotes); aborts on a malformed cell. */
static void parse_cell(const char **p, struct buf *out)
{
	if (**p != '"')
		abort();
	(*p)++;
	for (;;) {
		if (**p == '\0')
			abort();
		if (**p == '"') {
			if ((*p)[1] == '"') {
				buf_putc(out, '"');
				*p += 2;
				continue;
			}
			(*p)++;
			return;
		}
		buf_putc(out, **p);
		(*p)++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct buf rec = {0};
	const char *cells[64];
	int n = 0;
	for (char *c = text; n < 64; n++) {
		cells[n] = c;
		size_t len = strlen(c);
		csv_text(&rec, c, n == 0);
		if (c + len >= text + size)
			break;
		c += len + 1;
	}
	if (n < 64)
		n++;
	csv_end(&rec);
	const char *p = rec.data;
	for (int i = 0; i < n; i++) {
		if (i > 0 && *p++ != ',')
			abort();
		struct buf cell = {0};
		parse_cell(&p, &cell);
		const char *got = cell.data ? cell.data : "";
		char c0 = cells[i][0];
		bool neutral = c0 == '=' || c0 == '+' || c0 == '-' || c0 == '@' || c0 == '\t' || c0 == '\r';
		if (neutral ? (got[0] != '\'' || strcmp(got + 1, cells[i]) != 0)
			    : strcmp(got, cells[i]) != 0)
			abort();
		buf_free(&cell);
	}
	if (strcmp(p, "\r\n") != 0)
		abort();
	buf_free(&rec);
	free(text);
	return 0;
}
