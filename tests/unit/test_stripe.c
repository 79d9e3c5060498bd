/* Unit tests for the Stripe pieces (SPEC §12): webhook signature verification (several v1,
 * tolerance edges in both directions, malformed headers), the form bodies sent to Stripe and
 * their percent-encoding, reading subscriptions (periods on the object or on items.data[0])
 * and invoices, and the plan rule of §5. */
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "domain/billing.h"
#include "integrations/http_client.h"
#include "integrations/stripe/stripe_api.h"
#include "integrations/stripe/stripe_objects.h"
#include "integrations/stripe/stripe_sig.h"
#include "store/types.h"
#include "test.h"
#include "util/buf.h"

#define SECRET "whsec_test_secret"
#define BODY "{\"id\":\"evt_1\"}"
#define T0 1700000000LL
/* HMAC-SHA256(key "whsec_test_secret", "1700000000.{"id":"evt_1"}"), computed independently. */
#define KNOWN_SIG "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a"

static enum stripe_sig_result verify(const char *header, long long now)
{
	return stripe_sig_verify(header, BODY, strlen(BODY), SECRET, now, STRIPE_SIG_TOLERANCE_S);
}

static char *header_for(long long t, const char *extra_before, const char *extra_after)
{
	char sig[65];
	stripe_sig_compute(SECRET, t, BODY, strlen(BODY), sig);
	char *h = malloc(512);
	snprintf(h, 512, "t=%lld,%sv1=%s%s", t, extra_before ? extra_before : "", sig,
		 extra_after ? extra_after : "");
	return h;
}

TEST(signature_matches_an_independent_hmac_keyed_with_the_whsec_secret)
{
	char sig[65];
	stripe_sig_compute(SECRET, T0, BODY, strlen(BODY), sig);
	CHECK_STR(sig, KNOWN_SIG);
	CHECK_INT(verify("t=1700000000,v1=" KNOWN_SIG, T0), STRIPE_SIG_OK);
	/* Keyed with the secret exactly as configured: without its prefix it does not match. */
	CHECK_INT(stripe_sig_verify("t=1700000000,v1=" KNOWN_SIG, BODY, strlen(BODY), "test_secret",
				    T0, 300),
		  STRIPE_SIG_MISMATCH);
}

TEST(signature_over_another_body_or_with_another_secret_fails)
{
	const char *h = "t=1700000000,v1=" KNOWN_SIG;
	CHECK_INT(stripe_sig_verify(h, "{\"id\":\"evt_2\"}", 14, SECRET, T0, 300),
		  STRIPE_SIG_MISMATCH);
	CHECK_INT(stripe_sig_verify(h, BODY, strlen(BODY) - 1, SECRET, T0, 300),
		  STRIPE_SIG_MISMATCH);
	CHECK_INT(stripe_sig_verify(h, BODY, strlen(BODY), "whsec_other", T0, 300),
		  STRIPE_SIG_MISMATCH);
	/* The timestamp is signed too. */
	CHECK_INT(verify("t=1700000001,v1=" KNOWN_SIG, T0), STRIPE_SIG_MISMATCH);
}

TEST(any_of_several_v1_signatures_may_match)
{
	const char *wrong = "v1=0000000000000000000000000000000000000000000000000000000000000000,";
	char *h = header_for(T0, wrong, ",v1=abcd");
	CHECK_INT(verify(h, T0), STRIPE_SIG_OK);
	free(h);
	/* Order does not matter; other schemes are ignored; spaces around items are tolerated. */
	CHECK_INT(verify("v0=deadbeef, v1=" KNOWN_SIG " ,t=1700000000", T0), STRIPE_SIG_OK);
	CHECK_INT(verify("t=1700000000,v1=zz,v1=" KNOWN_SIG, T0), STRIPE_SIG_OK);
	/* Uppercase hex is the same bytes. */
	char upper[] = "t=1700000000,v1=" KNOWN_SIG;
	for (char *p = upper + 16; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	CHECK_INT(verify(upper, T0), STRIPE_SIG_OK);
	/* None matching. */
	CHECK_INT(verify("t=1700000000,v1=0000000000000000000000000000000000000000000000000000000000000000",
			 T0),
		  STRIPE_SIG_MISMATCH);
	/* A v1 that is a prefix of the right one does not match. */
	CHECK_INT(verify("t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e", T0), STRIPE_SIG_MISMATCH);
}

TEST(tolerance_is_300_seconds_in_both_directions)
{
	char *h = header_for(T0, NULL, NULL);
	CHECK_INT(verify(h, T0 + 300), STRIPE_SIG_OK);
	CHECK_INT(verify(h, T0 + 301), STRIPE_SIG_TOO_OLD);
	CHECK_INT(verify(h, T0 - 300), STRIPE_SIG_OK);
	CHECK_INT(verify(h, T0 - 301), STRIPE_SIG_FUTURE);
	CHECK_INT(verify(h, T0 + 3600), STRIPE_SIG_TOO_OLD);
	CHECK_INT(verify(h, T0 - 3600), STRIPE_SIG_FUTURE);
	free(h);
}

TEST(malformed_and_missing_headers_are_refused)
{
	CHECK_INT(verify(NULL, T0), STRIPE_SIG_MISSING);
	CHECK_INT(verify("", T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("garbage", T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("v1=" KNOWN_SIG, T0), STRIPE_SIG_MALFORMED);	     /* no t */
	CHECK_INT(verify("t=1700000000", T0), STRIPE_SIG_MALFORMED);	     /* no v1 */
	CHECK_INT(verify("t=1700000000,v0=" KNOWN_SIG, T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("t=abc,v1=" KNOWN_SIG, T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("t=-1700000000,v1=" KNOWN_SIG, T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("t=,v1=" KNOWN_SIG, T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("t=1700000000,t=1700000000,v1=" KNOWN_SIG, T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(verify("t=1700000000,v1=", T0), STRIPE_SIG_MISMATCH);
	CHECK_INT(verify(",,,", T0), STRIPE_SIG_MALFORMED);
	CHECK_INT(stripe_sig_verify("t=1700000000,v1=" KNOWN_SIG, BODY, strlen(BODY), NULL, T0, 300),
		  STRIPE_SIG_MISMATCH);
}

TEST(form_values_are_percent_encoded)
{
	struct buf b = {0};
	http_form_add(&b, "line_items[0][price]", "price_1");
	http_form_add(&b, "name", "Ann Lée & Co=1+2");
	http_form_add(&b, "skipped", NULL);
	CHECK_STR(b.data, "line_items%5B0%5D%5Bprice%5D=price_1&name=Ann%20L%C3%A9e%20%26%20Co%3D1%2B2");
	buf_free(&b);
	char *f = stripe_customer_form(42, "a+b@example.com", "Ann", "Lee");
	CHECK_STR(f, "email=a%2Bb%40example.com&name=Ann%20Lee&metadata%5BuserId%5D=42");
	free(f);
	f = stripe_customer_form(7, "x@example.com", "Bo", NULL);
	CHECK_STR(f, "email=x%40example.com&name=Bo&metadata%5BuserId%5D=7");
	free(f);
}

TEST(checkout_form_has_the_fields_of_12_1)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	char frontend[] = "http://app.test/ui", price[] = "price_123";
	cfg.frontend_url = frontend;
	cfg.stripe_price_id = price;
	struct stripe_checkout_in in = {9, "cus_A", 0};
	char *f = stripe_checkout_form(&cfg, &in);
	CHECK_STR(f, "mode=subscription&customer=cus_A&client_reference_id=9"
		     "&line_items%5B0%5D%5Bprice%5D=price_123&line_items%5B0%5D%5Bquantity%5D=1"
		     "&success_url=http%3A%2F%2Fapp.test%2Fui%2Fsubscription%2Fsuccess%3Fsession_id%3D"
		     "%7BCHECKOUT_SESSION_ID%7D"
		     "&cancel_url=http%3A%2F%2Fapp.test%2Fui%2Fsubscription%2Fcancel"
		     "&metadata%5BuserId%5D=9&subscription_data%5Bmetadata%5D%5BuserId%5D=9");
	free(f);
	in.trial_days = 10;
	f = stripe_checkout_form(&cfg, &in);
	CHECK(strstr(f, "&subscription_data%5Btrial_period_days%5D=10") != NULL);
	free(f);
}

static json_t *parse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	CHECK(j != NULL);
	return j;
}

TEST(subscription_periods_come_from_the_object_or_its_first_item)
{
	json_t *old = parse("{\"id\":\"sub_1\",\"customer\":\"cus_1\",\"status\":\"active\","
			    "\"created\":1000,\"current_period_start\":2000,"
			    "\"current_period_end\":3000,\"cancel_at_period_end\":true,"
			    "\"trial_end\":null,\"items\":{\"data\":[{\"price\":{\"id\":\"price_9\"},"
			    "\"current_period_start\":5,\"current_period_end\":6}]}}");
	struct stripe_subscription s;
	CHECK(stripe_subscription_parse(old, &s));
	CHECK_STR(s.id, "sub_1");
	CHECK_STR(s.customer, "cus_1");
	CHECK_STR(s.status, "active");
	CHECK_STR(s.price_id, "price_9");
	CHECK_INT(s.created, 1000000);
	CHECK_INT(s.current_period_start, 2000000);
	CHECK_INT(s.current_period_end, 3000000);
	CHECK_INT(s.trial_end, 0);
	CHECK(s.cancel_at_period_end);
	json_decref(old);

	json_t *basil = parse("{\"id\":\"sub_2\",\"customer\":{\"id\":\"cus_2\"},\"status\":"
			      "\"trialing\",\"created\":1000,\"trial_end\":4000,\"items\":{\"data\":"
			      "[{\"price\":{\"id\":\"price_9\"},\"current_period_start\":2000,"
			      "\"current_period_end\":4000}]}}");
	CHECK(stripe_subscription_parse(basil, &s));
	CHECK_STR(s.customer, "cus_2");
	CHECK_INT(s.current_period_start, 2000000);
	CHECK_INT(s.current_period_end, 4000000);
	CHECK_INT(s.trial_end, 4000000);
	CHECK(!s.cancel_at_period_end);
	json_decref(basil);

	json_t *bare = parse("{\"id\":\"sub_3\",\"customer\":\"cus_3\",\"status\":\"canceled\","
			     "\"created\":1000}");
	CHECK(stripe_subscription_parse(bare, &s));
	CHECK(s.price_id == NULL);
	CHECK_INT(s.current_period_end, 0);
	json_decref(bare);

	const char *bad[] = {
	    "{\"customer\":\"cus_3\",\"status\":\"active\",\"created\":1}",
	    "{\"id\":\"sub_3\",\"status\":\"active\",\"created\":1}",
	    "{\"id\":\"sub_3\",\"customer\":\"cus_3\",\"status\":\"weird\",\"created\":1}",
	    "{\"id\":\"sub_3\",\"customer\":\"cus_3\",\"status\":\"active\"}",
	    "[1]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = parse(bad[i]);
		CHECK(!stripe_subscription_parse(j, &s));
		json_decref(j);
	}
}

TEST(invoice_subscription_from_either_place)
{
	json_t *a = parse("{\"id\":\"in_1\",\"subscription\":\"sub_1\"}");
	CHECK_STR(stripe_invoice_subscription(a), "sub_1");
	json_decref(a);
	json_t *b = parse("{\"id\":\"in_1\",\"subscription\":{\"id\":\"sub_2\"}}");
	CHECK_STR(stripe_invoice_subscription(b), "sub_2");
	json_decref(b);
	json_t *c = parse("{\"id\":\"in_1\",\"subscription\":null,\"parent\":{\"type\":"
			  "\"subscription_details\",\"subscription_details\":{\"subscription\":"
			  "\"sub_3\"}}}");
	CHECK_STR(stripe_invoice_subscription(c), "sub_3");
	json_decref(c);
	json_t *d = parse("{\"id\":\"in_1\",\"parent\":null}");
	CHECK(stripe_invoice_subscription(d) == NULL);
	json_decref(d);
}

TEST(ids_placed_in_urls_are_plain)
{
	CHECK(stripe_id_valid("sub_1NfQ2aLkdIwHu7ix"));
	CHECK(!stripe_id_valid(""));
	CHECK(!stripe_id_valid(NULL));
	CHECK(!stripe_id_valid("sub_1/../customers"));
	CHECK(!stripe_id_valid("sub_1?expand=x"));
	CHECK(!stripe_id_valid("sub 1"));
}

TEST(plan_rule_of_section_5)
{
	const long long now = 1750000000000LL, day = 86400000LL;
	char active[] = "active", trialing[] = "trialing", past_due[] = "past_due",
	     canceled[] = "canceled", unpaid[] = "unpaid";
	struct subscription_row s;
	memset(&s, 0, sizeof s);
	CHECK(!billing_row_premium(NULL, now));
	s.status = active;
	s.current_period_end = now + day;
	CHECK(billing_row_premium(&s, now));
	s.current_period_end = now; /* the period has ended */
	CHECK(!billing_row_premium(&s, now));
	s.status = trialing;
	s.current_period_end = now + 1;
	CHECK(billing_row_premium(&s, now));
	s.status = canceled;
	CHECK(!billing_row_premium(&s, now));
	s.status = past_due;
	s.current_period_end = now - day;
	s.payment_failed_at = now - 7 * day + 1;
	CHECK(billing_row_premium(&s, now));
	s.payment_failed_at = now - 7 * day;
	CHECK(!billing_row_premium(&s, now));
	s.payment_failed_at = 0; /* past_due without a recorded failure: no grace */
	CHECK(!billing_row_premium(&s, now));
	s.status = unpaid;
	s.payment_failed_at = now - day;
	CHECK(!billing_row_premium(&s, now));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return RUN_TESTS();
}
