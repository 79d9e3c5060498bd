/* The HTTP library's ceiling for `make bench`: a minimal libmicrohttpd responder that answers
 * every request with one fixed small JSON body, started with the daemon flags and options of
 * src/http/server.c (internal polling thread pool on epoll, suspend/resume allowed, the same
 * connection limit, timeout and per-connection memory), so that /health's requests/s can be
 * read as a fraction of what libmicrohttpd itself does on this machine. Built and run by
 * bench/run.sh; not part of the service.
 *
 * Usage: mhd_hello <port> <threads>   (listens on 127.0.0.1 until SIGTERM or SIGINT) */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
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
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG,
	    0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_THREAD_POOL_SIZE, threads > 0 ? threads : 1u, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "mhd_hello: cannot start the daemon on port %s\n", argv[1]);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	MHD_destroy_response(reply);
	return 0;
}
