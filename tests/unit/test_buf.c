/* The growable buffer: appends and decimal integers (fmt_i64 writes what printf's %lld does). */
#include <limits.h>
#include <stdio.h>

#include "test.h"
#include "util/buf.h"

TEST(integers_as_printf_writes_them)
{
	const long long v[] = {
	    0,	       1,	  -1,		9, 10, 42, -42, 1000000007, -999999999999LL,
	    LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char want[32], got[FMT_I64_MAX];
		int n = snprintf(want, sizeof want, "%lld", v[i]);
		CHECK_INT(fmt_i64(got, v[i]), n);
		CHECK_STR(got, want);
	}
}

TEST(appends_stay_terminated)
{
	struct buf b = {0};
	buf_puts(&b, "id=");
	buf_put_i64(&b, -17);
	buf_putc(&b, ';');
	for (int i = 0; i < 1000; i++) /* past several growths */
		buf_put_i64(&b, i % 10);
	CHECK_INT(b.len, 4 + 3 + 1000);
	CHECK(strncmp(b.data, "id=-17;0123456789", 17) == 0);
	CHECK_INT(b.data[b.len], '\0');
	char *s = buf_steal(&b);
	CHECK(b.data == NULL && b.len == 0);
	free(s);
}

int main(void)
{
	return RUN_TESTS();
}
