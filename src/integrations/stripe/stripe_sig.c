/* Stripe webhook signature verification (see stripe_sig.h). The header is walked item by item
 * ("k=v" separated by commas, spaces around items tolerated); every v1 value is hex-decoded and
 * compared to the expected MAC with sodium_memcmp, so the time taken does not depend on how
 * many leading bytes match. The timestamp is judged only after a match, so an attacker without
 * the secret learns nothing from the answer beyond "invalid". */
#include "integrations/stripe/stripe_sig.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAC_BYTES crypto_auth_hmacsha256_BYTES

static void mac(const char *secret, long long t, const char *body, size_t len,
		unsigned char out[MAC_BYTES])
{
	char ts[24];
	int n = snprintf(ts, sizeof ts, "%lld.", t);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
	if (len)
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
					      (unsigned long long)len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void stripe_sig_compute(const char *secret, long long t, const char *body, size_t len,
			char out[65])
{
	unsigned char m[MAC_BYTES];
	mac(secret, t, body, len, m);
	sodium_bin2hex(out, 65, m, sizeof m);
}

/* Parses a non-negative decimal of at most 15 digits (Stripe's t=). */
static bool parse_ts(const char *s, size_t n, long long *out)
{
	if (n == 0 || n > 15)
		return false;
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Decodes exactly 64 hex digits into 32 bytes. */
static bool decode_sig(const char *s, size_t n, unsigned char out[MAC_BYTES])
{
	if (n != 2 * MAC_BYTES)
		return false;
	size_t bin_len = 0;
	return sodium_hex2bin(out, MAC_BYTES, s, n, NULL, &bin_len, NULL) == 0 &&
	       bin_len == MAC_BYTES;
}

enum stripe_sig_result stripe_sig_verify(const char *header, const char *body, size_t len,
					 const char *secret, long long now_s, long long tolerance_s)
{
	if (!header)
		return STRIPE_SIG_MISSING;
	if (!secret)
		return STRIPE_SIG_MISMATCH;
	long long t = 0;
	bool have_t = false, bad_t = false, have_v1 = false;
	/* Signatures are collected first: the MAC needs t, which may come after them. */
	unsigned char sigs[16][MAC_BYTES];
	bool sig_ok[16] = {false};
	int nsigs = 0;
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ",");
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		const char *eq = memchr(p, '=', m);
		if (eq) {
			size_t klen = (size_t)(eq - p);
			const char *v = eq + 1;
			size_t vlen = m - klen - 1;
			if (klen == 1 && p[0] == 't') {
				if (have_t || !parse_ts(v, vlen, &t))
					bad_t = true;
				have_t = true;
			} else if (klen == 2 && p[0] == 'v' && p[1] == '1') {
				have_v1 = true;
				if (nsigs < 16) {
					sig_ok[nsigs] = decode_sig(v, vlen, sigs[nsigs]);
					nsigs++;
				}
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!have_t || bad_t || !have_v1)
		return STRIPE_SIG_MALFORMED;
	unsigned char expected[MAC_BYTES];
	mac(secret, t, body, len, expected);
	bool match = false;
	for (int i = 0; i < nsigs; i++)
		if (sig_ok[i] && sodium_memcmp(sigs[i], expected, MAC_BYTES) == 0)
			match = true;
	sodium_memzero(expected, sizeof expected);
	if (!match)
		return STRIPE_SIG_MISMATCH;
	if (now_s - t > tolerance_s)
		return STRIPE_SIG_TOO_OLD;
	if (t - now_s > tolerance_s)
		return STRIPE_SIG_FUTURE;
	return STRIPE_SIG_OK;
}

const char *stripe_sig_result_name(enum stripe_sig_result r)
{
	switch (r) {
	case STRIPE_SIG_OK:
		return "ok";
	case STRIPE_SIG_MISSING:
		return "missing";
	case STRIPE_SIG_MALFORMED:
		return "malformed";
	case STRIPE_SIG_MISMATCH:
		return "mismatch";
	case STRIPE_SIG_TOO_OLD:
		return "too_old";
	case STRIPE_SIG_FUTURE:
		return "future";
	}
	return "invalid";
}
