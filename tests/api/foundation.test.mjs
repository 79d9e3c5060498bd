// Black-box tests of the foundation (SPEC §1, §13, §16): health, readiness, metrics, OpenAPI,
// response headers, CORS, request ids, framing limits, routing errors, junk input on every
// route, access logging and graceful shutdown. The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import {
	startServer,
	stopChecked,
	request,
	rawRequest,
	rawHead,
	parseResponse,
	waitUntil,
	STORE,
	ISO_MS,
	UUID_V4,
	JSON_CT,
	CSP,
} from '../support/server.mjs';
import { startRedis } from '../support/redis.mjs';
import { closedPort } from '../support/ports.mjs';
import { PgCluster } from '../support/postgres.mjs';
import { sleep, tempDir } from '../support/cleanup.mjs';
import fs from 'node:fs';
import path from 'node:path';

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;
const EXPOSE = 'X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Location, Content-Disposition';
// A production configuration that passes the checks of §16.1.
const PROD_ENV = {
	CRM_ENV: 'production',
	SESSION_SECRET: 'session-secret-for-tests-0123456789abcdef',
	ACCESS_TOKEN_SECRET: 'access-secret-for-tests-0123456789abcdef',
	BASE_URL: 'http://api.crm.test',
};

/** Asserts the standard error envelope (§1.3) with this status and code; returns the body. */
function assertError(res, status, code, label = '') {
	const where = `${label ? label + ': ' : ''}${res.status} ${res.text.slice(0, 300)}`;
	assert.equal(res.status, status, `status (${where})`);
	assert.equal(res.headers['content-type'], JSON_CT, `content-type of an error (${where})`);
	assert.ok(res.json && typeof res.json === 'object', `error body is JSON (${where})`);
	assert.equal(res.json.code, code, `code (${where})`);
	assert.equal(typeof res.json.message, 'string', `message is a string (${where})`);
	assert.ok(res.json.message.length > 0, `message is not empty (${where})`);
	assert.equal(res.json.requestId, res.headers['x-request-id'], `requestId equals the X-Request-Id header (${where})`);
	return res.json;
}

function hasDetail(body, field, reason) {
	return Array.isArray(body.details) && body.details.some((d) => d.field === field && d.reason === reason);
}

function varyHas(res, name) {
	return (res.headers.vary || '')
		.split(',')
		.map((s) => s.trim().toLowerCase())
		.includes(name.toLowerCase());
}

function listHeader(value) {
	return (value || '')
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
}

/** The headers of §13.5 that every response carries. */
function assertSecurityHeaders(res, { cacheControl = 'no-store', label = '' } = {}) {
	const h = res.headers;
	const m = (name) => `${label}: ${name} was ${JSON.stringify(h[name])}`;
	assert.equal(h['x-content-type-options'], 'nosniff', m('x-content-type-options'));
	assert.equal(h['x-frame-options'], 'DENY', m('x-frame-options'));
	assert.equal(h['referrer-policy'], 'no-referrer', m('referrer-policy'));
	assert.equal(h['content-security-policy'], CSP, m('content-security-policy'));
	assert.equal(h['cross-origin-opener-policy'], 'same-origin', m('cross-origin-opener-policy'));
	assert.equal(h['cross-origin-resource-policy'], 'same-origin', m('cross-origin-resource-policy'));
	assert.equal(h['cache-control'], cacheControl, m('cache-control'));
	assert.match(h['x-request-id'] || '', REQUEST_ID, m('x-request-id'));
	assert.ok(varyHas(res, 'Origin'), m('vary'));
	assert.equal(h.server, undefined, m('server'));
	assert.equal(h['x-powered-by'], undefined, m('x-powered-by'));
	assert.equal(h['strict-transport-security'], undefined, m('strict-transport-security (BASE_URL is http)'));
	for (const name of ['x-content-type-options', 'x-frame-options', 'referrer-policy', 'content-security-policy', 'cache-control', 'x-request-id']) {
		const n = res.rawHeaders.filter(([k]) => k.toLowerCase() === name).length;
		assert.equal(n, 1, `${label}: ${name} appears ${n} times`);
	}
}

/** Parses the Prometheus text format into {types: {name: type}, samples: [{name, labels, value}]}. */
function parseMetrics(text) {
	const types = {};
	const samples = [];
	for (const line of text.split('\n')) {
		if (line.startsWith('# TYPE ')) {
			const [, , name, type] = line.split(/\s+/);
			types[name] = type;
			continue;
		}
		if (!line.trim() || line.startsWith('#')) continue;
		const mm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/.exec(line);
		if (!mm) {
			samples.push({ name: null, bad: line });
			continue;
		}
		const labels = {};
		if (mm[2]) for (const l of mm[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
		samples.push({ name: mm[1], labels, value: Number(mm[3]) });
	}
	return { types, samples };
}

const find = (samples, name, labels = {}) =>
	samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe(`foundation [${STORE}]`, () => {
	let srv;
	let base;
	let allowedOrigin;
	const get = (p, o = {}) => request(base + p, o);

	before(async () => {
		srv = await startServer({ store: STORE });
		base = srv.url;
		allowedOrigin = `http://localhost:${srv.port}`;
	});
	after(() => stopChecked(srv));

	describe('GET /health (§13.1)', () => {
		test('answers 200 with status, timestamp, uptime and version', async () => {
			const res = await get('/api/v1/health');
			assert.equal(res.status, 200);
			assert.equal(res.headers['content-type'], JSON_CT);
			const b = res.json;
			assert.ok(b, `JSON body, got ${res.text.slice(0, 200)}`);
			assert.equal(b.status, 'ok');
			assert.match(b.timestamp, ISO_MS);
			assert.ok(Math.abs(Date.parse(b.timestamp) - Date.now()) < 60000, `timestamp ${b.timestamp} is now`);
			assert.equal(typeof b.uptime, 'number');
			assert.ok(b.uptime >= 0 && b.uptime < 3600, `uptime ${b.uptime}`);
			assert.equal(Math.round(b.uptime * 1000) / 1000, b.uptime, 'seconds to the millisecond');
			assert.equal(b.version, '1.0.0');
			assert.equal(b.data, undefined, 'not wrapped in the envelope');
		});

		test('uptime grows between calls', async () => {
			const a = (await get('/api/v1/health')).json.uptime;
			await sleep(250);
			const b = (await get('/api/v1/health')).json.uptime;
			assert.ok(b > a, `uptime ${a} then ${b}`);
			assert.ok(b - a < 5, `uptime is in seconds: ${a} then ${b}`);
		});

		test('HEAD answers 200 with the same headers and no body', async () => {
			const res = await rawRequest(srv.port, rawHead('HEAD', '/api/v1/health', { Connection: 'close' }), { head: true, waitCloseMs: 1000 });
			assert.equal(res.status, 200);
			assert.equal(res.headers['content-type'], JSON_CT);
			assert.equal(res.extra.length, 0, `bytes after the HEAD response head: ${JSON.stringify(res.extra.toString().slice(0, 100))}`);
		});

		test('an unknown query parameter is refused: 400 validation_failed, reason unknown_field', async () => {
			const res = await get('/api/v1/health?foo=1');
			const body = assertError(res, 400, 'validation_failed');
			assert.ok(hasDetail(body, 'foo', 'unknown_field'), JSON.stringify(body.details));
		});
	});

	describe('GET /ready (§13.2)', () => {
		test('answers 200 ready with the database connected and Redis not configured', async () => {
			const res = await get('/api/v1/ready');
			assert.equal(res.status, 200, res.text);
			assert.equal(res.headers['content-type'], JSON_CT);
			assert.equal(res.json.status, 'ready');
			assert.equal(res.json.database, 'connected');
			assert.equal(res.json.redis, 'not_configured');
			assert.match(res.json.timestamp, ISO_MS);
		});

		test('HEAD /ready answers 200 without a body', async () => {
			const res = await rawRequest(srv.port, rawHead('HEAD', '/api/v1/ready', { Connection: 'close' }), { head: true, waitCloseMs: 1000 });
			assert.equal(res.status, 200);
			assert.equal(res.extra.length, 0);
		});

		test('with a reachable Redis: redis "connected"', async () => {
			const redis = await startRedis();
			let s;
			try {
				s = await startServer({ env: { REDIS_URL: redis.url } });
				const res = await request(`${s.url}/api/v1/ready`);
				assert.equal(res.status, 200, res.text);
				assert.equal(res.json.status, 'ready');
				assert.equal(res.json.database, 'connected');
				assert.equal(res.json.redis, 'connected');
			} finally {
				await stopChecked(s);
				await redis.stop();
			}
		});

		test('with Redis configured on a closed port: 200 "degraded", redis "disconnected"', async () => {
			const port = await closedPort();
			const s = await startServer({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
			try {
				const res = await request(`${s.url}/api/v1/ready`);
				assert.equal(res.status, 200, res.text);
				assert.equal(res.json.status, 'degraded');
				assert.equal(res.json.database, 'connected');
				assert.equal(res.json.redis, 'disconnected');
				assert.equal((await request(`${s.url}/api/v1/health`)).status, 200);
			} finally {
				await stopChecked(s);
			}
		});

		test('with a Redis that accepts but never answers: "degraded" within the 100 ms call timeout', async () => {
			const sockets = [];
			const silent = net.createServer((c) => sockets.push(c));
			await new Promise((r) => silent.listen(0, '127.0.0.1', r));
			const s = await startServer({ env: { REDIS_URL: `redis://127.0.0.1:${silent.address().port}` } });
			try {
				const t0 = Date.now();
				const res = await request(`${s.url}/api/v1/ready`, { timeoutMs: 5000 });
				const ms = Date.now() - t0;
				assert.equal(res.status, 200, res.text);
				assert.equal(res.json.status, 'degraded');
				assert.equal(res.json.redis, 'disconnected');
				assert.ok(ms < 1500, `/ready took ${ms} ms`);
			} finally {
				await stopChecked(s);
				for (const c of sockets) c.destroy();
				silent.close();
			}
		});

		if (STORE === 'postgres') {
			test('PostgreSQL going down: /ready 503 not ready, /health still 200; it recovers by itself', { timeout: 120000 }, async () => {
				const cluster = await PgCluster.start();
				let s;
				try {
					const url = await cluster.createDatabase('crm_ready');
					s = await startServer({ env: { DATABASE_URL: url } });
					const up = await request(`${s.url}/api/v1/ready`);
					assert.equal(up.status, 200, up.text);
					assert.equal(up.json.database, 'connected');

					await cluster.stopServer('immediate');
					const down = await waitUntil(
						async () => {
							const r = await request(`${s.url}/api/v1/ready`, { timeoutMs: 5000 });
							return r.status === 503 ? r : null;
						},
						{ timeoutMs: 10000, intervalMs: 200, message: '/ready to answer 503 after PostgreSQL stopped' },
					);
					assert.equal(down.headers['content-type'], JSON_CT);
					assert.deepEqual(
						{ status: down.json.status, database: down.json.database, redis: down.json.redis, draining: down.json.draining },
						{ status: 'not ready', database: 'disconnected', redis: 'not_configured', draining: false },
					);
					assert.match(down.json.timestamp, ISO_MS);
					assert.equal(down.json.code, undefined, 'the readiness object, not the error envelope');
					const health = await request(`${s.url}/api/v1/health`);
					assert.equal(health.status, 200, 'health does not touch the store');
					assert.equal(s.exitInfo, null, 'the server keeps running');

					await cluster.startServer();
					const back = await waitUntil(
						async () => {
							const r = await request(`${s.url}/api/v1/ready`, { timeoutMs: 5000 });
							return r.status === 200 ? r : null;
						},
						{ timeoutMs: 20000, intervalMs: 250, message: '/ready to answer 200 again after PostgreSQL restarted' },
					);
					assert.equal(back.json.status, 'ready');
					assert.equal(back.json.database, 'connected');
				} finally {
					await stopChecked(s);
					await cluster.destroy();
				}
			});
		} else {
			test('an SQLite file that cannot be opened: a clean refusal to start, or /health 200 and /ready 503', async () => {
				const dir = tempDir('crm-badsqlite-');
				const blocker = path.join(dir, 'not-a-directory');
				fs.writeFileSync(blocker, 'x');
				const s = await startServer({ env: { SQLITE_PATH: path.join(blocker, 'crm.sqlite3') }, waitHealth: false });
				try {
					const outcome = await waitUntil(
						async () => {
							if (s.exitInfo) return 'exited';
							const r = await request(`${s.url}/api/v1/health`, { timeoutMs: 1000 }).catch(() => null);
							return r && r.status === 200 ? 'serving' : null;
						},
						{ timeoutMs: 15000, message: 'crm to exit or to serve /health' },
					);
					if (outcome === 'exited') {
						const { code, signal } = await s.exited;
						assert.equal(signal, null, `no crash: ${s.output()}`);
						assert.ok(code === 1 || code === 3, `exit status 1 or 3, got ${code}`);
						assert.match(s.output(), /sqlite|database|store|open/i, 'says why');
					} else {
						const r = await request(`${s.url}/api/v1/ready`);
						assert.equal(r.status, 503);
						assert.equal(r.json.status, 'not ready');
						assert.equal(r.json.database, 'disconnected');
						assert.equal(r.json.draining, false);
					}
				} finally {
					await s.stop();
				}
			});
		}
	});

	describe('response headers (§13.5)', () => {
		const cases = [
			['200 GET /health', () => get('/api/v1/health')],
			['200 GET /ready', () => get('/api/v1/ready')],
			['200 GET /metrics', () => get('/api/v1/metrics')],
			['404 unknown path', () => get('/api/v1/no-such-route')],
			['405 wrong method', () => get('/api/v1/health', { method: 'POST' })],
			['400 body on GET', () => get('/api/v1/health', { headers: { 'Content-Type': 'application/json' }, body: '{}' })],
			['400 unknown query parameter', () => get('/api/v1/health?x=1')],
			['406 not acceptable', () => get('/api/v1/health', { headers: { Accept: 'text/html' } })],
			['204 CORS preflight', () => get('/api/v1/health', { method: 'OPTIONS', headers: { Origin: allowedOrigin, 'Access-Control-Request-Method': 'GET' } })],
			['403 refused preflight', () => get('/api/v1/health', { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } })],
			['414 long target', () => get('/api/v1/' + 'a'.repeat(9000))],
			['431 large headers', () => rawRequest(srv.port, rawHead('GET', '/api/v1/health', Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`X-Pad-${i}`, 'p'.repeat(8000)]))))],
			['HEAD /health', () => rawRequest(srv.port, rawHead('HEAD', '/api/v1/health'), { head: true })],
		];
		for (const [name, send] of cases) {
			test(`security headers on ${name}`, async () => {
				const res = await send();
				if (!res.rawHeaders) res.rawHeaders = Object.entries(res.headers);
				assertSecurityHeaders(res, { label: `${name} (${res.status})` });
			});
		}

		test('GET /openapi.json carries Cache-Control: no-cache and the other headers', async () => {
			const res = await get('/api/v1/openapi.json');
			assertSecurityHeaders(res, { cacheControl: 'no-cache', label: 'openapi.json' });
		});

		test('an https BASE_URL adds Strict-Transport-Security', async () => {
			const s = await startServer({ env: { BASE_URL: 'https://api.crm.test' } });
			try {
				for (const p of ['/api/v1/health', '/api/v1/nope']) {
					const res = await request(s.url + p);
					assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', `${p}: ${res.headers['strict-transport-security']}`);
				}
			} finally {
				await stopChecked(s);
			}
		});
	});

	describe('request ids (§13.6)', () => {
		for (const id of ['abcdefgh', 'req-0001.trace:span_x', 'A'.repeat(64)]) {
			test(`a valid incoming X-Request-Id is kept (${id.length} chars)`, async () => {
				const res = await get('/api/v1/health', { headers: { 'X-Request-Id': id } });
				assert.equal(res.headers['x-request-id'], id);
			});
		}

		for (const id of ['bad id!', 'abcdefg', 'A'.repeat(65), 'abc/defgh', 'abcdefgh\u00e9']) {
			test(`an invalid incoming X-Request-Id (${JSON.stringify(id.slice(0, 12))}, ${id.length} chars) is replaced by a UUID v4`, async () => {
				const headers = [['X-Request-Id', id]];
				const res = await rawRequest(srv.port, Buffer.from(rawHead('GET', '/api/v1/health', [...headers, ['Connection', 'close']]), 'utf8'));
				assert.equal(res.status, 200);
				assert.notEqual(res.headers['x-request-id'], id);
				assert.match(res.headers['x-request-id'] || '', UUID_V4);
			});
		}

		test('without X-Request-Id each response gets a fresh UUID v4', async () => {
			const a = await get('/api/v1/health');
			const b = await get('/api/v1/health');
			assert.match(a.headers['x-request-id'], UUID_V4);
			assert.match(b.headers['x-request-id'], UUID_V4);
			assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
		});

		test('the kept id is the requestId of the error body', async () => {
			const res = await get('/api/v1/missing', { headers: { 'X-Request-Id': 'trace-404-abc' } });
			const body = assertError(res, 404, 'not_found');
			assert.equal(body.requestId, 'trace-404-abc');
		});
	});

	describe('routing (§1.1)', () => {
		for (const p of ['/api/v1/no-such-route', '/', '/api/v2/health', '/api/v1', '/api/v1/health/', '/api/v1/HEALTH', '/api/v1/health/extra']) {
			test(`GET ${p} → 404 not_found envelope`, async () => {
				const res = await get(p);
				assertError(res, 404, 'not_found', p);
			});
		}

		test('an unknown path answers 404 whatever the method', async () => {
			for (const method of ['POST', 'PATCH', 'DELETE', 'PUT']) {
				const res = await get('/api/v1/no-such-route', { method });
				assertError(res, 404, 'not_found', method);
			}
		});

		test('HEAD on an unknown path → 404 without a body', async () => {
			const res = await rawRequest(srv.port, rawHead('HEAD', '/api/v1/no-such-route', { Connection: 'close' }), { head: true, waitCloseMs: 1000 });
			assert.equal(res.status, 404);
			assert.equal(res.extra.length, 0);
		});

		for (const p of ['/api/v1/health', '/api/v1/ready', '/api/v1/metrics', '/api/v1/openapi.json']) {
			for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
				test(`${method} ${p} → 405 with Allow: GET, HEAD`, async () => {
					const res = await get(p, { method });
					assertError(res, 405, 'method_not_allowed', `${method} ${p}`);
					const allow = listHeader(res.headers.allow);
					assert.ok(allow.includes('GET') && allow.includes('HEAD'), `Allow: ${res.headers.allow}`);
					assert.ok(!allow.includes(method), `Allow: ${res.headers.allow}`);
				});
			}
		}

		test('method-override headers are ignored', async () => {
			const res = await get('/api/v1/health', {
				method: 'POST',
				headers: { 'X-HTTP-Method-Override': 'GET', 'X-HTTP-Method': 'GET', 'X-Method-Override': 'GET' },
			});
			assertError(res, 405, 'method_not_allowed');
		});

		for (const p of ['/api/v1/%FF', '/api/v1/%C3%28', '/api/v1/%00', '/api/v1/health%0A', '/api/v1/%7F']) {
			test(`a path segment that decodes to invalid UTF-8 or a control character (${p}) → 400 validation_failed`, async () => {
				const res = await get('/', { path: p });
				assertError(res, 400, 'validation_failed', p);
			});
		}
	});

	describe('content negotiation and bodies (§1.1, §1.2)', () => {
		test('Accept: text/html only → 406 not_acceptable', async () => {
			const res = await get('/api/v1/health', { headers: { Accept: 'text/html' } });
			assertError(res, 406, 'not_acceptable');
		});

		test('Accept: image/png, text/* → 406', async () => {
			const res = await get('/api/v1/health', { headers: { Accept: 'image/png, text/*' } });
			assertError(res, 406, 'not_acceptable');
		});

		for (const accept of ['application/json', '*/*', 'application/*', 'text/html, application/json;q=0.9', 'application/json; charset=utf-8']) {
			test(`Accept: ${accept} → 200`, async () => {
				const res = await get('/api/v1/health', { headers: { Accept: accept } });
				assert.equal(res.status, 200, res.text);
			});
		}

		test('a body on GET → 400 validation_failed, field body, reason not_allowed', async () => {
			const res = await get('/api/v1/health', { headers: { 'Content-Type': 'application/json' }, body: '{}' });
			const body = assertError(res, 400, 'validation_failed');
			assert.ok(hasDetail(body, 'body', 'not_allowed'), JSON.stringify(body.details));
		});

		test('a zero-length body on GET is no body: 200', async () => {
			const res = await get('/api/v1/health', { headers: { 'Content-Length': '0' } });
			assert.equal(res.status, 200, res.text);
		});
	});

	describe('framing limits (§1.1, §13.7)', () => {
		test('a request target longer than 8 KiB → 414 uri_too_long envelope', async () => {
			const target = '/api/v1/' + 'a'.repeat(8193 - 8);
			assert.equal(target.length, 8193);
			const res = await get('/', { path: target });
			assertError(res, 414, 'uri_too_long');
		});

		test('a long query string counts: 9000 characters → 414', async () => {
			const res = await get('/', { path: '/api/v1/health?q=' + 'b'.repeat(9000) });
			assertError(res, 414, 'uri_too_long');
		});

		test('a request target of exactly 8 KiB is not too long (404 for an unknown path)', async () => {
			const target = '/api/v1/' + 'a'.repeat(8192 - 8);
			assert.equal(target.length, 8192);
			const res = await get('/', { path: target });
			assertError(res, 404, 'not_found');
		});

		test('request headers over 32 KiB in total → 431 headers_too_large envelope', async () => {
			const headers = Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`X-Pad-${i}`, 'h'.repeat(8000)]));
			const res = await rawRequest(srv.port, rawHead('GET', '/api/v1/health', headers));
			assertError(res, 431, 'headers_too_large');
		});

		test('request headers of 24 KB are accepted', async () => {
			const headers = Object.fromEntries([1, 2, 3].map((i) => [`X-Pad-${i}`, 'h'.repeat(8000)]));
			const res = await rawRequest(srv.port, rawHead('GET', '/api/v1/health', { ...headers, Connection: 'close' }));
			assert.equal(res.status, 200, res.text);
		});

		test('the largest head the limits allow (an 8 KiB target, 32 KiB of headers in 100 lines) reaches the service; one byte more → 431', async () => {
			const target = '/api/v1/' + 'a'.repeat(8192 - 8);
			const host = 'Host: 127.0.0.1\r\n'.length; // rawHead's; a line counts as name + value + 4
			const each = Math.floor((32 * 1024 - host) / 99);
			const pairs = [];
			for (let i = 0, left = 32 * 1024 - host; i < 99; i++) {
				const name = `X-Pad-${String(i).padStart(2, '0')}`;
				const size = i < 98 ? each : left;
				pairs.push([name, 'h'.repeat(size - name.length - 4)]);
				left -= size;
			}
			assert.equal(pairs.reduce((n, [k, v]) => n + k.length + v.length + 4, host), 32 * 1024);
			assertError(await rawRequest(srv.port, rawHead('GET', target, pairs)), 404, 'not_found');
			pairs[98][1] += 'h';
			assertError(await rawRequest(srv.port, rawHead('GET', target, pairs)), 431, 'headers_too_large');
		});

		test('both Content-Length and Transfer-Encoding → 400 malformed_json and the connection is closed', async () => {
			// Framing is checked first (§1.6 step 1), whatever the route.
			const head = rawHead('POST', '/api/v1/health', {
				'Content-Type': 'application/json',
				'Content-Length': '2',
				'Transfer-Encoding': 'chunked',
			});
			const res = await rawRequest(srv.port, head + '2\r\n{}\r\n0\r\n\r\n', { waitCloseMs: 3000 });
			assertError(res, 400, 'malformed_json');
			assert.equal(res.closed, true, 'connection closed after the answer');
		});

		test('two different Content-Length values → 400 malformed_json and the connection is closed', async () => {
			const head = rawHead('POST', '/api/v1/health', [
				['Content-Type', 'application/json'],
				['Content-Length', '2'],
				['Content-Length', '3'],
			]);
			const res = await rawRequest(srv.port, head + '{} ', { waitCloseMs: 3000 });
			assertError(res, 400, 'malformed_json');
			assert.equal(res.closed, true, 'connection closed after the answer');
		});

		test('a 2 MiB body sent in one go still receives its 413 (the answer is not lost to a reset)', async () => {
			// The body limit (step 4) comes before the no-body-on-GET rule, so GET /health answers 413.
			// Clients write the whole body before reading: a server that closes at once with unread
			// input makes the kernel send RST, which destroys the 413 in flight (lingering close needed).
			const body = Buffer.alloc(2 * 1024 * 1024, 0x61);
			const head = rawHead('GET', '/api/v1/health', { 'Content-Type': 'application/json', 'Content-Length': String(body.length), Connection: 'close' });
			const pieces = [{ data: head }];
			for (let i = 0; i < body.length; i += 256 * 1024) pieces.push({ data: body.subarray(i, i + 256 * 1024) });
			const res = await rawRequest(srv.port, pieces, { timeoutMs: 10000 });
			assertError(res, 413, 'payload_too_large');
		});

		// Needs a route that takes a body (the body limit is step 4, after routing): login.
		test('a body over MAX_BODY_BYTES is refused with 413 as soon as Content-Length says so', async () => {
			const head = rawHead('POST', '/api/v1/auth/login', { 'Content-Type': 'application/json', 'Content-Length': String(2 * 1024 * 1024) });
			// Only the head is sent: the answer must not wait for the body.
			const res = await rawRequest(srv.port, head, { timeoutMs: 5000 });
			assertError(res, 413, 'payload_too_large');
		});
	});

	describe('CORS (§13.5)', () => {
		test('a preflight from the BASE_URL origin → 204 with the CORS headers', async () => {
			const res = await get('/api/v1/health', {
				method: 'OPTIONS',
				headers: { Origin: allowedOrigin, 'Access-Control-Request-Method': 'GET' },
			});
			assert.equal(res.status, 204, res.text);
			assert.equal(res.body.length, 0);
			assert.equal(res.headers['access-control-allow-origin'], allowedOrigin);
			assert.equal(res.headers['access-control-allow-credentials'], 'true');
			assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, POST, PATCH, DELETE');
			assert.equal(res.headers['access-control-allow-headers'], 'Authorization, Content-Type, X-Request-Id');
			assert.equal(res.headers['access-control-max-age'], '600');
			assert.ok(varyHas(res, 'Origin'));
		});

		test('a preflight for an authenticated route is answered without authentication', async () => {
			const res = await get('/api/v1/contacts', {
				method: 'OPTIONS',
				headers: { Origin: allowedOrigin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
			});
			assert.equal(res.status, 204, res.text);
			assert.equal(res.headers['access-control-allow-origin'], allowedOrigin);
		});

		for (const origin of ['https://evil.example', 'null', 'http://localhost:1', 'http://127.0.0.1']) {
			test(`a preflight from ${origin} → 403 origin_not_allowed without CORS headers`, async () => {
				const res = await get('/api/v1/health', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
				assertError(res, 403, 'origin_not_allowed');
				const cors = Object.keys(res.headers).filter((k) => k.startsWith('access-control-'));
				assert.deepEqual(cors, [], `no CORS headers, got ${cors.join(', ')}`);
			});
		}

		test('a GET from an allowed origin carries Allow-Origin, Allow-Credentials and Expose-Headers', async () => {
			const res = await get('/api/v1/health', { headers: { Origin: allowedOrigin } });
			assert.equal(res.status, 200);
			assert.equal(res.headers['access-control-allow-origin'], allowedOrigin);
			assert.equal(res.headers['access-control-allow-credentials'], 'true');
			assert.equal(res.headers['access-control-expose-headers'], EXPOSE);
		});

		test('an error answer to an allowed origin carries the CORS headers too', async () => {
			const res = await get('/api/v1/no-such-route', { headers: { Origin: allowedOrigin } });
			assert.equal(res.status, 404);
			assert.equal(res.headers['access-control-allow-origin'], allowedOrigin);
			assert.equal(res.headers['access-control-allow-credentials'], 'true');
		});

		test('a GET from another origin is served without CORS headers', async () => {
			const res = await get('/api/v1/health', { headers: { Origin: 'https://evil.example' } });
			assert.equal(res.status, 200);
			assert.equal(res.headers['access-control-allow-origin'], undefined);
			assert.equal(res.headers['access-control-allow-credentials'], undefined);
			assert.ok(varyHas(res, 'Origin'));
		});

		test('FRONTEND_URL and CORS_ORIGINS extend the allowlist with exact origins only', async () => {
			const s = await startServer({
				env: { FRONTEND_URL: 'https://app.crm.test/web/', CORS_ORIGINS: 'http://localhost:5173,https://admin.crm.test' },
			});
			try {
				const preflight = (origin) =>
					request(`${s.url}/api/v1/health`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
				for (const origin of ['https://app.crm.test', 'http://localhost:5173', 'https://admin.crm.test', `http://localhost:${s.port}`]) {
					const res = await preflight(origin);
					assert.equal(res.status, 204, `${origin}: ${res.status} ${res.text}`);
					assert.equal(res.headers['access-control-allow-origin'], origin);
				}
				for (const origin of ['http://app.crm.test', 'https://app.crm.test:8443', 'https://crm.test', 'https://app.crm.test/web', 'http://localhost:5174']) {
					const res = await preflight(origin);
					assert.equal(res.status, 403, `${origin}: ${res.status}`);
					assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
				}
			} finally {
				await stopChecked(s);
			}
		});
	});

	describe('GET /openapi.json (§13.4)', () => {
		test('answers the OpenAPI 3.1 document', async () => {
			const res = await get('/api/v1/openapi.json');
			assert.equal(res.status, 200);
			assert.equal(res.headers['content-type'], JSON_CT);
			assert.equal(res.headers['cache-control'], 'no-cache');
			assert.ok(res.json, 'JSON body');
			assert.match(String(res.json.openapi), /^3\.1/);
			assert.ok(res.json.info && typeof res.json.info.title === 'string', 'info.title');
			assert.ok(res.json.paths && Object.keys(res.json.paths).length > 0, 'paths is not empty');
		});
	});

	describe('GET /metrics (§13.3)', () => {
		test('is served to loopback in development as Prometheus text 0.0.4', async () => {
			await get('/api/v1/health');
			const res = await get('/api/v1/metrics');
			assert.equal(res.status, 200, res.text.slice(0, 300));
			assert.match(res.headers['content-type'] || '', /^text\/plain; version=0\.0\.4(;|$)/);
			assert.match(res.text, /crm_http_requests_total/);
			const { samples } = parseMetrics(res.text);
			const bad = samples.filter((s) => s.bad);
			assert.deepEqual(bad.map((s) => s.bad), [], 'every line parses');
			const info = find(samples, 'crm_build_info');
			assert.equal(info.length, 1, 'one crm_build_info series');
			assert.deepEqual({ version: info[0].labels.version, store: info[0].labels.store, value: info[0].value }, { version: '1.0.0', store: STORE, value: 1 });
		});

		test('declares every metric family of §13.3 with its type', async () => {
			const { types } = parseMetrics((await get('/api/v1/metrics')).text);
			const want = {
				crm_http_requests_total: 'counter',
				crm_http_request_duration_seconds: 'histogram',
				crm_http_in_flight_requests: 'gauge',
				crm_rate_limit_rejections_total: 'counter',
				crm_rate_limiter_backend: 'gauge',
				crm_db_pool_connections: 'gauge',
				crm_db_pool_wait_seconds: 'histogram',
				crm_db_errors_total: 'counter',
				crm_email_outbox_pending: 'gauge',
				crm_email_sent_total: 'counter',
				crm_auth_events_total: 'counter',
				crm_password_hashes_in_flight: 'gauge',
				crm_stripe_webhook_events_total: 'counter',
				crm_build_info: 'gauge',
				process_start_time_seconds: 'gauge',
				process_resident_memory_bytes: 'gauge',
				process_open_fds: 'gauge',
			};
			const wrong = Object.entries(want).filter(([n, t]) => types[n] !== t).map(([n, t]) => `${n}: want ${t}, got ${types[n]}`);
			assert.deepEqual(wrong, []);
		});

		test('counts requests by route pattern, method and status; unknown paths as "unmatched"', async () => {
			await get('/api/v1/health');
			await get('/api/v1/zz-unmatched-path-xyz');
			const res = await get('/api/v1/metrics');
			const { samples } = parseMetrics(res.text);
			const ok = find(samples, 'crm_http_requests_total', { route: '/api/v1/health', method: 'GET', status: '200' });
			assert.equal(ok.length, 1, 'one series for GET /api/v1/health 200');
			assert.ok(ok[0].value >= 2, `value ${ok[0].value}`);
			const un = find(samples, 'crm_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' });
			assert.equal(un.length, 1, 'unknown paths are counted as route="unmatched"');
			assert.ok(!res.text.includes('zz-unmatched-path-xyz'), 'raw paths never become labels');
		});

		test('has the request-duration histogram with the buckets of §13.3', async () => {
			await get('/api/v1/health');
			const { samples } = parseMetrics((await get('/api/v1/metrics')).text);
			const buckets = find(samples, 'crm_http_request_duration_seconds_bucket', { route: '/api/v1/health', method: 'GET' });
			const les = buckets.map((b) => b.labels.le);
			const wantLes = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
			assert.deepEqual(les.map(Number).sort((a, b) => a - b), wantLes.map(Number).sort((a, b) => a - b), `le values: ${les.join(' ')}`);
			const count = find(samples, 'crm_http_request_duration_seconds_count', { route: '/api/v1/health', method: 'GET' });
			assert.equal(count.length, 1);
			assert.equal(buckets.find((b) => b.labels.le === '+Inf').value, count[0].value);
			assert.equal(find(samples, 'crm_http_request_duration_seconds_sum', { route: '/api/v1/health', method: 'GET' }).length, 1);
		});

		test('reports the local rate limiter and a plausible process start time', async () => {
			const { samples } = parseMetrics((await get('/api/v1/metrics')).text);
			const local = find(samples, 'crm_rate_limiter_backend', { backend: 'local' });
			assert.equal(local.length, 1);
			assert.equal(local[0].value, 1);
			const redis = find(samples, 'crm_rate_limiter_backend', { backend: 'redis' });
			assert.ok(redis.every((s) => s.value === 0), 'redis is not active');
			const start = find(samples, 'process_start_time_seconds');
			assert.equal(start.length, 1);
			const now = Date.now() / 1000;
			assert.ok(start[0].value > now - 900 && start[0].value <= now + 1, `process_start_time_seconds ${start[0].value}`);
			const fds = find(samples, 'process_open_fds');
			assert.ok(fds.length === 1 && fds[0].value > 0);
		});

		test('in production, METRICS_TOKEN is required even from loopback', async () => {
			const token = 'metrics-token-for-tests-42';
			const s = await startServer({ env: { ...PROD_ENV, METRICS_TOKEN: token }, migrate: true });
			try {
				const none = await request(`${s.url}/api/v1/metrics`);
				assertError(none, 403, 'forbidden', 'no token');
				const wrong = await request(`${s.url}/api/v1/metrics`, { headers: { Authorization: 'Bearer not-the-token' } });
				assertError(wrong, 403, 'forbidden', 'wrong token');
				const good = await request(`${s.url}/api/v1/metrics`, { headers: { Authorization: `Bearer ${token}` } });
				assert.equal(good.status, 200, good.text.slice(0, 200));
				assert.match(good.text, /crm_build_info\{/);
				assert.ok(!s.stdout().includes(token), 'the token is never logged');
			} finally {
				await stopChecked(s);
			}
		});

		test('in production without METRICS_TOKEN, /metrics is served to nobody', async () => {
			const s = await startServer({ env: { ...PROD_ENV }, migrate: true });
			try {
				assertError(await request(`${s.url}/api/v1/metrics`), 403, 'forbidden');
				assertError(await request(`${s.url}/api/v1/metrics`, { headers: { Authorization: 'Bearer anything' } }), 403, 'forbidden');
			} finally {
				await stopChecked(s);
			}
		});
	});

	describe('connections (§13.7)', () => {
		test('keep-alive: two requests travel over one connection', async () => {
			const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
			try {
				const a = await request(`${base}/api/v1/health`, { agent });
				const b = await request(`${base}/api/v1/health`, { agent });
				assert.equal(a.status, 200);
				assert.equal(b.status, 200);
				assert.notEqual((a.headers.connection || '').toLowerCase(), 'close');
				assert.equal(b.reusedSocket, true, 'the second request reused the socket');
				assert.equal(a.socket, b.socket);
			} finally {
				agent.destroy();
			}
		});

		test('pipelined requests on one raw connection are all answered in order', async () => {
			const ids = ['pipe-req-0001', 'pipe-req-0002', 'pipe-req-0003'];
			const bytes = ids.map((id, i) => rawHead('GET', '/api/v1/health', { 'X-Request-Id': id, ...(i === ids.length - 1 ? { Connection: 'close' } : {}) })).join('');
			const sock = net.connect(srv.port, '127.0.0.1');
			let data = '';
			sock.setEncoding('latin1');
			sock.on('data', (d) => (data += d));
			sock.write(bytes);
			await new Promise((resolve, reject) => {
				sock.on('close', resolve);
				sock.on('error', reject);
				setTimeout(() => reject(new Error(`timeout; got ${data.slice(0, 500)}`)), 5000);
			});
			let buf = Buffer.from(data, 'latin1');
			const answers = [];
			for (let r; buf.length && (r = parseResponse(buf, { closed: true })); buf = buf.subarray(r.consumed)) answers.push(r);
			assert.deepEqual(answers.map((r) => r.status), [200, 200, 200]);
			assert.deepEqual(answers.map((r) => r.headers['x-request-id']), ids);
			assert.ok(answers.every((r) => JSON.parse(r.body.toString()).status === 'ok'));
		});
	});

	describe('access log (§13.6)', () => {
		const accessLinesFor = (id) => srv.accessLogs().filter((l) => l.requestId === id);

		test('one JSON access line per request, with the documented fields', async () => {
			const id = 'access-log-0001';
			const res = await get('/api/v1/health', { headers: { 'X-Request-Id': id, 'User-Agent': 'crm-tests/1.0' } });
			assert.equal(res.status, 200);
			const line = await srv.waitForLog((l) => l.msg === 'request' && l.requestId === id);
			await sleep(200);
			assert.equal(accessLinesFor(id).length, 1, 'exactly one access line');
			assert.match(line.ts, ISO_MS);
			assert.equal(line.level, 'info');
			assert.equal(line.method, 'GET');
			assert.equal(line.route, '/api/v1/health');
			assert.equal(line.status, 200);
			assert.equal(typeof line.latencyMs, 'number');
			assert.ok(line.latencyMs >= 0 && line.latencyMs < 10000, `latencyMs ${line.latencyMs}`);
			assert.ok(Number.isInteger(line.bytes), `bytes ${line.bytes}`);
			assert.ok(line.bytes >= res.body.length, `bytes ${line.bytes} counts at least the ${res.body.length}-byte body`);
			assert.equal(line.userId, null);
			assert.equal(line.ip, '127.0.0.1');
			assert.equal(line.userAgent, 'crm-tests/1.0');
		});

		test('an unknown path is logged with route "unmatched"', async () => {
			const id = 'access-log-0404';
			await get('/api/v1/does/not/exist', { headers: { 'X-Request-Id': id } });
			const line = await srv.waitForLog((l) => l.msg === 'request' && l.requestId === id);
			assert.equal(line.route, 'unmatched');
			assert.equal(line.status, 404);
			assert.ok(!JSON.stringify(line).includes('does/not/exist'), 'the raw path is not the route');
		});

		test('the query string is never logged', async () => {
			const id = 'access-log-query';
			const secret = 'xyzzy-SECRET-4242';
			const res = await get(`/api/v1/health?secret=${secret}`, { headers: { 'X-Request-Id': id } });
			const body = assertError(res, 400, 'validation_failed');
			assert.ok(hasDetail(body, 'secret', 'unknown_field'), JSON.stringify(body.details));
			await srv.waitForLog((l) => l.msg === 'request' && l.requestId === id);
			await sleep(100);
			assert.ok(!srv.stdout().includes(secret), 'query value absent from stdout');
			assert.ok(!srv.stderr().includes(secret), 'query value absent from stderr');
		});

		test('Authorization and Cookie values are never logged', async () => {
			const id = 'access-log-creds';
			await get('/api/v1/health', {
				headers: { 'X-Request-Id': id, Authorization: 'Bearer tok-SECRET-abc123', Cookie: 'accessToken=cookie-SECRET-def456' },
			});
			await srv.waitForLog((l) => l.msg === 'request' && l.requestId === id);
			await sleep(100);
			const all = srv.stdout() + srv.stderr();
			assert.ok(!all.includes('tok-SECRET-abc123'), 'Authorization absent');
			assert.ok(!all.includes('cookie-SECRET-def456'), 'Cookie absent');
		});

		test('every stdout line is a JSON object with ts, level and msg', async () => {
			const lines = srv.stdout().split('\n').filter((l) => l.trim());
			assert.ok(lines.length > 0);
			const bad = lines.filter((l) => {
				try {
					const o = JSON.parse(l);
					return !(o && typeof o === 'object' && typeof o.ts === 'string' && typeof o.level === 'string' && typeof o.msg === 'string');
				} catch {
					return true;
				}
			});
			assert.deepEqual(bad.slice(0, 5), []);
		});

		test('LOG_FORMAT=text writes the access line as key=value pairs', async () => {
			const s = await startServer({ env: { LOG_FORMAT: 'text' } });
			try {
				const id = 'text-log-0001';
				await request(`${s.url}/api/v1/health`, { headers: { 'X-Request-Id': id } });
				const line = await waitUntil(() => s.stdout().split('\n').find((l) => l.includes(id)), { timeoutMs: 3000, message: 'the text access line' });
				assert.match(line, /\bmsg="?request"?(\s|$)/);
				assert.match(line, new RegExp(`\\brequestId="?${id}"?(\\s|$)`));
				assert.match(line, /\bstatus="?200"?(\s|$)/);
				assert.match(line, /\broute="?\/api\/v1\/health"?(\s|$)/);
				assert.match(line, /\bmethod="?GET"?(\s|$)/);
				assert.throws(() => JSON.parse(line));
			} finally {
				await stopChecked(s);
			}
		});

		test('LOG_LEVEL=warn suppresses the info-level access lines', async () => {
			const s = await startServer({ env: { LOG_LEVEL: 'warn' } });
			try {
				const id = 'warn-level-0001';
				await request(`${s.url}/api/v1/health`, { headers: { 'X-Request-Id': id } });
				await sleep(500);
				assert.ok(!s.stdout().includes(id), 'no access line at warn');
				const infos = s.logs().filter((l) => l && l.level === 'info');
				assert.deepEqual(infos, []);
			} finally {
				await stopChecked(s);
			}
		});
	});

	describe('junk input on every route (§1.2, §1.6)', () => {
		let js; // a dedicated server with generous rate limits
		let ops = [];
		before(async () => {
			const stripeStub = await closedPort();
			js = await startServer({
				env: {
					RATE_LIMIT_ANON_MAX: '100000',
					RATE_LIMIT_AUTH_MAX: '100000',
					RATE_LIMIT_MAX: '100000',
					REQUIRE_EMAIL_VERIFICATION: 'false',
					STRIPE_SECRET_KEY: 'sk_test_junk',
					STRIPE_WEBHOOK_SECRET: 'whsec_junk',
					STRIPE_PRICE_ID: 'price_junk',
					STRIPE_API_BASE: `http://127.0.0.1:${stripeStub}`,
				},
			});
			const doc = (await request(`${js.url}/api/v1/openapi.json`)).json;
			assert.ok(doc && doc.paths, 'the OpenAPI document lists paths');
			for (const [p, item] of Object.entries(doc.paths)) {
				for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
					if (!item[method]) continue;
					const target = (p.startsWith('/api/v1') ? '' : '/api/v1') + p.replace(/\{[^}]+\}/g, '1');
					ops.push({ method: method.toUpperCase(), template: p, target });
				}
			}
			assert.ok(ops.length > 0, 'the OpenAPI document has operations');
		});
		after(() => stopChecked(js));

		const BROWSER_ROUTES = /^(\/api\/v1)?\/auth\/(\{[^}]+\}|google|github)(\/callback)?$|^(\/api\/v1)?\/auth\/verify-email$/;
		const big = '{"a":"' + 'x'.repeat(2 * 1024 * 1024) + '"}';
		const JUNK = [
			['invalid JSON', 'application/json', '{"a":'],
			['a JSON array', 'application/json', '[1,2,3]'],
			['a JSON string', 'application/json', '"text"'],
			['nesting 100 levels deep', 'application/json', '{"a":'.repeat(100) + '1' + '}'.repeat(100)],
			['a 2 MiB body', 'application/json', big],
			['invalid UTF-8', 'application/json', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')])],
			['raw NUL bytes', 'application/json', Buffer.from('{"a":"\u0000"}\u0000\u0000')],
			['an escaped \\u0000', 'application/json', '{"a":"\\u0000"}'],
			['duplicate keys', 'application/json', '{"a":1,"a":2}'],
			['a huge number', 'application/json', '{"a":1e999999,"b":123456789012345678901234567890}'],
			['text/plain', 'text/plain', '{}'],
			['charset=latin1', 'application/json; charset=latin1', '{}'],
			['no Content-Type', null, '{}'],
		];

		async function sendJunk(op, ctype, body, extraHeaders = {}) {
			const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
			const headers = { Connection: 'close', 'Content-Length': String(buf.length), ...extraHeaders };
			if (ctype) headers['Content-Type'] = ctype;
			const head = Buffer.from(rawHead(op.method, op.target, headers), 'latin1');
			const pieces = [{ data: head }];
			for (let i = 0; i < buf.length; i += 256 * 1024) pieces.push({ data: buf.subarray(i, i + 256 * 1024) });
			return rawRequest(js.port, pieces, { timeoutMs: 15000 });
		}

		async function junkPass(label, extraHeaders = {}) {
			const problems = [];
			for (const [name, ctype, body] of JUNK) {
				for (const op of ops) {
					const what = `${op.method} ${op.template} with ${name}`;
					let res;
					try {
						res = await sendJunk(op, ctype, body, extraHeaders);
					} catch (e) {
						problems.push(`${what}: no answer (${e.message.slice(0, 120)})`);
						continue;
					}
					const browser = op.method === 'GET' && BROWSER_ROUTES.test(op.template);
					if (browser && res.status >= 300 && res.status < 400) continue;
					if (res.status < 400 || res.status >= 500) {
						problems.push(`${what}: ${res.status} ${res.text.slice(0, 120)}`);
						continue;
					}
					if (!res.json || typeof res.json.code !== 'string' || res.json.requestId !== res.headers['x-request-id']) {
						problems.push(`${what}: ${res.status} without the error envelope: ${res.text.slice(0, 120)}`);
					}
				}
			}
			const health = await request(`${js.url}/api/v1/health`);
			assert.equal(health.status, 200, `${label}: the server still answers /health`);
			assert.equal(js.exitInfo, null, `${label}: the server is still running`);
			assert.deepEqual(problems, [], `${label}: ${problems.length} bad answers`);
		}

		test('every operation answers junk bodies with a 4xx error envelope and the server stays up', { timeout: 300000 }, async () => {
			await junkPass('anonymous');
		});

		test('every operation answers junk path parameters with 4xx and the server stays up', { timeout: 120000 }, async () => {
			const problems = [];
			const withParams = ops.filter((o) => o.template.includes('{'));
			for (const op of withParams) {
				for (const junk of ['0', '-1', 'abc', '1.5', '99999999999999999999', '9223372036854775808', '%FF', '%00', '%2F..%2F']) {
					const target = (op.template.startsWith('/api/v1') ? '' : '/api/v1') + op.template.replace(/\{[^}]+\}/g, junk);
					let res;
					try {
						res = await rawRequest(js.port, rawHead(op.method, target, { Connection: 'close', 'Content-Length': '0' }), { timeoutMs: 10000 });
					} catch (e) {
						problems.push(`${op.method} ${target}: no answer (${e.message.slice(0, 100)})`);
						continue;
					}
					const browser = op.method === 'GET' && BROWSER_ROUTES.test(op.template);
					if (browser && res.status >= 300 && res.status < 400) continue;
					if (res.status < 400 || res.status >= 500) problems.push(`${op.method} ${target}: ${res.status} ${res.text.slice(0, 100)}`);
				}
			}
			assert.equal((await request(`${js.url}/api/v1/health`)).status, 200);
			assert.deepEqual(problems, []);
		});

		test('authenticated: every operation answers junk bodies with a 4xx error envelope', { timeout: 300000 }, async () => {
			const email = `junk-${process.pid}-${Date.now()}@example.com`;
			const password = 'Junk-pass-phrase-2024!';
			const reg = await request(`${js.url}/api/v1/auth/register`, { method: 'POST', body: { email, password, firstName: 'Junk' } });
			const login = await request(`${js.url}/api/v1/auth/login`, { method: 'POST', body: { email, password } });
			const token = login.json?.data?.accessToken;
			assert.ok(
				token,
				`cannot log in for the authenticated pass (register ${reg.status} ${reg.text.slice(0, 100)}; login ${login.status} ${login.text.slice(0, 100)})`,
			);
			await junkPass('authenticated', { Authorization: `Bearer ${token}` });
		});
	});

	describe('graceful shutdown (§13.7)', () => {
		test('SIGTERM: exit 0 within a few seconds, one access line per request', async () => {
			const s = await startServer();
			const ids = ['shutdown-req-01', 'shutdown-req-02', 'shutdown-req-03', 'shutdown-req-04', 'shutdown-req-05'];
			const paths = ['/api/v1/health', '/api/v1/ready', '/api/v1/nope', '/api/v1/metrics', '/api/v1/openapi.json'];
			for (let i = 0; i < ids.length; i++) await request(s.url + paths[i], { headers: { 'X-Request-Id': ids[i] } });
			const t0 = Date.now();
			s.kill('SIGTERM');
			const { code, signal } = await Promise.race([s.exited, sleep(8000).then(() => ({ code: 'timeout' }))]);
			const ms = Date.now() - t0;
			if (code === 'timeout') await s.stop(100);
			assert.equal(code, 0, `exit code (signal ${signal}) after ${ms} ms\n${s.output().slice(-2000)}`);
			assert.ok(ms < 5000, `exited after ${ms} ms`);
			const access = s.accessLogs();
			for (const id of ids) assert.equal(access.filter((l) => l.requestId === id).length, 1, `one access line for ${id}`);
		});

		test('SIGINT also shuts down cleanly with exit 0', async () => {
			const s = await startServer();
			await request(`${s.url}/api/v1/health`);
			s.kill('SIGINT');
			const r = await Promise.race([s.exited, sleep(8000).then(() => null)]);
			if (!r) await s.stop(100);
			assert.ok(r, 'exited within 8 s');
			assert.equal(r.code, 0, s.output().slice(-2000));
		});

		// A login request whose body is still being uploaded is in flight: the server must
		// wait for it (SPEC §1.6 parses the login body before anything else answers).
		async function startInFlightLogin(s, { keepAlive = false } = {}) {
			const body = JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-1' });
			const head = rawHead('POST', '/api/v1/auth/login', {
				'Content-Type': 'application/json',
				'Content-Length': String(body.length),
				...(keepAlive ? {} : { Connection: 'close' }),
			});
			const sock = net.connect(s.port, '127.0.0.1');
			let data = Buffer.alloc(0);
			let closed = false;
			sock.on('data', (d) => (data = Buffer.concat([data, d])));
			sock.on('close', () => (closed = true));
			sock.on('error', () => (closed = true));
			await new Promise((r) => sock.on('connect', r));
			sock.write(head + body.slice(0, 10));
			await sleep(300);
			return {
				sock,
				rest: body.slice(10),
				data: () => data,
				closed: () => closed,
			};
		}

		test('a request in flight when SIGTERM arrives is answered, then the server exits 0', async () => {
			const s = await startServer({ env: { SHUTDOWN_TIMEOUT_SECONDS: '20' } });
			try {
				const idle = net.connect(s.port, '127.0.0.1');
				await new Promise((r) => idle.on('connect', r));
				const f = await startInFlightLogin(s);
				assert.equal(f.data().length, 0, `the server answered before the body was complete: ${f.data().toString().slice(0, 200)}`);
				s.kill('SIGTERM');
				await sleep(400);
				assert.equal(s.exitInfo, null, 'the server waits for the request in flight');

				// New connections are no longer accepted (or, if accepted, told that it is draining).
				const late = await request(`${s.url}/api/v1/ready`, { timeoutMs: 2000 }).catch((e) => e);
				if (!(late instanceof Error)) {
					assert.equal(late.status, 503, `a request after SIGTERM: ${late.status} ${late.text}`);
					assert.equal(late.json.status, 'not ready');
					assert.equal(late.json.draining, true);
				}

				f.sock.write(f.rest);
				const answered = await waitUntil(() => parseStatus(f.data()), { timeoutMs: 5000, message: 'the in-flight answer' });
				assert.ok(answered < 500, `the in-flight request got ${answered}: ${f.data().toString().slice(0, 300)}`);
				idle.destroy();
				const r = await Promise.race([s.exited, sleep(10000).then(() => null)]);
				assert.ok(r, 'exited after the in-flight request finished');
				assert.equal(r.code, 0, s.output().slice(-2000));
			} finally {
				await s.stop(100);
			}
		});

		// A proxy keeps connections to the node open: answers given while draining close theirs,
		// so that its next requests go to a new connection, refused, hence to another node.
		test('while draining, an answer on a kept-alive connection closes it', async () => {
			const s = await startServer({ env: { SHUTDOWN_TIMEOUT_SECONDS: '20' } });
			try {
				const f = await startInFlightLogin(s, { keepAlive: true });
				s.kill('SIGTERM');
				await sleep(200);
				f.sock.write(f.rest);
				await waitUntil(() => parseStatus(f.data()), { timeoutMs: 5000, message: 'the in-flight answer' });
				const head = f.data().toString('latin1').split('\r\n\r\n')[0];
				assert.match(head, /\r\nconnection: *close(\r\n|$)/i, head);
				await waitUntil(() => f.closed(), { timeoutMs: 3000, message: 'the server to close the connection' });
				const r = await Promise.race([s.exited, sleep(10000).then(() => null)]);
				assert.ok(r, 'exited after the answer');
				assert.equal(r.code, 0, s.output().slice(-2000));
			} finally {
				await s.stop(100);
			}
		});

		test('a second signal during the drain exits at once with code 1', async () => {
			const s = await startServer({ env: { SHUTDOWN_TIMEOUT_SECONDS: '20' } });
			try {
				const f = await startInFlightLogin(s);
				assert.equal(f.data().length, 0, `the server answered before the body was complete: ${f.data().toString().slice(0, 200)}`);
				s.kill('SIGTERM');
				await sleep(300);
				assert.equal(s.exitInfo, null, 'still draining after the first signal');
				s.kill('SIGTERM');
				const r = await Promise.race([s.exited, sleep(3000).then(() => null)]);
				assert.ok(r, 'exited within 3 s of the second signal');
				assert.equal(r.code, 1);
				f.sock.destroy();
			} finally {
				await s.stop(100);
			}
		});
	});
});

function parseStatus(buf) {
	const m = /^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1'));
	return m && buf.includes('\r\n\r\n') ? Number(m[1]) : null;
}
