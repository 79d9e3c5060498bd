/* libmicrohttpd integration: daemon options, the access handler that feeds the pipeline,
 * suspension for deferred jobs, and completion (access log, metrics, freeing the request).
 * Paths are routed undecoded: the unescape callback is the identity and the router decodes
 * each segment once (SPEC §1.1). */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>

#include "app.h"
#include "config/config.h"
#include "domain/contacts.h"
#include "http/client_addr.h"
#include "http/conn_watch.h"
#include "http/pipeline.h"
#include "http/query.h"
#include "http/router.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "store/contact_types.h"
#include "util/alloc.h"
#include "util/jobs.h"
#include "util/timefmt.h"

struct server {
	struct MHD_Daemon *daemon;
	struct app *app;
	atomic_int in_flight;
	int port;
	int fd;
	bool ipv6;
	pthread_t acceptor; /* accept_loop, while accepting */
	bool accepting;
	atomic_bool quiescing;
	atomic_int open; /* connections accepted and not yet closed (accept_loop) */
	struct trust_list *trust;      /* TRUST_PROXY */
	struct conn_watcher *watcher; /* deadlines against slow clients (conn_watch.h) */
};

/* Room for an 8 KiB target and 32 KiB of headers in 100 lines plus the response head, so the
 * service measures those limits itself and answers 414/431 with its own envelope (SPEC
 * §13.7). No more: libmicrohttpd zeroes the whole of it for every request on a connection. */
#define CONN_MEMORY_LIMIT (64 * 1024)
/* The request head (line and headers) must be complete 30 s after the connection opened or the
 * previous response was sent; a body gets 30 s plus 1 s per 32 KiB declared (SPEC §13.7). */
#define HEAD_DEADLINE_MS 30000
#define BODY_DEADLINE_MS 30000
#define BODY_BYTES_PER_SECOND (32 * 1024)

static struct conn_watch *watch_of(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Registers each connection with the watcher, awaiting its first request head; unregistered
 * here on close, which libmicrohttpd signals before it closes the descriptor. */
static void notify_connection(void *cls, struct MHD_Connection *con, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			*socket_context = conn_watch_add(s->watcher, ci->connect_fd,
							 conn_watch_now() + HEAD_DEADLINE_MS);
		return;
	}
	conn_watch_remove(s->watcher, *socket_context);
	*socket_context = NULL;
	atomic_fetch_sub(&s->open, 1);
}

static size_t unescape_identity(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct server *s = cls;
	struct request *req = xcalloc(1, sizeof *req);
	req->app = s->app;
	req->conn = con;
	req->target = xstrdup(uri ? uri : "/");
	req->content_length = -1;
	req->started = mono_seconds();
	atomic_fetch_add(&s->in_flight, 1);
	metrics_in_flight(s->app->metrics, 1);
	return req;
}

const char *http_header(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct count_ctx {
	const char *name;
	int n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct count_ctx *c = cls;
	if (c->name[0] == '\0' || strcasecmp(c->name, key) == 0)
		c->n++;
	return MHD_YES;
}

int http_header_count(struct request *req, const char *name)
{
	struct count_ctx c = {name, 0};
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_header, &c);
	return c.n;
}

const char *http_cookie(struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

struct framing {
	size_t bytes;
	int count;
	int cl_count;
	const char *first_cl;
	bool cl_differs, te;
};

static enum MHD_Result measure_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct framing *f = cls;
	f->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	f->count++;
	if (strcasecmp(key, "Content-Length") == 0) {
		if (f->cl_count++ && value && f->first_cl && strcmp(value, f->first_cl) != 0)
			f->cl_differs = true;
		if (!f->first_cl)
			f->first_cl = value;
	} else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		f->te = true;
	}
	return MHD_YES;
}

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct buf *b = cls;
	if (value && strcasecmp(key, "X-Forwarded-For") == 0) {
		if (b->len)
			buf_putc(b, ',');
		buf_puts(b, value);
	}
	return MHD_YES;
}

/* The client address of SPEC §4 (see client_addr.h): the normalised peer, or with TRUST_PROXY
 * set, the address its trusted proxies report in X-Forwarded-For (every such header, in
 * order). */
static void client_address(struct server *s, struct request *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	struct buf xff = {0};
	if (trust_list_count(s->trust) > 0)
		MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_xff, &xff);
	client_addr_resolve(s->trust, sa, xff.len ? xff.data : NULL, req->ip, sizeof req->ip);
	buf_free(&xff);
}

static void free_resp_body(void *cls)
{
	free(cls);
}

/* State of a streamed body: what next() produced and how much of it was handed out. */
struct stream_state {
	struct stream st;
	struct buf pending;
	size_t off;
	bool done;
	unsigned long long *sent; /* the request's byte count, for the access log */
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream_state *ss = cls;
	while (ss->off >= ss->pending.len) {
		if (ss->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		buf_free(&ss->pending);
		ss->off = 0;
		int rc = ss->st.next(ss->st.ctx, &ss->pending);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (rc == 0)
			ss->done = true;
	}
	size_t n = ss->pending.len - ss->off;
	if (n > max)
		n = max;
	memcpy(out, ss->pending.data + ss->off, n);
	ss->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream_state *ss = cls;
	if (ss->st.free)
		ss->st.free(ss->st.ctx);
	buf_free(&ss->pending);
	free(ss);
}

static struct MHD_Response *make_response(struct request *req)
{
	struct response *r = &req->resp;
	if (r->stream.next) {
		struct stream_state *ss = xcalloc(1, sizeof *ss);
		ss->st = r->stream;
		memset(&r->stream, 0, sizeof r->stream); /* owned by the response now */
		struct MHD_Response *resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, ss, stream_free);
		if (!resp)
			stream_free(ss);
		return resp;
	}
	size_t len = r->body.len;
	char *body = buf_steal(&r->body);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer_with_free_callback(len, body, free_resp_body);
	if (!resp) {
		free(body);
		return NULL;
	}
	r->body.len = len; /* remembered for the access log */
	return resp;
}

static enum MHD_Result queue(struct MHD_Connection *con, struct request *req)
{
	pipeline_finish_headers(req);
	struct response *r = &req->resp;
	struct MHD_Response *resp = make_response(req);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (size_t i = 0; i < r->nheaders; i++)
		if (!pipeline_fixed_header(r->headers[i].name))
			MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	for (const struct http_fixed_header *h = pipeline_fixed_headers; h->name; h++)
		MHD_add_response_header(resp, h->name, h->value);
	/* While draining (SIGTERM), every answer closes its connection: a proxy holding kept-alive
	 * connections to this node then opens new ones, which are refused (the listening socket is
	 * closed), and sends the next requests to another node before anything was sent here. */
	if (r->close || atomic_load(&req->app->draining))
		MHD_add_response_header(resp, "Connection", "close");
	enum MHD_Result ret = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void run_job(void *arg)
{
	struct request *req = arg;
	req->job(req);
	if (!req->resp.set)
		reply_error(req, ERR_INTERNAL, NULL, NULL);
	req->phase = 3;
	MHD_resume_connection(req->conn);
}

void http_defer(struct request *req, void (*job)(struct request *req))
{
	req->job = job;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *con, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct server *s = cls;
	struct request *req = *con_cls;
	if (!req)
		return MHD_NO;

	if (req->phase == 0) {
		req->phase = 1;
		req->method = http_method_from(method);
		req->method_name = method;
		client_address(s, req);
		struct framing f = {0};
		MHD_get_connection_values(con, MHD_HEADER_KIND, measure_header, &f);
		req->header_bytes = f.bytes;
		req->header_count = f.count;
		req->framing_conflict = (f.te && f.cl_count) || f.cl_differs;
		if (f.first_cl) {
			char *end;
			long long v = strtoll(f.first_cl, &end, 10);
			req->content_length = (*end == '\0' && v >= 0) ? v : -1;
		}
		/* The head is in; now the body, if any, is awaited within its own deadline (a
		 * body past the limit is refused at once, so the limit bounds the allowance). */
		long long declared = req->content_length > 0 ? req->content_length
							     : (f.te ? s->app->cfg->max_body_bytes : 0);
		if (declared > s->app->cfg->max_body_bytes)
			declared = s->app->cfg->max_body_bytes;
		conn_watch_set(watch_of(con), declared > 0 ? conn_watch_now() + BODY_DEADLINE_MS +
								     declared * 1000 / BODY_BYTES_PER_SECOND
							   : 0);
		if (pipeline_head(req))
			return queue(con, req);
		return MHD_YES;
	}

	if (req->phase == 1 && *upload_data_size) {
		long limit = req->route && req->route->body_limit ? req->route->body_limit
								   : s->app->cfg->max_body_bytes;
		if (!req->body_too_large && req->body.len + *upload_data_size <= (size_t)limit)
			buf_append(&req->body, upload_data, *upload_data_size);
		else
			req->body_too_large = true; /* the rest is read and dropped, never buffered */
		req->has_body = true;
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (req->phase == 1) {
		req->phase = 2;
		conn_watch_set(watch_of(con), 0);
		pipeline_body(req);
		if (req->job && !req->resp.set) {
			MHD_suspend_connection(con);
			jobs_submit(s->app->jobs, run_job, req);
			return MHD_YES;
		}
		if (!req->resp.set)
			reply_error(req, ERR_INTERNAL, NULL, NULL);
		return queue(con, req);
	}

	if (req->phase == 3) {
		req->phase = 4;
		return queue(con, req);
	}
	return MHD_YES;
}

static atomic_int lingering;

/* Reads and drops what the client still sends, for up to 2 s or 64 MiB, then closes: the
 * lingering close that lets a client mid-upload read an early answer instead of a reset. */
static void linger_job(void *arg)
{
	int fd = (int)(intptr_t)arg;
	shutdown(fd, SHUT_WR);
	double deadline = mono_seconds() + 2.0;
	size_t total = 0;
	char buf[16384];
	while (total < 64u * 1024 * 1024) {
		double left = deadline - mono_seconds();
		if (left <= 0)
			break;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
	atomic_fetch_sub(&lingering, 1);
}

static void start_linger(struct server *s, struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || atomic_fetch_add(&lingering, 1) >= 16) {
		atomic_fetch_sub(&lingering, ci ? 1 : 0);
		return; /* bounded: beyond 16 at once, close plainly */
	}
	/* A duplicate keeps the socket open after libmicrohttpd closes its descriptor. */
	int fd = fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		atomic_fetch_sub(&lingering, 1);
		return;
	}
	jobs_submit(s->app->jobs, linger_job, (void *)(intptr_t)fd);
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *req = *con_cls;
	if (!req)
		return;
	*con_cls = NULL;
	double secs = mono_seconds() - req->started;
	const char *route = pipeline_route_label(req);
	int status = req->resp.set ? req->resp.status : 0;
	if (req->method_name) {
		struct access_record rec = {
			.request_id = req->request_id,
			.method = req->method_name,
			.route = route,
			.ip = req->ip,
			.user_agent = http_header(req, "User-Agent"),
			.status = status,
			.latency_ms = secs * 1000.0,
			.bytes = req->resp.body.len,
			.user_id = req->user_id,
		};
		log_access(&rec);
		metrics_request(s->app->metrics, route, req->method_name, status, secs);
	}
	metrics_in_flight(s->app->metrics, -1);
	atomic_fetch_sub(&s->in_flight, 1);
	/* On a kept-alive connection the next request head is awaited from now. */
	conn_watch_set(watch_of(con), conn_watch_now() + HEAD_DEADLINE_MS);
	if (req->linger)
		start_linger(s, con);

	if (req->ctx_free)
		req->ctx_free(req->ctx);
	free(req->target);
	free(req->path);
	for (int i = 0; i < req->nsegments; i++)
		free(req->segments[i]);
	free(req->segments);
	query_free(req);
	buf_free(&req->body);
	json_decref(req->json);
	contact_read_free(req->contact_read);
	contacts_page_free(req->contacts_page);
	buf_free(&req->resp.body);
	free(req->resp.content_type);
	for (size_t i = 0; i < req->resp.nheaders; i++) {
		free(req->resp.headers[i].name);
		free(req->resp.headers[i].value);
	}
	free(req->resp.headers);
	if (req->resp.stream.free)
		req->resp.stream.free(req->resp.stream.ctx); /* never handed to a response */
	free(req);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_line(LOG_DEBUG, NULL, "http", "detail", msg, (const char *)NULL);
}

static void server_free(struct server *s)
{
	trust_list_free(s->trust);
	free(s);
}

struct server *http_server_listen(struct app *app)
{
	const struct config *c = app->cfg;
	char err[160];
	struct trust_list *trust = NULL;
	if (!trust_list_parse(c->trust_proxy, &trust, err, sizeof err)) {
		log_msg(LOG_ERROR, "%s", err);
		return NULL;
	}
	struct server *s = xcalloc(1, sizeof *s);
	s->app = app;
	s->fd = -1;
	s->trust = trust;

	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, c->listen_address, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)c->port);
		sl = sizeof *v4;
	} else if (inet_pton(AF_INET6, c->listen_address, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)c->port);
		sl = sizeof *v6;
		s->ipv6 = true;
	} else {
		log_msg(LOG_ERROR, "LISTEN_ADDRESS is not an IP address: %s", c->listen_address);
		server_free(s);
		return NULL;
	}
	/* The socket is bound here, before the daemon starts, so that with PORT=0 the chosen
	 * port is known (and the derived URLs fixed) before the first request arrives. */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		log_msg(LOG_ERROR, "cannot listen on %s:%d: %s", c->listen_address, c->port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		server_free(s);
		return NULL;
	}
	struct sockaddr_storage bound;
	socklen_t bl = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						     : ((struct sockaddr_in *)&bound)->sin_port);
	s->fd = fd;
	return s;
}

/* At most this many connections at once: beyond it, new ones wait in the listening socket's
 * backlog until one closes. */
#define CONNECTION_LIMIT 1024

/* Accepts every connection on this one thread and hands it to the daemon, which places it on
 * a polling thread by its descriptor number (MHD_add_connection), so a burst of connections is
 * spread evenly. When the polling threads accepted for themselves, a burst went to whichever
 * were awake: the bench's 64 connections were spread 8, 9, 45 and 10 (or 20, 2, 26 and 24)
 * over 4 threads, and as a polling thread serves its connections one request at a time, the
 * crowded thread's clients waited several times as long as the others (bench/README.md).
 *
 * The limit is counted here (s->open, less one at each close notification), not left to the
 * daemon: a polling thread takes a handed connection in later, so the daemon's own count lags,
 * and a connection it then found over its limit left libmicrohttpd 0.9.75's polling threads
 * waiting on a lock for good. Each polling thread's own limit is set to the whole limit, so
 * that however the descriptors fall, none is reached. */
static void *accept_loop(void *arg)
{
	struct server *s = arg;
	double warned = 0;
	while (!atomic_load(&s->quiescing)) {
		if (atomic_load(&s->open) >= CONNECTION_LIMIT) {
			poll(NULL, 0, 10);
			continue;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(s->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (atomic_load(&s->quiescing))
				break;
			if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
				/* out of descriptors or memory: let connections close first, and
				 * say so at most once a second */
				double t = mono_seconds();
				if (t - warned >= 1.0) {
					log_msg(LOG_WARN, "accept: %s", strerror(errno));
					warned = t;
				}
				poll(NULL, 0, 10);
			}
			continue;
		}
		/* the daemon owns fd from here on, and closes it if it cannot take it */
		atomic_fetch_add(&s->open, 1);
		if (MHD_add_connection(s->daemon, fd, (struct sockaddr *)&ss, sl) != MHD_YES)
			atomic_fetch_sub(&s->open, 1);
	}
	return NULL;
}

bool http_server_run(struct server *s)
{
	const struct config *c = s->app->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
	if (s->ipv6)
		flags |= MHD_USE_IPv6;
	s->watcher = conn_watcher_start();
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)c->worker_threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(CONNECTION_LIMIT * c->worker_threads), MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_identity, NULL, MHD_OPTION_URI_LOG_CALLBACK,
		uri_logger, s, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!s->daemon) {
		log_msg(LOG_ERROR, "cannot start the HTTP daemon");
		return false;
	}
	if (pthread_create(&s->acceptor, NULL, accept_loop, s) != 0) {
		log_msg(LOG_ERROR, "cannot start the accepting thread");
		return false;
	}
	s->accepting = true;
	return true;
}

int http_server_port(struct server *s)
{
	return s->port;
}

void http_server_quiesce(struct server *s)
{
	if (!s->accepting)
		return;
	atomic_store(&s->quiescing, true);
	shutdown(s->fd, SHUT_RDWR); /* wakes the accept() in progress */
	pthread_join(s->acceptor, NULL);
	s->accepting = false;
	close(s->fd); /* from here on, a connection is refused */
	s->fd = -1;
}

int http_server_in_flight(struct server *s)
{
	return atomic_load(&s->in_flight);
}

void http_server_stop(struct server *s)
{
	if (!s)
		return;
	http_server_quiesce(s);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->fd >= 0)
		close(s->fd);
	conn_watcher_stop(s->watcher); /* after the daemon: its close notifications unregister */
	server_free(s);
}
