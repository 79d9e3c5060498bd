/* The settings table (SPEC §16.2) and the loader that applies it. Every variable is one row:
 * its type and range, default (static text, or derived from rows above it), flags (secret,
 * required in production, development secret) and its field in struct config. Loading,
 * validation, `config check` output and freeing are all driven by this one table, so adding a
 * setting is adding a row. Sources, highest first: environment, ENV_FILE, (development
 * secrets) DATA_DIR/secrets.env, default. */
#include "config/config_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/dotenv.h"
#include "log/log.h"
#include "util/alloc.h"

/* T_ENUM fields are stored as int (config_value.c); make sure the enums really are. */
_Static_assert(sizeof(enum crm_env) == sizeof(int), "enum crm_env is int-sized");
_Static_assert(sizeof(enum log_format) == sizeof(int), "enum log_format is int-sized");
_Static_assert(sizeof(enum smtp_tls) == sizeof(int), "enum smtp_tls is int-sized");

#define AT(f) .offset = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
#define DAY (24LL * 3600)

/* Derived defaults. Each may only read rows above its own in the table, because rows are
 * resolved in order; returning NULL leaves the setting unset (usually because the row it
 * depends on failed, which has been reported already). */

static long cpus_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : n;
}

static char *cpu_count(const struct config *c)
{
	(void)c;
	return xasprintf("%ld", cpus_online());
}

/* A polling thread waits for each answer of PostgreSQL, so with as many threads as CPUs the
 * CPUs idle while the database works: twice as many served about a quarter more requests/s on
 * the read routes of `make bench` (docs/operations.md). Doubling stops at 32 threads (never
 * below the CPU count), so a node opens at most 16 PostgreSQL connections more than with one
 * thread per CPU. SQLite answers in the thread itself, where more threads bought nothing. */
int config_worker_threads_default(long cpus, bool postgres)
{
	if (postgres && cpus < 32)
		cpus = 2 * cpus < 32 ? 2 * cpus : 32;
	return (int)cpus;
}

static char *worker_threads_default(const struct config *c)
{
	bool postgres = c->database_url && c->database_url[0];
	return xasprintf("%d", config_worker_threads_default(cpus_online(), postgres));
}

/* PORT=0 (any free port) has no URL yet: config_set_port re-derives once it is known. */
static char *base_url_default(const struct config *c)
{
	return c->port ? xasprintf("http://localhost:%d", c->port) : xstrdup("http://localhost");
}

static char *copy_base_url(const struct config *c)
{
	return c->base_url ? xstrdup(c->base_url) : NULL;
}

static char *sqlite_path_default(const struct config *c)
{
	if (!c->data_dir)
		return NULL;
	size_t len = strlen(c->data_dir);
	while (len > 1 && c->data_dir[len - 1] == '/')
		len--;
	return xasprintf("%.*s/crm.sqlite3", (int)len, c->data_dir);
}

static char *pool_size_default(const struct config *c)
{
	return c->worker_threads > 0 ? xasprintf("%d", c->worker_threads) : NULL;
}

/* §14: with SMTP_URL unset, EMAIL + APP_PASSWORD mean Gmail over implicit TLS. Deriving the
 * URL and credentials here keeps that rule out of the mailer. */
static char *smtp_url_default(const struct config *c)
{
	return c->email && c->app_password ? xstrdup("smtps://smtp.gmail.com:465") : NULL;
}

static bool smtp_is_gmail_shorthand(const struct config *c)
{
	return config_source_of(c, "SMTP_URL") == CONFIG_SRC_DERIVED;
}

static char *smtp_user_default(const struct config *c)
{
	return smtp_is_gmail_shorthand(c) ? xstrdup(c->email) : NULL;
}

static char *smtp_password_default(const struct config *c)
{
	return smtp_is_gmail_shorthand(c) ? xstrdup(c->app_password) : NULL;
}

/* A local relay (a test SMTP server, a sidecar) rarely has a certificate for 127.0.0.1. */
static char *smtp_tls_default(const struct config *c)
{
	char *host = c->smtp_url ? config_url_host(c->smtp_url) : NULL;
	char *v = xstrdup(config_host_is_loopback(host) ? "opportunistic" : "required");
	free(host);
	return v;
}

static char *mail_from_default(const struct config *c)
{
	if (c->email)
		return xstrdup(c->email);
	char *host = c->base_url ? config_url_host(c->base_url) : NULL;
	if (!host)
		return NULL;
	char *v = strchr(host, ':') ? xasprintf("Personal CRM <no-reply@[IPv6:%s]>", host)
				    : xasprintf("Personal CRM <no-reply@%s>", host);
	free(host);
	return v;
}

/* The table is laid out by hand, one row per variable; clang-format would scatter rows. */
/* clang-format off */
#define SECRET_ROW(n, f)                                                                   \
	{.name = n, .type = T_STRING, .min = 32, AT(f),                                    \
	 .flags = F_SECRET | F_PROD_REQUIRED | F_DEV_SECRET}
#define STR(n, f, d) {.name = n, .type = T_STRING, .def = d, AT(f)}
#define SECRET(n, f) {.name = n, .type = T_STRING, .flags = F_SECRET, AT(f)}
#define INT(n, f, lo, hi, d) {.name = n, .type = T_INT, .min = lo, .max = hi, .def = d, AT(f)}
#define DUR(n, f, lo, hi, d)                                                               \
	{.name = n, .type = T_DURATION, .min = lo, .max = hi, .def = d, AT(f)}
#define URL(n, f, fl, d) {.name = n, .type = T_URL, .flags = fl, .def = d, AT(f)}
#define MAX_COUNT 1000000000LL

const struct setting config_settings[] = {
	{.name = "CRM_ENV", .alias = "NODE_ENV", .type = T_ENUM, .def = "development",
	 .names = {"development", "production", "test"},
	 .values = {ENV_DEVELOPMENT, ENV_PRODUCTION, ENV_DEVELOPMENT}, AT(env)},
	/* 0 = any free port: tests bind that way and read the port back from the server. */
	INT("PORT", port, 0, 65535, "3000"),
	STR("LISTEN_ADDRESS", listen_address, "0.0.0.0"),
	{.name = "BASE_URL", .type = T_ORIGIN, .flags = F_PROD_REQUIRED,
	 .derive = base_url_default, AT(base_url)},
	{.name = "FRONTEND_URL", .type = T_URL, .flags = F_TRIM_SLASH, .derive = copy_base_url,
	 AT(frontend_url)},
	{.name = "CORS_ORIGINS", .type = T_ORIGINS, AT(cors_origins)},
	STR("DATA_DIR", data_dir, "./data"),
	{.name = "DATABASE_URL", .type = T_URI, .flags = F_URL_PASSWORD,
	 .names = {"postgres://", "postgresql://"}, AT(database_url)},
	{.name = "SQLITE_PATH", .type = T_STRING, .derive = sqlite_path_default, AT(sqlite_path)},
	/* Below DATABASE_URL, which its default reads; above DB_POOL_SIZE, whose default it is. */
	{.name = "WORKER_THREADS", .type = T_INT, .min = 1, .max = 256,
	 .derive = worker_threads_default, AT(worker_threads)},
	{.name = "DB_POOL_SIZE", .type = T_INT, .min = 1, .max = 256, .derive = pool_size_default,
	 AT(db_pool_size)},
	INT("DB_STATEMENT_TIMEOUT_MS", db_statement_timeout_ms, 1, 3600000, "5000"),
	{.name = "REDIS_URL", .type = T_URI, .flags = F_URL_PASSWORD,
	 .names = {"redis://", "rediss://"}, AT(redis_url)},
	SECRET_ROW("SESSION_SECRET", session_secret),
	SECRET_ROW("ACCESS_TOKEN_SECRET", access_token_secret),
	DUR("ACCESS_TOKEN_EXPIRY", access_token_expiry, 60, DAY, "15m"),
	SECRET("REFRESH_TOKEN_SECRET", refresh_token_secret),
	DUR("REFRESH_TOKEN_EXPIRY", refresh_token_expiry, 3600, 90 * DAY, "7d"),
	DUR("REFRESH_REUSE_GRACE_SECONDS", refresh_reuse_grace_seconds, 0, 60, "10"),
	{.name = "JWT_ISSUER", .type = T_STRING, .derive = copy_base_url, AT(jwt_issuer)},
	STR("JWT_AUDIENCE", jwt_audience, "personal-crm-api"),
	{.name = "REQUIRE_EMAIL_VERIFICATION", .type = T_BOOL, .def = "true",
	 AT(require_email_verification)},
	{.name = "PASSWORD_HASH_CONCURRENCY", .type = T_INT, .min = 1, .max = 256,
	 .derive = cpu_count, AT(password_hash_concurrency)},
	STR("COMMON_PASSWORDS_FILE", common_passwords_file, NULL),
	INT("LOGIN_MAX_FAILURES", login_max_failures, 1, MAX_COUNT, "10"),
	DUR("LOGIN_FAILURE_WINDOW_SECONDS", login_failure_window_seconds, 1, 7 * DAY, "900"),
	/* EMAIL and APP_PASSWORD come before the SMTP rows their defaults are derived from. */
	STR("EMAIL", email, NULL),
	SECRET("APP_PASSWORD", app_password),
	{.name = "SMTP_URL", .type = T_URI, .flags = F_URL_PASSWORD,
	 .names = {"smtp://", "smtps://"}, .derive = smtp_url_default, AT(smtp_url)},
	{.name = "SMTP_USER", .type = T_STRING, .derive = smtp_user_default, AT(smtp_user)},
	{.name = "SMTP_PASSWORD", .type = T_STRING, .flags = F_SECRET,
	 .derive = smtp_password_default, AT(smtp_password)},
	{.name = "SMTP_TLS", .type = T_ENUM, .names = {"required", "opportunistic", "none"},
	 .values = {SMTP_TLS_REQUIRED, SMTP_TLS_OPPORTUNISTIC, SMTP_TLS_NONE},
	 .derive = smtp_tls_default, AT(smtp_tls)},
	{.name = "MAIL_FROM", .type = T_STRING, .derive = mail_from_default, AT(mail_from)},
	STR("GOOGLE_CLIENT_ID", google_client_id, NULL),
	SECRET("GOOGLE_CLIENT_SECRET", google_client_secret),
	URL("GOOGLE_AUTH_URL", google_auth_url, 0, "https://accounts.google.com/o/oauth2/v2/auth"),
	URL("GOOGLE_TOKEN_URL", google_token_url, 0, "https://oauth2.googleapis.com/token"),
	URL("GOOGLE_JWKS_URL", google_jwks_url, 0, "https://www.googleapis.com/oauth2/v3/certs"),
	/* Compared byte for byte with the id token's iss, so no URL normalisation. */
	STR("GOOGLE_ISSUER", google_issuer, "https://accounts.google.com"),
	STR("GITHUB_CLIENT_ID", github_client_id, NULL),
	SECRET("GITHUB_CLIENT_SECRET", github_client_secret),
	URL("GITHUB_AUTH_URL", github_auth_url, 0, "https://github.com/login/oauth/authorize"),
	URL("GITHUB_TOKEN_URL", github_token_url, 0, "https://github.com/login/oauth/access_token"),
	URL("GITHUB_API_URL", github_api_url, F_TRIM_SLASH, "https://api.github.com"),
	SECRET("STRIPE_SECRET_KEY", stripe_secret_key),
	SECRET("STRIPE_WEBHOOK_SECRET", stripe_webhook_secret),
	{.name = "STRIPE_PRICE_ID", .alias = "STRIPE_MONTHLY_PRICE_ID", .type = T_STRING,
	 AT(stripe_price_id)},
	INT("STRIPE_TRIAL_DAYS", stripe_trial_days, 0, 730, "10"),
	URL("STRIPE_API_BASE", stripe_api_base, F_TRIM_SLASH, "https://api.stripe.com"),
	STR("TRUST_PROXY", trust_proxy, NULL),
	DUR("RATE_LIMIT_WINDOW_SECONDS", rate_limit_window_seconds, 1, 7 * DAY, "900"),
	INT("RATE_LIMIT_ANON_MAX", rate_limit_anon_max, 1, MAX_COUNT, "100"),
	INT("RATE_LIMIT_MAX", rate_limit_max, 1, MAX_COUNT, "1000"),
	INT("RATE_LIMIT_MAX_PREMIUM", rate_limit_max_premium, 1, MAX_COUNT, "5000"),
	DUR("RATE_LIMIT_AUTH_WINDOW_SECONDS", rate_limit_auth_window_seconds, 1, 7 * DAY, "900"),
	INT("RATE_LIMIT_AUTH_MAX", rate_limit_auth_max, 1, MAX_COUNT, "10"),
	DUR("RATE_LIMIT_EXPORT_WINDOW_SECONDS", rate_limit_export_window_seconds, 1, 7 * DAY,
	    "3600"),
	INT("RATE_LIMIT_EXPORT_MAX", rate_limit_export_max, 1, MAX_COUNT, "10"),
	/* The hard cap on contacts per account is 100,000 (§17). */
	INT("FREE_CONTACT_LIMIT", free_contact_limit, 0, 100000, "100"),
	INT("MAX_BODY_BYTES", max_body_bytes, 1024, 16777216, "1048576"),
	{.name = "LOG_FORMAT", .type = T_ENUM, .def = "json", .names = {"json", "text"},
	 .values = {LOG_FMT_JSON, LOG_FMT_TEXT}, AT(log_format)},
	{.name = "LOG_LEVEL", .type = T_ENUM, .def = "info",
	 .names = {"debug", "info", "warn", "error"},
	 .values = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR}, AT(log_level)},
	SECRET("METRICS_TOKEN", metrics_token),
	DUR("SHUTDOWN_TIMEOUT_SECONDS", shutdown_timeout_seconds, 0, 3600, "30"),
	INT("TOMBSTONE_RETENTION_DAYS", tombstone_retention_days, 1, 3650, "30"),
	/* Names the file, so it can only come from the environment. */
	{.name = "ENV_FILE", .type = T_STRING, .flags = F_ENV_ONLY, .def = ".env", AT(env_file)},
};
/* clang-format on */
const size_t config_settings_len = sizeof config_settings / sizeof config_settings[0];
_Static_assert(sizeof config_settings / sizeof config_settings[0] <= CONFIG_MAX_SETTINGS,
	       "raise CONFIG_MAX_SETTINGS");

/* The pieces that cross rows while loading. */
struct loader {
	struct config *c;
	FILE *err;
	const struct dotenv *file;
	int problems;
};

/* A value found for a row, and where, for messages and `config check`. */
struct found {
	const char *var, *value;
	unsigned char src;
	int line;
};

/* Looks var up in the environment, then the file. An empty value counts as unset there (a
 * blank in the environment may hide a file value) and ends the search, returning false. */
static bool lookup(const struct loader *L, const struct setting *s, const char *var,
		   struct found *f)
{
	const char *v = getenv(var);
	if (v) {
		*f = (struct found){var, v, CONFIG_SRC_ENV, 0};
	} else if (!(s->flags & F_ENV_ONLY) && L->file && dotenv_get(L->file, var)) {
		const struct dotenv_entry *e = dotenv_get(L->file, var);
		*f = (struct found){var, e->value, CONFIG_SRC_FILE, e->line};
	} else {
		return false;
	}
	return *f->value != '\0';
}

static void report(struct loader *L, const char *var, const char *problem, const struct found *f)
{
	if (f && f->src == CONFIG_SRC_FILE)
		fprintf(L->err, "config: %s: %s (%s line %d)\n", var, problem, L->file->path,
			f->line);
	else if (f && f->src == CONFIG_SRC_ENV)
		fprintf(L->err, "config: %s: %s (environment)\n", var, problem);
	else
		fprintf(L->err, "config: %s: %s\n", var, problem);
	L->problems++;
}

static void resolve(struct loader *L, size_t i)
{
	const struct setting *s = &config_settings[i];
	struct config *c = L->c;
	struct found f;
	char problem[256];

	bool have = lookup(L, s, s->name, &f);
	if (!have && s->alias && lookup(L, s, s->alias, &f)) {
		have = true;
		f.src |= CONFIG_SRC_VIA_ALIAS;
	}
	if (have) {
		if (config_parse_value(s, f.value, c, problem, sizeof problem) < 0)
			report(L, f.var, problem, &f);
		else
			c->sources[i] = f.src;
		return;
	}
	if ((s->flags & F_PROD_REQUIRED) && c->env == ENV_PRODUCTION) {
		report(L, s->name,
		       s->min ? "is required in production (at least 32 bytes)"
			      : "is required in production",
		       NULL);
		return;
	}
	if (s->flags & F_DEV_SECRET)
		return; /* config_dev_secrets fills it once DATA_DIR is known */
	char *text = s->def ? xstrdup(s->def) : s->derive ? s->derive(c) : NULL;
	if (!text)
		return;
	if (config_parse_value(s, text, c, problem, sizeof problem) < 0) {
		/* A bad derived value follows from a bad setting above, already reported (e.g.
		 * BASE_URL from an invalid PORT); otherwise it is a bug in the table. */
		if (!L->problems)
			report(L, s->name, problem, NULL);
	} else
		c->sources[i] = s->def ? CONFIG_SRC_DEFAULT : CONFIG_SRC_DERIVED;
	free(text);
}

/* A problem that only stops production; development carries on with a warning. */
static void prod_problem(struct loader *L, const char *var, const char *problem,
			 const char *dev_consequence)
{
	if (L->c->env == ENV_PRODUCTION)
		report(L, var, problem, NULL);
	else
		fprintf(L->err, "config: warning: %s: %s%s\n", var, problem, dev_consequence);
}

static void check_lengths(struct loader *L)
{
	for (size_t i = 0; i < config_settings_len; i++) {
		const struct setting *s = &config_settings[i];
		if (s->type != T_STRING || s->min <= 0)
			continue;
		const char *v = *config_str_field(s, L->c);
		if (v && strlen(v) < (size_t)s->min) {
			char problem[64];
			snprintf(problem, sizeof problem, "is shorter than %lld bytes", s->min);
			prod_problem(L, s->name, problem, "");
		}
	}
}

/* An integration is enabled when every variable it needs is set. Setting only some of them
 * is a mistake worth reporting, but only when one of the trigger variables is among them:
 * a lone STRIPE_PRICE_ID is harmless, a lone STRIPE_SECRET_KEY is not (§16.1). */
static const struct feature {
	const char *label;
	size_t enabled;
	const char *vars[3];
	unsigned triggers; /* bit i: vars[i] */
} features[] = {
    {"google sign-in",
     offsetof(struct config, google_enabled),
     {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"},
     3},
    {"github sign-in",
     offsetof(struct config, github_enabled),
     {"GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"},
     3},
    {"billing",
     offsetof(struct config, stripe_enabled),
     {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_ID"},
     3},
};

static const char *value_of(struct config *c, const char *name)
{
	int i = config_setting_index(name);
	return i < 0 ? NULL : *config_str_field(&config_settings[i], c);
}

static void check_features(struct loader *L)
{
	for (size_t k = 0; k < sizeof features / sizeof features[0]; k++) {
		const struct feature *ft = &features[k];
		const char *trigger = NULL;
		bool all = true;
		for (int i = 0; i < 3 && ft->vars[i]; i++) {
			bool set = value_of(L->c, ft->vars[i]) != NULL;
			all = all && set;
			if (set && !trigger && (ft->triggers & (1u << i)))
				trigger = ft->vars[i];
		}
		bool enabled = all;
		memcpy((char *)L->c + ft->enabled, &enabled, sizeof enabled);
		if (all || !trigger)
			continue;
		for (int i = 0; i < 3 && ft->vars[i]; i++) {
			if (value_of(L->c, ft->vars[i]))
				continue;
			char problem[128], consequence[64];
			snprintf(problem, sizeof problem, "is required when %s is set", trigger);
			snprintf(consequence, sizeof consequence, "; %s disabled", ft->label);
			prod_problem(L, ft->vars[i], problem, consequence);
		}
	}
}

static void read_env_file(struct loader *L, struct dotenv *file)
{
	const char *explicit = getenv("ENV_FILE");
	const char *path = explicit && *explicit ? explicit : ".env";
	if (dotenv_read(file, path, "ENV_FILE", L->err, &L->problems) == 0) {
		L->file = file;
	} else if (errno != ENOENT) {
		fprintf(L->err, "config: ENV_FILE: cannot read %s: %s\n", path, strerror(errno));
		L->problems++;
	} else if (explicit && *explicit) {
		/* Optional, but a name given on purpose that does not exist is likely a typo. */
		fprintf(L->err, "config: warning: ENV_FILE: %s does not exist\n", path);
	}
}

int config_load(struct config *out, FILE *err)
{
	struct dotenv file = {0};
	struct loader L = {.c = out, .err = err ? err : stderr};

	memset(out, 0, sizeof *out);
	read_env_file(&L, &file);
	for (size_t i = 0; i < config_settings_len; i++)
		resolve(&L, i);
	dotenv_free(&file);

	if (out->env == ENV_DEVELOPMENT && out->data_dir)
		L.problems += config_dev_secrets(out, L.err);
	check_lengths(&L);
	check_features(&L);

	if (L.problems) {
		config_free(out);
		return 2;
	}
	return 0;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < config_settings_len; i++) {
		const struct setting *s = &config_settings[i];
		switch (s->type) {
		case T_STRING:
		case T_ORIGIN:
		case T_URL:
		case T_URI:
		case T_ORIGINS:
			free(*config_str_field(s, c));
			break;
		default:
			break;
		}
	}
	memset(c, 0, sizeof *c);
}

void config_set_port(struct config *c, int port)
{
	c->port = port;
	for (size_t i = 0; i < config_settings_len; i++) {
		const struct setting *s = &config_settings[i];
		if (c->sources[i] != CONFIG_SRC_DERIVED || !s->derive)
			continue;
		char *text = s->derive(c), problem[256];
		/* A failed parse keeps the old value; these parsed at load time, so they will. */
		if (text)
			config_parse_value(s, text, c, problem, sizeof problem);
		free(text);
	}
}

int config_setting_index(const char *name)
{
	for (size_t i = 0; i < config_settings_len; i++)
		if (strcmp(config_settings[i].name, name) == 0)
			return (int)i;
	return -1;
}

enum config_source config_source_of(const struct config *c, const char *name)
{
	int i = config_setting_index(name);
	return i < 0 ? CONFIG_SRC_UNSET
		     : (enum config_source)(c->sources[i] & ~CONFIG_SRC_VIA_ALIAS);
}

const char *config_source_name(enum config_source src)
{
	switch (src) {
	case CONFIG_SRC_DEFAULT:
		return "default";
	case CONFIG_SRC_DERIVED:
		return "derived";
	case CONFIG_SRC_ENV:
		return "env";
	case CONFIG_SRC_FILE:
		return "file";
	case CONFIG_SRC_SECRETS:
		return "secrets.env";
	default:
		return "unset";
	}
}

const char *config_var_name(size_t i)
{
	return i < config_settings_len ? config_settings[i].name : NULL;
}
