/* Connection deadlines (src/http/conn_watch.c): a socket past its deadline is shut down by the
 * sweeper, one with no deadline or a later one is left alone, and moving a deadline works. */
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/conn_watch.h"
#include "log/log.h"
#include "test.h"

/* Whether the peer of sv[0] sees the end of the stream within ms. */
static bool ended_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return false;
	char c;
	return read(fd, &c, 1) == 0;
}

TEST(missed_deadlines_are_shut_down_others_are_not)
{
	struct conn_watcher *w = conn_watcher_start();
	CHECK(w != NULL);
	int late[2], none[2], later[2], moved[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, late) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, none) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, later) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, moved) == 0);
	long long now = conn_watch_now();
	struct conn_watch *a = conn_watch_add(w, late[0], now - 1);
	struct conn_watch *b = conn_watch_add(w, none[0], 0);
	struct conn_watch *c = conn_watch_add(w, later[0], now + 60000);
	struct conn_watch *d = conn_watch_add(w, moved[0], now + 60000);
	conn_watch_set(d, now + 500);
	CHECK(ended_within(late[1], 3000));
	CHECK(ended_within(moved[1], 3000));
	CHECK(!ended_within(none[1], 1200));
	CHECK(!ended_within(later[1], 10));
	conn_watch_remove(w, a);
	conn_watch_remove(w, b);
	conn_watch_remove(w, c);
	/* d stays registered: stopping frees it. */
	conn_watcher_stop(w);
	int fds[] = {late[0], late[1], none[0], none[1], later[0], later[1], moved[0], moved[1]};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		close(fds[i]);
}

TEST(a_missing_watcher_is_harmless)
{
	CHECK(conn_watch_add(NULL, 3, 1) == NULL);
	conn_watch_remove(NULL, NULL);
	conn_watch_set(NULL, 5);
	conn_watcher_stop(NULL);
}

int main(void)
{
	log_init(0, LOG_ERROR);
	return RUN_TESTS();
}
