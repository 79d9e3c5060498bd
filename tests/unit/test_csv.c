/* CSV cells: quoting, doubling, nulls, formula neutralisation, CRLF. */
#include <stdlib.h>

#include "test.h"
#include "util/csv.h"

TEST(record)
{
	struct buf b = {0};
	csv_int(&b, 42, true);
	csv_text(&b, "Ann \"Annie\" Lee", false);
	csv_text(&b, NULL, false);
	csv_text(&b, "line1\nline2", false);
	csv_text(&b, "", false);
	csv_end(&b);
	CHECK_STR(b.data, "42,\"Ann \"\"Annie\"\" Lee\",,\"line1\nline2\",\"\"\r\n");
	buf_free(&b);
}

TEST(formulas_are_neutralised)
{
	const char *in[] = {"=1+1", "+1 415-555", "-5", "@SUM(A1)", "\tx", "\rx", "a=b"};
	const char *want[] = {"\"'=1+1\"", "\"'+1 415-555\"", "\"'-5\"", "\"'@SUM(A1)\"",
			      "\"'\tx\"", "\"'\rx\"", "\"a=b\""};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		struct buf b = {0};
		csv_text(&b, in[i], true);
		CHECK_STR(b.data, want[i]);
		buf_free(&b);
	}
}

int main(void)
{
	return RUN_TESTS();
}
