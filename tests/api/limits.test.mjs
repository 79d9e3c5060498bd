// Black-box tests of rate limiting and HTTP hardening (SPEC §4, §1.1–1.2, §13.7, §17):
// the general, login, login-identifier, register/forgot/resend buckets and their headers on the
// local and the Redis backend; two servers sharing one Redis; Redis stopped, paused (SIGSTOP) and
// back; X-Forwarded-For and TRUST_PROXY; exempt routes; header count and size, slowloris and slow
// bodies, the connection cap; and malformed input of the kinds foundation.test.mjs's junk sweep
// does not send (CR/LF and controls in fields, bad headers), over every operation of the OpenAPI
// document. Budgets are made small through the environment; every loop is bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, stopChecked, request, rawRequest, rawHead, waitUntil, STORE, JSON_CT } from '../support/server.mjs';
import { startRedis } from '../support/redis.mjs';
import { sleep } from '../support/cleanup.mjs';
import { newIdentity } from '../support/accounts.mjs';
import { closedPort } from '../support/ports.mjs';

const V1 = '/api/v1';

function assertError(res, status, code, label = '') {
	const where = `${label ? label + ': ' : ''}${res.status} ${res.text.slice(0, 300)}`;
	assert.equal(res.status, status, `status (${where})`);
	assert.equal(res.headers['content-type'], JSON_CT, `content-type (${where})`);
	assert.equal(res.json?.code, code, `code (${where})`);
	assert.equal(res.json.requestId, res.headers['x-request-id'], `requestId (${where})`);
}

/** The RateLimit headers as numbers (undefined when absent). */
function rl(res) {
	const n = (h) => (res.headers[h] === undefined ? undefined : Number(res.headers[h]));
	return { limit: n('ratelimit-limit'), remaining: n('ratelimit-remaining'), reset: n('ratelimit-reset'), retryAfter: n('retry-after') };
}

/** A 429 of the limiter: envelope, Remaining 0, Retry-After = Reset ≥ 1, and this limit. */
function assertLimited(res, limit, label = '') {
	assertError(res, 429, 'rate_limited', label);
	const h = rl(res);
	assert.equal(h.limit, limit, `${label}: RateLimit-Limit`);
	assert.equal(h.remaining, 0, `${label}: RateLimit-Remaining`);
	assert.ok(Number.isInteger(h.retryAfter) && h.retryAfter >= 1, `${label}: Retry-After ${res.headers['retry-after']}`);
	assert.equal(h.retryAfter, h.reset, `${label}: Retry-After equals RateLimit-Reset`);
}

function backendOf(metricsText) {
	const m = (b) => Number((new RegExp(`^crm_rate_limiter_backend\\{backend="${b}"\\} (\\d+)$`, 'm').exec(metricsText) || [])[1]);
	return m('redis') === 1 ? 'redis' : m('local') === 1 ? 'local' : 'none';
}

async function backend(srv) {
	return backendOf((await request(`${srv.url}${V1}/metrics`)).text);
}

function rejections(metricsText, bucket) {
	const m = new RegExp(`^crm_rate_limit_rejections_total\\{bucket="${bucket}"\\} (\\d+)$`, 'm').exec(metricsText);
	return m ? Number(m[1]) : 0;
}

const get = (srv, p, headers = {}) => request(`${srv.url}${V1}${p}`, { headers });
const post = (srv, p, body, headers = {}) => request(`${srv.url}${V1}${p}`, { method: 'POST', body, headers });
const xff = (addr) => ({ 'X-Forwarded-For': addr });
/** n distinct request headers. */
const headers = (n) => Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v']);

/**
 * A TCP relay to a Redis that the test owns for its whole run, so that a Redis can be stopped and
 * another started behind the same address without any other process taking the port meanwhile.
 */
async function redisRelay(upstreamPort) {
	let upstream = upstreamPort;
	const sockets = new Set();
	const server = net.createServer((client) => {
		const up = net.connect({ host: '127.0.0.1', port: upstream });
		sockets.add(client);
		sockets.add(up);
		const end = () => {
			client.destroy();
			up.destroy();
			sockets.delete(client);
			sockets.delete(up);
		};
		for (const s of [client, up]) {
			s.on('error', end);
			s.on('close', end);
		}
		client.pipe(up);
		up.pipe(client);
	});
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	const { port } = server.address();
	return {
		port,
		url: `redis://127.0.0.1:${port}`,
		/** Points new connections at another Redis and drops the current ones. */
		retarget(p) {
			upstream = p;
			for (const s of sockets) s.destroy();
		},
		close() {
			for (const s of sockets) s.destroy();
			return new Promise((r) => server.close(r));
		},
	};
}

/** Sends limited requests until the server reports the Redis backend again (breaker closed). */
async function waitForRedisBackend(servers, timeoutMs = 60000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const states = [];
		for (const s of servers) {
			await get(s, '/openapi.json'); // a limited request lets the half-open breaker probe
			states.push(await backend(s));
		}
		if (states.every((b) => b === 'redis')) return;
		if (Date.now() > deadline) throw new Error(`backends still ${states.join(', ')} after ${timeoutMs} ms`);
		await sleep(1000);
	}
}

describe(`limits [${STORE}]`, () => {
	describe('general bucket, local backend (§4)', () => {
		let srv;
		before(async () => {
			srv = await startServer({ env: { RATE_LIMIT_ANON_MAX: 3, RATE_LIMIT_WINDOW_SECONDS: 600 } });
		});
		after(() => stopChecked(srv));

		test('3 requests admitted with RateLimit headers counting down; the 4th → 429 with Retry-After', async () => {
			for (let i = 0; i < 3; i++) {
				const res = await get(srv, '/openapi.json');
				assert.equal(res.status, 200);
				const h = rl(res);
				assert.equal(h.limit, 3);
				assert.equal(h.remaining, 2 - i);
				assert.ok(h.reset >= 1 && h.reset <= 600, `RateLimit-Reset ${h.reset}`);
				assert.equal(h.retryAfter, undefined, 'no Retry-After on a 200');
			}
			const res = await get(srv, '/openapi.json');
			assertLimited(res, 3, 'the 4th request');
			assert.ok(rl(res).reset <= 600);
			assert.ok(rejections((await get(srv, '/metrics')).text, 'general') >= 1, 'crm_rate_limit_rejections_total{bucket="general"}');
		});

		test('exempt routes, unknown paths and CORS preflights are never limited and carry no RateLimit headers', async () => {
			for (let i = 0; i < 5; i++) {
				for (const p of ['/health', '/ready', '/metrics']) {
					const res = await get(srv, p);
					assert.equal(res.status, 200, `${p}: ${res.status}`);
					assert.equal(res.headers['ratelimit-limit'], undefined, `${p} has no RateLimit-Limit`);
				}
				assert.equal((await get(srv, '/no-such-route')).status, 404);
				const pre = await request(`${srv.url}${V1}/me`, {
					method: 'OPTIONS',
					headers: { Origin: `http://localhost:${srv.port}`, 'Access-Control-Request-Method': 'GET' },
				});
				assert.equal(pre.status, 204);
				assert.equal(pre.headers['ratelimit-limit'], undefined);
			}
			assertLimited(await get(srv, '/openapi.json'), 3, 'the limited route is still limited');
		});

		test('rejected requests are not recorded, and a request whose credential fails is keyed by the address: 429 before 401', async () => {
			assertLimited(await get(srv, '/me', { Authorization: 'Bearer not-a-token' }), 3, 'GET /me with a bad token');
			assertLimited(await get(srv, '/me'), 3, 'GET /me without a token');
		});
	});

	describe('client address and TRUST_PROXY (§4)', () => {
		let plain;
		let proxied;
		let other;
		before(async () => {
			[plain, proxied, other] = await Promise.all([
				startServer({ env: { RATE_LIMIT_ANON_MAX: 2 } }),
				startServer({ env: { RATE_LIMIT_ANON_MAX: 2, TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' } }),
				startServer({ env: { RATE_LIMIT_ANON_MAX: 2, TRUST_PROXY: '192.0.2.0/24' } }),
			]);
		});
		after(() => Promise.all([stopChecked(plain), stopChecked(proxied), stopChecked(other)]));

		test('without TRUST_PROXY, X-Forwarded-For is ignored: the socket peer is the key', async () => {
			assert.equal((await get(plain, '/openapi.json', xff('198.51.100.1'))).status, 200);
			assert.equal((await get(plain, '/openapi.json', xff('198.51.100.2'))).status, 200);
			assertLimited(await get(plain, '/openapi.json', xff('198.51.100.3')), 2, 'a third "client" from the same peer');
			const ips = plain.accessLogs().map((l) => l.ip);
			assert.ok(ips.length > 0 && ips.every((ip) => ip === '127.0.0.1'), `access log ips: ${ips}`);
		});

		test('a peer outside TRUST_PROXY is not believed either', async () => {
			assert.equal((await get(other, '/openapi.json', xff('198.51.100.1'))).status, 200);
			assert.equal((await get(other, '/openapi.json', xff('198.51.100.2'))).status, 200);
			assertLimited(await get(other, '/openapi.json', xff('198.51.100.4')), 2);
		});

		test('with the peer trusted, the forwarded address is the key, walked from the right past trusted hops', async () => {
			for (let i = 0; i < 2; i++) assert.equal((await get(proxied, '/openapi.json', xff('203.0.113.7'))).status, 200);
			assertLimited(await get(proxied, '/openapi.json', xff('203.0.113.7')), 2, 'the same forwarded client');
			// A client cannot escape by prepending addresses; trusted hops on the right are skipped.
			assertLimited(await get(proxied, '/openapi.json', xff('1.2.3.4, 203.0.113.7, 10.1.2.3')), 2, 'spoofed left part');
			assertLimited(await get(proxied, '/openapi.json', { 'X-Forwarded-For': '9.9.9.9', 'x-forwarded-for': '203.0.113.7' }), 2, 'two headers are one list');
			// Another forwarded client has its own budget, and without the header the peer is the key.
			const res = await get(proxied, '/openapi.json', xff('203.0.113.8'));
			assert.equal(res.status, 200);
			assert.equal(rl(res).remaining, 1);
			assert.equal((await get(proxied, '/openapi.json')).status, 200);
			const logged = proxied.accessLogs().map((l) => l.ip);
			assert.ok(logged.includes('203.0.113.7') && logged.includes('203.0.113.8') && logged.includes('127.0.0.1'), `access log ips: ${logged}`);
		});

		test('IPv6 forwarded clients are keyed by their /64', async () => {
			assert.equal((await get(proxied, '/openapi.json', xff('2001:db8:1:2::1'))).status, 200);
			assert.equal((await get(proxied, '/openapi.json', xff('[2001:db8:1:2:ffff::9]:443'))).status, 200);
			assertLimited(await get(proxied, '/openapi.json', xff('2001:db8:1:2::3')), 2, 'same /64');
			assert.equal((await get(proxied, '/openapi.json', xff('2001:db8:1:3::1'))).status, 200, 'another /64');
			assert.ok(proxied.accessLogs().some((l) => l.ip === '2001:db8:1:2::/64'));
		});

		test('a malformed TRUST_PROXY is a configuration error (exit 2)', async () => {
			const srv = await startServer({ env: { TRUST_PROXY: '10.0.0.0/33' }, waitHealth: false });
			const code = await srv.exited;
			assert.equal(code.code, 2, srv.output());
			assert.match(srv.stderr(), /TRUST_PROXY/);
		});
	});

	describe('login, login-identifier and mail buckets (§4, §3.8)', () => {
		let srv;
		const password = 'Limits-test-pass-9x!';
		const users = [];
		const login = (body, addr) => post(srv, '/auth/login', body, xff(addr));
		before(async () => {
			srv = await startServer({
				env: { REQUIRE_EMAIL_VERIFICATION: 'false', TRUST_PROXY: '127.0.0.1', RATE_LIMIT_AUTH_MAX: 3, RATE_LIMIT_ANON_MAX: 100000 },
			});
			for (let i = 0; i < 2; i++) {
				const ident = newIdentity('rl');
				const res = await post(srv, '/auth/register', { email: ident.email, username: ident.username, password, firstName: 'Rl' }, xff(`192.0.2.${10 + i}`));
				assert.equal(res.status, 202, res.text);
				users.push(ident);
			}
		});
		after(() => stopChecked(srv));

		test('login: 3 per identifier and address (right or wrong password), then 429; other identifiers and addresses are unaffected', async () => {
			const [u] = users;
			const a = await login({ email: u.email, password }, '198.51.100.20');
			assert.equal(a.status, 200, a.text);
			assert.equal(rl(a).limit, 3);
			assert.equal(rl(a).remaining, 2);
			assert.equal((await login({ email: u.email, password: 'wrong-password-1' }, '198.51.100.20')).status, 401);
			assert.equal((await login({ email: u.email.toUpperCase(), password }, '198.51.100.20')).status, 200, 'the identifier is folded');
			assertLimited(await login({ email: u.email, password }, '198.51.100.20'), 3, 'the 4th login, right password');
			// Username and email are separate identifiers; another address has its own budget.
			assert.equal((await login({ username: u.username, password }, '198.51.100.20')).status, 200);
			assert.equal((await login({ email: u.email, password }, '198.51.100.21')).status, 200);
			assert.equal((await login({ email: users[1].email, password }, '198.51.100.20')).status, 200);
			assert.ok(rejections((await get(srv, '/metrics')).text, 'login') >= 1);
		});

		test('forgot-password and resend-verification are never blocked by login attempts or failures', async () => {
			const [u] = users;
			for (let i = 0; i < 3; i++) await login({ email: u.email, password: 'wrong-password-2' }, '198.51.100.30');
			assertLimited(await login({ email: u.email, password: 'wrong-password-2' }, '198.51.100.30'), 3);
			const f = await post(srv, '/auth/password/forgot', { email: u.email }, xff('198.51.100.30'));
			assert.equal(f.status, 202, f.text);
			const r = await post(srv, '/auth/resend-verification', { email: u.email }, xff('198.51.100.30'));
			assert.equal(r.status, 202, r.text);
		});

		test('login-identifier: 100 logins of one identifier per hour from all addresses, then 429 from any address', { timeout: 120000 }, async () => {
			const u = users[1];
			// One address per login, so the per-address login bucket never fills.
			for (let i = 0; i < 100; i++) {
				const res = await login({ username: u.username, password }, `203.0.113.${i + 1}`);
				assert.equal(res.status, 200, `login ${i + 1}: ${res.text}`);
				if (i === 99) assert.equal(rl(res).remaining, 0);
			}
			const res = await login({ username: u.username, password }, '198.18.0.1');
			assertLimited(res, 100, 'the 101st login of the identifier');
			assert.equal((await login({ email: u.email, password }, '198.18.0.1')).status, 200, 'the email is another identifier');
		});

		test('register, forgot and resend: 3 per email per hour each, in separate buckets; 3 per address (RATE_LIMIT_AUTH_MAX)', async () => {
			const email = `${newIdentity('m').username}@example.com`;
			for (const [p, bucketLimit] of [['/auth/password/forgot', 3], ['/auth/resend-verification', 3]]) {
				for (let i = 0; i < 3; i++) assert.equal((await post(srv, p, { email }, xff(`198.51.100.${40 + i}`))).status, 202);
				assertLimited(await post(srv, p, { email }, xff('198.51.100.49')), bucketLimit, `${p}, 4th for the email`);
			}
			// Per address: 3 different emails from one address, then 429 for a 4th.
			for (let i = 0; i < 3; i++) {
				assert.equal((await post(srv, '/auth/password/forgot', { email: `a${i}${email}` }, xff('198.51.100.60'))).status, 202);
			}
			assertLimited(await post(srv, '/auth/password/forgot', { email: `z${email}` }, xff('198.51.100.60')), 3, 'forgot, 4th from the address');
			const reg = await post(srv, '/auth/register', { email: `n${email}`, password, firstName: 'N' }, xff('198.51.100.60'));
			assert.equal(reg.status, 202, `register has its own bucket: ${reg.text}`);
			// The compatibility route shares the bucket.
			assertLimited(await post(srv, '/user/forgotPassword', { email: `y${email}` }, xff('198.51.100.60')), 3, 'compat forgotPassword');
		});
	});

	describe('authenticated requests are keyed by the user (§4, §5)', () => {
		let srv;
		before(async () => {
			srv = await startServer({ env: { REQUIRE_EMAIL_VERIFICATION: 'false', RATE_LIMIT_ANON_MAX: 3, RATE_LIMIT_MAX: 5 } });
		});
		after(() => stopChecked(srv));

		test('a FREE user has RATE_LIMIT_MAX of their own, apart from the anonymous budget of the address', async () => {
			const ident = newIdentity('au');
			assert.equal((await post(srv, '/auth/register', { email: ident.email, password: ident.password, firstName: 'A' })).status, 202);
			const lr = await post(srv, '/auth/login', { email: ident.email, password: ident.password });
			assert.equal(lr.status, 200, lr.text);
			const token = lr.json.data.accessToken;
			assert.equal((await get(srv, '/openapi.json')).status, 200); // the address's 3rd
			assertLimited(await get(srv, '/openapi.json'), 3, 'the address is exhausted');
			for (let i = 0; i < 5; i++) {
				const res = await get(srv, '/me', { Authorization: `Bearer ${token}` });
				assert.equal(res.status, 200, res.text);
				assert.equal(rl(res).limit, 5);
				assert.equal(rl(res).remaining, 4 - i);
			}
			assertLimited(await get(srv, '/me', { Authorization: `Bearer ${token}` }), 5, 'the user is exhausted');
		});
	});

	describe('Redis backend (§4)', () => {
		let redis;
		let a;
		let b;
		before(async () => {
			redis = await startRedis();
			const env = { REDIS_URL: redis.url, RATE_LIMIT_ANON_MAX: 4 };
			[a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
		});
		after(async () => {
			await Promise.all([stopChecked(a), stopChecked(b)]);
			await redis.stop();
		});

		test('two servers sharing one Redis share one budget; the log is rl:general:<key> in Redis', async () => {
			assert.equal(await backend(a), 'redis');
			const seen = [];
			for (const s of [a, b, a, b]) {
				const res = await get(s, '/openapi.json');
				assert.equal(res.status, 200);
				seen.push(rl(res).remaining);
			}
			assert.deepEqual(seen, [3, 2, 1, 0]);
			assertLimited(await get(a, '/openapi.json'), 4, 'server A');
			assertLimited(await get(b, '/openapi.json'), 4, 'server B');
			assert.equal(await redis.command('ZCARD', 'rl:general:ip:127.0.0.1'), 4, 'rejections are not recorded');
			const ttl = await redis.command('PTTL', 'rl:general:ip:127.0.0.1');
			assert.ok(ttl > 0 && ttl <= 900000, `PTTL ${ttl}`);
		});
	});

	describe('Redis outages (§4: fallback, breaker, recovery)', { concurrency: true }, () => {
		test('Redis stopped: served under local limits without 5xx; Redis back: one shared budget again', { timeout: 120000 }, async () => {
			const first = await startRedis();
			const relay = await redisRelay(first.port);
			const env = { REDIS_URL: relay.url, RATE_LIMIT_ANON_MAX: 3 };
			const [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
			let second;
			try {
				for (const s of [a, b, a]) assert.equal((await get(s, '/openapi.json')).status, 200);
				assertLimited(await get(b, '/openapi.json'), 3, 'shared budget used up');
				await first.stop();
				// Each node now counts alone, from an empty local log: 3 each, then 429; never 5xx.
				for (const s of [a, b]) {
					const statuses = [];
					for (let i = 0; i < 5; i++) statuses.push((await get(s, '/openapi.json')).status);
					assert.deepEqual(statuses, [200, 200, 200, 429, 429], `local limits on ${s.port}`);
					assert.equal(await backend(s), 'local');
				}
				second = await startRedis();
				relay.retarget(second.port);
				await waitForRedisBackend([a, b]);
				// The probes were recorded in the new Redis; together the nodes admit 3 in all.
				const used = await second.command('ZCARD', 'rl:general:ip:127.0.0.1');
				let admitted = 0;
				for (let i = 0; i < 8; i++) {
					const res = await get(i % 2 ? b : a, '/openapi.json');
					assert.ok(res.status === 200 || res.status === 429, `status ${res.status}`);
					if (res.status === 200) admitted++;
				}
				assert.equal(admitted + used, 3, `admitted ${admitted} after ${used} probes`);
				assert.ok(a.logs().some((l) => l.level === 'warn' && /Redis unavailable/.test(l.msg)), 'a warning was logged');
				assert.ok(a.logs().some((l) => /Redis is reachable again/.test(l.msg || '')), 'the recovery was logged');
			} finally {
				await Promise.all([stopChecked(a), stopChecked(b)]);
				if (second) await second.stop();
				await relay.close();
			}
		});

		test('Redis paused (SIGSTOP): answers stay fast (100 ms timeouts, then the breaker) without 5xx; SIGCONT: Redis again', { timeout: 120000 }, async () => {
			const redis = await startRedis();
			const srv = await startServer({ env: { REDIS_URL: redis.url, RATE_LIMIT_ANON_MAX: 1000 } });
			try {
				assert.equal((await get(srv, '/openapi.json')).status, 200);
				assert.equal(await backend(srv), 'redis');
				process.kill(redis.pid, 'SIGSTOP');
				const times = [];
				for (let i = 0; i < 10; i++) {
					const t0 = Date.now();
					const res = await get(srv, '/openapi.json');
					times.push(Date.now() - t0);
					assert.equal(res.status, 200, `request ${i} while Redis is paused: ${res.status}`);
					assert.equal(rl(res).limit, 1000);
				}
				// Three calls wait for their timeout, then the breaker skips Redis altogether.
				assert.ok(Math.max(...times) < 2000, `latencies while paused: ${times.join(', ')} ms`);
				assert.equal(await backend(srv), 'local');
				process.kill(redis.pid, 'SIGCONT');
				await waitForRedisBackend([srv]);
				assert.ok((await redis.command('ZCARD', 'rl:general:ip:127.0.0.1')) >= 2);
			} finally {
				try {
					process.kill(redis.pid, 'SIGCONT');
				} catch {
					/* already gone */
				}
				await stopChecked(srv);
				await redis.stop();
			}
		});

		test('REDIS_URL on a closed port from the start: the local limiter serves, /ready says degraded', async () => {
			const srv = await startServer({ env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_ANON_MAX: 2 } });
			try {
				assert.equal((await get(srv, '/openapi.json')).status, 200);
				assert.equal((await get(srv, '/openapi.json')).status, 200);
				assertLimited(await get(srv, '/openapi.json'), 2);
				assert.equal(await backend(srv), 'local');
				assert.equal((await get(srv, '/ready')).json?.status, 'degraded');
			} finally {
				await stopChecked(srv);
			}
		});
	});

	describe('HTTP hardening (§1.1, §13.7, §17)', { concurrency: true }, () => {
		let srv;
		before(async () => {
			srv = await startServer({ env: { RATE_LIMIT_ANON_MAX: 1000000 } });
		});
		after(() => stopChecked(srv));

		test('at most 100 request headers: 100 are served, 101 or 500 → 431 headers_too_large; 1000 or 5000 → 431 all the same', async () => {
			// rawHead adds Host, so n custom headers make n + 1.
			const ok = await rawRequest(srv.port, rawHead('GET', `${V1}/health`, headers(99)));
			assert.equal(ok.status, 200);
			for (const n of [100, 500]) {
				const res = await rawRequest(srv.port, rawHead('GET', `${V1}/health`, headers(n)));
				assert.equal(res.status, 431, `${n + 1} headers`);
				assert.equal(res.json?.code, 'headers_too_large');
			}
			// Many hundreds of header lines outgrow the per-connection memory before the service
			// sees them: libmicrohttpd answers that 431 itself (docs/operations.md).
			for (const n of [1000, 5000]) {
				const huge = await rawRequest(srv.port, rawHead('GET', `${V1}/health`, headers(n)));
				assert.equal(huge.status, 431, `${n + 1} headers`);
			}
		});

		/** Writes first, then piece every everyMs; resolves how long the server kept the socket open. */
		function trickle(first, piece, everyMs, maxMs) {
			return new Promise((resolve) => {
				const t0 = Date.now();
				const sock = net.connect({ host: '127.0.0.1', port: srv.port });
				let received = '';
				let timer;
				const done = (closedAfter) => {
					clearInterval(timer);
					clearTimeout(limit);
					sock.destroy();
					resolve({ closedAfter, received });
				};
				const limit = setTimeout(() => done(null), maxMs);
				sock.on('connect', () => {
					sock.write(first);
					timer = setInterval(() => sock.write(piece, () => {}), everyMs);
				});
				sock.on('data', (d) => (received += d.toString('latin1')));
				sock.on('error', () => {});
				sock.on('close', () => done(Date.now() - t0));
			});
		}

		test('slowloris: a head trickled one header every 2 s is cut about 30 s after the connection opened', { timeout: 90000 }, async () => {
			const r = await trickle(`GET ${V1}/health HTTP/1.1\r\nHost: x\r\n`, 'X-Slow: 1\r\n', 2000, 60000);
			assert.ok(r.closedAfter !== null, 'the server closed the connection');
			assert.ok(r.closedAfter >= 25000 && r.closedAfter <= 45000, `closed after ${r.closedAfter} ms`);
			assert.ok(!/^HTTP\/1\.1 2/.test(r.received), `no answer was served: ${r.received.slice(0, 80)}`);
		});

		test('slow body: a 200-byte body trickled one byte every 2 s is cut about 30 s after the head', { timeout: 90000 }, async () => {
			const head = rawHead('POST', `${V1}/auth/login`, { 'Content-Type': 'application/json', 'Content-Length': '200' });
			const r = await trickle(head, ' ', 2000, 60000);
			assert.ok(r.closedAfter !== null, 'the server closed the connection');
			assert.ok(r.closedAfter >= 25000 && r.closedAfter <= 45000, `closed after ${r.closedAfter} ms`);
		});

		test('a kept-alive connection that sends whole requests is not cut by the head deadline', { timeout: 90000 }, async () => {
			const http = await import('node:http');
			const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
			try {
				const ports = new Set();
				for (let i = 0; i < 4; i++) {
					const res = await request(`${srv.url}${V1}/health`, { agent });
					assert.equal(res.status, 200);
					ports.add(res.socket.localPort);
					await sleep(9000); // idle, under the 30 s limit each time
				}
				assert.equal(ports.size, 1, 'one connection served all four requests over 36 s');
			} finally {
				agent.destroy();
			}
		});

	});

	describe('connection cap (§13.7)', () => {
		let srv;
		before(async () => {
			srv = await startServer({ env: { RATE_LIMIT_ANON_MAX: 1000000 } });
		});
		after(() => stopChecked(srv));

		test('1024 connections: beyond them a request waits for a free slot, and is served once one frees', { timeout: 60000 }, async () => {
			const idle = [];
			const open = () => new Promise((resolve) => {
				const s = net.connect({ host: '127.0.0.1', port: srv.port });
				s.on('error', () => {});
				s.on('connect', () => resolve(s));
				s.on('close', () => resolve(s));
			});
			try {
				for (let i = 0; i < 1030; i++) idle.push(await open());
				await sleep(500);
				const blocked = await request(`${srv.url}${V1}/health`, { timeoutMs: 1500 }).then((r) => r.status, (e) => e.message);
				assert.notEqual(blocked, 200, 'no slot was free for a 1031st connection');
				for (const s of idle.splice(0, 50)) s.destroy();
				await waitUntil(async () => (await request(`${srv.url}${V1}/health`, { timeoutMs: 2000 })).status === 200, {
					timeoutMs: 10000,
					message: 'a request after slots were freed',
				});
			} finally {
				for (const s of idle) s.destroy();
			}
			await waitUntil(async () => (await request(`${srv.url}${V1}/health`)).status === 200, { timeoutMs: 10000, message: 'health' });
		});
	});

	describe('malformed input on every route, beyond the junk bodies of foundation.test.mjs', () => {
		let srv;
		let ops = [];
		before(async () => {
			// Billing configured (against a closed port), so the webhook judges its input (400s)
			// rather than answering 503 for a missing integration.
			srv = await startServer({
				env: {
					RATE_LIMIT_ANON_MAX: 1000000,
					RATE_LIMIT_AUTH_MAX: 1000000,
					REQUIRE_EMAIL_VERIFICATION: 'false',
					STRIPE_SECRET_KEY: 'sk_test_junk',
					STRIPE_WEBHOOK_SECRET: 'whsec_junk',
					STRIPE_PRICE_ID: 'price_junk',
					STRIPE_API_BASE: `http://127.0.0.1:${await closedPort()}`,
				},
			});
			const doc = (await request(`${srv.url}${V1}/openapi.json`)).json;
			for (const [p, item] of Object.entries(doc.paths)) {
				for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
					if (!item[method]) continue;
					ops.push({ method: method.toUpperCase(), template: p, target: (p.startsWith(V1) ? '' : V1) + p.replace(/\{[^}]+\}/g, '1') });
				}
			}
			assert.ok(ops.length > 0);
		});
		after(() => stopChecked(srv));

		const BROWSER = /^(\/api\/v1)?\/auth\/(\{[^}]+\}|google|github)(\/callback)?$|^(\/api\/v1)?\/auth\/verify-email$/;
		// Every string field a route may read, with CR/LF, header-injection text and controls.
		const fieldsBody = JSON.stringify({
			email: 'ann\r\n@example.com',
			username: 'ann\nlee',
			password: 'pass\u0007word\r\n1234567',
			currentPassword: '\r\n',
			newPassword: 'x\ty\u0085z',
			firstName: 'Ann\r\nSet-Cookie: injected=1',
			lastName: '\u001b[31mred',
			token: 'tok\r\nen',
			refreshToken: '\r\nX-Injected: 1',
			avatarUrl: 'https://example.com/\r\nX-Injected: 1',
			name: '\u202e\u0008',
		});
		const KINDS = [
			['CR/LF and control characters in every string field', { 'Content-Type': 'application/json' }, fieldsBody, 'body'],
			['a body of only whitespace', { 'Content-Type': 'application/json' }, ' \r\n\t ', 'body'],
			['Content-Type multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=x' }, '--x\r\n\r\n--x--', 'body'],
			['Content-Type application/x-www-form-urlencoded', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'email=a%40b.c', 'body'],
			['a 40 KiB header', { 'X-Big': 'b'.repeat(40 * 1024) }, '', 'headers'],
			['150 headers', Object.fromEntries(headers(150)), '', 'headers'],
			['invalid UTF-8 in Authorization and Cookie', { Authorization: 'Bearer \xff\xfe\xfd', Cookie: 'accessToken=\xff\xfe; refreshToken=\xc3\x28' }, '', 'header'],
			['a 20 KB forged bearer token', { Authorization: `Bearer ${'eyJ'.repeat(6000)}.e30.x` }, '', 'header'],
			['control characters in X-Request-Id, Origin and X-Forwarded-For', { 'X-Request-Id': 'id\x01\x02\x7f', Origin: 'http://\x01evil', 'X-Forwarded-For': '\x00\x01' }, '', 'header'],
		];

		test('every operation answers each kind with a non-5xx answer (4xx for bodies and oversized heads); the server stays up', { timeout: 300000 }, async () => {
			const problems = [];
			for (const [name, hdrs, body, kind] of KINDS) {
				for (const op of ops) {
					const buf = Buffer.from(body, 'latin1');
					const h = { Connection: 'close', 'Content-Length': String(buf.length), ...hdrs };
					const what = `${op.method} ${op.template} with ${name}`;
					let res;
					try {
						res = await rawRequest(srv.port, [{ data: Buffer.from(rawHead(op.method, op.target, h), 'latin1') }, { data: buf }], { timeoutMs: 15000 });
					} catch (e) {
						problems.push(`${what}: no answer (${e.message.slice(0, 100)})`);
						continue;
					}
					if (res.status >= 500) problems.push(`${what}: ${res.status} ${res.text.slice(0, 100)}`);
					if (kind === 'headers' && res.status !== 431) problems.push(`${what}: ${res.status}, not 431`);
					const browser = op.method === 'GET' && BROWSER.test(op.template);
					if (kind === 'body' && !(browser && res.status >= 300 && res.status < 400) && (res.status < 400 || res.status >= 500)) {
						problems.push(`${what}: ${res.status} ${res.text.slice(0, 100)}`);
					}
					if (res.status >= 400 && !(res.json && typeof res.json.code === 'string')) problems.push(`${what}: ${res.status} without the error envelope`);
					if (Object.keys(res.headers).some((k) => k.startsWith('x-injected')) || /injected=1/.test(res.headers['set-cookie'] || '')) {
						problems.push(`${what}: a header was injected`);
					}
				}
			}
			assert.equal((await request(`${srv.url}${V1}/health`)).status, 200, 'the server still answers');
			assert.equal(srv.exitInfo, null, 'the server is still running');
			assert.deepEqual(problems, [], `${problems.length} bad answers`);
		});

		test('raw framing junk: bare CR or LF, NUL bytes and obs-fold in the head are refused with 4xx or a close, never a crash', async () => {
			const heads = [
				`GET ${V1}/health HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n`,
				`GET ${V1}/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n`,
				`GET ${V1}/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`,
				`GET ${V1}/he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n`,
				`GET ${V1}/health HTTP/1.1\nHost: x\n\n`,
				`\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03`, // a TLS ClientHello on the plain port
				`GET ${V1}/health HTTP/9.9\r\nHost: x\r\n\r\n`,
				`${'A'.repeat(100)} / HTTP/1.1\r\nHost: x\r\n\r\n`,
			];
			const problems = [];
			for (const h of heads) {
				try {
					const res = await rawRequest(srv.port, Buffer.from(h, 'latin1'), { timeoutMs: 5000 });
					// An unknown protocol version is answered 505 by libmicrohttpd, as HTTP says.
					const versionOk = res.status === 505 && / HTTP\/9\.9\r/.test(h);
					if (res.status >= 500 && !versionOk) problems.push(`${JSON.stringify(h.slice(0, 40))}: ${res.status}`);
				} catch (e) {
					if (!/closed|no complete response/.test(e.message)) problems.push(`${JSON.stringify(h.slice(0, 40))}: ${e.message.slice(0, 100)}`);
				}
			}
			assert.equal((await request(`${srv.url}${V1}/health`)).status, 200);
			assert.deepEqual(problems, []);
		});
	});
});
