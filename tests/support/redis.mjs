// A throwaway Redis for the tests: redis-server on a free loopback port, no persistence,
// stopped by its pid. Also a tiny RESP client over node:net for PING and simple commands.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { freePort } from './ports.mjs';
import { onCleanup, cancelCleanup, trackPid, untrackPid, pidAlive, killPid, tempDir, findExecutable, sleep } from './cleanup.mjs';

/** Encodes a command as a RESP array of bulk strings. */
function encode(args) {
	let out = `*${args.length}\r\n`;
	for (const a of args) {
		const s = String(a);
		out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
	}
	return out;
}

/** Parses one RESP reply from buf; returns {value, rest} or null if incomplete. */
function parseReply(buf) {
	const nl = buf.indexOf('\r\n');
	if (nl < 0) return null;
	const type = buf[0];
	const line = buf.slice(1, nl).toString();
	const after = buf.slice(nl + 2);
	switch (type) {
		case 0x2b: // +
			return { value: line, rest: after };
		case 0x2d: // -
			return { value: new Error(line), rest: after };
		case 0x3a: // :
			return { value: Number(line), rest: after };
		case 0x24: { // $
			const n = Number(line);
			if (n < 0) return { value: null, rest: after };
			if (after.length < n + 2) return null;
			return { value: after.slice(0, n).toString(), rest: after.slice(n + 2) };
		}
		case 0x2a: { // *
			const n = Number(line);
			if (n < 0) return { value: null, rest: after };
			const items = [];
			let rest = after;
			for (let i = 0; i < n; i++) {
				const r = parseReply(rest);
				if (!r) return null;
				items.push(r.value);
				rest = r.rest;
			}
			return { value: items, rest };
		}
		default:
			return { value: new Error(`unexpected RESP type ${String.fromCharCode(type)}`), rest: Buffer.alloc(0) };
	}
}

/** Sends one command to Redis at 127.0.0.1:port and resolves its reply (errors as Error values). */
export function redisCommand(port, args, { host = '127.0.0.1', timeoutMs = 2000 } = {}) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host, port });
		let buf = Buffer.alloc(0);
		const fail = (e) => {
			sock.destroy();
			reject(e);
		};
		sock.setTimeout(timeoutMs, () => fail(new Error(`redis ${args[0]}: timeout`)));
		sock.on('error', fail);
		sock.on('connect', () => sock.write(encode(args)));
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			const r = parseReply(buf);
			if (r) {
				sock.end();
				resolve(r.value);
			}
		});
	});
}

/** Sends the inline command PING and resolves the raw first reply line (e.g. "+PONG"). */
export function redisPingRaw(port, { host = '127.0.0.1', timeoutMs = 2000 } = {}) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host, port });
		let buf = '';
		sock.setTimeout(timeoutMs, () => {
			sock.destroy();
			reject(new Error('redis PING: timeout'));
		});
		sock.on('error', reject);
		sock.on('connect', () => sock.write('PING\r\n'));
		sock.on('data', (d) => {
			buf += d;
			const nl = buf.indexOf('\r\n');
			if (nl >= 0) {
				sock.end();
				resolve(buf.slice(0, nl));
			}
		});
	});
}

/**
 * Starts redis-server on a free loopback port. Resolves to
 * {port, url, proc, pid, ping(), command(...args), stop()}. A missing redis-server is an error.
 */
export async function startRedis() {
	const bin = findExecutable('redis-server');
	if (!bin) throw new Error('redis-server not found on PATH: install the redis-server package (scripts/deps.sh test)');
	let lastErr;
	for (let attempt = 0; attempt < 3; attempt++) {
		const port = await freePort();
		const dir = tempDir('crm-redis-');
		const proc = spawn(
			bin,
			['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes'],
			{ stdio: ['ignore', 'pipe', 'pipe'] },
		);
		let output = '';
		proc.stdout.on('data', (d) => (output += d));
		proc.stderr.on('data', (d) => (output += d));
		const cleanupId = onCleanup(() => {
			if (pidAlive(proc.pid)) killPid(proc.pid, 'SIGKILL');
			untrackPid(proc.pid);
		});
		trackPid(proc.pid, { kind: 'redis', match: 'redis-server' });
		let exited = false;
		const exitP = new Promise((r) => proc.on('exit', (code, signal) => {
			exited = true;
			r({ code, signal });
		}));
		proc.on('error', () => {});
		const deadline = Date.now() + 10000;
		let ok = false;
		while (!exited && Date.now() < deadline) {
			try {
				if ((await redisPingRaw(port, { timeoutMs: 500 })) === '+PONG') {
					ok = true;
					break;
				}
			} catch {
				/* not yet */
			}
			await sleep(50);
		}
		if (!ok) {
			if (!exited) killPid(proc.pid, 'SIGKILL');
			await exitP;
			cancelCleanup(cleanupId);
			untrackPid(proc.pid);
			lastErr = new Error(`redis-server did not start on port ${port}:\n${output.slice(-2000)}`);
			continue;
		}
		return {
			port,
			host: '127.0.0.1',
			url: `redis://127.0.0.1:${port}`,
			proc,
			pid: proc.pid,
			ping: () => redisPingRaw(port),
			command: (...args) => redisCommand(port, args),
			output: () => output,
			async stop() {
				if (!exited) {
					proc.kill('SIGTERM');
					const t = setTimeout(() => killPid(proc.pid, 'SIGKILL'), 5000);
					await exitP;
					clearTimeout(t);
				}
				cancelCleanup(cleanupId);
				untrackPid(proc.pid);
			},
		};
	}
	throw lastErr;
}
