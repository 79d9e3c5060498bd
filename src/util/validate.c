/* Field formats (see validate.h). */
#include "util/validate.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool local_char(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL;
}

bool valid_email(const char *s)
{
	size_t len = strlen(s);
	if (len < 3 || len > 254)
		return false;
	const char *at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return false;
	size_t llen = (size_t)(at - s);
	if (llen < 1 || llen > 64 || s[0] == '.' || s[llen - 1] == '.')
		return false;
	for (size_t i = 0; i < llen; i++) {
		if (!local_char((unsigned char)s[i]) || (unsigned char)s[i] > 127)
			return false;
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	const char *d = at + 1;
	int labels = 0;
	const char *last = NULL;
	size_t lastlen = 0;
	while (*d) {
		const char *dot = strchr(d, '.');
		size_t n = dot ? (size_t)(dot - d) : strlen(d);
		if (n < 1 || n > 63 || d[0] == '-' || d[n - 1] == '-')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)d[i]) && d[i] != '-')
				return false;
		labels++;
		last = d;
		lastlen = n;
		if (!dot)
			break;
		d = dot + 1;
		if (!*d)
			return false; /* trailing dot */
	}
	if (labels < 2 || !last)
		return false;
	if (lastlen >= 4 && strncasecmp(last, "xn--", 4) == 0)
		return true;
	if (lastlen < 2)
		return false;
	for (size_t i = 0; i < lastlen; i++)
		if (!isalpha((unsigned char)last[i]))
			return false;
	return true;
}

bool valid_username(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 30)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

bool valid_https_url(const char *s)
{
	size_t n = strlen(s);
	if (n > 2048 || strncmp(s, "https://", 8) != 0)
		return false;
	const char *host = s + 8;
	size_t h = strcspn(host, "/?#");
	if (h == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}
