/* Client addresses and TRUST_PROXY (see client_addr.h). Addresses are compared in binary: an
 * IPv4 address, from the socket or from a header, is held as its 4 bytes; IPv4-mapped IPv6
 * addresses become IPv4 first, so "::ffff:10.0.0.1" matches a 10.0.0.0/8 entry. */
#include "http/client_addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

struct ip {
	int family; /* AF_INET or AF_INET6 */
	unsigned char b[16];
};

struct trust_entry {
	struct ip net;
	int bits;
};

struct trust_list {
	int n;
	struct trust_entry *e;
};

/* IPv4-mapped IPv6 → IPv4. */
static void unmap(struct ip *a)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (a->family == AF_INET6 && memcmp(a->b, prefix, 12) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
}

static bool parse_ip(const char *s, struct ip *out)
{
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = AF_INET6;
		unmap(out);
		return true;
	}
	return false;
}

static bool from_sockaddr(const struct sockaddr *sa, struct ip *out)
{
	memset(out, 0, sizeof *out);
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		unmap(out);
		return true;
	}
	return false;
}

/* inet_ntop's dotted quad without its printf (every request formats its client's address). */
static void format_ipv4(const unsigned char b[4], char *out, size_t n)
{
	char tmp[INET_ADDRSTRLEN];
	size_t len = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (i)
			tmp[len++] = '.';
		if (v >= 100)
			tmp[len++] = (char)('0' + v / 100);
		if (v >= 10)
			tmp[len++] = (char)('0' + v / 10 % 10);
		tmp[len++] = (char)('0' + v % 10);
	}
	if (n == 0)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(out, tmp, len);
	out[len] = '\0';
}

static void format_ip(const struct ip *a, char *out, size_t n)
{
	if (a->family == AF_INET) {
		format_ipv4(a->b, out, n);
		return;
	}
	/* IPv6 clients are keyed by their /64 prefix (SPEC §4). */
	unsigned char p[16];
	memcpy(p, a->b, 8);
	memset(p + 8, 0, 8);
	char tmp[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, p, tmp, sizeof tmp);
	snprintf(out, n, "%s/64", tmp);
}

void client_addr_format(const struct sockaddr *sa, char *out, size_t n)
{
	struct ip a;
	if (from_sockaddr(sa, &a))
		format_ip(&a, out, n);
	else
		snprintf(out, n, "unknown");
}

static bool prefix_match(const struct trust_entry *t, const struct ip *a)
{
	if (t->net.family != a->family)
		return false;
	int full = t->bits / 8, rest = t->bits % 8;
	if (memcmp(t->net.b, a->b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (t->net.b[full] & mask) == (a->b[full] & mask);
}

static bool trusted(const struct trust_list *t, const struct ip *a)
{
	if (!t)
		return false;
	for (int i = 0; i < t->n; i++)
		if (prefix_match(&t->e[i], a))
			return true;
	return false;
}

/* Copies s[0..len) without surrounding blanks into out (size n); false when it does not fit. */
static bool trimmed(const char *s, size_t len, char *out, size_t n)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= n)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool parse_entry(const char *item, struct trust_entry *out)
{
	char addr[64];
	const char *slash = strchr(item, '/');
	size_t alen = slash ? (size_t)(slash - item) : strlen(item);
	if (alen == 0 || alen >= sizeof addr)
		return false;
	memcpy(addr, item, alen);
	addr[alen] = '\0';
	struct ip a;
	memset(&a, 0, sizeof a);
	bool v4 = inet_pton(AF_INET, addr, a.b) == 1;
	if (v4)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a.b) == 1)
		a.family = AF_INET6;
	else
		return false;
	int max = v4 ? 32 : 128;
	int bits = max;
	if (slash) {
		const char *p = slash + 1;
		if (!*p || strlen(p) > 3)
			return false;
		for (const char *q = p; *q; q++)
			if (!isdigit((unsigned char)*q))
				return false;
		bits = atoi(p);
		if (bits > max)
			return false;
	}
	/* A mapped IPv6 network of /96 or more is the IPv4 network it maps. */
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!v4 && bits >= 96 && memcmp(a.b, mapped, 12) == 0) {
		unmap(&a);
		bits -= 96;
	}
	out->net = a;
	out->bits = bits;
	return true;
}

bool trust_list_parse(const char *spec, struct trust_list **out, char *err, size_t err_len)
{
	*out = NULL;
	if (!spec)
		return true;
	char probe[16];
	if (trimmed(spec, strlen(spec), probe, sizeof probe) &&
	    (probe[0] == '\0' || strcasecmp(probe, "false") == 0))
		return true;
	struct trust_list *t = xcalloc(1, sizeof *t);
	const char *p = spec;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[80];
		if (!trimmed(p, len, item, sizeof item) || !item[0]) {
			snprintf(err, err_len, "TRUST_PROXY: an item is empty or too long");
			trust_list_free(t);
			return false;
		}
		struct trust_entry e;
		if (!parse_entry(item, &e)) {
			snprintf(err, err_len, "TRUST_PROXY: \"%s\" is not an IP address or CIDR", item);
			trust_list_free(t);
			return false;
		}
		t->e = xrealloc(t->e, sizeof *t->e * (size_t)(t->n + 1));
		t->e[t->n++] = e;
		if (!end)
			break;
		p = end + 1;
	}
	*out = t;
	return true;
}

void trust_list_free(struct trust_list *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

int trust_list_count(const struct trust_list *t)
{
	return t ? t->n : 0;
}

/* Parses one X-Forwarded-For item: "1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]:80". */
static bool parse_forwarded(const char *s, size_t len, struct ip *out)
{
	char item[80];
	if (!trimmed(s, len, item, sizeof item) || !item[0])
		return false;
	char *p = item;
	if (*p == '[') {
		char *close = strchr(p, ']');
		if (!close)
			return false;
		*close = '\0';
		return parse_ip(p + 1, out);
	}
	if (parse_ip(p, out))
		return true;
	char *colon = strrchr(p, ':');
	if (colon && strchr(p, ':') == colon) { /* one colon: IPv4 with a port */
		*colon = '\0';
		struct ip a;
		if (parse_ip(p, &a) && a.family == AF_INET) {
			*out = a;
			return true;
		}
	}
	return false;
}

void client_addr_resolve(const struct trust_list *t, const struct sockaddr *peer, const char *xff,
			 char *out, size_t n)
{
	struct ip client;
	if (!from_sockaddr(peer, &client)) {
		snprintf(out, n, "unknown");
		return;
	}
	if (xff && trusted(t, &client)) {
		/* Walk from the right: each trusted hop reports the address it received from. */
		size_t end = strlen(xff);
		while (end > 0) {
			size_t start = end;
			while (start > 0 && xff[start - 1] != ',')
				start--;
			char probe[2];
			if (trimmed(xff + start, end - start, probe, sizeof probe) && !probe[0]) {
				end = start ? start - 1 : 0; /* an empty item (", ,"): skip it */
				continue;
			}
			struct ip a;
			if (!parse_forwarded(xff + start, end - start, &a))
				break; /* not an address: believe the hop that reported it */
			client = a;
			if (!trusted(t, &a))
				break;
			end = start ? start - 1 : 0;
		}
	}
	format_ip(&client, out, n);
}
