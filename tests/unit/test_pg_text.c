/* Reading PostgreSQL's text form of integers (pg_text_i64), against strtoll on the same text. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/pg/pgs.h"
#include "test.h"

TEST(integers_read_as_strtoll_reads_them)
{
	const char *const texts[] = {"0",
				     "-0",
				     "7",
				     "-7",
				     "1002",
				     "100001",
				     "1765152000000",
				     "-62135596800000",
				     "9223372036854775807",
				     "-9223372036854775808",
				     "42.5",
				     "12 ",
				     ""};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (pg_text_i64(texts[i]) != strtoll(texts[i], NULL, 10)) {
			fprintf(stderr, "  %s\n", texts[i]);
			CHECK(false);
		}
	}
	char buf[32];
	for (long long v = -2000000; v <= 2000000; v += 997) {
		snprintf(buf, sizeof buf, "%lld", v * 1000003);
		CHECK(pg_text_i64(buf) == v * 1000003);
	}
	CHECK(pg_text_i64("-9223372036854775808") == LLONG_MIN);
}

int main(void)
{
	return RUN_TESTS();
}
