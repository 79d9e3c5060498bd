/* Verification of Stripe webhook signatures (SPEC §12.2), over the raw request body and before
 * anything parses it. Header `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`;
 * other schemes (v0, ...) are ignored. The expected signature is HMAC-SHA256 keyed with the
 * webhook secret exactly as configured (its whsec_ prefix included, as Stripe's libraries do)
 * over "<t>.<body>"; a v1 matches when its decoded bytes equal it in constant time. Pure: no
 * clock of its own, no I/O, no logging. */
#ifndef CRM_INTEGRATIONS_STRIPE_SIG_H
#define CRM_INTEGRATIONS_STRIPE_SIG_H

#include <stddef.h>

/* Seconds the signed timestamp may differ from now, in either direction (§17). */
#define STRIPE_SIG_TOLERANCE_S 300

enum stripe_sig_result {
	STRIPE_SIG_OK = 0,
	STRIPE_SIG_MISSING,   /* no header */
	STRIPE_SIG_MALFORMED, /* no t=, a t= that is not an integer, or no v1= at all */
	STRIPE_SIG_MISMATCH,  /* no v1 matches this body and secret */
	STRIPE_SIG_TOO_OLD,   /* matches, but t is more than the tolerance before now */
	STRIPE_SIG_FUTURE,    /* matches, but t is more than the tolerance after now */
};

/* Checks header (NULL when absent) against body[0..len) with secret at now_s (Unix seconds),
 * allowing tolerance_s seconds each way. Returns STRIPE_SIG_OK only for a matching, timely
 * signature. Nothing is retained. */
enum stripe_sig_result stripe_sig_verify(const char *header, const char *body, size_t len,
					 const char *secret, long long now_s, long long tolerance_s);

/* Writes the lowercase hex v1 signature of "<t>.<body>" under secret into out (65 bytes, NUL
 * terminated): what Stripe sends, for tests and tools. */
void stripe_sig_compute(const char *secret, long long t, const char *body, size_t len,
			char out[65]);

/* A short static name of a result for logs ("missing", "malformed", ...). */
const char *stripe_sig_result_name(enum stripe_sig_result r);

#endif
