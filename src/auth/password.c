/* Password hashing and rules (see password.h). */
#include "auth/password.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <utf8proc.h>

#include "config/config.h"
#include "util/alloc.h"
#include "util/utf8.h"

/* SPEC §3.1: memory 19 MiB, 2 passes, parallelism 1. */
#define OPS_LIMIT 2ULL
#define MEM_LIMIT (19ULL * 1024 * 1024)

extern const char crm_common_passwords[];

static sem_t slots;
static atomic_int in_flight;
static char dummy_hash[PASSWORD_HASH_MAX];
static char **common;
static size_t ncommon;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads one password per line from text (not NUL-owned: copied). */
static void load_list(const char *text)
{
	size_t cap = 0;
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, "\r\n");
		if (len) {
			if (ncommon == cap) {
				cap = cap ? cap * 2 : 16384;
				common = xrealloc(common, cap * sizeof *common);
			}
			common[ncommon++] = xstrndup(p, len);
		}
		p += len;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	qsort(common, ncommon, sizeof *common, cmp_str);
}

bool password_init(const struct config *cfg)
{
	int n = cfg->password_hash_concurrency > 0 ? cfg->password_hash_concurrency : 1;
	sem_init(&slots, 0, (unsigned)n);
	if (cfg->common_passwords_file) {
		FILE *f = fopen(cfg->common_passwords_file, "r");
		if (!f)
			return false;
		char *text = NULL;
		size_t size = 0;
		FILE *mem = open_memstream(&text, &size);
		char chunk[4096];
		size_t r;
		while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
			fwrite(chunk, 1, r, mem);
		fclose(f);
		fclose(mem);
		load_list(text);
		free(text);
	} else {
		load_list(crm_common_passwords);
	}
	char pw[33];
	randombytes_buf(pw, 32);
	for (int i = 0; i < 32; i++)
		pw[i] = (char)('a' + ((unsigned char)pw[i] % 26));
	pw[32] = '\0';
	return password_hash(pw, 32, dummy_hash);
}

void password_shutdown(void)
{
	for (size_t i = 0; i < ncommon; i++)
		free(common[i]);
	free(common);
	common = NULL;
	ncommon = 0;
	sem_destroy(&slots);
}

bool password_slot_acquire(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	while (sem_timedwait(&slots, &ts) != 0)
		if (errno != EINTR)
			return false;
	atomic_fetch_add(&in_flight, 1);
	return true;
}

void password_slot_release(void)
{
	atomic_fetch_sub(&in_flight, 1);
	sem_post(&slots);
}

int password_in_flight(void)
{
	return atomic_load(&in_flight);
}

bool password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
	char tmp[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str_alg(tmp, pw, len, OPS_LIMIT, MEM_LIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return false;
	snprintf(out, PASSWORD_HASH_MAX, "%s", tmp);
	return true;
}

static bool is_bcrypt(const char *h)
{
	return strncmp(h, "$2a$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	       strncmp(h, "$2y$", 4) == 0;
}

static bool bcrypt_verify(const char *hash, const char *pw)
{
	struct crypt_data *cd = xcalloc(1, sizeof *cd);
	const char *out = crypt_r(pw, hash, cd);
	bool ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
		  sodium_memcmp(out, hash, strlen(hash)) == 0;
	sodium_memzero(cd, sizeof *cd);
	free(cd);
	return ok;
}

/* The v1 client API stored bcrypt hashes of the password trimmed and HTML-escaped. */
static char *legacy_form(const char *pw, size_t len)
{
	size_t a = 0, b = len;
	while (a < b && (pw[a] == ' ' || (pw[a] >= '\t' && pw[a] <= '\r')))
		a++;
	while (b > a && (pw[b - 1] == ' ' || (pw[b - 1] >= '\t' && pw[b - 1] <= '\r')))
		b--;
	char *out = xmalloc((b - a) * 6 + 1);
	size_t o = 0;
	for (size_t i = a; i < b; i++) {
		const char *rep = NULL;
		switch (pw[i]) {
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#x27;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '/': rep = "&#x2F;"; break;
		case '\\': rep = "&#x5C;"; break;
		case '`': rep = "&#96;"; break;
		default: break;
		}
		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			out[o++] = pw[i];
		}
	}
	out[o] = '\0';
	return out;
}

bool password_verify(const char *hash, const char *pw, size_t len, bool *rehash)
{
	*rehash = false;
	if (!hash) {
		if (crypto_pwhash_str_verify(dummy_hash, pw, len) == 0)
			return false; /* the dummy's password is random: never a match */
		return false;
	}
	if (strncmp(hash, "$argon2", 7) == 0) {
		if (crypto_pwhash_str_verify(hash, pw, len) != 0)
			return false;
		*rehash = crypto_pwhash_str_needs_rehash(hash, OPS_LIMIT, MEM_LIMIT) != 0;
		return true;
	}
	if (is_bcrypt(hash)) {
		char *plain = xstrndup(pw, len);
		bool ok = strlen(plain) == len && bcrypt_verify(hash, plain);
		if (!ok) {
			char *legacy = legacy_form(pw, len);
			ok = bcrypt_verify(hash, legacy);
			sodium_memzero(legacy, strlen(legacy));
			free(legacy);
		}
		sodium_memzero(plain, len);
		free(plain);
		*rehash = ok;
		return ok;
	}
	/* Unknown scheme: pay the same price, then refuse. */
	if (crypto_pwhash_str_verify(dummy_hash, pw, len) == 0)
		return false;
	return false;
}

/* Lowercase by code point (utf8proc), for the list and the equality checks. */
static char *lower(const char *s, size_t len)
{
	char *res = xmalloc(len * 4 + 1);
	size_t o = 0, i = 0;
	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0)
			break;
		o += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)res + o);
		i += (size_t)n;
	}
	res[o] = '\0';
	return res;
}

const char *password_check_new(const char *pw, size_t len, const char *email, const char *username)
{
	if (!utf8_valid(pw, len))
		return "invalid_characters";
	size_t cps = utf8_length(pw, len);
	if (cps < 12)
		return "too_short";
	if (cps > 128)
		return "too_long";
	char *l = lower(pw, len);
	bool bad = bsearch(&l, common, ncommon, sizeof *common, cmp_str) != NULL;
	if (!bad && email) {
		bad = strcasecmp(l, email) == 0;
		const char *at = strchr(email, '@');
		if (!bad && at && strlen(l) == (size_t)(at - email) &&
		    strncasecmp(l, email, (size_t)(at - email)) == 0)
			bad = true;
	}
	if (!bad && username)
		bad = strcasecmp(l, username) == 0;
	sodium_memzero(l, strlen(l));
	free(l);
	return bad ? "too_common" : NULL;
}
