/* Unit tests of src/config/: defaults and derived defaults, .env syntax, source precedence,
 * typed values and ranges, production rules, development secrets, integrations, redaction.
 * Every test starts from a cleared environment with its own DATA_DIR and ENV_FILE in a fresh
 * temporary directory, so tests neither see the developer's .env nor each other. */
#include "test.h"

#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/dotenv.h"
#include "log/log.h"

static char dir[64], data_dir[128], env_file[128];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Clears every configuration variable and points DATA_DIR (not created yet) and ENV_FILE
 * (empty) into a new temporary directory; the previous one is removed. */
static void setup(void)
{
	if (dir[0])
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; config_var_name(i); i++)
		unsetenv(config_var_name(i));
	unsetenv("NODE_ENV");
	unsetenv("STRIPE_MONTHLY_PRICE_ID");
	strcpy(dir, "/tmp/crm-test-config-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(data_dir, sizeof data_dir, "%s/data/nested", dir);
	snprintf(env_file, sizeof env_file, "%s/test.env", dir);
	write_file(env_file, "");
	setenv("DATA_DIR", data_dir, 1);
	setenv("ENV_FILE", env_file, 1);
}

/* Loads into c; *err receives everything config_load printed (caller frees). */
static int load(struct config *c, char **err)
{
	size_t len;
	FILE *f = open_memstream(err, &len);
	int rc = config_load(c, f);
	fclose(f);
	return rc;
}

/* Loads, expecting success and no output at all. */
static void load_ok(struct config *c)
{
	char *err;
	int rc = load(c, &err);
	CHECK_INT(rc, 0);
	CHECK_STR(err, "");
	free(err);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void set_prod_secrets(void)
{
	setenv("CRM_ENV", "production", 1);
	setenv("BASE_URL", "https://api.example.com", 1);
	setenv("SESSION_SECRET", "0123456789abcdef0123456789abcdef-session", 1);
	setenv("ACCESS_TOKEN_SECRET", "0123456789abcdef0123456789abcdef-access", 1);
}

TEST(defaults)
{
	struct config c;
	setup();
	load_ok(&c);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpus = cpus < 1 ? 1 : cpus > 256 ? 256 : cpus;
	CHECK_INT(c.env, ENV_DEVELOPMENT);
	CHECK_INT(c.port, 3000);
	CHECK_STR(c.listen_address, "0.0.0.0");
	CHECK_STR(c.base_url, "http://localhost:3000");
	CHECK_STR(c.frontend_url, "http://localhost:3000");
	CHECK_STR(c.jwt_issuer, "http://localhost:3000");
	CHECK_STR(c.jwt_audience, "personal-crm-api");
	CHECK(c.cors_origins == NULL);
	CHECK(c.database_url == NULL);
	CHECK(c.redis_url == NULL);
	CHECK(c.smtp_url == NULL);
	CHECK(c.refresh_token_secret == NULL);
	CHECK_INT(c.worker_threads, cpus);
	CHECK_INT(c.db_pool_size, cpus);
	CHECK_INT(c.password_hash_concurrency, cpus);
	CHECK_INT(c.db_statement_timeout_ms, 5000);
	CHECK_INT(c.access_token_expiry, 900);
	CHECK_INT(c.refresh_token_expiry, 7 * 86400);
	CHECK_INT(c.refresh_reuse_grace_seconds, 10);
	CHECK(c.require_email_verification);
	CHECK_INT(c.login_max_failures, 10);
	CHECK_INT(c.login_failure_window_seconds, 900);
	CHECK_INT(c.smtp_tls, SMTP_TLS_REQUIRED);
	CHECK_STR(c.mail_from, "Personal CRM <no-reply@localhost>");
	CHECK_STR(c.google_auth_url, "https://accounts.google.com/o/oauth2/v2/auth");
	CHECK_STR(c.google_token_url, "https://oauth2.googleapis.com/token");
	CHECK_STR(c.google_jwks_url, "https://www.googleapis.com/oauth2/v3/certs");
	CHECK_STR(c.google_issuer, "https://accounts.google.com");
	CHECK_STR(c.github_auth_url, "https://github.com/login/oauth/authorize");
	CHECK_STR(c.github_token_url, "https://github.com/login/oauth/access_token");
	CHECK_STR(c.github_api_url, "https://api.github.com");
	CHECK_STR(c.stripe_api_base, "https://api.stripe.com");
	CHECK_INT(c.stripe_trial_days, 10);
	CHECK_INT(c.rate_limit_window_seconds, 900);
	CHECK_INT(c.rate_limit_anon_max, 100);
	CHECK_INT(c.rate_limit_max, 1000);
	CHECK_INT(c.rate_limit_max_premium, 5000);
	CHECK_INT(c.rate_limit_auth_window_seconds, 900);
	CHECK_INT(c.rate_limit_auth_max, 10);
	CHECK_INT(c.rate_limit_export_window_seconds, 3600);
	CHECK_INT(c.rate_limit_export_max, 10);
	CHECK_INT(c.free_contact_limit, 100);
	CHECK_INT(c.max_body_bytes, 1048576);
	CHECK_INT(c.log_format, LOG_FMT_JSON);
	CHECK_INT(c.log_level, LOG_INFO);
	CHECK_INT(c.shutdown_timeout_seconds, 30);
	CHECK_INT(c.tombstone_retention_days, 30);
	CHECK_STR(c.env_file, env_file);
	CHECK(!c.google_enabled && !c.github_enabled && !c.stripe_enabled);
	CHECK_INT(config_source_of(&c, "PORT"), CONFIG_SRC_DEFAULT);
	CHECK_INT(config_source_of(&c, "BASE_URL"), CONFIG_SRC_DERIVED);
	CHECK_INT(config_source_of(&c, "DATA_DIR"), CONFIG_SRC_ENV);
	CHECK_INT(config_source_of(&c, "GOOGLE_CLIENT_ID"), CONFIG_SRC_UNSET);
	CHECK_INT(config_source_of(&c, "NO_SUCH_VARIABLE"), CONFIG_SRC_UNSET);
	config_free(&c);

	/* Without DATA_DIR the default is ./data: only check the derived path, in production so
	 * that no secrets file gets written into the working directory. */
	setup();
	set_prod_secrets();
	unsetenv("DATA_DIR");
	load_ok(&c);
	CHECK_STR(c.data_dir, "./data");
	CHECK_STR(c.sqlite_path, "./data/crm.sqlite3");
	config_free(&c);
}

TEST(derived_defaults)
{
	struct config c;
	setup();
	setenv("PORT", "4000", 1);
	setenv("WORKER_THREADS", "7", 1);
	load_ok(&c);
	CHECK_STR(c.base_url, "http://localhost:4000");
	CHECK_INT(c.db_pool_size, 7);
	char *want = NULL;
	CHECK(asprintf(&want, "%s/crm.sqlite3", data_dir) > 0);
	CHECK_STR(c.sqlite_path, want);
	free(want);
	config_free(&c);

	setup();
	setenv("BASE_URL", "https://api.example.com:8443", 1);
	setenv("DB_POOL_SIZE", "3", 1);
	setenv("SMTP_URL", "smtp://127.0.0.1:2525", 1);
	load_ok(&c);
	CHECK_STR(c.frontend_url, "https://api.example.com:8443");
	CHECK_STR(c.jwt_issuer, "https://api.example.com:8443");
	CHECK_STR(c.mail_from, "Personal CRM <no-reply@api.example.com>");
	CHECK_INT(c.db_pool_size, 3);
	CHECK_INT(c.smtp_tls, SMTP_TLS_OPPORTUNISTIC);
	CHECK(c.smtp_user == NULL);
	config_free(&c);

	/* With PostgreSQL, twice the CPUs up to 32 (never fewer than the CPUs): a polling thread
	 * waits for each of its answers; the pool follows. */
	setup();
	setenv("DATABASE_URL", "postgresql://u@db/crm", 1);
	load_ok(&c);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpus = cpus < 1 ? 1 : cpus > 256 ? 256 : cpus;
	CHECK_INT(c.worker_threads, config_worker_threads_default(cpus, true));
	CHECK_INT(c.db_pool_size, c.worker_threads);
	config_free(&c);
	CHECK_INT(config_worker_threads_default(1, true), 2);
	CHECK_INT(config_worker_threads_default(2, true), 4);
	CHECK_INT(config_worker_threads_default(16, true), 32);
	CHECK_INT(config_worker_threads_default(20, true), 32);
	CHECK_INT(config_worker_threads_default(64, true), 64);
	CHECK_INT(config_worker_threads_default(256, true), 256);
	CHECK_INT(config_worker_threads_default(2, false), 2);
	CHECK_INT(config_worker_threads_default(64, false), 64);

	setup();
	setenv("SMTP_URL", "smtps://user:pw@mail.example.com:465", 1);
	setenv("SMTP_TLS", "none", 1);
	setenv("EMAIL", "me@example.com", 1);
	load_ok(&c);
	CHECK_INT(c.smtp_tls, SMTP_TLS_NONE);
	CHECK_STR(c.mail_from, "me@example.com");
	config_free(&c);

	/* The Gmail shorthand of §14. */
	setup();
	setenv("EMAIL", "me@gmail.com", 1);
	setenv("APP_PASSWORD", "abcd efgh ijkl mnop", 1);
	load_ok(&c);
	CHECK_STR(c.smtp_url, "smtps://smtp.gmail.com:465");
	CHECK_STR(c.smtp_user, "me@gmail.com");
	CHECK_STR(c.smtp_password, "abcd efgh ijkl mnop");
	CHECK_INT(c.smtp_tls, SMTP_TLS_REQUIRED);
	CHECK_STR(c.mail_from, "me@gmail.com");
	CHECK_INT(config_source_of(&c, "SMTP_URL"), CONFIG_SRC_DERIVED);
	config_free(&c);

	setup();
	setenv("PORT", "0", 1); /* any free port */
	setenv("JWT_ISSUER", "issuer-by-operator", 1);
	load_ok(&c);
	CHECK_INT(c.port, 0);
	CHECK_STR(c.base_url, "http://localhost");
	config_set_port(&c, 41234);
	CHECK_INT(c.port, 41234);
	CHECK_STR(c.base_url, "http://localhost:41234");
	CHECK_STR(c.frontend_url, "http://localhost:41234");
	CHECK_STR(c.jwt_issuer, "issuer-by-operator");
	CHECK_STR(c.mail_from, "Personal CRM <no-reply@localhost>");
	config_free(&c);

	setup();
	setenv("PORT", "0", 1);
	setenv("BASE_URL", "https://api.example.com", 1);
	load_ok(&c);
	config_set_port(&c, 41234);
	CHECK_STR(c.base_url, "https://api.example.com");
	CHECK_STR(c.frontend_url, "https://api.example.com");
	config_free(&c);
}

TEST(dotenv_syntax)
{
	struct config c;
	setup();
	write_file(env_file, "# a comment\n"
			     "\n"
			     "   # an indented comment\n"
			     "export JWT_AUDIENCE=first\n"
			     "JWT_AUDIENCE=aud-2   # trailing comment\n"
			     "MAIL_FROM='Team #1 <a@b.c> \\n literal'\n"
			     "TRUST_PROXY=\"10.0.0.1 \\\"x\\\" \\\\ end\\nnext\"\n"
			     "GOOGLE_ISSUER=issuer#not-a-comment\n"
			     "SMTP_USER =  spaced value  \r\n"
			     "export   COMMON_PASSWORDS_FILE=\"/etc/pw.txt\" # comment\n"
			     "CORS_ORIGINS= # nothing\n"
			     "GITHUB_CLIENT_ID=''\n"
			     "UNRELATED_KEY=ignored\n"
			     "PORT=3001\n"
			     "PORT=3002");
	load_ok(&c);
	CHECK_STR(c.jwt_audience, "aud-2");
	CHECK_STR(c.mail_from, "Team #1 <a@b.c> \\n literal");
	CHECK_STR(c.trust_proxy, "10.0.0.1 \"x\" \\ end\nnext");
	CHECK_STR(c.google_issuer, "issuer#not-a-comment");
	CHECK_STR(c.smtp_user, "spaced value");
	CHECK_STR(c.common_passwords_file, "/etc/pw.txt");
	CHECK(c.cors_origins == NULL);
	CHECK(c.github_client_id == NULL);
	CHECK_INT(c.port, 3002);
	CHECK_INT(config_source_of(&c, "PORT"), CONFIG_SRC_FILE);
	config_free(&c);
}

TEST(dotenv_format_round_trips)
{
	const char *values[] = {"plain", "with space", "it's", "multi\nline \"q\" \\",
				"#hash", "x #y",       ""};
	struct buf b = {0};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		dotenv_format(&b, "K", values[i]);
	struct dotenv d = {0};
	FILE *err = tmpfile();
	CHECK_INT(dotenv_parse(&d, b.data, "mem", "ENV_FILE", err), 0);
	fclose(err);
	CHECK_INT(d.n, sizeof values / sizeof values[0]);
	for (size_t i = 0; i < d.n && i < sizeof values / sizeof values[0]; i++)
		CHECK_STR(d.v[i].value, values[i]);
	dotenv_free(&d);
	buf_free(&b);
}

TEST(dotenv_malformed_lines)
{
	struct config c;
	char *err;
	setup();
	write_file(env_file, "PORT=3000\n"
			     "just some words\n"
			     "GOOD=1\n"
			     "BAD='unterminated\n"
			     "1KEY=x\n"
			     "Q=\"closed\" trailing\n");
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: ENV_FILE: ") != NULL);
	CHECK(strstr(err, "line 2: ") != NULL);
	CHECK(strstr(err, "line 4: unterminated single quote") != NULL);
	CHECK(strstr(err, "line 5: ") != NULL);
	CHECK(strstr(err, "line 6: ") != NULL);
	CHECK(strstr(err, "line 1:") == NULL && strstr(err, "line 3:") == NULL);
	CHECK_INT(count_lines(err), 4);
	CHECK(c.base_url == NULL); /* zeroed on failure */
	free(err);
	config_free(&c);
}

TEST(env_beats_file)
{
	struct config c;
	setup();
	write_file(env_file, "PORT=4000\nLISTEN_ADDRESS=127.0.0.1\nLOG_LEVEL=debug\n");
	setenv("PORT", "5000", 1);
	setenv("LOG_LEVEL", "", 1); /* blank in the environment: unset, hides the file */
	load_ok(&c);
	CHECK_INT(c.port, 5000);
	CHECK_STR(c.listen_address, "127.0.0.1");
	CHECK_INT(c.log_level, LOG_INFO);
	CHECK_INT(config_source_of(&c, "PORT"), CONFIG_SRC_ENV);
	CHECK_INT(config_source_of(&c, "LISTEN_ADDRESS"), CONFIG_SRC_FILE);
	CHECK_INT(config_source_of(&c, "LOG_LEVEL"), CONFIG_SRC_DEFAULT);
	config_free(&c);

	/* A missing ENV_FILE is fine (a warning only when named explicitly). */
	setup();
	unsetenv("ENV_FILE");
	CHECK(chdir(dir) == 0);
	load_ok(&c);
	CHECK_STR(c.env_file, ".env");
	config_free(&c);
	write_file(".env", "JWT_AUDIENCE=from-dot-env\n");
	load_ok(&c);
	CHECK_STR(c.jwt_audience, "from-dot-env");
	config_free(&c);
	CHECK(chdir("/") == 0);
}

TEST(aliases)
{
	struct config c;
	setup();
	setenv("NODE_ENV", "production", 1);
	set_prod_secrets();
	unsetenv("CRM_ENV");
	setenv("STRIPE_MONTHLY_PRICE_ID", "price_alias", 1);
	load_ok(&c);
	CHECK_INT(c.env, ENV_PRODUCTION);
	CHECK_STR(c.stripe_price_id, "price_alias");
	config_free(&c);

	setup();
	setenv("NODE_ENV", "production", 1);
	setenv("CRM_ENV", "test", 1); /* CRM_ENV wins; test is development */
	setenv("STRIPE_MONTHLY_PRICE_ID", "price_alias", 1);
	setenv("STRIPE_PRICE_ID", "price_main", 1);
	load_ok(&c);
	CHECK_INT(c.env, ENV_DEVELOPMENT);
	CHECK_STR(c.stripe_price_id, "price_main");
	config_free(&c);
}

TEST(durations_and_bools)
{
	static const struct {
		const char *text;
		int secs;
	} ok[] = {{"15m", 900}, {"2h", 7200}, {"1d", 86400}, {"900", 900},
		  {"90s", 90},	{"1m", 60},   {"24h", 86400}};
	struct config c;
	char *err;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		setup();
		setenv("ACCESS_TOKEN_EXPIRY", ok[i].text, 1);
		load_ok(&c);
		CHECK_INT(c.access_token_expiry, ok[i].secs);
		config_free(&c);
	}
	const char *bad[] = {"5x", "m", "-1", "1.5h", "15 m", "59", "25h", "1w", "10mm"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setup();
		setenv("ACCESS_TOKEN_EXPIRY", bad[i], 1);
		CHECK_INT(load(&c, &err), 2);
		CHECK(strncmp(err, "config: ACCESS_TOKEN_EXPIRY: ", 29) == 0);
		free(err);
	}
	setup();
	setenv("REFRESH_TOKEN_EXPIRY", "90d", 1);
	setenv("REFRESH_REUSE_GRACE_SECONDS", "0", 1);
	setenv("REQUIRE_EMAIL_VERIFICATION", "false", 1);
	load_ok(&c);
	CHECK_INT(c.refresh_token_expiry, 90 * 86400);
	CHECK_INT(c.refresh_reuse_grace_seconds, 0);
	CHECK(!c.require_email_verification);
	config_free(&c);

	const char *bools[] = {"true", "1", "0", "false"};
	for (int i = 0; i < 4; i++) {
		setup();
		setenv("REQUIRE_EMAIL_VERIFICATION", bools[i], 1);
		load_ok(&c);
		CHECK_INT(c.require_email_verification, i < 2);
		config_free(&c);
	}
	setup();
	setenv("REQUIRE_EMAIL_VERIFICATION", "yes", 1);
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: REQUIRE_EMAIL_VERIFICATION: \"yes\" is not a boolean") != NULL);
	free(err);
}

TEST(all_problems_reported_at_once)
{
	struct config c;
	char *err;
	setup();
	write_file(env_file, "MAX_BODY_BYTES=100\n");
	setenv("PORT", "70000", 1);
	setenv("ACCESS_TOKEN_EXPIRY", "25h", 1);
	setenv("REFRESH_TOKEN_EXPIRY", "30m", 1);
	setenv("REFRESH_REUSE_GRACE_SECONDS", "61", 1);
	setenv("STRIPE_TRIAL_DAYS", "731", 1);
	setenv("WORKER_THREADS", "0", 1);
	setenv("LOG_LEVEL", "verbose", 1);
	setenv("LOG_FORMAT", "xml", 1);
	setenv("CRM_ENV", "staging", 1);
	setenv("SMTP_TLS", "sometimes", 1);
	setenv("DATABASE_URL", "mysql://db/crm", 1);
	setenv("REDIS_URL", "http://cache", 1);
	setenv("DB_STATEMENT_TIMEOUT_MS", "abc", 1);
	CHECK_INT(load(&c, &err), 2);
	const char *vars[] = {"PORT",
			      "ACCESS_TOKEN_EXPIRY",
			      "REFRESH_TOKEN_EXPIRY",
			      "REFRESH_REUSE_GRACE_SECONDS",
			      "STRIPE_TRIAL_DAYS",
			      "WORKER_THREADS",
			      "LOG_LEVEL",
			      "LOG_FORMAT",
			      "CRM_ENV",
			      "SMTP_TLS",
			      "DATABASE_URL",
			      "REDIS_URL",
			      "DB_STATEMENT_TIMEOUT_MS",
			      "MAX_BODY_BYTES"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		char want[64];
		snprintf(want, sizeof want, "config: %s: ", vars[i]);
		if (!strstr(err, want))
			fprintf(stderr, "  missing problem for %s\n", vars[i]);
		CHECK(strstr(err, want) != NULL);
	}
	CHECK_INT(count_lines(err), (int)(sizeof vars / sizeof vars[0]));
	CHECK(strstr(err, "\"70000\" is out of range 0..65535 (environment)") != NULL);
	CHECK(strstr(err, "\"25h\" is out of range 1m..1d") != NULL);
	CHECK(strstr(err, "\"100\" is out of range 1024..16777216 (") != NULL);
	CHECK(strstr(err, "test.env line 1)") != NULL);
	CHECK(strstr(err, "\"verbose\" is not one of debug, info, warn, error") != NULL);
	CHECK(strstr(err, "must start with postgres:// or postgresql://") != NULL);
	free(err);

	setup();
	setenv("MAX_BODY_BYTES", "16777216", 1);
	setenv("LOG_LEVEL", "warn", 1);
	setenv("LOG_FORMAT", "text", 1);
	setenv("DATABASE_URL", "postgresql://u@db/crm?schema=t1", 1);
	setenv("REDIS_URL", "rediss://cache:6380", 1);
	load_ok(&c);
	CHECK_INT(c.max_body_bytes, 16777216);
	CHECK_INT(c.log_level, LOG_WARN);
	CHECK_INT(c.log_format, LOG_FMT_TEXT);
	CHECK_STR(c.database_url, "postgresql://u@db/crm?schema=t1");
	CHECK_STR(c.redis_url, "rediss://cache:6380");
	config_free(&c);
}

TEST(urls_and_trailing_slashes)
{
	struct config c;
	char *err;
	setup();
	setenv("BASE_URL", "https://API.example.com/", 1);
	setenv("FRONTEND_URL", "https://app.example.com/crm/", 1);
	setenv("CORS_ORIGINS", " http://localhost:5173/ , https://admin.example.com,", 1);
	setenv("STRIPE_API_BASE", "http://127.0.0.1:12111/", 1);
	load_ok(&c);
	CHECK_STR(c.base_url, "https://api.example.com");
	CHECK_STR(c.frontend_url, "https://app.example.com/crm");
	CHECK_STR(c.jwt_issuer, "https://api.example.com");
	CHECK_STR(c.cors_origins, "http://localhost:5173,https://admin.example.com");
	CHECK_STR(c.stripe_api_base, "http://127.0.0.1:12111");
	config_free(&c);

	setup();
	setenv("BASE_URL", "https://api.example.com/api", 1);
	setenv("FRONTEND_URL", "ftp://files.example.com", 1);
	setenv("CORS_ORIGINS", "https://ok.example.com,https://bad.example.com/path", 1);
	setenv("GOOGLE_TOKEN_URL", "https://user:pw@example.com/token", 1);
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: BASE_URL: \"https://api.example.com/api\" must be an origin") !=
	      NULL);
	CHECK(strstr(err, "config: FRONTEND_URL: ") != NULL);
	CHECK(strstr(err, "config: CORS_ORIGINS: ") != NULL);
	CHECK(strstr(err, "config: GOOGLE_TOKEN_URL: ") != NULL);
	free(err);

	setup();
	setenv("BASE_URL", "http://[::1]:3000", 1);
	load_ok(&c);
	CHECK_STR(c.base_url, "http://[::1]:3000");
	CHECK_STR(c.mail_from, "Personal CRM <no-reply@[IPv6:::1]>");
	config_free(&c);
}

TEST(production_secrets)
{
	struct config c;
	char *err;
	setup();
	setenv("CRM_ENV", "production", 1);
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: SESSION_SECRET: is required in production") != NULL);
	CHECK(strstr(err, "config: ACCESS_TOKEN_SECRET: is required in production") != NULL);
	CHECK(strstr(err, "config: BASE_URL: is required in production") != NULL);
	CHECK_INT(count_lines(err), 3);
	free(err);
	struct stat st;
	CHECK(stat(data_dir, &st) < 0); /* production never writes secrets.env */

	setup();
	set_prod_secrets();
	setenv("SESSION_SECRET", "short-session-secret", 1);
	setenv("ACCESS_TOKEN_SECRET", "short-access-secret", 1);
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: SESSION_SECRET: is shorter than 32 bytes") != NULL);
	CHECK(strstr(err, "config: ACCESS_TOKEN_SECRET: is shorter than 32 bytes") != NULL);
	CHECK(strstr(err, "short-") == NULL); /* never echoes a secret */
	free(err);

	setup();
	set_prod_secrets();
	setenv("REFRESH_TOKEN_SECRET", "legacy", 1);
	load_ok(&c);
	CHECK_INT(c.env, ENV_PRODUCTION);
	CHECK_STR(c.session_secret, "0123456789abcdef0123456789abcdef-session");
	CHECK_STR(c.refresh_token_secret, "legacy");
	CHECK(stat(data_dir, &st) < 0);
	config_free(&c);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *text = calloc(1, 4096);
	size_t n = fread(text, 1, 4095, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

TEST(development_secrets)
{
	struct config c;
	char path[192], *err;
	struct stat st;
	setup();
	snprintf(path, sizeof path, "%s/secrets.env", data_dir);
	load_ok(&c);
	CHECK(c.session_secret && strlen(c.session_secret) == 43);
	CHECK(c.access_token_secret && strlen(c.access_token_secret) == 43);
	CHECK(c.session_secret && c.access_token_secret &&
	      strcmp(c.session_secret, c.access_token_secret) != 0);
	CHECK(c.session_secret && strspn(c.session_secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
							   "nopqrstuvwxyz0123456789-_") == 43);
	CHECK_INT(config_source_of(&c, "SESSION_SECRET"), CONFIG_SRC_SECRETS);
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK(stat(data_dir, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	char *text = read_all(path);
	CHECK(text && c.session_secret && strstr(text, c.session_secret));
	free(text);
	char *session = strdup(c.session_secret ? c.session_secret : "");
	char *access = strdup(c.access_token_secret ? c.access_token_secret : "");
	config_free(&c);

	load_ok(&c); /* reused, not regenerated */
	CHECK_STR(c.session_secret, session);
	CHECK_STR(c.access_token_secret, access);
	CHECK_INT(config_source_of(&c, "ACCESS_TOKEN_SECRET"), CONFIG_SRC_SECRETS);
	config_free(&c);

	/* The environment still wins, and a short secret in development is only a warning. */
	setenv("SESSION_SECRET", "dev-short", 1);
	CHECK_INT(load(&c, &err), 0);
	CHECK_STR(err, "config: warning: SESSION_SECRET: is shorter than 32 bytes\n");
	CHECK_STR(c.session_secret, "dev-short");
	CHECK_STR(c.access_token_secret, access);
	free(err);
	config_free(&c);
	text = read_all(path);
	CHECK(text && !strstr(text, "dev-short")); /* an operator's secret is never persisted */
	free(text);

	/* One secret missing from the file: generated and added, the other kept. */
	unsetenv("SESSION_SECRET");
	write_file(path, "ACCESS_TOKEN_SECRET=kept-kept-kept-kept-kept-kept-kept\n");
	load_ok(&c);
	CHECK_STR(c.access_token_secret, "kept-kept-kept-kept-kept-kept-kept");
	CHECK(c.session_secret && strcmp(c.session_secret, session) != 0);
	text = read_all(path);
	CHECK(text && strstr(text, "ACCESS_TOKEN_SECRET=kept-kept-kept-kept-kept-kept-kept\n"));
	CHECK(text && c.session_secret && strstr(text, c.session_secret));
	free(text);
	config_free(&c);
	free(session);
	free(access);

	/* A damaged secrets.env is reported, not overwritten. */
	write_file(path, "garbage line\n");
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: DATA_DIR: ") && strstr(err, "secrets.env line 1: "));
	free(err);
	text = read_all(path);
	CHECK_STR(text, "garbage line\n");
	free(text);
}

TEST(half_configured_integrations)
{
	struct config c;
	char *err;
	setup();
	setenv("GOOGLE_CLIENT_ID", "gid", 1);
	setenv("GITHUB_CLIENT_SECRET", "ghsecret", 1);
	setenv("STRIPE_SECRET_KEY", "sk_test_x", 1);
	CHECK_INT(load(&c, &err), 0);
	CHECK(strstr(err, "config: warning: GOOGLE_CLIENT_SECRET: is required when "
			  "GOOGLE_CLIENT_ID is set; google sign-in disabled\n") != NULL);
	CHECK(strstr(err, "config: warning: GITHUB_CLIENT_ID: ") != NULL);
	CHECK(strstr(err, "config: warning: STRIPE_WEBHOOK_SECRET: ") != NULL);
	CHECK(strstr(err, "config: warning: STRIPE_PRICE_ID: ") != NULL);
	CHECK_INT(count_lines(err), 4);
	CHECK(!c.google_enabled && !c.github_enabled && !c.stripe_enabled);
	CHECK(strstr(err, "ghsecret") == NULL && strstr(err, "sk_test_x") == NULL);
	free(err);
	config_free(&c);

	setup();
	setenv("STRIPE_WEBHOOK_SECRET", "whsec_x", 1);
	CHECK_INT(load(&c, &err), 0);
	CHECK_STR(err, "config: warning: STRIPE_SECRET_KEY: is required when "
		       "STRIPE_WEBHOOK_SECRET is set; billing disabled\n"
		       "config: warning: STRIPE_PRICE_ID: is required when "
		       "STRIPE_WEBHOOK_SECRET is set; billing disabled\n");
	free(err);
	config_free(&c);

	setup();
	setenv("STRIPE_PRICE_ID", "price_1", 1); /* alone: harmless, no warning */
	load_ok(&c);
	CHECK(!c.stripe_enabled);
	config_free(&c);

	setup();
	set_prod_secrets();
	setenv("GOOGLE_CLIENT_SECRET", "gsecret", 1);
	setenv("STRIPE_SECRET_KEY", "sk_live_x", 1);
	setenv("STRIPE_PRICE_ID", "price_1", 1);
	CHECK_INT(load(&c, &err), 2);
	CHECK(strstr(err, "config: GOOGLE_CLIENT_ID: is required when GOOGLE_CLIENT_SECRET is "
			  "set\n") != NULL);
	CHECK(strstr(err, "config: STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY "
			  "is set\n") != NULL);
	CHECK_INT(count_lines(err), 2);
	free(err);

	setup();
	set_prod_secrets();
	setenv("GOOGLE_CLIENT_ID", "gid", 1);
	setenv("GOOGLE_CLIENT_SECRET", "gsecret", 1);
	setenv("GITHUB_CLIENT_ID", "ghid", 1);
	setenv("GITHUB_CLIENT_SECRET", "ghsecret", 1);
	setenv("STRIPE_SECRET_KEY", "sk_live_x", 1);
	setenv("STRIPE_WEBHOOK_SECRET", "whsec_x", 1);
	setenv("STRIPE_PRICE_ID", "price_1", 1);
	load_ok(&c);
	CHECK(c.google_enabled && c.github_enabled && c.stripe_enabled);
	config_free(&c);
}

TEST(print_redacts_secrets)
{
	struct config c;
	setup();
	write_file(env_file, "STRIPE_SECRET_KEY=sk_live_SECRETVALUE\n");
	setenv("SESSION_SECRET", "session-SECRETVALUE-0123456789abcdef", 1);
	setenv("GOOGLE_CLIENT_SECRET", "google-SECRETVALUE", 1);
	setenv("METRICS_TOKEN", "metrics-SECRETVALUE", 1);
	setenv("DATABASE_URL", "postgres://crm:db-SECRETVALUE@db.example.com:5432/crm", 1);
	setenv("REDIS_URL", "redis://:redis-SECRETVALUE@cache:6379/0", 1);
	setenv("SMTP_URL", "smtp://mailer:smtp-SECRETVALUE@127.0.0.1:2525", 1);
	setenv("SMTP_PASSWORD", "smtppw-SECRETVALUE", 1);
	setenv("NODE_ENV", "test", 1);
	char *err;
	CHECK_INT(load(&c, &err), 0);
	free(err);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	config_print(&c, out);
	fclose(out);
	CHECK(strstr(text, "SECRETVALUE") == NULL);
	CHECK(strstr(text, "SESSION_SECRET=**** (env)\n") != NULL);
	CHECK(strstr(text, "ACCESS_TOKEN_SECRET=**** (secrets.env)\n") != NULL);
	CHECK(strstr(text, "STRIPE_SECRET_KEY=**** (file)\n") != NULL);
	CHECK(strstr(text, "METRICS_TOKEN=**** (env)\n") != NULL);
	CHECK(strstr(text, "SMTP_PASSWORD=**** (env)\n") != NULL);
	CHECK(strstr(text, "DATABASE_URL=postgres://crm:****@db.example.com:5432/crm (env)\n"));
	CHECK(strstr(text, "REDIS_URL=redis://:****@cache:6379/0 (env)\n") != NULL);
	CHECK(strstr(text, "SMTP_URL=smtp://mailer:****@127.0.0.1:2525 (env)\n") != NULL);
	CHECK(strstr(text, "REFRESH_TOKEN_SECRET=(unset)\n") != NULL);
	CHECK(strstr(text, "PORT=3000 (default)\n") != NULL);
	CHECK(strstr(text, "BASE_URL=http://localhost:3000 (derived)\n") != NULL);
	CHECK(strstr(text, "ACCESS_TOKEN_EXPIRY=15m (default)\n") != NULL);
	CHECK(strstr(text, "REFRESH_TOKEN_EXPIRY=7d (default)\n") != NULL);
	CHECK(strstr(text, "SMTP_TLS=opportunistic (derived)\n") != NULL);
	CHECK(strstr(text, "CRM_ENV=development (env, as NODE_ENV)\n") != NULL);
	CHECK(strstr(text, "REQUIRE_EMAIL_VERIFICATION=true (default)\n") != NULL);
	CHECK(strstr(text, "LOG_LEVEL=info (default)\n") != NULL);
	const char *tail = strstr(text, "disabled features:\n");
	CHECK(tail != NULL);
	if (tail) {
		CHECK(strstr(tail, "  google sign-in\n") != NULL);
		CHECK(strstr(tail, "  github sign-in\n") != NULL);
		CHECK(strstr(tail, "  billing\n") != NULL);
		CHECK(strstr(tail, "smtp (file outbox)") == NULL);
		CHECK(strstr(tail, "redis (local limiter)") == NULL);
	}
	free(text);
	config_free(&c);
}

TEST(redacted_url)
{
	static const char *cases[][2] = {
	    {"postgres://u:p@h/db", "postgres://u:****@h/db"},
	    {"postgres://u@h/db", "postgres://u@h/db"},
	    {"redis://:secret@h:6379", "redis://:****@h:6379"},
	    {"postgresql://h/db?sslmode=require&password=pw&x=1",
	     "postgresql://h/db?sslmode=require&password=****&x=1"},
	    {"postgres://u:p@h/db?password=pw#frag", "postgres://u:****@h/db?password=****#frag"},
	    {"smtp://h:25", "smtp://h:25"},
	    {"not a url", "not a url"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = config_redacted_url(cases[i][0]);
		CHECK_STR(r, cases[i][1]);
		free(r);
	}
	CHECK(config_redacted_url(NULL) == NULL);
}

TEST(mkdir_p)
{
	char path[192];
	struct stat st;
	setup();
	snprintf(path, sizeof path, "%s/a/b/c", dir);
	CHECK_INT(config_mkdir_p(path, 0700), 0);
	CHECK_INT(config_mkdir_p(path, 0700), 0); /* existing is fine */
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(path, sizeof path, "%s/file", dir);
	write_file(path, "x");
	CHECK_INT(config_mkdir_p(path, 0700), -1);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

int main(void)
{
	int rc = RUN_TESTS();
	if (dir[0])
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
