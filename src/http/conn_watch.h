/* Per-connection deadlines (SPEC §13.7): libmicrohttpd's own timeout is an idle timeout that
 * restarts with every byte, so a client trickling its headers (slowloris) or its body would keep
 * a connection slot forever. Each connection registers here with the time by which the client
 * must have sent what is awaited; a sweeper thread shuts down the sockets that missed it, once a
 * second, and the HTTP library then closes them as it would any ended stream. No libmicrohttpd
 * types here. */
#ifndef CRM_HTTP_CONN_WATCH_H
#define CRM_HTTP_CONN_WATCH_H

struct conn_watcher;
struct conn_watch;

/* Starts the sweeper thread. NULL when the thread cannot be created (nothing is watched then). */
struct conn_watcher *conn_watcher_start(void);
/* Stops the sweeper and frees what is still registered. NULL is ignored. */
void conn_watcher_stop(struct conn_watcher *w);

/* Registers socket fd with a deadline (monotonic ms, 0 = none). The caller removes it, with
 * conn_watch_remove, before the descriptor is closed: the sweeper then never touches a descriptor
 * number that was reused. NULL w gives NULL. */
struct conn_watch *conn_watch_add(struct conn_watcher *w, int fd, long long deadline_ms);
/* Unregisters and frees c. NULL c is ignored. */
void conn_watch_remove(struct conn_watcher *w, struct conn_watch *c);
/* Sets c's deadline (monotonic ms; 0 = nothing awaited). Lock-free; NULL c is ignored. */
void conn_watch_set(struct conn_watch *c, long long deadline_ms);

/* The clock the deadlines are on: monotonic milliseconds. */
long long conn_watch_now(void);

#endif
