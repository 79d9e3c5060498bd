/* The HTTP library's ceiling for `make bench`: a minimal libmicrohttpd responder that answers
 * every request with one fixed small JSON body, started with the daemon flags and options of
 * src/http/server.c (internal polling thread pool on epoll, suspend/resume allowed, no
 * listening socket of its own: one thread accepts and hands each connection to the daemon,
 * the same timeout and per-connection memory), so that /health's requests/s can be read as a
 * fraction of what libmicrohttpd itself does on this machine. Built and run by bench/run.sh;
 * not part of the service (nor its connection limit: the bench opens 64).
 *
 * Usage: mhd_hello <port> <threads>   (listens on 127.0.0.1 until SIGTERM or SIGINT) */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY "{\"data\":{\"status\":\"ok\"}}"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One shared response, created before the daemon starts and never changed: queuing it takes a
 * reference, so the handler allocates nothing. */
static struct MHD_Response *reply;

static enum MHD_Result answer(void *cls, struct MHD_Connection *con, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	/* The first call only marks the request, as src/http/server.c answers after the body
	 * phase: a response queued on the first call makes libmicrohttpd close the connection
	 * (it cannot know the request is complete), which would measure connects, not requests. */
	static int seen;
	if (!*con_cls) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a body, if any, is read and dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(con, MHD_HTTP_OK, reply);
}

static struct MHD_Daemon *daemon_;
static int listen_fd;

/* As src/http/server.c's accept_loop: every connection handed to the daemon, which spreads
 * them over its polling threads by descriptor number. */
static void *accept_loop(void *arg)
{
	(void)arg;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd =
		    accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			MHD_add_connection(daemon_, fd, (struct sockaddr *)&ss, sl);
		else if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
			return NULL; /* the socket was shut down */
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s <port> <threads>\n", argv[0]);
		return 64;
	}
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons((uint16_t)atoi(argv[1]))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	unsigned threads = (unsigned)atoi(argv[2]);
	reply = MHD_create_response_from_buffer(strlen(BODY), (void *)BODY, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(reply, "Content-Type", "application/json");
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    listen(listen_fd, 1024) != 0) {
		fprintf(stderr, "mhd_hello: cannot listen on port %s\n", argv[1]);
		return 1;
	}
	daemon_ = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, answer, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads > 0 ? threads : 1u,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(64 * 1024), MHD_OPTION_END);
	pthread_t acceptor;
	if (!daemon_ || pthread_create(&acceptor, NULL, accept_loop, NULL) != 0) {
		fprintf(stderr, "mhd_hello: cannot start the daemon on port %s\n", argv[1]);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	shutdown(listen_fd, SHUT_RDWR);
	pthread_join(acceptor, NULL);
	close(listen_fd);
	MHD_stop_daemon(daemon_);
	MHD_destroy_response(reply);
	return 0;
}
