/* The .env format (SPEC §16.1): KEY=VALUE lines, `#` comments, optional `export `, single
 * quotes for literal text, double quotes with \n \" \\ escapes, unquoted values cut at ` #`.
 * Values are one line each: a quote left open is an error rather than a multi-line value, so
 * a stray quote cannot silently swallow the settings below it. */
#include "config/dotenv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool is_key_start(char ch)
{
	return ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool is_key_char(char ch)
{
	return is_key_start(ch) || (ch >= '0' && ch <= '9');
}

static const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* After a closing quote only blanks and a comment may follow. */
static const char *check_rest(const char *p)
{
	p = skip_blanks(p);
	return *p && *p != '#' ? "unexpected text after the closing quote" : NULL;
}

static const char *parse_single(const char *p, struct buf *val)
{
	const char *end = strchr(p, '\'');
	if (!end)
		return "unterminated single quote";
	buf_append(val, p, (size_t)(end - p));
	return check_rest(end + 1);
}

static const char *parse_double(const char *p, struct buf *val)
{
	for (; *p && *p != '"'; p++) {
		if (*p != '\\' || !p[1]) {
			buf_putc(val, *p);
			continue;
		}
		p++;
		/* Only the three escapes of the spec; any other backslash stays literal so that
		 * Windows-style paths in quotes survive. */
		if (*p == 'n')
			buf_putc(val, '\n');
		else if (*p == '"' || *p == '\\')
			buf_putc(val, *p);
		else {
			buf_putc(val, '\\');
			buf_putc(val, *p);
		}
	}
	if (*p != '"')
		return "unterminated double quote";
	return check_rest(p + 1);
}

static void parse_unquoted(const char *p, bool blank_before, struct buf *val)
{
	const char *end = p;
	if (blank_before && *p == '#')
		return; /* `KEY= # comment`: the value is empty */
	for (; *end; end++)
		if (is_blank(*end) && end[1] == '#')
			break;
	while (end > p && is_blank(end[-1]))
		end--;
	buf_append(val, p, (size_t)(end - p));
}

/* Parses one line (NUL-terminated, no newline). Returns NULL and sets *key (NULL for a blank
 * or comment line) and *value, or a problem description. */
static const char *parse_line(const char *line, char **key, char **value)
{
	const char *p = skip_blanks(line), *k;
	*key = *value = NULL;
	if (!*p || *p == '#')
		return NULL;
	if (strncmp(p, "export", 6) == 0 && is_blank(p[6]))
		p = skip_blanks(p + 6);
	if (!is_key_start(*p))
		return "expected KEY=VALUE";
	for (k = p; is_key_char(*p); p++)
		;
	const char *key_end = p;
	p = skip_blanks(p);
	if (*p != '=')
		return *p ? "invalid character in key (expected KEY=VALUE)" : "missing '='";
	const char *after_eq = ++p;
	p = skip_blanks(p);

	struct buf val = {0};
	const char *problem = NULL;
	if (*p == '\'')
		problem = parse_single(p + 1, &val);
	else if (*p == '"')
		problem = parse_double(p + 1, &val);
	else
		parse_unquoted(p, p != after_eq, &val);
	if (problem) {
		buf_free(&val);
		return problem;
	}
	*key = xstrndup(k, (size_t)(key_end - k));
	*value = buf_steal(&val);
	return NULL;
}

static void add_entry(struct dotenv *d, char *key, char *value, int line)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = (struct dotenv_entry){key, value, line};
}

int dotenv_parse(struct dotenv *d, const char *text, const char *path, const char *var, FILE *err)
{
	int problems = 0, lineno = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len && p[len - 1] == '\r')
			len--; /* files edited on Windows */
		char *line = xstrndup(p, len), *key, *value;
		const char *problem = parse_line(line, &key, &value);
		free(line);
		if (problem) {
			fprintf(err, "config: %s: %s line %d: %s\n", var, path, lineno, problem);
			problems++;
		} else if (key) {
			add_entry(d, key, value, lineno);
		}
		p = nl ? nl + 1 : p + len;
		if (!nl)
			break;
	}
	return problems;
}

int dotenv_read(struct dotenv *d, const char *path, const char *var, FILE *err, int *problems)
{
	memset(d, 0, sizeof *d);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	struct buf text = {0};
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&text, chunk, got);
	if (ferror(f)) {
		int saved = errno ? errno : EIO;
		fclose(f);
		buf_free(&text);
		errno = saved;
		return -1;
	}
	fclose(f);
	d->path = xstrdup(path);
	*problems += dotenv_parse(d, text.data ? text.data : "", path, var, err);
	buf_free(&text);
	return 0;
}

const struct dotenv_entry *dotenv_get(const struct dotenv *d, const char *key)
{
	for (size_t i = d->n; i-- > 0;)
		if (strcmp(d->v[i].key, key) == 0)
			return &d->v[i];
	return NULL;
}

static bool is_plain(const char *v)
{
	if (!*v)
		return false;
	for (const char *p = v; *p; p++)
		if (!is_key_char(*p) && !strchr("-./:@+,=", *p))
			return false;
	return true;
}

void dotenv_format(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, "%s=", key);
	if (is_plain(value)) {
		buf_puts(b, value);
	} else if (!strchr(value, '\'') && !strchr(value, '\n')) {
		buf_printf(b, "'%s'", value);
	} else {
		buf_putc(b, '"');
		for (const char *p = value; *p; p++) {
			if (*p == '\n')
				buf_puts(b, "\\n");
			else if (*p == '"' || *p == '\\') {
				buf_putc(b, '\\');
				buf_putc(b, *p);
			} else
				buf_putc(b, *p);
		}
		buf_putc(b, '"');
	}
	buf_putc(b, '\n');
}

void dotenv_free(struct dotenv *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].value);
	}
	free(d->v);
	free(d->path);
	memset(d, 0, sizeof *d);
}
