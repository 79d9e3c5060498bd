/* Access tokens (SPEC §3.2): what jwt_verify_access answers for a token it issued, and that its
 * per-thread memory of verified tokens changes none of it: a second look at a token still
 * checks exp and iat against the clock, and a token that differs in one byte, or was signed
 * under other settings, is checked in full and refused. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "config/config.h"
#include "test.h"

#define NOW 1780000000LL
#define SECRET "first secret of at least thirty-two bytes"

/* The settings jwt_issue and jwt_verify_access read (never written through). */
static struct config settings(const char *secret)
{
	struct config c = {0};
	c.access_token_secret = (char *)secret;
	c.access_token_expiry = 900;
	c.jwt_issuer = (char *)"crm-test";
	c.jwt_audience = (char *)"crm-test-api";
	return c;
}

static enum jwt_result verify(const struct config *c, const char *tok, long long now,
			      long long *uid, long long *sid)
{
	*uid = *sid = -1;
	return jwt_verify_access(c, tok, now, uid, sid);
}

TEST(issued_token_verifies_twice_alike)
{
	struct config c = settings(SECRET);
	long long exp, uid, sid;
	char *tok = jwt_issue(&c, 42, 7, NOW, &exp);
	CHECK_INT(exp, NOW + 900);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(verify(&c, tok, NOW + 1, &uid, &sid), JWT_OK);
		CHECK_INT(uid, 42);
		CHECK_INT(sid, 7);
	}
	free(tok);
}

TEST(times_are_checked_on_every_use)
{
	struct config c = settings(SECRET);
	long long exp, uid, sid;
	char *tok = jwt_issue(&c, 43, 8, NOW, &exp);
	CHECK_INT(verify(&c, tok, NOW, &uid, &sid), JWT_OK);
	/* within the leeway after exp, then past it */
	CHECK_INT(verify(&c, tok, exp + JWT_LEEWAY_SECONDS, &uid, &sid), JWT_OK);
	CHECK_INT(verify(&c, tok, exp + JWT_LEEWAY_SECONDS + 1, &uid, &sid), JWT_EXPIRED);
	CHECK_INT(uid, -1);
	/* issued "in the future" of a clock that is behind by more than the leeway */
	CHECK_INT(verify(&c, tok, NOW - JWT_LEEWAY_SECONDS - 1, &uid, &sid), JWT_INVALID);
	CHECK_INT(verify(&c, tok, NOW, &uid, &sid), JWT_OK);
	free(tok);
}

TEST(one_changed_byte_is_refused_after_the_token_was_seen)
{
	struct config c = settings(SECRET);
	long long exp, uid, sid;
	char *tok = jwt_issue(&c, 44, 9, NOW, &exp);
	CHECK_INT(verify(&c, tok, NOW, &uid, &sid), JWT_OK);
	size_t n = strlen(tok);
	char *bad = strdup(tok);
	/* the signature's last character, a payload character and the header's first */
	size_t at[] = {n - 1, strchr(tok, '.') - tok + 3, 0};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		strcpy(bad, tok);
		bad[at[i]] = bad[at[i]] == 'A' ? 'B' : 'A';
		CHECK_INT(verify(&c, bad, NOW, &uid, &sid), JWT_INVALID);
		CHECK_INT(uid, -1);
	}
	/* a longer token that starts with the good one */
	char *longer = malloc(n + 2);
	memcpy(longer, tok, n);
	memcpy(longer + n, "A", 2);
	CHECK_INT(verify(&c, longer, NOW, &uid, &sid), JWT_INVALID);
	CHECK_INT(verify(&c, tok, NOW, &uid, &sid), JWT_OK);
	free(longer);
	free(bad);
	free(tok);
}

TEST(other_settings_check_the_token_again)
{
	struct config a = settings(SECRET);
	struct config b = settings("other secret of at least thirty-two bytes");
	long long exp, uid, sid;
	char *tok = jwt_issue(&a, 45, 10, NOW, &exp);
	CHECK_INT(verify(&a, tok, NOW, &uid, &sid), JWT_OK);
	CHECK_INT(verify(&b, tok, NOW, &uid, &sid), JWT_INVALID);
	struct config other_aud = a;
	other_aud.jwt_audience = (char *)"someone-else";
	CHECK_INT(verify(&other_aud, tok, NOW, &uid, &sid), JWT_INVALID);
	struct config other_iss = a;
	other_iss.jwt_issuer = (char *)"someone-else";
	CHECK_INT(verify(&other_iss, tok, NOW, &uid, &sid), JWT_INVALID);
	CHECK_INT(verify(&a, tok, NOW, &uid, &sid), JWT_OK);
	CHECK_INT(uid, 45);
	free(tok);
}

TEST(many_tokens_each_keep_their_own_ids)
{
	struct config c = settings(SECRET);
	enum { N = 300 }; /* more than the slots a thread keeps */
	char *toks[N];
	long long exp, uid, sid;
	for (int i = 0; i < N; i++)
		toks[i] = jwt_issue(&c, 1000 + i, 2000 + i, NOW, &exp);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			CHECK_INT(verify(&c, toks[i], NOW, &uid, &sid), JWT_OK);
			CHECK_INT(uid, 1000 + i);
			CHECK_INT(sid, 2000 + i);
		}
	for (int i = 0; i < N; i++)
		free(toks[i]);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return RUN_TESTS();
}
