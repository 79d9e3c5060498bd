// Checks of the test harness itself: the services the API tests rely on really work.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort, isListening } from '../support/ports.mjs';
import { startSmtp } from '../support/smtp.mjs';
import { startRedis, redisPingRaw } from '../support/redis.mjs';
import { sharedCluster, createDatabase } from '../support/postgres.mjs';
import { tempDir, pidAlive } from '../support/cleanup.mjs';
import { STORE } from '../support/server.mjs';

describe(`harness [${STORE}]`, () => {
	test('freePort returns a loopback port that can be bound', async () => {
		const port = await freePort();
		assert.ok(Number.isInteger(port) && port > 0 && port < 65536, `port ${port}`);
		assert.equal(await isListening(port), false, 'nothing should listen on a fresh port');
		const srv = net.createServer();
		await new Promise((resolve, reject) => {
			srv.on('error', reject);
			srv.listen(port, '127.0.0.1', resolve);
		});
		try {
			assert.equal(await isListening(port), true);
		} finally {
			srv.close();
		}
	});

	describe('SMTP capture', () => {
		let smtp;
		before(async () => {
			smtp = await startSmtp();
		});
		after(async () => {
			await smtp?.stop();
		});

		test('a message sent with curl is captured as a file and parsed', async () => {
			const dir = tempDir('crm-mail-');
			const file = path.join(dir, 'mail.eml');
			const subject = `Harness check ${Date.now()}`;
			fs.writeFileSync(file, `From: a@b.c\r\nTo: x@y.z\r\nSubject: ${subject}\r\n\r\nHello from the harness.\r\n`);
			execFileSync('/usr/bin/curl', ['-sS', '--max-time', '10', `smtp://127.0.0.1:${smtp.port}`, '--mail-from', 'a@b.c', '--mail-rcpt', 'x@y.z', '-T', file]);
			const msg = await smtp.waitFor((m) => m.subject === subject, 5000);
			assert.equal(msg.mailFrom, 'a@b.c');
			assert.deepEqual(msg.rcptTos, ['x@y.z']);
			assert.equal(msg.headers.to, 'x@y.z');
			assert.match(msg.text, /Hello from the harness\./);
			assert.equal(smtp.messages().length, 1);
			const leftovers = fs.readdirSync(smtp.dir).filter((f) => f.endsWith('.tmp'));
			assert.deepEqual(leftovers, [], 'no temporary files are left behind');
		});

		test('AUTH with any credentials is accepted and recorded', async () => {
			const dir = tempDir('crm-mail-');
			const file = path.join(dir, 'mail.eml');
			fs.writeFileSync(file, 'From: a@b.c\r\nTo: q@y.z\r\nSubject: with auth\r\n\r\nx\r\n');
			execFileSync('/usr/bin/curl', ['-sS', '--max-time', '10', `smtp://127.0.0.1:${smtp.port}`, '--user', 'mailer:pw', '--mail-from', 'a@b.c', '--mail-rcpt', 'q@y.z', '-T', file]);
			const msg = await smtp.waitFor((m) => m.subject === 'with auth', 5000);
			assert.equal(msg.authenticated, true);
			assert.equal(msg.authLogin, 'mailer');
		});

		test('waitFor rejects when nothing matches', async () => {
			await assert.rejects(smtp.waitFor((m) => m.subject === 'never sent', 300), /no matching mail/);
		});

		test('stop() ends the capture process', async () => {
			const other = await startSmtp();
			const pid = other.pid;
			assert.equal(pidAlive(pid), true);
			await other.stop();
			assert.equal(pidAlive(pid), false);
			assert.equal(await isListening(other.port), false);
		});
	});

	describe('Redis', () => {
		let redis;
		before(async () => {
			redis = await startRedis();
		});
		after(async () => {
			await redis?.stop();
		});

		test('answers PING with +PONG over a raw socket', async () => {
			assert.equal(await redisPingRaw(redis.port), '+PONG');
		});

		test('runs commands (no persistence configured)', async () => {
			assert.equal(await redis.command('SET', 'harness', 'yes'), 'OK');
			assert.equal(await redis.command('GET', 'harness'), 'yes');
			const save = await redis.command('CONFIG', 'GET', 'save');
			assert.deepEqual(save, ['save', '']);
			const aof = await redis.command('CONFIG', 'GET', 'appendonly');
			assert.deepEqual(aof, ['appendonly', 'no']);
		});

		test('stop() ends redis-server by pid', async () => {
			const other = await startRedis();
			assert.equal(pidAlive(other.pid), true);
			await other.stop();
			assert.equal(pidAlive(other.pid), false);
			assert.equal(await isListening(other.port), false);
		});
	});

	describe('PostgreSQL', () => {
		test('the shared cluster creates databases reachable through their DATABASE_URL', async () => {
			const url = await createDatabase();
			assert.match(url, /^postgresql:\/\/postgres@\/[a-z0-9_]+\?host=\/.+$/);
			const c = await sharedCluster();
			const out = execFileSync(path.join(c.bin, 'psql'), ['-X', '-At', '-c', 'select 40 + 2', url], { encoding: 'utf8' });
			assert.equal(out.trim(), '42');
		});

		test('the cluster listens on its Unix socket only', async () => {
			const c = await sharedCluster();
			assert.equal((await c.psql("show listen_addresses")).trim(), '');
			assert.equal((await c.psql('show fsync')).trim(), 'off');
			assert.ok(fs.existsSync(path.join(c.socketDir, '.s.PGSQL.5432')), 'socket file exists');
		});
	});
});
