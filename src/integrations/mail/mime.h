/* Building the RFC 5322 / MIME message of one mail (SPEC §14): From, To, Subject (RFC 2047
 * encoded when not plain ASCII), Date, Message-ID, MIME-Version and a multipart/alternative body
 * with a text/plain and a text/html part, both UTF-8 in quoted-printable. Every header value is
 * stripped of CR, LF and other control characters, so no value can add a header; every line
 * ends in CRLF and stays under 78 characters in the body. */
#ifndef CRM_INTEGRATIONS_MAIL_MIME_H
#define CRM_INTEGRATIONS_MAIL_MIME_H

#include <stddef.h>

struct mime_mail {
	const char *from;    /* MAIL_FROM: "Display Name <addr@host>" or "addr@host" */
	const char *to;	     /* recipient address */
	const char *subject; /* UTF-8 */
	const char *text;    /* UTF-8 plain-text body (LF or CRLF line breaks); NULL = empty */
	const char *html;    /* UTF-8 HTML body; NULL = empty */
	long long date_ms;   /* Date header, Unix ms; 0 = now */
};

/* The whole message, headers and body, CRLF line endings (caller frees). Message-ID and the
 * MIME boundary are random; Message-ID's right side is the domain of the From address. */
char *mime_build(const struct mime_mail *m);

/* A copy of a header value with CR, LF, the other C0 controls, DEL and the C1 controls
 * (UTF-8 C2 80..C2 9F) removed (caller frees). NULL gives "". */
char *mime_header_clean(const char *v);

/* The Subject value: the cleaned text as is when it is printable ASCII of modest length,
 * otherwise RFC 2047 encoded words (=?UTF-8?B?...?=, never splitting a UTF-8 character),
 * folded with CRLF SP between words. Caller frees. */
char *mime_encode_subject(const char *subject);

/* The bare address of a From value: what is inside its angle brackets, or the whole value
 * trimmed when it has none (caller frees; control characters removed). Used as the SMTP
 * envelope sender. */
char *mime_address_of(const char *from);

/* Quoted-printable (RFC 2045) of UTF-8 text: LF or CRLF line breaks become CRLF, lines are
 * at most 76 characters with soft breaks, trailing blanks and a leading '.' are encoded.
 * Caller frees. */
char *mime_qp_encode(const char *s);

#endif
