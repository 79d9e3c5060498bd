// Black-box tests of the command line and the configuration (SPEC §16): crm version, --help,
// config check (redacted and generated secrets, errors, .env files), migrate, and serve's
// refusals in production. Run for each store (CRM_TEST_STORE).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli, runCliAsync, startServer, stopChecked, STORE } from '../support/server.mjs';
import { createDatabase } from '../support/postgres.mjs';
import { tempDir } from '../support/cleanup.mjs';
import { freePort } from '../support/ports.mjs';

const SECRET_A = 'cli-access-secret-0123456789-abcdefghijkl';
const SECRET_S = 'cli-session-secret-0123456789-abcdefghijk';
const PROD = { CRM_ENV: 'production', SESSION_SECRET: SECRET_S, ACCESS_TOKEN_SECRET: SECRET_A, BASE_URL: 'http://api.crm.test' };

/** Environment selecting the store under test: a fresh database for postgres. */
async function storeEnv() {
	return STORE === 'postgres' ? { DATABASE_URL: await createDatabase() } : {};
}

function readEnvFile(file) {
	const out = {};
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
		if (m) out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
	}
	return out;
}

const show = (r) => `exit ${r.code} signal ${r.signal}\n--- stdout ---\n${r.stdout.slice(-2000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;

describe(`command line [${STORE}]`, () => {
	describe('crm version and --help', () => {
		test('`crm version` prints "crm 1.0.0" and the compiled-in stores, exit 0', () => {
			const r = runCli(['version']);
			assert.equal(r.code, 0, show(r));
			assert.match(r.stdout, /^crm 1\.0\.0\b/m);
			assert.match(r.stdout, /sqlite/i);
			assert.match(r.stdout, /postgres/i);
		});

		test('`crm --help` prints usage naming the commands, exit 0', () => {
			const r = runCli(['--help']);
			assert.equal(r.code, 0, show(r));
			for (const cmd of ['serve', 'migrate', 'migrate-to-postgres', 'version', 'config']) assert.match(r.output, new RegExp(`\\b${cmd}\\b`), `mentions ${cmd}`);
		});

		for (const args of [['serve', '--help'], ['migrate', '--help'], ['migrate-to-postgres', '--help'], ['version', '--help'], ['config', 'check', '--help']]) {
			test(`\`crm ${args.join(' ')}\` prints help and exits 0 without doing the work`, () => {
				const r = runCli(args, {}, { timeoutMs: 10000 });
				assert.equal(r.timedOut, false, 'returned promptly (serve --help must not start the server)');
				assert.equal(r.code, 0, show(r));
				assert.ok(r.output.trim().length > 0, 'prints something');
			});
		}

		test('an unknown command prints usage and exits 64', () => {
			const r = runCli(['frobnicate']);
			assert.equal(r.code, 64, show(r));
			assert.match(r.output, /usage/i);
		});

		test('an unknown option exits 64', () => {
			const r = runCli(['version', '--no-such-option'], {}, { timeoutMs: 10000 });
			assert.equal(r.code, 64, show(r));
			const r2 = runCli(['serve', '--no-such-option'], {}, { timeoutMs: 10000 });
			assert.equal(r2.timedOut, false, 'serve with a bad option does not start');
			assert.equal(r2.code, 64, show(r2));
		});
	});

	describe('crm config check', () => {
		test('development: exit 0, secrets generated into DATA_DIR/secrets.env (0600) and shown as ****', async () => {
			const parent = tempDir('crm-cfg-');
			const dataDir = path.join(parent, 'data'); // does not exist yet
			const r = runCli(['config', 'check'], { ...(await storeEnv()), DATA_DIR: dataDir });
			assert.equal(r.code, 0, show(r));
			assert.match(r.stdout, /ACCESS_TOKEN_SECRET=\*\*\*\*/);
			assert.match(r.stdout, /SESSION_SECRET=\*\*\*\*/);
			const file = path.join(dataDir, 'secrets.env');
			assert.ok(fs.existsSync(file), 'secrets.env exists');
			assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'secrets.env has mode 0600');
			assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700, 'DATA_DIR is created with mode 0700');
			const secrets = readEnvFile(file);
			for (const key of ['ACCESS_TOKEN_SECRET', 'SESSION_SECRET']) {
				const v = secrets[key];
				assert.ok(v, `${key} is stored`);
				assert.match(v, /^[A-Za-z0-9_-]{43}$/, `${key} is 32 random bytes in base64url`);
				assert.ok(!r.output.includes(v), `${key}'s value is never printed`);
			}
			assert.notEqual(secrets.ACCESS_TOKEN_SECRET, secrets.SESSION_SECRET);

			// Reused, not regenerated, on the next run.
			const r2 = runCli(['config', 'check'], { ...(await storeEnv()), DATA_DIR: dataDir });
			assert.equal(r2.code, 0, show(r2));
			assert.deepEqual(readEnvFile(file), secrets);
			assert.ok(!r2.output.includes(secrets.ACCESS_TOKEN_SECRET));
		});

		test('serve in development creates the same secrets.env (0600), reused by config check', async () => {
			const s = await startServer();
			let secrets;
			try {
				const file = path.join(s.dataDir, 'secrets.env');
				assert.ok(fs.existsSync(file), 'secrets.env exists after serve');
				assert.equal(fs.statSync(file).mode & 0o777, 0o600);
				secrets = readEnvFile(file);
				assert.match(secrets.ACCESS_TOKEN_SECRET || '', /^[A-Za-z0-9_-]{43}$/);
				assert.ok(!s.stdout().includes(secrets.ACCESS_TOKEN_SECRET), 'never logged');
				assert.ok(!s.stderr().includes(secrets.ACCESS_TOKEN_SECRET), 'never logged');
			} finally {
				await stopChecked(s);
			}
			const r = runCli(['config', 'check'], { DATA_DIR: s.dataDir, DATABASE_URL: s.env.DATABASE_URL ?? null });
			assert.equal(r.code, 0, show(r));
			assert.deepEqual(readEnvFile(path.join(s.dataDir, 'secrets.env')), secrets, 'unchanged');
		});

		test('secrets from the environment are shown as **** and never printed', async () => {
			const r = runCli(['config', 'check'], { ...(await storeEnv()), ACCESS_TOKEN_SECRET: SECRET_A, SESSION_SECRET: SECRET_S });
			assert.equal(r.code, 0, show(r));
			assert.match(r.stdout, /ACCESS_TOKEN_SECRET=\*\*\*\*/);
			assert.ok(!r.output.includes(SECRET_A));
			assert.ok(!r.output.includes(SECRET_S));
		});

		test('production with valid secrets and BASE_URL: exit 0', async () => {
			const r = runCli(['config', 'check'], { ...(await storeEnv()), ...PROD });
			assert.equal(r.code, 0, show(r));
			assert.ok(!r.output.includes(SECRET_A));
		});

		const invalid = [
			['PORT=abc', { PORT: 'abc' }, /PORT/],
			['PORT=70000', { PORT: '70000' }, /PORT/],
			['MAX_BODY_BYTES below 1 KiB', { MAX_BODY_BYTES: '100' }, /MAX_BODY_BYTES/],
			['ACCESS_TOKEN_EXPIRY of 30 s', { ACCESS_TOKEN_EXPIRY: '30s' }, /ACCESS_TOKEN_EXPIRY/],
			['WORKER_THREADS=0', { WORKER_THREADS: '0' }, /WORKER_THREADS/],
			['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
			['CRM_ENV=staging', { CRM_ENV: 'staging' }, /CRM_ENV/],
			['REQUIRE_EMAIL_VERIFICATION=yes', { REQUIRE_EMAIL_VERIFICATION: 'yes' }, /REQUIRE_EMAIL_VERIFICATION/],
			['BASE_URL with a path', { BASE_URL: 'https://api.crm.test/v1' }, /BASE_URL/],
			['production without secrets', { CRM_ENV: 'production', BASE_URL: 'http://api.crm.test' }, /SECRET/],
			['production with a 31-byte ACCESS_TOKEN_SECRET', { ...PROD, ACCESS_TOKEN_SECRET: 'a'.repeat(31) }, /ACCESS_TOKEN_SECRET/],
			['production without BASE_URL', { ...PROD, BASE_URL: null }, /BASE_URL/],
		];
		for (const [name, env, mention] of invalid) {
			test(`invalid configuration (${name}) → exit 2 with a line naming the setting`, async () => {
				const r = runCli(['config', 'check'], { ...(await storeEnv()), ...env });
				assert.equal(r.code, 2, show(r));
				assert.ok(r.output.split('\n').some((l) => mention.test(l)), `a line matches ${mention}: ${show(r)}`);
			});
		}

		test('every problem is reported at once', () => {
			const r = runCli(['config', 'check'], { PORT: 'abc', LOG_LEVEL: 'loud' });
			assert.equal(r.code, 2, show(r));
			assert.match(r.output, /PORT/);
			assert.match(r.output, /LOG_LEVEL/);
		});

		test('ENV_FILE is read (export prefix, quotes, comments); the process environment wins', () => {
			const dir = tempDir('crm-envfile-');
			const file = path.join(dir, 'test.env');
			fs.writeFileSync(
				file,
				['# a comment', '', 'export PORT=4567', 'LOG_LEVEL="warn"', "FRONTEND_URL='https://front.crm.test/app/'", 'WORKER_THREADS=3 # trailing comment', 'WORKER_THREADS=5', ''].join('\n'),
			);
			const r = runCli(['config', 'check'], { ENV_FILE: file });
			assert.equal(r.code, 0, show(r));
			assert.match(r.stdout, /^\s*PORT=4567\b/m);
			assert.match(r.stdout, /^\s*LOG_LEVEL=warn\b/m);
			assert.match(r.stdout, /^\s*FRONTEND_URL=https:\/\/front\.crm\.test\/app(\s|$)/m, 'quoted value read literally, trailing / removed');
			assert.match(r.stdout, /^\s*WORKER_THREADS=5\b/m, 'the last occurrence wins');
			const r2 = runCli(['config', 'check'], { ENV_FILE: file, PORT: '5678' });
			assert.equal(r2.code, 0, show(r2));
			assert.match(r2.stdout, /^\s*PORT=5678\b/m);
		});

		test('a bad value in ENV_FILE is a configuration error (exit 2)', () => {
			const dir = tempDir('crm-envfile-');
			const file = path.join(dir, 'bad.env');
			fs.writeFileSync(file, 'PORT=not-a-port\n');
			const r = runCli(['config', 'check'], { ENV_FILE: file });
			assert.equal(r.code, 2, show(r));
			assert.match(r.output, /PORT/);
		});
	});

	describe('crm migrate', () => {
		test('--status lists 0001 as pending on a fresh store and changes nothing; migrate applies it', async () => {
			const env = { ...(await storeEnv()), DATA_DIR: tempDir('crm-mig-') };
			const before = runCli(['migrate', '--status'], env);
			assert.equal(before.code, 0, show(before));
			assert.ok(before.stdout.split('\n').some((l) => /0001/.test(l) && /pending/i.test(l)), `0001 pending: ${show(before)}`);
			const again = runCli(['migrate', '--status'], env);
			assert.ok(again.stdout.split('\n').some((l) => /0001/.test(l) && /pending/i.test(l)), `--status changed nothing: ${show(again)}`);

			const m = runCli(['migrate'], env);
			assert.equal(m.code, 0, show(m));
			assert.match(m.output, /0001/, 'prints what was applied');

			const after = runCli(['migrate', '--status'], env);
			assert.equal(after.code, 0, show(after));
			const lines0001 = after.stdout.split('\n').filter((l) => /0001/.test(l));
			assert.ok(lines0001.some((l) => /applied/i.test(l)), `0001 applied: ${show(after)}`);
			assert.ok(!after.stdout.split('\n').some((l) => /pending/i.test(l) && /\b\d{4}/.test(l)), `nothing pending: ${show(after)}`);

			const twice = runCli(['migrate'], env);
			assert.equal(twice.code, 0, `a second migrate applies nothing and succeeds: ${show(twice)}`);
		});

		test('serve in production refuses pending migrations with exit 3', async () => {
			const env = { ...(await storeEnv()), ...PROD, PORT: await freePort(), LISTEN_ADDRESS: '127.0.0.1' };
			const r = await runCliAsync(['serve'], env, { timeoutMs: 15000 });
			assert.equal(r.timedOut, false, 'serve did not start');
			assert.equal(r.code, 3, show(r));
		});

		test('serve in production starts once migrations are applied', async () => {
			const s = await startServer({ env: { ...PROD }, migrate: true });
			await stopChecked(s);
		});
	});

	describe('crm serve refusals', () => {
		test('production with missing secrets → exit 2 without serving', async () => {
			const r = await runCliAsync(['serve'], { ...(await storeEnv()), CRM_ENV: 'production', BASE_URL: 'http://api.crm.test', PORT: await freePort(), LISTEN_ADDRESS: '127.0.0.1' }, { timeoutMs: 15000 });
			assert.equal(r.timedOut, false, 'serve must not start');
			assert.equal(r.code, 2, show(r));
			assert.match(r.output, /SECRET/);
		});

		test('an invalid PORT → exit 2', async () => {
			const r = await runCliAsync(['serve'], { ...(await storeEnv()), PORT: 'abc' }, { timeoutMs: 15000 });
			assert.equal(r.timedOut, false);
			assert.equal(r.code, 2, show(r));
			assert.match(r.output, /PORT/);
		});

		test('`crm` with no command serves (the default)', async () => {
			const s = await startServer({ args: [] });
			await stopChecked(s);
		});
	});
});
