/* The rate limiter (src/limiter): sliding-log arithmetic and the header numbers, multi-bucket
 * atomicity, the local log's LRU bound, the circuit breaker against an unreachable Redis, and
 * TRUST_PROXY / X-Forwarded-For resolution (src/http/client_addr.c). A fake clock drives time. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/client_addr.h"
#include "limiter/limiter.h"
#include "limiter/limiter_internal.h"
#include "log/log.h"
#include "test.h"

static long long fake_now;

static long long fake_clock(void *arg)
{
	return fake_now;
}

static struct limiter *local_limiter(size_t keys, int shards)
{
	struct limiter *l = limiter_new_custom(keys, shards, NULL, 0, NULL);
	fake_now = 1000000;
	limiter_set_clock(l, fake_clock, NULL);
	return l;
}

static bool one(struct limiter *l, const char *key, long max, long window, struct rl_result *r)
{
	struct rl_check c = {"general", key, max, window};
	return limiter_check(l, &c, 1, r);
}

TEST(admits_max_then_rejects_with_headers)
{
	struct limiter *l = local_limiter(1000, 4);
	struct rl_result r;
	CHECK(one(l, "ip:1.2.3.4", 3, 60, &r));
	CHECK_INT(r.limit, 3);
	CHECK_INT(r.remaining, 2);
	CHECK_INT(r.reset, 60); /* the window held only this request */
	CHECK_STR(r.bucket, "general");
	fake_now += 10500;
	CHECK(one(l, "ip:1.2.3.4", 3, 60, &r));
	CHECK_INT(r.remaining, 1);
	CHECK_INT(r.reset, 50); /* 49.5 s until the first leaves, rounded up */
	CHECK(one(l, "ip:1.2.3.4", 3, 60, &r));
	CHECK_INT(r.remaining, 0);
	CHECK(!one(l, "ip:1.2.3.4", 3, 60, &r));
	CHECK(!r.allowed);
	CHECK_INT(r.remaining, 0);
	CHECK_INT(r.reset, 50);
	CHECK_INT(r.retry_after, 50);
	/* Rejections are not recorded: once the first leaves, exactly one more fits. */
	fake_now += 49500;
	CHECK(one(l, "ip:1.2.3.4", 3, 60, &r));
	CHECK_INT(r.remaining, 0);
	CHECK(!one(l, "ip:1.2.3.4", 3, 60, &r));
	/* Another key has its own log. */
	CHECK(one(l, "ip:5.6.7.8", 3, 60, &r));
	CHECK_INT(r.remaining, 2);
	limiter_free(l);
}

TEST(an_entry_leaves_exactly_one_window_later)
{
	struct limiter *l = local_limiter(1000, 1);
	struct rl_result r;
	CHECK(one(l, "k", 1, 10, &r));
	fake_now += 9999;
	CHECK(!one(l, "k", 1, 10, &r));
	CHECK_INT(r.retry_after, 1); /* 1 ms left still says 1 s */
	fake_now += 1;
	CHECK(one(l, "k", 1, 10, &r)); /* admitted at t counts while t > now − window */
	limiter_free(l);
}

TEST(a_lowered_budget_waits_for_enough_departures)
{
	struct limiter *l = local_limiter(1000, 1);
	struct rl_result r;
	for (int i = 0; i < 5; i++) {
		CHECK(one(l, "k", 10, 100, &r));
		fake_now += 1000;
	}
	/* 5 entries at t0..t0+4 s; with max 2 the 4th oldest (t0+3 s) must leave first. */
	CHECK(!one(l, "k", 2, 100, &r));
	CHECK_INT(r.limit, 2);
	CHECK_INT(r.reset, 98);
	limiter_free(l);
}

TEST(all_buckets_or_none)
{
	struct limiter *l = local_limiter(1000, 8);
	struct rl_result r;
	struct rl_check c[3] = {
		{"general", "ip:9.9.9.9", 100, 900},
		{"register", "ip:9.9.9.9", 10, 900},
		{"register", "email:ann@example.com", 3, 3600},
	};
	for (int i = 0; i < 3; i++) {
		CHECK(limiter_check(l, c, 3, &r));
		CHECK_STR(r.bucket, "register"); /* the email key has fewest remaining */
		CHECK_INT(r.limit, 3);
		CHECK_INT(r.remaining, 2 - i);
		CHECK_INT(r.reset, 3600);
	}
	CHECK(!limiter_check(l, c, 3, &r));
	CHECK_INT(r.limit, 3);
	/* The rejected request was recorded nowhere: general and the address key still hold 3. */
	CHECK(limiter_check(l, c, 2, &r));
	CHECK_STR(r.bucket, "register");
	CHECK_INT(r.limit, 10);
	CHECK_INT(r.remaining, 6);
	struct rl_check g = {"general", "ip:9.9.9.9", 100, 900};
	CHECK(limiter_check(l, &g, 1, &r));
	CHECK_INT(r.remaining, 100 - 4 - 1); /* three, then one of two buckets */
	limiter_free(l);
}

TEST(ties_report_the_later_reset)
{
	struct limiter *l = local_limiter(1000, 2);
	struct rl_result r;
	struct rl_check a = {"a", "x", 5, 10};
	CHECK(limiter_check(l, &a, 1, &r));
	fake_now += 2000;
	struct rl_check both[2] = {{"a", "x", 5, 10}, {"b", "x", 4, 10}};
	CHECK(limiter_check(l, both, 2, &r));
	/* a: 3 left, reset 8 s; b: 3 left, reset 10 s → b (frees later). */
	CHECK_INT(r.remaining, 3);
	CHECK_STR(r.bucket, "b");
	CHECK_INT(r.reset, 10);
	limiter_free(l);
}

TEST(result_math_for_rejections_picks_the_full_bucket_that_frees_last)
{
	struct rl_check c[3] = {{"a", "k", 5, 60}, {"b", "k", 2, 60}, {"c", "k", 3, 600}};
	struct rl_seen s[3] = {{1, 1000}, {2, 5000}, {3, 2000}};
	struct rl_result r;
	rl_result_from(c, s, 3, 10000, false, &r);
	CHECK(!r.allowed);
	CHECK_STR(r.bucket, "c");
	CHECK_INT(r.limit, 3);
	CHECK_INT(r.reset, 592);
	CHECK_INT(r.retry_after, 592);
	/* Admitted with an empty window: the reset is the whole window. */
	struct rl_seen e[1] = {{0, 0}};
	rl_result_from(c, e, 1, 10000, true, &r);
	CHECK_INT(r.remaining, 4);
	CHECK_INT(r.reset, 60);
	CHECK_INT(r.retry_after, 0);
}

TEST(local_log_is_bounded_with_lru_eviction)
{
	struct limiter *l = local_limiter(LIMITER_LOCAL_KEYS, 64);
	struct rl_result r;
	char key[32];
	CHECK(one(l, "first", 1, 900, &r));
	CHECK(one(l, "kept", 1, 900, &r));
	for (int i = 0; i < 2 * LIMITER_LOCAL_KEYS; i++) {
		snprintf(key, sizeof key, "k%d", i);
		CHECK(one(l, key, 1, 900, &r));
		if (i % 1000 == 0)
			CHECK(!one(l, "kept", 1, 900, &r)); /* used often: stays */
	}
	size_t n = limiter_local_keys(l);
	CHECK(n <= LIMITER_LOCAL_KEYS);
	CHECK(n > LIMITER_LOCAL_KEYS - 100);
	/* "first" was used once, long ago: evicted, so it has a fresh budget. */
	CHECK(one(l, "first", 1, 900, &r));
	limiter_free(l);
}

TEST(ring_grows_and_shrinks_with_traffic)
{
	struct limiter *l = local_limiter(100, 1);
	struct rl_result r;
	for (int i = 0; i < 5000; i++)
		CHECK(one(l, "busy", 100000, 10, &r));
	CHECK_INT(r.remaining, 100000 - 5000);
	fake_now += 10000;
	CHECK(one(l, "busy", 100000, 10, &r));
	CHECK_INT(r.remaining, 100000 - 1);
	limiter_free(l);
}

/* A port with nothing listening: connect fails at once. */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&a, sizeof a);
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

TEST(breaker_opens_after_three_failures_and_probes_after_30_s)
{
	char url[64];
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", closed_port());
	struct limiter *l = limiter_new_custom(1000, 4, url, 2, NULL);
	fake_now = 5000000;
	limiter_set_clock(l, fake_clock, NULL);
	struct rl_result r;
	CHECK_STR(limiter_backend(l), "redis");
	/* Failures fall back to the local log: limits hold, nothing is refused for the outage. */
	CHECK(one(l, "ip:1.1.1.1", 2, 60, &r));
	CHECK_INT(r.remaining, 1);
	CHECK_STR(limiter_backend(l), "redis");
	CHECK(one(l, "ip:1.1.1.1", 2, 60, &r));
	CHECK(!one(l, "ip:1.1.1.1", 2, 60, &r)); /* third failure, local log full */
	CHECK_STR(limiter_backend(l), "local");
	fake_now += LIMITER_BREAKER_OPEN_MS - 1;
	CHECK(one(l, "ip:2.2.2.2", 2, 60, &r));
	CHECK_STR(limiter_backend(l), "local");
	fake_now += 1;
	/* Half-open: one probe, which fails, and the breaker opens for another 30 s. */
	CHECK(one(l, "ip:3.3.3.3", 2, 60, &r));
	CHECK_STR(limiter_backend(l), "local");
	fake_now += LIMITER_BREAKER_OPEN_MS;
	CHECK(one(l, "ip:3.3.3.3", 2, 60, &r));
	CHECK(!one(l, "ip:3.3.3.3", 2, 60, &r));
	limiter_free(l);
}

TEST(unparsable_or_tls_redis_urls_run_locally)
{
	struct limiter *l = limiter_new_custom(1000, 4, "rediss://example.com:6380", 2, NULL);
	CHECK_STR(limiter_backend(l), "local");
	struct rl_result r;
	CHECK(one(l, "x", 1, 60, &r));
	limiter_free(l);
}

/* ---- client addresses ---- */

static void sa4(struct sockaddr_storage *ss, const char *ip)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
}

static void sa6(struct sockaddr_storage *ss, const char *ip)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &a->sin6_addr);
}

static const char *resolve(const char *trust, const struct sockaddr_storage *peer, const char *xff)
{
	static char out[80];
	struct trust_list *t = NULL;
	char err[160];
	if (!trust_list_parse(trust, &t, err, sizeof err))
		return "parse error";
	client_addr_resolve(t, (const struct sockaddr *)peer, xff, out, sizeof out);
	trust_list_free(t);
	return out;
}

TEST(ipv4_peer_as_inet_ntop_writes_it)
{
	static const unsigned char cases[][4] = {
	    {0, 0, 0, 0}, {255, 255, 255, 255}, {10, 0, 0, 1}, {192, 168, 100, 9},
	    {1, 22, 203, 99}, {100, 10, 101, 110}, {127, 0, 0, 1}, {9, 99, 199, 250},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		memcpy(&a.sin_addr, cases[i], 4);
		char want[INET_ADDRSTRLEN], got[64];
		inet_ntop(AF_INET, cases[i], want, sizeof want);
		client_addr_format((const struct sockaddr *)&a, got, sizeof got);
		CHECK_STR(got, want);
	}
	for (unsigned v = 0; v < 256; v++) { /* every octet value, in every place */
		unsigned char b[4] = {(unsigned char)v, (unsigned char)(255 - v), (unsigned char)v,
				      (unsigned char)(v * 7)};
		struct sockaddr_in a = {.sin_family = AF_INET};
		memcpy(&a.sin_addr, b, 4);
		char want[INET_ADDRSTRLEN], got[64];
		inet_ntop(AF_INET, b, want, sizeof want);
		client_addr_format((const struct sockaddr *)&a, got, sizeof got);
		CHECK_STR(got, want);
	}
	struct sockaddr_in a = {.sin_family = AF_INET};
	memcpy(&a.sin_addr, cases[2], 4);
	char small[5];
	client_addr_format((const struct sockaddr *)&a, small, sizeof small);
	CHECK_STR(small, "10.0"); /* cut to the buffer, still terminated */
}

TEST(peer_normalisation)
{
	struct sockaddr_storage p;
	sa4(&p, "203.0.113.9");
	CHECK_STR(resolve(NULL, &p, NULL), "203.0.113.9");
	sa6(&p, "::ffff:198.51.100.7");
	CHECK_STR(resolve(NULL, &p, NULL), "198.51.100.7");
	sa6(&p, "2001:db8:1:2:3:4:5:6");
	CHECK_STR(resolve(NULL, &p, NULL), "2001:db8:1:2::/64");
	CHECK_STR(resolve(NULL, NULL, NULL), "unknown");
}

TEST(forwarded_for_is_ignored_unless_the_peer_is_trusted)
{
	struct sockaddr_storage p;
	sa4(&p, "127.0.0.1");
	CHECK_STR(resolve("", &p, "9.9.9.9"), "127.0.0.1");
	CHECK_STR(resolve("false", &p, "9.9.9.9"), "127.0.0.1");
	CHECK_STR(resolve("10.0.0.0/8", &p, "9.9.9.9"), "127.0.0.1");
	CHECK_STR(resolve("127.0.0.1", &p, "9.9.9.9"), "9.9.9.9");
	CHECK_STR(resolve(" 127.0.0.0/8 , ::1 ", &p, "9.9.9.9"), "9.9.9.9");
	sa6(&p, "::ffff:127.0.0.1");
	CHECK_STR(resolve("127.0.0.1", &p, "9.9.9.9"), "9.9.9.9");
}

TEST(forwarded_for_is_walked_from_the_right)
{
	struct sockaddr_storage p;
	sa4(&p, "10.0.0.2");
	const char *trust = "10.0.0.0/8,192.168.1.1";
	/* A spoofed left part is never reached. */
	CHECK_STR(resolve(trust, &p, "1.1.1.1, 2.2.2.2, 192.168.1.1, 10.0.0.5"), "2.2.2.2");
	CHECK_STR(resolve(trust, &p, "2.2.2.2:5555"), "2.2.2.2");
	CHECK_STR(resolve(trust, &p, "[2001:db8::1]:443"), "2001:db8::/64");
	CHECK_STR(resolve(trust, &p, "2001:db8:aa:bb::1"), "2001:db8:aa:bb::/64");
	CHECK_STR(resolve(trust, &p, "::ffff:5.5.5.5"), "5.5.5.5");
	/* Every hop trusted: the leftmost. Junk: the hop that reported it. Empty items skipped. */
	CHECK_STR(resolve(trust, &p, "10.1.1.1, 10.2.2.2"), "10.1.1.1");
	CHECK_STR(resolve(trust, &p, "junk, 10.3.3.3"), "10.3.3.3");
	CHECK_STR(resolve(trust, &p, "junk"), "10.0.0.2");
	CHECK_STR(resolve(trust, &p, "3.3.3.3,, ,"), "3.3.3.3");
	CHECK_STR(resolve(trust, &p, ""), "10.0.0.2");
}

TEST(trust_proxy_parsing)
{
	struct trust_list *t = NULL;
	char err[160];
	CHECK(trust_list_parse("1.2.3.4, 10.0.0.0/8, fd00::/8, ::1, ::ffff:10.0.0.0/104", &t, err,
			       sizeof err));
	CHECK_INT(trust_list_count(t), 5);
	trust_list_free(t);
	const char *bad[] = {"1.2.3", "10.0.0.0/33", "::/129", "10.0.0.0/", "a.b.c.d", "1.2.3.4,,",
			     "1.2.3.4/8x", "true", "localhost"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(!trust_list_parse(bad[i], &t, err, sizeof err));
		CHECK(t == NULL);
		CHECK(strstr(err, "TRUST_PROXY") != NULL);
	}
	struct sockaddr_storage p;
	sa4(&p, "10.200.3.4");
	CHECK_STR(resolve("::ffff:10.0.0.0/104", &p, "7.7.7.7"), "7.7.7.7");
	sa6(&p, "fd12::5");
	CHECK_STR(resolve("fd00::/8", &p, "7.7.7.7"), "7.7.7.7");
	CHECK_STR(resolve("fe00::/8", &p, "7.7.7.7"), "fd12::/64");
}

int main(void)
{
	log_init(0, LOG_ERROR);
	return RUN_TESTS();
}
