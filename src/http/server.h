/* The HTTP server: the only module that knows libmicrohttpd. */
#ifndef CRM_HTTP_SERVER_H
#define CRM_HTTP_SERVER_H

struct app;
struct server;

#include <stdbool.h>

/* Binds LISTEN_ADDRESS:PORT (not yet serving). NULL on failure (logged). */
struct server *http_server_listen(struct app *app);
/* Starts the polling threads on the bound socket. False on failure (logged). */
bool http_server_run(struct server *s);
/* The bound port (useful with PORT=0). */
int http_server_port(struct server *s);
/* Stops accepting new connections; requests in flight continue. */
void http_server_quiesce(struct server *s);
/* Requests currently being served. */
int http_server_in_flight(struct server *s);
/* Closes every connection and stops the threads. */
void http_server_stop(struct server *s);

#endif
