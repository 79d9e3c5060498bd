/* RFC 5322 / MIME message building (see mime.h). Only what our own mails need: one
 * multipart/alternative of two UTF-8 parts, so the code stays small enough to check by eye. */
#include "integrations/mail/mime.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/timefmt.h"

/* Longest Subject text kept as is; longer ones are encoded, which also folds them. */
#define PLAIN_SUBJECT_MAX 200
/* Bytes of text per encoded word: base64 of 39 bytes is 52 characters, so a word is 64 and
 * "Subject: " plus one word stays under 78. */
#define WORD_BYTES 39
/* Quoted-printable line length before the soft break "=" (RFC 2045: at most 76 in all). */
#define QP_LINE 75

char *mime_header_clean(const char *v)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p++;
			continue;
		}
		buf_putc(&b, (char)*p);
	}
	return buf_steal(&b);
}

/* Trims blanks at both ends in place; returns s. */
static char *trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	size_t i = 0;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
	return s;
}

static bool is_plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* Length of the UTF-8 sequence starting with byte c (1 for stray continuation bytes, so a
 * malformed string still advances). */
static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* Appends s as encoded words separated by sep (CRLF SP in a header to fold). */
static void put_encoded_words(struct buf *b, const char *s, const char *sep)
{
	size_t n = strlen(s), i = 0;
	bool first = true;
	while (i < n) {
		size_t start = i;
		while (i < n) {
			size_t k = utf8_seq_len((unsigned char)s[i]);
			if (i + k > n)
				k = n - i;
			if (i - start + k > WORD_BYTES && i > start)
				break;
			i += k;
		}
		char enc[sodium_base64_ENCODED_LEN(WORD_BYTES + 4, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(enc, sizeof enc, (const unsigned char *)s + start, i - start,
				  sodium_base64_VARIANT_ORIGINAL);
		if (!first)
			buf_puts(b, sep);
		buf_printf(b, "=?UTF-8?B?%s?=", enc);
		first = false;
	}
}

char *mime_encode_subject(const char *subject)
{
	char *s = mime_header_clean(subject);
	if (is_plain_ascii(s) && strlen(s) <= PLAIN_SUBJECT_MAX)
		return s;
	struct buf b = {0};
	buf_puts(&b, "");
	put_encoded_words(&b, s, "\r\n ");
	free(s);
	return buf_steal(&b);
}

char *mime_address_of(const char *from)
{
	char *s = mime_header_clean(from);
	char *lt = strrchr(s, '<');
	if (lt) {
		char *gt = strchr(lt, '>');
		if (gt)
			*gt = '\0';
		memmove(s, lt + 1, strlen(lt + 1) + 1);
	}
	/* An address has no blanks; dropping them keeps a stray one from ending the command. */
	char *w = s;
	for (char *r = s; *r; r++)
		if (*r != ' ' && *r != '\t' && *r != '<' && *r != '>')
			*w++ = *r;
	*w = '\0';
	return s;
}

/* Appends the display name as a phrase: encoded words when not ASCII, a quoted string when it
 * holds specials, else as is. */
static void put_display_name(struct buf *b, const char *name)
{
	if (!is_plain_ascii(name)) {
		put_encoded_words(b, name, " ");
		return;
	}
	if (strpbrk(name, "()<>[]:;@\\,.\"") == NULL) {
		buf_puts(b, name);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}

/* The From header value: [phrase] <addr>, or the bare address. */
static void put_from(struct buf *b, const char *from)
{
	char *addr = mime_address_of(from);
	char *s = mime_header_clean(from);
	char *lt = strrchr(s, '<');
	if (lt) {
		*lt = '\0';
		char *name = trim(s);
		size_t n = strlen(name);
		if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
			name[n - 1] = '\0';
			name++;
		}
		if (name[0]) {
			put_display_name(b, name);
			buf_putc(b, ' ');
		}
		buf_printf(b, "<%s>", addr);
	} else {
		buf_puts(b, addr);
	}
	free(s);
	free(addr);
}

static void put_hex_random(struct buf *b, size_t nbytes)
{
	unsigned char r[32];
	if (nbytes > sizeof r)
		nbytes = sizeof r;
	randombytes_buf(r, nbytes);
	for (size_t i = 0; i < nbytes; i++)
		buf_printf(b, "%02x", r[i]);
}

/* RFC 5322 date-time in UTC, locale-independent. */
static void put_date(struct buf *b, long long ms)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		   mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *mime_qp_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	buf_puts(&b, "");
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t len = strcspn((const char *)p, "\n");
		size_t end = len;
		if (end && p[end - 1] == '\r')
			end--;
		size_t col = 0;
		for (size_t i = 0; i < end; i++) {
			unsigned char c = p[i];
			bool last = i + 1 == end;
			bool literal =
			    (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
			size_t need = literal ? 1 : 3;
			/* Keep room for the soft break's "=" unless this is the line's end. */
			if (col + need > (last ? QP_LINE + 1 : QP_LINE)) {
				buf_puts(&b, "=\r\n");
				col = 0;
			}
			/* A '.' starting a line would meet SMTP dot handling, "From " mbox quoting.
			 */
			if (col == 0 && (c == '.' || (c == 'F' && strncmp((const char *)p + i,
									  "From ", 5) == 0)))
				literal = false;
			if (literal) {
				buf_putc(&b, (char)c);
				col++;
			} else {
				buf_putc(&b, '=');
				buf_putc(&b, hex[c >> 4]);
				buf_putc(&b, hex[c & 15]);
				col += 3;
			}
		}
		p += len;
		if (*p == '\n') {
			buf_puts(&b, "\r\n");
			p++;
		}
	}
	return buf_steal(&b);
}

/* One body part of the alternative. */
static void put_part(struct buf *b, const char *boundary, const char *type, const char *body)
{
	buf_printf(b,
		   "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   boundary, type);
	char *qp = mime_qp_encode(body);
	buf_puts(b, qp);
	if (b->len < 2 || b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n')
		buf_puts(b, "\r\n");
	free(qp);
}

char *mime_build(const struct mime_mail *m)
{
	struct buf b = {0};
	buf_puts(&b, "From: ");
	put_from(&b, m->from);
	char *to = mime_address_of(m->to);
	buf_printf(&b, "\r\nTo: %s\r\n", to);
	free(to);
	char *subject = mime_encode_subject(m->subject);
	buf_printf(&b, "Subject: %s\r\nDate: ", subject);
	free(subject);
	put_date(&b, m->date_ms ? m->date_ms : now_ms());

	char *addr = mime_address_of(m->from);
	const char *at = strrchr(addr, '@');
	const char *domain = at && at[1] ? at + 1 : "localhost";
	buf_puts(&b, "\r\nMessage-ID: <");
	put_hex_random(&b, 16);
	buf_printf(&b, "@%s>\r\n", domain);
	free(addr);

	/* "=_" never occurs in quoted-printable output, so the boundary cannot collide with a
	 * body line whatever the text. */
	struct buf boundary = {0};
	buf_puts(&boundary, "=_crm_");
	put_hex_random(&boundary, 12);
	buf_printf(&b,
		   "MIME-Version: 1.0\r\n"
		   "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
		   "\r\n"
		   "This is a multi-part message in MIME format.\r\n"
		   "\r\n",
		   boundary.data);
	put_part(&b, boundary.data, "text/plain", m->text);
	buf_puts(&b, "\r\n");
	put_part(&b, boundary.data, "text/html", m->html);
	buf_printf(&b, "\r\n--%s--\r\n", boundary.data);
	buf_free(&boundary);
	return buf_steal(&b);
}
