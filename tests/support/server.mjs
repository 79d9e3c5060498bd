// Starts the real crm binary for black-box tests, and small HTTP clients to talk to it:
// request() (node:http, full control over method, headers and body), rawRequest() (node:net,
// exact bytes on the wire) and runCli() (crm subcommands). The build directory comes from
// CRM_BUILD (set by tests/run.mjs from --build; default "build"), the store from the option
// or CRM_TEST_STORE ("sqlite" or "postgres").
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { freePort } from './ports.mjs';
import { createDatabase } from './postgres.mjs';
import { onCleanup, cancelCleanup, trackPid, untrackPid, pidAlive, killPid, tempDir, sleep } from './cleanup.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The store under test: CRM_TEST_STORE, default sqlite. */
export const STORE = process.env.CRM_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export function buildDir() {
	return path.resolve(REPO_ROOT, process.env.CRM_BUILD || 'build');
}

export function crmPath() {
	return path.join(buildDir(), 'crm');
}

function assertBinary() {
	const p = crmPath();
	if (!fs.existsSync(p)) throw new Error(`crm binary not found at ${p}: run \`make build\` first`);
	return p;
}

/** The clean base environment of every crm process: PATH, HOME and sanitizer options only. */
export function baseEnv() {
	const env = { PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME || '/root' };
	for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) if (process.env[k] !== undefined) env[k] = process.env[k];
	return env;
}

/** Merges environment layers; a value of null or undefined removes the variable. */
export function mergeEnv(...layers) {
	const out = {};
	for (const layer of layers) {
		if (!layer) continue;
		for (const [k, v] of Object.entries(layer)) {
			if (v === null || v === undefined) delete out[k];
			else out[k] = String(v);
		}
	}
	return out;
}

/** Polls fn until it returns a truthy value; resolves that value or rejects after timeoutMs. */
export async function waitUntil(fn, { timeoutMs = 5000, intervalMs = 50, message = 'condition' } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}` + (last instanceof Error ? `: ${last.message}` : ''));
		}
		await sleep(intervalMs);
	}
}

/**
 * Spawns `<build>/crm serve` on a free loopback port and waits until GET /api/v1/health answers.
 * options:
 *   env       extra variables (null removes one); DATABASE_URL here overrides the per-server database
 *   store     "sqlite" | "postgres" (default: CRM_TEST_STORE)
 *   args      command line (default ["serve"])
 *   migrate   run `crm migrate` with the same environment first (production refuses pending ones)
 *   dataDir   reuse a DATA_DIR (default: a fresh temporary directory)
 *   port      use this port (default: a free one)
 *   waitHealth  false to return as soon as the process is spawned
 *   timeoutMs start timeout (default 15000)
 * Resolves to {url, origin, port, proc, pid, dataDir, env, store, logs(), accessLogs(), stdout(),
 * stderr(), output(), waitForLog(pred), exited, stop(), kill(signal)}.
 */
export async function startServer(options = {}) {
	const bin = assertBinary();
	const store = options.store || STORE;
	const userEnv = options.env || {};
	let databaseUrl;
	if (store === 'postgres' && !Object.prototype.hasOwnProperty.call(userEnv, 'DATABASE_URL')) {
		databaseUrl = await createDatabase();
	}
	let lastErr;
	for (let attempt = 0; attempt < 3; attempt++) {
		const port = options.port || (await freePort());
		const dataDir = options.dataDir || tempDir('crm-data-');
		const cwd = tempDir('crm-cwd-');
		const env = mergeEnv(
			baseEnv(),
			{
				PORT: port,
				LISTEN_ADDRESS: '127.0.0.1',
				DATA_DIR: dataDir,
				CRM_ENV: 'development',
				LOG_LEVEL: 'info',
				ENV_FILE: '/nonexistent',
				DATABASE_URL: databaseUrl,
			},
			userEnv,
		);
		if (options.migrate) {
			const m = await runCliAsync(['migrate'], env, { cwd, raw: true });
			if (m.code !== 0) throw new Error(`crm migrate failed (exit ${m.code ?? m.signal}):\n${m.stdout}\n${m.stderr}`);
		}
		const srv = spawnServer(bin, options.args || ['serve'], env, { port, dataDir, cwd, store });
		if (options.waitHealth === false) return srv;
		try {
			await srv.waitHealthy(options.timeoutMs ?? 15000);
			return srv;
		} catch (e) {
			lastErr = e;
			await srv.stop();
			const busy = /address already in use|EADDRINUSE/i.test(srv.output());
			if (!busy || options.port) break;
		}
	}
	throw lastErr;
}

function spawnServer(bin, args, env, { port, dataDir, cwd, store }) {
	const proc = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
	const stdoutLines = [];
	let stdoutBuf = '';
	let stderrText = '';
	let stdoutText = '';
	proc.stdout.setEncoding('utf8');
	proc.stderr.setEncoding('utf8');
	proc.stdout.on('data', (d) => {
		stdoutText += d;
		stdoutBuf += d;
		let nl;
		while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
			stdoutLines.push(stdoutBuf.slice(0, nl));
			stdoutBuf = stdoutBuf.slice(nl + 1);
		}
	});
	proc.stderr.on('data', (d) => (stderrText += d));
	let spawnError = null;
	proc.on('error', (e) => (spawnError = e));
	let exitInfo = null;
	const exited = new Promise((resolve) => {
		proc.on('exit', (code, signal) => {
			exitInfo = { code, signal };
			untrackPid(proc.pid);
			cancelCleanup(cleanupId);
			// Give the pipes a moment to deliver the last lines.
			setTimeout(() => resolve(exitInfo), 50);
		});
	});
	const cleanupId = onCleanup(() => {
		if (!exitInfo && pidAlive(proc.pid)) killPid(proc.pid, 'SIGKILL');
	});
	trackPid(proc.pid, { kind: 'crm', match: bin });

	const origin = `http://127.0.0.1:${port}`;
	const parse = (l) => {
		try {
			return JSON.parse(l);
		} catch {
			return l;
		}
	};
	const srv = {
		url: origin,
		origin,
		port,
		proc,
		pid: proc.pid,
		dataDir,
		cwd,
		env,
		store,
		exited,
		get exitInfo() {
			return exitInfo;
		},
		/** Captured stdout lines, parsed as JSON where possible (other lines stay strings). */
		logs: () => stdoutLines.map(parse),
		/** The access lines (msg "request"). */
		accessLogs: () => stdoutLines.map(parse).filter((l) => l && typeof l === 'object' && l.msg === 'request'),
		stdout: () => stdoutText,
		stderr: () => stderrText,
		output: () => `--- stdout ---\n${stdoutText}\n--- stderr ---\n${stderrText}`,
		/** Resolves the first parsed log line matching pred (waits up to timeoutMs). */
		async waitForLog(pred, timeoutMs = 3000) {
			return waitUntil(() => srv.logs().find((l) => { try { return pred(l); } catch { return false; } }), {
				timeoutMs,
				message: 'a matching log line',
			});
		},
		async waitHealthy(timeoutMs = 15000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
				if (exitInfo) {
					await exited;
					throw new Error(
						`crm ${args.join(' ')} exited early (code ${exitInfo.code}, signal ${exitInfo.signal}) before /api/v1/health answered\n${srv.output()}`,
					);
				}
				try {
					const r = await request(`${origin}/api/v1/health`, { timeoutMs: 1000 });
					if (r.status === 200) return;
				} catch {
					/* not listening yet */
				}
				if (Date.now() > deadline) {
					throw new Error(`crm did not answer GET /api/v1/health within ${timeoutMs} ms\n${srv.output()}`);
				}
				await sleep(50);
			}
		},
		/** SIGTERM, wait up to graceMs (10 s), then SIGKILL. Resolves to the exit code (null if killed by a signal). */
		async stop(graceMs = 10000) {
			if (!exitInfo) {
				killPid(proc.pid, 'SIGTERM');
				const t = setTimeout(() => {
					if (!exitInfo) killPid(proc.pid, 'SIGKILL');
				}, graceMs);
				await exited;
				clearTimeout(t);
			} else {
				await exited;
			}
			return exitInfo.code;
		},
		kill(signal = 'SIGTERM') {
			return killPid(proc.pid, signal);
		},
	};
	return srv;
}

/**
 * Stops a server and asserts a clean exit (code 0 after SIGTERM), reporting its output
 * otherwise; meant for after() hooks, so that crashes and sanitizer reports at shutdown fail.
 */
export async function stopChecked(srv) {
	if (!srv) return;
	const code = await srv.stop();
	if (code !== 0) {
		throw new Error(`crm exited with code ${code} (signal ${srv.exitInfo?.signal}) after SIGTERM\n${srv.output().slice(-4000)}`);
	}
}

function headersToObject(res) {
	const out = {};
	for (const [k, v] of Object.entries(res.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
	return out;
}

function rawHeaderPairs(rawHeaders) {
	const pairs = [];
	for (let i = 0; i < rawHeaders.length; i += 2) pairs.push([rawHeaders[i].toLowerCase(), rawHeaders[i + 1]]);
	return pairs;
}

function tryJson(text) {
	if (!text) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/**
 * One HTTP request with node:http (no implicit headers besides Host, Connection and
 * Content-Length). body: string or Buffer sent as is, or any other value sent as JSON (with
 * Content-Type: application/json unless given). Resolves to {status, headers (lower-case names,
 * repeated ones joined), rawHeaders ([name, value] pairs), text, json, body (Buffer), socket}.
 * options: method, headers, body, timeoutMs (10000), agent (default: a fresh connection), path
 * (a raw request target that replaces the URL's), localAddress (the source address of the
 * connection, e.g. another loopback address such as 127.0.0.2, to appear as a different client).
 */
export function request(url, { method = 'GET', headers = {}, body, timeoutMs = 10000, agent = false, path: rawPath, localAddress } = {}) {
	const u = new URL(url);
	const hdrs = { ...headers };
	let payload;
	if (body !== undefined && body !== null) {
		if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
		else {
			payload = JSON.stringify(body);
			if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type')) hdrs['Content-Type'] = 'application/json';
		}
	}
	if (payload !== undefined && !Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
		hdrs['Content-Length'] = Buffer.byteLength(payload);
	}
	return new Promise((resolve, reject) => {
		const req = http.request(
			{
				host: u.hostname,
				port: u.port,
				method,
				path: rawPath ?? u.pathname + u.search,
				headers: hdrs,
				agent,
				...(localAddress ? { localAddress } : {}),
				setHost: true,
				insecureHTTPParser: false,
			},
			(res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('error', reject);
				res.on('end', () => {
					clearTimeout(timer);
					const buf = Buffer.concat(chunks);
					const text = buf.toString('utf8');
					resolve({
						status: res.statusCode,
						headers: headersToObject(res),
						rawHeaders: rawHeaderPairs(res.rawHeaders),
						text,
						json: tryJson(text),
						body: buf,
						socket: req.socket,
						reusedSocket: req.reusedSocket,
					});
				});
			},
		);
		const timer = setTimeout(() => req.destroy(new Error(`${method} ${url}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
		req.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		if (payload !== undefined) req.write(payload);
		req.end();
	});
}

/**
 * Parses one HTTP/1.1 response at the start of buf. Returns null while incomplete, else
 * {status, reason, headers, rawHeaders, body, consumed}. head: the request was HEAD (no body);
 * closed: the peer closed, so a body without length ends here.
 */
export function parseResponse(buf, { head = false, closed = false } = {}) {
	let offset = 0;
	for (;;) {
		const end = buf.indexOf('\r\n\r\n', offset);
		if (end < 0) return null;
		const lines = buf.slice(offset, end).toString('latin1').split('\r\n');
		const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
		if (!m) throw new Error(`not an HTTP status line: ${JSON.stringify(lines[0].slice(0, 200))}`);
		const status = Number(m[2]);
		const headers = {};
		const rawHeaders = [];
		for (const l of lines.slice(1)) {
			const i = l.indexOf(':');
			if (i <= 0) continue;
			const name = l.slice(0, i).trim().toLowerCase();
			const value = l.slice(i + 1).trim();
			rawHeaders.push([name, value]);
			headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
		}
		let pos = end + 4;
		if (status >= 100 && status < 200) {
			offset = pos;
			continue;
		}
		const done = (body, consumed) => ({ status, reason: m[3] || '', headers, rawHeaders, body, consumed });
		if (head || status === 204 || status === 304) return done(Buffer.alloc(0), pos);
		if (/chunked/i.test(headers['transfer-encoding'] || '')) {
			const parts = [];
			for (;;) {
				const nl = buf.indexOf('\r\n', pos);
				if (nl < 0) return null;
				const size = parseInt(buf.slice(pos, nl).toString('latin1'), 16);
				if (!Number.isFinite(size)) throw new Error('bad chunk size');
				pos = nl + 2;
				if (size === 0) {
					const tEnd = buf.indexOf('\r\n', pos);
					if (tEnd < 0) return null;
					return done(Buffer.concat(parts), tEnd + 2);
				}
				if (buf.length < pos + size + 2) return null;
				parts.push(buf.slice(pos, pos + size));
				pos += size + 2;
			}
		}
		if (headers['content-length'] !== undefined) {
			const n = Number(headers['content-length'].split(',')[0]);
			if (buf.length < pos + n) return null;
			return done(buf.slice(pos, pos + n), pos + n);
		}
		if (!closed) return null;
		return done(buf.slice(pos), buf.length);
	}
}

/**
 * Sends exact bytes over a new TCP connection and reads one response.
 * data: string | Buffer | array of {data, delayMs} pieces (written in order, waiting delayMs
 * before each). options: head (HEAD semantics), timeoutMs (10000), waitCloseMs (after the
 * response, wait this long to see whether the server closes the connection).
 * Resolves {status, headers, rawHeaders, body, text, json, closed, extra (bytes after the
 * response), writeError}; rejects when the connection ends without a response.
 */
export function rawRequest(port, data, { head = false, timeoutMs = 10000, waitCloseMs = 0, host = '127.0.0.1' } = {}) {
	const pieces = Array.isArray(data) ? data : [{ data, delayMs: 0 }];
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host, port });
		let buf = Buffer.alloc(0);
		let closed = false;
		let writeError = null;
		let parsed = null;
		let finished = false;
		const finish = (err) => {
			if (finished) return;
			finished = true;
			clearTimeout(timer);
			sock.destroy();
			if (err) return reject(err);
			const text = parsed.body.toString('utf8');
			resolve({
				status: parsed.status,
				headers: parsed.headers,
				rawHeaders: parsed.rawHeaders,
				body: parsed.body,
				text,
				json: tryJson(text),
				closed,
				extra: buf.slice(parsed.consumed),
				writeError,
			});
		};
		const timer = setTimeout(() => {
			if (parsed) return finish();
			finish(new Error(`no complete response within ${timeoutMs} ms (received ${buf.length} bytes: ${JSON.stringify(buf.slice(0, 300).toString('latin1'))})`));
		}, timeoutMs);
		const tryParse = () => {
			if (parsed) return;
			try {
				parsed = parseResponse(buf, { head, closed });
			} catch (e) {
				return finish(e);
			}
			if (parsed) {
				if (closed || !waitCloseMs) return finish();
				setTimeout(() => finish(), waitCloseMs);
			}
		};
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			if (parsed) return;
			tryParse();
		});
		const onEnd = () => {
			if (closed) return;
			closed = true;
			if (parsed) return finish();
			tryParse();
			if (!parsed && !finished) {
				finish(new Error(`connection closed without a complete response${writeError ? ` (${writeError.code || writeError.message})` : ''}; received ${buf.length} bytes: ${JSON.stringify(buf.slice(0, 300).toString('latin1'))}`));
			}
		};
		sock.on('end', onEnd);
		sock.on('close', onEnd);
		sock.on('error', (e) => {
			writeError = e;
			onEnd();
		});
		sock.on('connect', async () => {
			for (const p of pieces) {
				if (p.delayMs) await sleep(p.delayMs);
				// Stop sending once the server has answered (e.g. an early 413): more bytes
				// would only provoke a reset that can destroy the answer before it is read.
				if (closed || finished || buf.length > 0) return;
				await new Promise((r) => sock.write(p.data, (e) => {
					if (e) writeError = e;
					r();
				}));
			}
		});
	});
}

/** Writes a raw request head for rawRequest: request line, headers ([name, value] pairs or an object), blank line. */
export function rawHead(method, target, headers = {}) {
	const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
	let s = `${method} ${target} HTTP/1.1\r\n`;
	if (!pairs.some(([k]) => k.toLowerCase() === 'host')) s += 'Host: 127.0.0.1\r\n';
	for (const [k, v] of pairs) s += `${k}: ${v}\r\n`;
	return s + '\r\n';
}

function cliEnv(env) {
	const defaults = { ENV_FILE: '/nonexistent' };
	if (!env || !Object.prototype.hasOwnProperty.call(env, 'DATA_DIR')) defaults.DATA_DIR = tempDir('crm-data-');
	return mergeEnv(baseEnv(), defaults, env);
}

/**
 * Runs `<build>/crm <args>` synchronously with a clean environment (PATH, HOME, sanitizer
 * options, ENV_FILE=/nonexistent, a fresh DATA_DIR unless env names one; env entries set to
 * null are removed). Resolves nothing: returns {code, signal, stdout, stderr, output, env, timedOut}.
 */
export function runCli(args, env = {}, { timeoutMs = 30000, cwd, raw = false } = {}) {
	const bin = assertBinary();
	const fullEnv = raw ? env : cliEnv(env);
	const r = spawnSync(bin, args, { env: fullEnv, cwd: cwd || tempDir('crm-cwd-'), encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
	if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error;
	return {
		code: r.status,
		signal: r.signal,
		stdout: r.stdout || '',
		stderr: r.stderr || '',
		output: `${r.stdout || ''}${r.stderr || ''}`,
		env: fullEnv,
		timedOut: r.error?.code === 'ETIMEDOUT',
	};
}

/** Like runCli, without blocking the event loop. */
export function runCliAsync(args, env = {}, { timeoutMs = 30000, cwd, raw = false } = {}) {
	const bin = assertBinary();
	const fullEnv = raw ? env : cliEnv(env);
	return new Promise((resolve, reject) => {
		const child = spawn(bin, args, { env: fullEnv, cwd: cwd || tempDir('crm-cwd-'), stdio: ['ignore', 'pipe', 'pipe'] });
		trackPid(child.pid, { kind: 'crm-cli', match: bin });
		const cleanupId = onCleanup(() => killPid(child.pid, 'SIGKILL'));
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => {
			timedOut = true;
			killPid(child.pid, 'SIGKILL');
		}, timeoutMs);
		child.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			cancelCleanup(cleanupId);
			untrackPid(child.pid);
			resolve({ code, signal, stdout, stderr, output: stdout + stderr, env: fullEnv, timedOut });
		});
	});
}

// Shapes shared by the tests.
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export const JSON_CT = 'application/json; charset=utf-8';
export const CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
