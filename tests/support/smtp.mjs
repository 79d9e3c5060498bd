// SMTP capture for the tests: runs tests/support/smtp_capture.py (aiosmtpd, with the system
// /usr/bin/python3) on a free loopback port; each received message becomes a JSON file in a
// temporary directory, which messages() reads and parses.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { freePort } from './ports.mjs';
import { onCleanup, cancelCleanup, trackPid, untrackPid, pidAlive, killPid, tempDir, sleep } from './cleanup.mjs';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp_capture.py');

/** Splits a raw RFC 5322 message into unfolded headers (lower-case names) and body. */
export function parseMessage(raw) {
	const sep = raw.search(/\r?\n\r?\n/);
	const headText = sep < 0 ? raw : raw.slice(0, sep);
	const body = sep < 0 ? '' : raw.slice(sep).replace(/^\r?\n\r?\n/, '');
	const headers = {};
	const lines = headText.split(/\r?\n/);
	let current = null;
	for (const line of lines) {
		if (/^[ \t]/.test(line) && current) {
			current.value += ' ' + line.trim();
			continue;
		}
		const i = line.indexOf(':');
		if (i <= 0) continue;
		current = { name: line.slice(0, i).trim().toLowerCase(), value: line.slice(i + 1).trim() };
		(headers[current.name] ||= []).push(current);
	}
	const flat = {};
	for (const [k, arr] of Object.entries(headers)) flat[k] = arr.map((h) => h.value).join(', ');
	return { headers: flat, body, text: decodeBody(body, flat['content-transfer-encoding']) };
}

function decodeBody(body, cte = '') {
	const enc = cte.toLowerCase();
	if (enc === 'base64') {
		try {
			return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
		} catch {
			return body;
		}
	}
	if (enc === 'quoted-printable') {
		const bytes = body
			.replace(/=\r?\n/g, '')
			.replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
		return Buffer.from(bytes, 'latin1').toString('utf8');
	}
	return body;
}

/**
 * Starts the capture server. Resolves to {host, port, url, dir, proc, messages(), waitFor(),
 * clear(), stop()}. Throws with a clear message if /usr/bin/python3 or aiosmtpd is missing.
 */
export async function startSmtp() {
	if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} not found: the SMTP capture needs the system python3 with python3-aiosmtpd`);
	let lastErr;
	for (let attempt = 0; attempt < 3; attempt++) {
		const port = await freePort();
		const dir = tempDir('crm-smtp-');
		const proc = spawn(PYTHON, [SCRIPT, '--host', '127.0.0.1', '--port', String(port), '--dir', dir], {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { PATH: process.env.PATH || '/usr/bin:/bin', HOME: process.env.HOME || '/', PYTHONDONTWRITEBYTECODE: '1' },
		});
		let out = '';
		let err = '';
		proc.stdout.on('data', (d) => (out += d));
		proc.stderr.on('data', (d) => (err += d));
		proc.on('error', () => {});
		const cleanupId = onCleanup(() => {
			if (pidAlive(proc.pid)) killPid(proc.pid, 'SIGKILL');
			untrackPid(proc.pid);
		});
		trackPid(proc.pid, { kind: 'smtp', match: 'smtp_capture.py' });
		let exited = null;
		const exitP = new Promise((r) => proc.on('exit', (code, signal) => r((exited = { code, signal }))));
		const deadline = Date.now() + 15000;
		while (!exited && !out.includes('READY') && Date.now() < deadline) await sleep(25);
		if (!out.includes('READY')) {
			if (!exited) killPid(proc.pid, 'SIGKILL');
			await exitP;
			cancelCleanup(cleanupId);
			untrackPid(proc.pid);
			lastErr = new Error(`SMTP capture did not start (exit ${exited?.code ?? exited?.signal}):\n${err.slice(-2000)}`);
			if (exited && exited.code === 3) break; // aiosmtpd missing: retrying will not help
			continue;
		}
		const messages = () => readMessages(dir);
		return {
			host: '127.0.0.1',
			port,
			url: `smtp://127.0.0.1:${port}`,
			dir,
			proc,
			pid: proc.pid,
			stderr: () => err,
			messages,
			/** Resolves the first message matching predicate; rejects after timeoutMs. */
			async waitFor(predicate = () => true, timeoutMs = 10000) {
				const deadline2 = Date.now() + timeoutMs;
				for (;;) {
					const found = messages().find(predicate);
					if (found) return found;
					if (Date.now() > deadline2) {
						const all = messages();
						throw new Error(
							`no matching mail within ${timeoutMs} ms; ${all.length} captured` +
								(all.length ? `: ${all.map((m) => `${m.rcptTos.join(',')} "${m.subject}"`).join('; ')}` : ''),
						);
					}
					await sleep(50);
				}
			},
			/** Deletes every captured message. */
			clear() {
				for (const f of fs.readdirSync(dir)) if (f.endsWith('.json')) fs.rmSync(path.join(dir, f), { force: true });
			},
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

/** Reads every captured message in dir, oldest first. */
export function readMessages(dir) {
	const files = fs
		.readdirSync(dir)
		.filter((f) => f.startsWith('msg-') && f.endsWith('.json'))
		.sort();
	const out = [];
	for (const f of files) {
		let rec;
		try {
			rec = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
		} catch {
			continue;
		}
		const parsed = parseMessage(rec.data || '');
		out.push({
			file: path.join(dir, f),
			...rec,
			raw: rec.data,
			headers: parsed.headers,
			body: parsed.body,
			text: parsed.text,
			subject: parsed.headers.subject || '',
			from: parsed.headers.from || '',
			to: parsed.headers.to || '',
		});
	}
	return out;
}
