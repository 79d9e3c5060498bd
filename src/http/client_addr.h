/* The client address of SPEC §4: the socket peer, with IPv4-mapped IPv6 written as IPv4 and
 * other IPv6 addresses keyed by their /64; X-Forwarded-For believed only when the peer is inside
 * TRUST_PROXY. No libmicrohttpd types here (server.c hands in the peer and the header). */
#ifndef CRM_HTTP_CLIENT_ADDR_H
#define CRM_HTTP_CLIENT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct trust_list;

/* Parses TRUST_PROXY: comma-separated IPv4/IPv6 addresses or CIDRs, blanks around items
 * ignored. NULL, "" and "false" (any case) give an empty list. On success returns true and sets
 * *out (free with trust_list_free; may be NULL for an empty list). On a malformed item returns
 * false, sets *out NULL and writes a message naming it into err (size err_len). */
bool trust_list_parse(const char *spec, struct trust_list **out, char *err, size_t err_len);
void trust_list_free(struct trust_list *t);
/* Number of entries (0 for NULL). */
int trust_list_count(const struct trust_list *t);

/* Writes the normalised key of a socket address into out ("unknown" for other families). */
void client_addr_format(const struct sockaddr *sa, char *out, size_t n);

/* The client address of a request from peer (may be NULL: "unknown") carrying xff, the
 * X-Forwarded-For values joined with ',' in header order (NULL when absent). When the peer is
 * trusted, xff is walked from the right, trusted addresses skipped, and the first other one is
 * the client; when every listed address is trusted, the leftmost one is. An item that is not an
 * IP address ends the walk and the last trusted hop (the one that reported it) is the client. */
void client_addr_resolve(const struct trust_list *t, const struct sockaddr *peer, const char *xff,
			 char *out, size_t n);

#endif
