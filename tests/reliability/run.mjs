#!/usr/bin/env node
// Fault and scale-out tests (`make reliability`; not part of `make test`):
//   node tests/reliability/run.mjs --build build [--only name,name]
// Each scenario starts its own services on loopback (throwaway PostgreSQL, Redis, SMTP capture,
// nginx, crm servers, all stopped by pid through tests/support/cleanup.mjs), drives a bounded load,
// injects one fault, prints its figures and its checks, and the run ends with "N passed, N
// failed" (exit 1 when anything failed). The crm binary is copied first, so that a rebuild
// during the run does not change the program under test between restarts.
// RELIABILITY_SOAK_SECONDS (default 600: ten minutes) sets the soak length; RELIABILITY_SOAK_STORE
// (postgres | sqlite, default postgres) its store. Under a sanitizer build (`--build build-asan`,
// ASAN_OPTIONS=detect_leaks=1) every clean stop also checks stderr for sanitizer reports, and
// the soak's RSS check is skipped.
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from '../support/server.mjs';
import { PgCluster, uniqueDbName } from '../support/postgres.mjs';
import { startRedis, redisCommand, redisPingRaw } from '../support/redis.mjs';
import { startSmtp } from '../support/smtp.mjs';
import { sql, makeAdmin } from '../support/db.mjs';
import { onCleanup, cancelCleanup, trackPid, untrackPid, pidAlive, killPid, tempDir, findExecutable, sleep } from '../support/cleanup.mjs';
import { startNginx, SERVER_PARAMS, UPSTREAM_DIRECTIVES, SERVER_DIRECTIVES, PROXY_DIRECTIVES } from '../support/nginx.mjs';
import { call, newAccount, login, WriteLoad, verifyWrites, listAll, latencySummary, procFigures, childPids, pool } from './load.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function parseArgs(argv) {
	const o = { build: 'build', only: null };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--build') o.build = argv[++i];
		else if (argv[i] === '--only') o.only = argv[++i].split(',').filter(Boolean);
		else {
			console.error(`usage: node tests/reliability/run.mjs [--build DIR] [--only name,...]`);
			process.exit(64);
		}
	}
	return o;
}
const opts = parseArgs(process.argv.slice(2));

// Snapshot the binary (other work may rebuild build/crm while this runs).
const srcBin = path.resolve(ROOT, opts.build, 'crm');
if (!fs.existsSync(srcBin)) {
	console.error(`crm binary not found at ${srcBin}: run \`make build\` first`);
	process.exit(1);
}
const snapDir = tempDir('crm-rel-bin-');
fs.copyFileSync(srcBin, path.join(snapDir, 'crm'));
fs.chmodSync(path.join(snapDir, 'crm'), 0o755);
process.env.CRM_BUILD = snapDir;

// Servers under load log warnings only (access lines would pile up in memory).
const QUIET = { LOG_LEVEL: 'warn' };
const OPEN_LIMITS = {
	REQUIRE_EMAIL_VERIFICATION: 'false',
	RATE_LIMIT_AUTH_MAX: 1000000,
	RATE_LIMIT_ANON_MAX: 1000000,
	RATE_LIMIT_MAX: 1000000,
	RATE_LIMIT_MAX_PREMIUM: 1000000,
	FREE_CONTACT_LIMIT: 100000,
};

// ------------------------------------------------------------------ reporting

let current = null;

function figure(name, value) {
	console.log(`    ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

function check(ok, what, detail) {
	if (ok) {
		current.passed++;
		console.log(`    ok    ${what}`);
	} else {
		current.failed++;
		console.log(`    FAIL  ${what}${detail !== undefined ? ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`);
	}
}

// ------------------------------------------------------------------ service helpers

/** The pids of a PostgreSQL cluster: the postmaster and its children. */
function pgPids(cluster) {
	const pm = cluster.pid || cluster.readPostmasterPid();
	return pm ? [pm, ...childPids(pm)] : [];
}

/**
 * A database on cluster with synchronous_commit back on: the harness cluster runs with it off
 * for speed, which lets a PostgreSQL crash drop commits it already acknowledged. A database
 * setting outranks the server's command line.
 */
async function durableDatabase(cluster) {
	const name = uniqueDbName('crm_rel');
	const url = await cluster.createDatabase(name);
	await cluster.psql(`ALTER DATABASE "${name}" SET synchronous_commit = on`);
	return url;
}

/** SIGKILLs every process of the cluster (by pid) and waits until all are gone. */
async function pgKillAll(cluster) {
	const pids = pgPids(cluster);
	for (const p of pids) killPid(p, 'SIGKILL');
	for (let i = 0; i < 100 && pids.some(pidAlive); i++) await sleep(50);
	untrackPid(pids[0]);
	cluster.pid = null;
	return pids.length;
}

/** Starts redis-server on a given port (to bring "the same" Redis back after a kill). */
async function startRedisOn(port) {
	const bin = findExecutable('redis-server');
	const dir = tempDir('crm-redis-');
	const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
		stdio: ['ignore', 'ignore', 'ignore'],
	});
	const cleanupId = onCleanup(() => pidAlive(proc.pid) && killPid(proc.pid, 'SIGKILL'));
	trackPid(proc.pid, { kind: 'redis', match: 'redis-server' });
	const exited = new Promise((r) => proc.on('exit', r));
	for (let i = 0; i < 200; i++) {
		try {
			if ((await redisPingRaw(port, { timeoutMs: 300 })) === '+PONG') break;
		} catch {
			/* not yet */
		}
		await sleep(50);
	}
	return {
		pid: proc.pid,
		port,
		async stop() {
			killPid(proc.pid, 'SIGTERM');
			await exited;
			cancelCleanup(cleanupId);
			untrackPid(proc.pid);
		},
	};
}

/** Stops a server with SIGTERM and checks exit code 0. */
async function stopClean(srv, label = 'server') {
	if (!srv || srv.exitInfo) return;
	const code = await srv.stop(15000);
	check(code === 0, `${label} exits 0 after SIGTERM`, code === 0 ? undefined : `code ${code} signal ${srv.exitInfo?.signal}\n${srv.stderr().slice(-1500)}`);
	const san = /ERROR: (Address|Leak)Sanitizer|runtime error:/.exec(srv.stderr());
	check(!san, `${label}: no sanitizer report`, san ? srv.stderr().slice(san.index, san.index + 1500) : undefined);
}

async function metric(base, name) {
	const r = await call(base, 'GET', '/metrics');
	return r.text.split('\n').filter((l) => l.startsWith(name));
}

const fmtPhases = (load) => Object.fromEntries(Object.entries(load.byPhase));
const fmtLat = (load) => Object.fromEntries(Object.entries(load.latency).map(([k, v]) => [k, latencySummary(v)]));

// ------------------------------------------------------------------ scenarios

/** (1) PostgreSQL SIGKILLed during a write load, then restarted. */
async function pgKill() {
	const cluster = await PgCluster.start();
	const dbUrl = await durableDatabase(cluster);
	const srv = await startServer({ store: 'postgres', env: { ...OPEN_LIMITS, ...QUIET, DATABASE_URL: dbUrl, DB_STATEMENT_TIMEOUT_MS: 1000 } });
	try {
		const acct = await newAccount(srv.url, 'pgkill');
		const load = new WriteLoad({ getBase: () => srv.url, getToken: () => acct.token, workers: 8 }).start();
		await sleep(3000);
		load.phase = 'down';
		const killed = await pgKillAll(cluster);
		const tDown = Date.now();
		figure('postgres processes SIGKILLed', killed);
		// Probe while down: readiness and a read.
		const probes = [];
		const readyDown = [];
		while (Date.now() - tDown < 5000) {
			probes.push(await call(srv.url, 'GET', '/contacts?limit=1', { token: acct.token }));
			readyDown.push(await call(srv.url, 'GET', '/ready'));
			await sleep(200);
		}
		load.phase = 'after';
		const tStart = Date.now();
		await cluster.startServer();
		const pgUpMs = Date.now() - tStart;
		// Time until the server answers a store read again, on its own.
		let firstOkMs = null;
		const tUp = Date.now();
		while (Date.now() - tUp < 30000) {
			const r = await call(srv.url, 'GET', '/contacts?limit=1', { token: acct.token, timeoutMs: 5000 });
			if (r.status === 200) {
				firstOkMs = Date.now() - tUp;
				break;
			}
			await sleep(100);
		}
		await sleep(3000);
		await load.stop();
		const v = await verifyWrites(srv.url, acct.token, load);
		const probeStatus = {};
		for (const p of probes) probeStatus[p.status] = (probeStatus[p.status] || 0) + 1;
		const downLat = latencySummary([...(load.latency.down || []), ...probes.map((p) => p.ms)]);
		figure('answers by phase', fmtPhases(load));
		figure('latency ms by phase', fmtLat(load));
		figure('probe GET /contacts while down', { statuses: probeStatus, ...latencySummary(probes.map((p) => p.ms)) });
		figure('GET /ready while down', [...new Set(readyDown.map((r) => `${r.status} ${r.json?.database}`))]);
		figure('postgres restart ms', pgUpMs);
		figure('first 200 after restart ms', firstOkMs);
		figure('writes', v);
		check(srv.exitInfo === null, 'crm still running (no crash)', srv.exitInfo);
		const down = load.byPhase.down || {};
		check((down['503'] || 0) + (probeStatus['503'] || 0) > 0, 'outage answered with 503', down);
		check(load.bad503.length === 0, 'every 503 is service_unavailable with Retry-After: 5 (an unconfirmed write: none)', load.bad503.slice(0, 3));
		check(!down.neterr && !probeStatus['0'], 'no hang or dropped connection while down', { down, probeStatus });
		check(downLat.max < 4000, 'outage answers within the 3 s connect timeout (+1 s)', downLat);
		check(readyDown.every((r) => r.status === 503 && r.json?.database === 'disconnected'), '/ready 503 database disconnected while down');
		check(firstOkMs !== null, 'server reconnects by itself after PostgreSQL returns', firstOkMs);
		check(v.presentContacts === v.ackedContacts && v.presentInteractions === v.ackedInteractions, 'every acknowledged write present', v.missing);
		check(v.duplicateContacts === 0 && v.duplicateInteractions === 0, 'no duplicate rows');
		check(load.unexpected.length === 0, 'no unexpected statuses', load.unexpected.slice(0, 5));
		const ready = await call(srv.url, 'GET', '/ready');
		check(ready.status === 200, '/ready 200 after recovery', ready.text);
		await stopClean(srv);
	} finally {
		if (!srv.exitInfo) await srv.stop();
		await cluster.destroy();
	}
}

/** (5) the crm server SIGKILLed during writes and restarted on the same data. */
async function crmKill(store) {
	let cluster = null;
	const env = { ...OPEN_LIMITS, ...QUIET };
	if (store === 'postgres') {
		cluster = await PgCluster.start();
		env.DATABASE_URL = await durableDatabase(cluster);
	}
	let srv = await startServer({ store, env });
	const dataDir = srv.dataDir;
	try {
		const acct = await newAccount(srv.url, `kill-${store}`);
		const load = new WriteLoad({ getBase: () => srv.url, getToken: () => acct.token, workers: 8 }).start();
		const rounds = 3;
		const restartMs = [];
		for (let round = 0; round < rounds; round++) {
			await sleep(1500);
			load.phase = `kill${round + 1}`;
			srv.kill('SIGKILL');
			await srv.exited;
			const t0 = Date.now();
			srv = await startServer({ store, env, dataDir, port: srv.port });
			restartMs.push(Date.now() - t0);
			load.phase = `after${round + 1}`;
		}
		await sleep(1500);
		await load.stop();
		// Tokens survive a restart (development secrets live in DATA_DIR); log in again if not.
		let me = await call(srv.url, 'GET', '/me', { token: acct.token });
		const tokenSurvived = me.status === 200;
		if (!tokenSurvived) await login(srv.url, acct);
		const v = await verifyWrites(srv.url, acct.token, load);
		figure('answers by phase', fmtPhases(load));
		figure('restart ms (SIGKILL → healthy)', restartMs);
		figure('access token valid after restart', tokenSurvived);
		figure('writes', v);
		check(v.presentContacts === v.ackedContacts && v.presentInteractions === v.ackedInteractions, `no acknowledged write lost (${store})`, v.missing);
		check(v.duplicateContacts === 0 && v.duplicateInteractions === 0, 'no duplicate rows');
		check(load.unexpected.length === 0, 'no unexpected statuses', load.unexpected.slice(0, 5));
		await stopClean(srv);
	} finally {
		if (!srv.exitInfo) await srv.stop();
		if (cluster) await cluster.destroy();
	}
}

/** (5b) SIGTERM: in-flight requests finish, new connections are refused, exit 0. */
async function sigtermDrain() {
	const srv = await startServer({ store: 'sqlite', env: { ...OPEN_LIMITS, ...QUIET } });
	try {
		const acct = await newAccount(srv.url, 'drain');
		// Logins are the slowest requests (Argon2id on the job pool): a good in-flight load.
		const n = 24;
		const inflight = [];
		for (let i = 0; i < n; i++) {
			inflight.push(
				i % 2 ? call(srv.url, 'POST', '/auth/login', { body: { email: acct.email, password: acct.password } }) : call(srv.url, 'POST', '/contacts', { token: acct.token, body: { firstName: `d${i}` } }),
			);
		}
		await sleep(30);
		const t0 = Date.now();
		srv.kill('SIGTERM');
		const results = await Promise.all(inflight);
		await sleep(50);
		const late = await call(srv.url, 'GET', '/health', { timeoutMs: 2000 });
		const info = await srv.exited;
		const statuses = {};
		for (const r of results) statuses[r.status === 0 ? 'neterr' : r.status] = (statuses[r.status === 0 ? 'neterr' : r.status] || 0) + 1;
		figure('in-flight requests at SIGTERM', n);
		figure('their answers', statuses);
		figure('request after SIGTERM', late.status === 0 ? late.error : late.status);
		figure('exit after SIGTERM', { ...info, ms: Date.now() - t0 });
		check(results.every((r) => r.status === 200 || r.status === 201), 'every in-flight request finished with 2xx', statuses);
		check(late.status === 0 || late.status === 503, 'no new request served after SIGTERM', late.status);
		check(info.code === 0, 'exit code 0', info);
	} finally {
		if (!srv.exitInfo) await srv.stop();
	}
}

/** (2) PostgreSQL paused with SIGSTOP for 10 s, then SIGCONT. */
async function pgStop() {
	const cluster = await PgCluster.start();
	const dbUrl = await durableDatabase(cluster);
	const stmtMs = 1000;
	// Store calls run on the HTTP polling threads (SPEC §13.7): the requests in flight when the
	// server stops wait out their deadline, and other connections of their threads wait with
	// them; after that the store's breaker answers 503 at once until a probe connects again.
	// Two threads (the default on this machine's two CPUs) show that nothing queues for longer
	// than one deadline; RELIABILITY_PG_STOP_THREADS overrides.
	const threads = Number(process.env.RELIABILITY_PG_STOP_THREADS || 2);
	const srv = await startServer({
		store: 'postgres',
		env: { ...OPEN_LIMITS, ...QUIET, DATABASE_URL: dbUrl, DB_STATEMENT_TIMEOUT_MS: stmtMs, WORKER_THREADS: threads, DB_POOL_SIZE: threads },
	});
	const pids = [];
	try {
		const acct = await newAccount(srv.url, 'pgstop');
		const load = new WriteLoad({ getBase: () => srv.url, getToken: () => acct.token, workers: 8, retryDelayMs: 200 }).start();
		await sleep(2000);
		load.phase = 'paused';
		pids.push(...pgPids(cluster));
		for (const p of pids) killPid(p, 'SIGSTOP');
		const probes = [];
		const t0 = Date.now();
		const prober = (async () => {
			while (Date.now() - t0 < 10000) {
				probes.push(await call(srv.url, 'GET', '/contacts?limit=1', { token: acct.token, timeoutMs: 20000 }));
				await sleep(100);
			}
		})();
		const health = [];
		const healthProber = (async () => {
			while (Date.now() - t0 < 9500) {
				health.push(await call(srv.url, 'GET', '/health', { timeoutMs: 20000 }));
				await sleep(250);
			}
		})();
		await sleep(10000);
		load.phase = 'resumed';
		for (const p of pids) killPid(p, 'SIGCONT');
		pids.length = 0;
		await prober;
		await healthProber;
		let firstOkMs = null;
		const tUp = Date.now();
		while (Date.now() - tUp < 20000) {
			const r = await call(srv.url, 'GET', '/contacts?limit=1', { token: acct.token, timeoutMs: 5000 });
			if (r.status === 200) {
				firstOkMs = Date.now() - tUp;
				break;
			}
			await sleep(100);
		}
		await sleep(2000);
		await load.stop();
		const v = await verifyWrites(srv.url, acct.token, load);
		const ps = {};
		for (const p of probes) ps[p.status] = (ps[p.status] || 0) + 1;
		const pausedLat = latencySummary([...(load.latency.paused || []), ...probes.map((p) => p.ms)]);
		// Bound: statement timeout + connect timeout (3 s) + pool wait (2 s) + 1 s slack.
		const bound = stmtMs + 3000 + 2000 + 1000;
		figure('DB_STATEMENT_TIMEOUT_MS / WORKER_THREADS = DB_POOL_SIZE', `${stmtMs} / ${threads}`);
		figure('answers by phase', fmtPhases(load));
		figure('latency ms by phase', fmtLat(load));
		figure('probe GET /contacts while paused', { statuses: ps, ...latencySummary(probes.map((p) => p.ms)) });
		figure('first 200 after SIGCONT ms', firstOkMs);
		const healthLat = latencySummary(health.map((h) => h.ms));
		figure('GET /health while paused', healthLat);
		figure('writes', v);
		const fast = probes.filter((p) => p.status === 503 && p.ms < 100).length;
		figure('probe 503s answered in < 100 ms (breaker open) / all probe 503s', `${fast} / ${ps['503'] || 0}`);
		figure('writes answered 503 unconfirmed (commit sent, no answer; not retried)', load.unconfirmed);
		check(srv.exitInfo === null, 'crm still running', srv.exitInfo);
		check(fast >= (ps['503'] || 0) - 2, 'after the first deadline, 503s come at once (breaker)', { fast, all: ps['503'] });
		// /health touches no store, but shares a polling thread with requests that wait out a
		// store deadline (statement timeout + the client's 2 s margin): it may wait one of them.
		const healthBound = stmtMs + 2000 + 1000;
		check(health.every((h) => h.status === 200) && healthLat.max <= healthBound, `GET /health answered within ${healthBound} ms (at most one store deadline)`, healthLat);
		check(pausedLat.max <= bound, `requests fail or finish within ${bound} ms while paused`, pausedLat);
		check((load.byPhase.paused?.['503'] || 0) + (ps['503'] || 0) > 0, 'pause answered with 503', { load: load.byPhase.paused, ps });
		check(load.bad503.length === 0, 'every 503 is service_unavailable with Retry-After: 5 (an unconfirmed write: none)', load.bad503.slice(0, 3));
		check(firstOkMs !== null && firstOkMs < 5000, 'recovers after SIGCONT', firstOkMs);
		check(v.presentContacts === v.ackedContacts && v.presentInteractions === v.ackedInteractions, 'every acknowledged write present', v.missing);
		check(v.duplicateContacts === 0 && v.duplicateInteractions === 0, 'no duplicate rows');
		await stopClean(srv);
	} finally {
		for (const p of pids) killPid(p, 'SIGCONT');
		if (!srv.exitInfo) await srv.stop();
		await cluster.destroy();
	}
}

/** (3) Redis killed, and paused, during load: no 5xx, local limiter, shared limits resume. */
async function redisFault() {
	let redis = await startRedis();
	const port = redis.port;
	const srv = await startServer({ store: 'sqlite', env: { ...OPEN_LIMITS, ...QUIET, REDIS_URL: redis.url } });
	const paused = [];
	try {
		const acct = await newAccount(srv.url, 'redis');
		const backend = async () => (await metric(srv.url, 'crm_rate_limiter_backend')).filter((l) => / 1$/.test(l)).map((l) => /backend="(\w+)"/.exec(l)?.[1]);
		const keysBefore = await redisCommand(port, ['DBSIZE']);
		const load = new WriteLoad({ getBase: () => srv.url, getToken: () => acct.token, workers: 8, interactions: false }).start();
		await sleep(1500);
		const b0 = await backend();
		load.phase = 'redis-killed';
		killPid(redis.pid, 'SIGKILL');
		await redis.stop(); // already dead: only reaps it and drops its cleanup
		await sleep(3000);
		const readyDown = await call(srv.url, 'GET', '/ready');
		const b1 = await backend();
		load.phase = 'redis-back';
		redis = await startRedisOn(port);
		// The breaker skips Redis for 30 s after 3 failures; wait for the shared limiter to return.
		let resumedMs = null;
		const t0 = Date.now();
		while (Date.now() - t0 < 45000) {
			const n = await redisCommand(port, ['DBSIZE']);
			if (n > 0) {
				resumedMs = Date.now() - t0;
				break;
			}
			await sleep(250);
		}
		const b2 = await backend();
		load.phase = 'redis-paused';
		paused.push(redis.pid);
		killPid(redis.pid, 'SIGSTOP');
		await sleep(3000);
		const readyPaused = await call(srv.url, 'GET', '/ready', { timeoutMs: 3000 });
		killPid(redis.pid, 'SIGCONT');
		paused.length = 0;
		load.phase = 'redis-resumed';
		await sleep(2000);
		await load.stop();
		const fivexx = Object.values(load.byPhase).reduce((a, ph) => a + Object.entries(ph).filter(([k]) => k.startsWith('5') || k === 'neterr').reduce((s, [, n]) => s + n, 0), 0);
		figure('answers by phase', fmtPhases(load));
		figure('latency ms by phase', fmtLat(load));
		figure('limiter backend before / killed / back', [b0, b1, b2]);
		figure('Redis keys before load', keysBefore);
		figure('GET /ready while Redis down', `${readyDown.status} ${readyDown.json?.status}/${readyDown.json?.redis}`);
		figure('GET /ready while Redis paused', `${readyPaused.status} ${readyPaused.json?.status}/${readyPaused.json?.redis} in ${Math.round(readyPaused.ms)} ms`);
		figure('shared limiter writing to Redis again after ms', resumedMs);
		check(fivexx === 0, 'no 5xx and no dropped connection', fmtPhases(load));
		check(JSON.stringify(b1) === '["local"]', 'local limiter while Redis is down', b1);
		check(readyDown.status === 200 && readyDown.json?.redis === 'disconnected', '/ready 200 degraded while Redis is down', readyDown.text);
		check(resumedMs !== null, 'shared limits resume when Redis returns', resumedMs);
		check(JSON.stringify(b2) === '["redis"]', 'redis limiter active again', b2);
		const pausedLat = latencySummary(load.latency['redis-paused'] || []);
		check(pausedLat.max < 2000, 'requests stay fast while Redis is paused (100 ms timeout)', pausedLat);
		await stopClean(srv);
	} finally {
		for (const p of paused) killPid(p, 'SIGCONT');
		if (!srv.exitInfo) await srv.stop();
		await redis.stop();
	}
}

/** (4) SMTP down during sign-ups; every mail delivered once after it returns. */
async function smtpDown() {
	const deadPort = await (await import('../support/ports.mjs')).closedPort();
	const env = { ...QUIET, RATE_LIMIT_AUTH_MAX: 1000000, RATE_LIMIT_ANON_MAX: 1000000, SMTP_URL: `smtp://127.0.0.1:${deadPort}`, SMTP_TLS: 'none' };
	let srv = await startServer({ store: 'sqlite', env });
	let smtp = null;
	try {
		const n = 20;
		const emails = Array.from({ length: n }, (_, i) => `smtp${i}-${Date.now().toString(36)}@example.com`);
		const regs = await pool(emails, 4, (email) => call(srv.url, 'POST', '/auth/register', { body: { email, password: `Smtp!${Math.random().toString(36).slice(2)}-Qx7`, firstName: 'S' } }));
		const statuses = {};
		for (const r of regs) statuses[r.status] = (statuses[r.status] || 0) + 1;
		await sleep(2000); // let the worker try (and fail) at least once
		const before = (await sql(srv, "SELECT status || ':' || attempts || ':' || count(*) FROM email_outbox GROUP BY status, attempts")).trim();
		smtp = await startSmtp();
		await srv.stop();
		// The first retry is due 1 minute after the failure: make the pending rows due now
		// (directly in the store), then restart on the same data with SMTP reachable.
		await sql(srv, "UPDATE email_outbox SET next_attempt_at = 0 WHERE status = 'pending'");
		srv = await startServer({ store: 'sqlite', env: { ...env, SMTP_URL: smtp.url }, dataDir: srv.dataDir });
		const t0 = Date.now();
		const got = () => new Set(smtp.messages().flatMap((m) => m.rcptTos.map((r) => r.toLowerCase())));
		while (Date.now() - t0 < 30000 && emails.some((e) => !got().has(e))) await sleep(200);
		const deliveredMs = Date.now() - t0;
		await sleep(5000); // anything sent twice would arrive by now
		const msgs = smtp.messages();
		const per = new Map();
		for (const m of msgs) for (const r of m.rcptTos) per.set(r.toLowerCase(), (per.get(r.toLowerCase()) || 0) + 1);
		const after = (await sql(srv, "SELECT status || ':' || count(*) FROM email_outbox GROUP BY status")).trim();
		figure('sign-ups while SMTP down', statuses);
		figure('outbox while down (status:attempts:rows)', before.split('\n'));
		figure('mails received after SMTP returned', { messages: msgs.length, recipients: per.size, withinMs: deliveredMs });
		figure('outbox after (status:rows)', after.split('\n'));
		check(statuses['202'] === n, 'every sign-up answered 202', statuses);
		check(emails.every((e) => per.get(e) === 1), 'every mail delivered exactly once', [...per].filter(([, c]) => c !== 1));
		check(msgs.length === n, 'no extra mail', msgs.length);
		await stopClean(srv);
	} finally {
		if (!srv.exitInfo) await srv.stop();
		if (smtp) await smtp.stop();
	}
}

/** (6) soak: 64 connections of mixed reads and writes. */
async function soak() {
	const seconds = Number(process.env.RELIABILITY_SOAK_SECONDS || 600);
	const store = process.env.RELIABILITY_SOAK_STORE === 'sqlite' ? 'sqlite' : 'postgres';
	let cluster = null;
	const env = { ...OPEN_LIMITS, ...QUIET };
	if (store === 'postgres') {
		cluster = await PgCluster.start();
		env.DATABASE_URL = await cluster.createDatabase();
	}
	const srv = await startServer({ store, env });
	const asan = /__asan_init/.test(fs.readFileSync(path.join(process.env.CRM_BUILD, 'crm')).subarray(0, 64 << 20).toString('latin1'));
	try {
		const accts = await pool(Array.from({ length: 8 }), 4, () => newAccount(srv.url, 'soak'));
		const ids = accts.map(() => []);
		const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
		const statuses = {};
		const lat = [];
		let stop = false;
		let n = 0;
		const worker = async (w) => {
			const a = w % accts.length;
			const token = accts[a].token;
			const mine = ids[a];
			while (!stop) {
				const x = Math.random();
				let r;
				if (x < 0.4 || mine.length === 0) {
					r = await call(srv.url, 'POST', '/contacts', { token, agent, body: { firstName: `s${w}-${n}`, tags: ['soak'], customFields: { n } } });
					if (r.status === 201) mine.push(r.json.data.id);
				} else if (x < 0.6) {
					r = await call(srv.url, 'GET', '/contacts?limit=20', { token, agent });
				} else if (x < 0.8) {
					r = await call(srv.url, 'GET', `/contacts/${mine[Math.floor(Math.random() * mine.length)]}`, { token, agent });
				} else if (x < 0.9) {
					r = await call(srv.url, 'PATCH', `/contacts/${mine[Math.floor(Math.random() * mine.length)]}`, { token, agent, body: { company: `c${n}` } });
				} else {
					r = await call(srv.url, 'POST', '/interactions', { token, agent, body: { contactId: mine[Math.floor(Math.random() * mine.length)], type: 'call', occurredAt: new Date().toISOString() } });
				}
				n++;
				const k = r.status === 0 ? 'neterr' : String(r.status);
				statuses[k] = (statuses[k] || 0) + 1;
				lat.push(r.ms);
			}
		};
		const workers = Array.from({ length: 64 }, (_, w) => worker(w));
		await sleep(5000); // warm-up: pools, caches, thread stacks
		const start = procFigures(srv.pid);
		const n0 = n;
		const t0 = Date.now();
		const samples = [];
		while (Date.now() - t0 < seconds * 1000) {
			await sleep(Math.min(10000, seconds * 1000));
			samples.push(procFigures(srv.pid).rssKiB);
		}
		const end = procFigures(srv.pid);
		const reqs = n - n0;
		stop = true;
		await Promise.all(workers);
		agent.destroy();
		const fivexx = Object.entries(statuses).filter(([k]) => k.startsWith('5') || k === 'neterr').reduce((s, [, c]) => s + c, 0);
		const other = Object.entries(statuses).filter(([k]) => !/^2/.test(k));
		figure('store / connections / seconds', `${store} / 64 / ${seconds}`);
		figure('requests (after 5 s warm-up)', { total: reqs, perSecond: Math.round(reqs / seconds) });
		figure('statuses (whole run)', statuses);
		figure('latency ms', latencySummary(lat));
		figure('RSS KiB start / end', `${start.rssKiB} / ${end.rssKiB}`);
		figure('RSS KiB samples', samples);
		figure('open fds start / end', `${start.fds} / ${end.fds}`);
		figure('threads start / end', `${start.threads} / ${end.threads}`);
		check(fivexx === 0, 'zero 5xx and no dropped connection', statuses);
		check(other.length === 0, 'every answer 2xx', other);
		check(end.fds <= start.fds + 4, 'no file-descriptor growth', `${start.fds} → ${end.fds}`);
		// Under ASan the allocator's quarantine grows RSS by design: leaks are LeakSanitizer's job.
		if (asan) figure('RSS check', 'skipped (ASan build: LeakSanitizer checks leaks at exit)');
		else check(end.rssKiB <= start.rssKiB * 1.25 + 8192, 'RSS flat (end ≤ start × 1.25 + 8 MiB)', `${start.rssKiB} → ${end.rssKiB} KiB`);
		await stopClean(srv);
	} finally {
		if (!srv.exitInfo) await srv.stop();
		if (cluster) await cluster.destroy();
	}
}

/** The node ("A", "B") that finally answered an nginx access-log line ("A, B" = retried). */
function upstreamNodes(line, ports) {
	return String(line.upstream || '')
		.split(/,\s*/)
		.filter(Boolean)
		.map((u) => Object.keys(ports).find((k) => u === `127.0.0.1:${ports[k]}`) || u);
}

/** Sum of the crm_http_requests_total series of one route and method on a node. */
async function requestCount(base, route, method, status) {
	const lines = await metric(base, 'crm_http_requests_total{');
	return lines
		.filter((l) => l.includes(`route="${route}"`) && l.includes(`method="${method}"`) && (!status || l.includes(`status="${status}"`)))
		.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/**
 * Scale-out: two crm nodes on one PostgreSQL and one Redis, behind nginx (tests/support/nginx.mjs,
 * the configuration of docs/deploy.md). Checks, all answered through nginx unless named: a session
 * is valid everywhere; a session revoked on node A directly is refused at once on node B directly
 * and through nginx (both upstreams); the rate-limit budget is one budget across A, B and nginx,
 * and through nginx it is keyed by the real client (X-Forwarded-For with TRUST_PROXY); node A is
 * SIGKILLed mid write-load: nginx moves new requests to B, requests that were in flight on A get
 * 502 (outcome unknown: never acknowledged, never retried), every acknowledged write is present
 * exactly once; A restarts and nginx sends it traffic again; finally B drains on SIGTERM. Mail
 * queued through either node is delivered once (both run the outbox worker).
 */
async function scaleOut() {
	const cluster = await PgCluster.start();
	const redis = await startRedis();
	const dbUrl = await cluster.createDatabase();
	const proxyPort = await (await import('../support/ports.mjs')).freePort();
	const smtp = await startSmtp();
	const secret = 'r'.repeat(20) + Math.random().toString(36).slice(2).padEnd(24, 'x');
	const budget = 30;
	const anonBudget = 20;
	// Shared by every node (docs/deploy.md): store, Redis, secrets, public origin, proxy list.
	const env = {
		...QUIET,
		...OPEN_LIMITS,
		RATE_LIMIT_MAX: budget,
		RATE_LIMIT_ANON_MAX: anonBudget,
		DATABASE_URL: dbUrl,
		REDIS_URL: redis.url,
		ACCESS_TOKEN_SECRET: secret,
		SESSION_SECRET: secret.split('').reverse().join(''),
		BASE_URL: `http://127.0.0.1:${proxyPort}`,
		TRUST_PROXY: '127.0.0.1',
		SMTP_URL: smtp.url,
		SMTP_TLS: 'none',
	};
	let a = null;
	let b = null;
	let proxy = null;
	let load = null;
	const reads = { stopped: true, done: Promise.resolve() };
	try {
		a = await startServer({ store: 'postgres', env, migrate: true });
		b = await startServer({ store: 'postgres', env });
		const ports = { A: a.port, B: b.port };
		proxy = await startNginx({ upstreams: [a.port, b.port], port: proxyPort });
		const via = { A: a.url, B: b.url, nginx: proxy.url };
		const logSince = (n) => proxy.accessLog().slice(n);

		// Sessions: created through nginx, valid on each node and through nginx.
		const acct = await newAccount(proxy.url, 'scale');
		const seen = {};
		for (const [k, u] of Object.entries(via)) seen[k] = (await call(u, 'GET', '/me', { token: acct.token })).status;
		figure('session created through nginx: GET /me', seen);
		check(Object.values(seen).every((st) => st === 200), 'a session created through nginx is valid on node A, node B and through nginx', seen);
		// The client address behind the proxy: a login from 127.0.0.5 through nginx.
		const li = await call(proxy.url, 'POST', '/auth/login', { body: { email: acct.email, password: acct.password }, localAddress: '127.0.0.5' });
		const sessions = li.status === 200 ? await call(proxy.url, 'GET', '/me/sessions', { token: li.json.data.accessToken }) : null;
		const cur = sessions?.json?.data?.find((x) => x.current);
		figure('ipAddress of a session opened from 127.0.0.5 through nginx', cur?.ipAddress ?? li.status);
		check(cur?.ipAddress === '127.0.0.5', 'the node records the client behind nginx (X-Forwarded-For, TRUST_PROXY), not the proxy', cur ?? li.text);

		// Revocation: log out on node A directly; refused at once on B directly and through nginx.
		const acct2 = await newAccount(proxy.url, 'scale-rev');
		const pre = { B: (await call(b.url, 'GET', '/me', { token: acct2.token })).status, nginx: (await call(proxy.url, 'GET', '/me', { token: acct2.token })).status };
		const lo = await call(a.url, 'POST', '/auth/logout', { token: acct2.token });
		const postB = await call(b.url, 'GET', '/me', { token: acct2.token });
		const mark = proxy.accessLog().length;
		const postN = [];
		for (let i = 0; i < 4; i++) postN.push(await call(proxy.url, 'GET', '/me', { token: acct2.token }));
		const hit = logSince(mark).filter((l) => l.uri === '/api/v1/me').map((l) => upstreamNodes(l, ports).pop());
		figure('logout on A directly, then GET /me', { before: pre, logout: lo.status, B: `${postB.status} ${postB.json?.code ?? ''}`, nginx: postN.map((r) => r.status), nginxUpstreams: hit });
		check(pre.B === 200 && pre.nginx === 200 && (lo.status === 204 || lo.status === 200), 'session valid on B and through nginx before the logout on A', { pre, lo: lo.status });
		check(postB.status === 401, 'logout on node A: refused on node B directly at once', postB.status);
		check(postN.every((r) => r.status === 401) && hit.includes('A') && hit.includes('B'), 'logout on node A: refused through nginx at once, on both upstreams', { statuses: postN.map((r) => r.status), hit });

		// One rate-limit budget per user across A, B and nginx (Redis).
		const acctR = await newAccount(proxy.url, 'scale-rl');
		const order = ['A', 'B', 'nginx'];
		const rem = [];
		let first429 = null;
		for (let i = 0; i < budget + 3 && !first429; i++) {
			const k = order[i % order.length];
			const r = await call(via[k], 'GET', '/me', { token: acctR.token });
			if (r.status === 429) first429 = { via: k, requestNo: i + 1, retryAfter: r.headers['retry-after'], code: r.json?.code };
			else rem.push(Number(r.headers['ratelimit-remaining']));
		}
		const remOk = rem.length === budget && rem.every((x, i) => x === budget - 1 - i);
		figure('user budget: RateLimit-Remaining cycling A, B, nginx', `${rem.slice(0, 6).join(', ')}, …, ${rem.slice(-3).join(', ')}`);
		figure('first 429 (budget, path, request #)', { budget, ...first429 });
		check(remOk, 'user budget shared: Remaining falls by 1 per request whichever node or nginx answers', rem);
		check(first429?.requestNo === budget + 1 && first429?.code === 'rate_limited' && Number(first429?.retryAfter) >= 1, 'the request after the budget is refused (429 with Retry-After), whichever path', first429);

		// The anonymous budget is keyed by the client address: the same key for a client at
		// 127.0.0.2 directly and through nginx, whatever X-Forwarded-For it sends; another
		// client (127.0.0.3) through the same nginx has its own budget.
		const spoof = { 'X-Forwarded-For': '203.0.113.7' };
		const anonPaths = [['nginx', {}], ['A', {}], ['B', {}], ['nginx', spoof], ['A', spoof]];
		const anon = [];
		for (let i = 0; i < 10; i++) {
			const [k, h] = anonPaths[i % anonPaths.length];
			const r = await call(via[k], 'GET', '/me', { localAddress: '127.0.0.2', headers: h });
			anon.push({ k, status: r.status, rem: Number(r.headers['ratelimit-remaining']) });
		}
		const other = await call(proxy.url, 'GET', '/me', { localAddress: '127.0.0.3' });
		figure('anonymous budget of 127.0.0.2 (nginx, A, B, nginx+spoofed XFF, A+spoofed XFF) ×2', anon.map((x) => x.rem));
		figure('anonymous budget of 127.0.0.3 through nginx', Number(other.headers['ratelimit-remaining']));
		check(anon.every((x, i) => x.status === 401 && x.rem === anonBudget - 1 - i), 'anonymous budget keyed by the real client through nginx, shared with direct requests, not escaped by a forged X-Forwarded-For', anon);
		check(Number(other.headers['ratelimit-remaining']) === anonBudget - 1, 'another client behind the same nginx has its own budget', other.headers['ratelimit-remaining']);

		// Mail: both nodes run the outbox worker on the shared table; sign-ups through nginx
		// (verification mail queued by whichever node answered) are each delivered once.
		const signups = Array.from({ length: 16 }, (_, i) => `scale-mail${i}-${Date.now().toString(36)}@example.com`);
		const regs = await pool(signups, 4, (email, i) =>
			call(proxy.url, 'POST', '/auth/register', { body: { email, password: `Mail!${Math.random().toString(36).slice(2)}-Qx7`, firstName: 'M' }, localAddress: i % 2 ? '127.0.0.4' : '127.0.0.6' }),
		);
		const rcpt = () => {
			const per = new Map();
			for (const m of smtp.messages()) for (const r of m.rcptTos) per.set(r.toLowerCase(), (per.get(r.toLowerCase()) || 0) + 1);
			return per;
		};
		const tMail = Date.now();
		while (Date.now() - tMail < 15000 && signups.some((e) => !rcpt().has(e))) await sleep(200);
		await sleep(2500); // both workers poll every second: a second copy would arrive by now
		const per = rcpt();
		const mailUpstreams = {};
		for (const l of proxy.accessLog().filter((x) => x.uri === '/api/v1/auth/register').slice(-signups.length)) {
			const n = upstreamNodes(l, ports).pop();
			mailUpstreams[n] = (mailUpstreams[n] || 0) + 1;
		}
		figure('sign-ups through nginx: mails received', { signups: signups.length, answered: [...new Set(regs.map((r) => r.status))], byNode: mailUpstreams, recipients: signups.filter((e) => per.has(e)).length, copies: signups.reduce((n, e) => n + (per.get(e) || 0), 0) });
		check(regs.every((r) => r.status === 202) && signups.every((e) => per.get(e) === 1), 'every sign-up mail delivered exactly once with two outbox workers', signups.filter((e) => per.get(e) !== 1).map((e) => `${e}: ${per.get(e) || 0}`));

		// Node A SIGKILLed mid write-load through nginx. The load's account is ADMIN (PREMIUM
		// budget) so that the small budget above does not apply.
		const acct3 = await newAccount(proxy.url, 'scale-load');
		await makeAdmin(a, acct3.email);
		await login(proxy.url, acct3);
		const phases = [];
		load = new WriteLoad({ getBase: () => proxy.url, getToken: () => acct3.token, workers: 8, unknownStatuses: [502, 504] });
		const setPhase = (name) => {
			load.phase = name;
			phases.push([name, Date.now()]);
		};
		setPhase('both');
		load.start();
		// Reads alongside (idempotent: nginx may retry them on the other node).
		Object.assign(reads, { stopped: false, byPhase: {}, answers: [] });
		reads.done = Promise.all(
			[0, 1].map(async () => {
				while (!reads.stopped) {
					const r = await call(proxy.url, 'GET', '/contacts?limit=5', { token: acct3.token });
					const ph = (reads.byPhase[load.phase] ||= {});
					const key = r.status === 0 ? 'neterr' : String(r.status);
					ph[key] = (ph[key] || 0) + 1;
					reads.answers.push({ at: Date.now(), status: r.status });
					await sleep(20);
				}
			}),
		);
		await sleep(2000);
		setPhase('A-killed');
		const tKill = Date.now();
		a.kill('SIGKILL');
		await a.exited;
		await sleep(1000);
		setPhase('A-down');
		await sleep(2000);
		setPhase('A-restarted');
		a = await startServer({ store: 'postgres', env, port: ports.A });
		const tUp = Date.now();
		let backMs = null;
		while (Date.now() - tUp < 15000) {
			if (logSince(0).some((l) => l.t * 1000 >= tUp && upstreamNodes(l, ports).pop() === 'A' && l.status < 300)) {
				backMs = Date.now() - tUp;
				break;
			}
			await sleep(100);
		}
		setPhase('A-back');
		await sleep(2000);
		// Graceful drain: SIGTERM node B under load.
		setPhase('B-draining');
		const tTerm = Date.now();
		b.kill('SIGTERM');
		const bExit = await b.exited;
		const drainMs = Date.now() - tTerm;
		setPhase('B-gone');
		await sleep(1000);
		reads.stopped = true;
		await Promise.all([load.stop(), reads.done]);
		phases.push(['end', Date.now()]);

		// Per phase, from nginx's access log: answers by the node that gave them.
		const log = proxy.accessLog();
		const upstreamByPhase = {};
		for (let i = 0; i + 1 < phases.length; i++) {
			const [name, from] = phases[i];
			const to = phases[i + 1][1];
			const c = { A: 0, B: 0, retriedOnOther: 0, failed: 0 };
			for (const l of log) {
				if (l.t * 1000 < from || l.t * 1000 >= to) continue;
				const nodes = upstreamNodes(l, ports);
				if (l.status >= 500) c.failed++;
				else if (nodes.length) c[nodes[nodes.length - 1]] = (c[nodes[nodes.length - 1]] || 0) + 1;
				if (nodes.length > 1) c.retriedOnOther++;
			}
			upstreamByPhase[name] = c;
		}
		const v = await verifyWrites(proxy.url, acct3.token, load);
		const allContacts = await listAll(proxy.url, acct3.token, '/contacts');
		const allInteractions = await listAll(proxy.url, acct3.token, '/interactions');
		const stored = new Set([...allContacts.map((c) => c.firstName), ...allInteractions.map((x) => x.notes)]);
		const unknownPresent = load.unknown.filter((u) => stored.has(u.marker)).length;
		const bad = [...load.answers, ...reads.answers].filter((x) => x.at >= tKill && (x.status < 200 || x.status > 299));
		const firstOk = load.answers.find((x) => x.at >= tKill && x.status === 201);
		const failed502 = Object.values(load.byPhase).reduce((n, ph) => n + (ph['502'] || 0), 0);
		const aPosts = await requestCount(a.url, '/api/v1/contacts', 'POST', 201);
		figure('writes through nginx: answers by phase', fmtPhases(load));
		figure('reads through nginx: answers by phase', reads.byPhase);
		figure('answered by node, per phase (nginx access log)', upstreamByPhase);
		figure('write latency ms by phase', fmtLat(load));
		const unknownByPhase = {};
		for (const u of load.unknown) unknownByPhase[u.phase] = (unknownByPhase[u.phase] || 0) + 1;
		figure('502 answers (outcome unknown: not acknowledged, not retried)', { count: failed502, byPhase: unknownByPhase, foundInStore: unknownPresent });
		figure('failover after SIGKILL of A', { lastFailureMs: bad.length ? bad[bad.length - 1].at - tKill : null, firstAckMs: firstOk ? firstOk.at - tKill : null, failuresAfterKill: bad.length });
		figure('A back in nginx rotation after restart (ms from healthy)', backMs);
		figure('POST /contacts 201 on restarted A (its /metrics)', aPosts);
		figure('node B drain on SIGTERM under load', { exit: bExit, ms: drainMs });
		figure('writes: acked vs present (checked through nginx)', v);
		check(v.presentContacts === v.ackedContacts && v.presentInteractions === v.ackedInteractions, 'every acknowledged write present after the node kill and drain', v.missing);
		check(v.duplicateContacts === 0 && v.duplicateInteractions === 0, 'no duplicate rows (no write applied twice)');
		check(load.unexpected.length === 0, 'no unexpected statuses', load.unexpected.slice(0, 5));
		check(load.unknown.every((u) => u.phase === 'A-killed' && u.status === 502), 'unacknowledged answers only for requests in flight on the killed node (502)', load.unknown.slice(0, 5));
		check(failed502 <= load.workers, `at most one 502 per load worker (${load.workers}) in flight at the kill`, failed502);
		const writeFailsOutsideKill = Object.entries(load.byPhase).filter(([ph, c]) => ph !== 'A-killed' && Object.keys(c).some((k) => !/^2/.test(k)));
		check(writeFailsOutsideKill.length === 0, 'every write answered 2xx outside the moment of the kill (failover and drain invisible)', writeFailsOutsideKill);
		const readFails = Object.entries(reads.byPhase).filter(([, c]) => Object.keys(c).some((k) => !/^2/.test(k)));
		check(readFails.length === 0, 'every read answered 2xx in every phase (idempotent requests retried on the other node)', reads.byPhase);
		check((upstreamByPhase['A-down']?.A || 0) === 0 && (upstreamByPhase['A-down']?.B || 0) > 0, 'while A is down, nginx answers everything from B', upstreamByPhase['A-down']);
		check(backMs !== null && (upstreamByPhase['A-back']?.A || 0) > 0 && aPosts > 0, 'nginx sends traffic to A again after its restart', { backMs, phase: upstreamByPhase['A-back'], aPosts });
		check((upstreamByPhase['B-gone']?.B || 0) === 0 && (upstreamByPhase['B-gone']?.A || 0) > 0, 'after B drained, nginx answers everything from A', upstreamByPhase['B-gone']);
		check(bExit.code === 0, 'node B exits 0 after SIGTERM under load', bExit);
		const sanB = /ERROR: (Address|Leak)Sanitizer|runtime error:/.exec(b.stderr());
		check(!sanB, 'node B: no sanitizer report', sanB ? b.stderr().slice(sanB.index, sanB.index + 1500) : undefined);
		// The document shows the configuration tested here.
		const docPath = path.join(ROOT, 'docs', 'deploy.md');
		const doc = fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : '';
		const missingInDoc = [SERVER_PARAMS, ...UPSTREAM_DIRECTIVES, ...SERVER_DIRECTIVES, ...PROXY_DIRECTIVES].filter((d) => !doc.includes(d));
		check(missingInDoc.length === 0, 'docs/deploy.md shows the tested nginx settings', missingInDoc);
		await stopClean(a, 'node A');
		const px = await proxy.stop();
		check(px.code === 0, 'nginx exits 0 on SIGTERM', px);
	} finally {
		reads.stopped = true;
		if (load && !load.stopped) await load.stop();
		await reads.done;
		if (proxy) await proxy.stop();
		if (a && !a.exitInfo) await a.stop();
		if (b && !b.exitInfo) await b.stop();
		await redis.stop();
		await smtp.stop();
		await cluster.destroy();
	}
}

const SCENARIOS = [
	['pg-kill', pgKill],
	['crm-kill-sqlite', () => crmKill('sqlite')],
	['crm-kill-postgres', () => crmKill('postgres')],
	['sigterm-drain', sigtermDrain],
	['pg-stop', pgStop],
	['redis-fault', redisFault],
	['smtp-down', smtpDown],
	['soak', soak],
	['scale-out', scaleOut],
];

const results = [];
for (const [name, fn] of SCENARIOS) {
	if (opts.only && !opts.only.includes(name)) continue;
	current = { name, passed: 0, failed: 0 };
	const t0 = Date.now();
	console.log(`\n== ${name}`);
	try {
		await fn();
	} catch (e) {
		current.failed++;
		console.log(`    FAIL  scenario threw: ${e.stack || e}`);
	}
	const ok = current.failed === 0 && current.passed > 0;
	console.log(`== ${name}: ${ok ? 'passed' : 'FAILED'} (${current.passed} checks ok, ${current.failed} failed, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	results.push({ ...current, ok });
}
fs.rmSync(snapDir, { recursive: true, force: true });
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed || results.length === 0 ? 1 : 0);
