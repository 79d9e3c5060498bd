// Load generation and bookkeeping for the reliability scenarios (tests/reliability/run.mjs):
// a write load that records every acknowledged id (so that nothing acknowledged can go missing
// unnoticed), a mixed read/write load for the soak, the checks that every acknowledged write is
// present exactly once, and process figures read from /proc.
import fs from 'node:fs';
import http from 'node:http';
import { request } from '../support/server.mjs';
import { sleep } from '../support/cleanup.mjs';

/**
 * One JSON call to /api/v1<p>; never throws: network failures resolve {status: 0, error}.
 * headers: extra request headers; localAddress: the connection's source address (see request()).
 */
export async function call(base, method, p, { token, body, agent = false, timeoutMs = 15000, headers: extra, localAddress } = {}) {
	const headers = { 'User-Agent': 'crm-reliability/1.0', ...extra };
	if (token) headers.Authorization = `Bearer ${token}`;
	const t0 = performance.now();
	try {
		const r = await request(`${base}/api/v1${p}`, { method, headers, body, agent, timeoutMs, localAddress });
		r.ms = performance.now() - t0;
		return r;
	} catch (e) {
		return { status: 0, error: e.message || String(e), ms: performance.now() - t0, headers: {}, text: '' };
	}
}

/** Registers (verification off) and logs in a fresh user on base; resolves {email, password, token}. */
export async function newAccount(base, tag = 'rel') {
	const rnd = Math.random().toString(36).slice(2, 10);
	const email = `${tag}-${Date.now().toString(36)}-${rnd}@example.com`;
	const password = `Rel!${rnd}-${Math.random().toString(36).slice(2, 10)}-Zq9`;
	const r = await call(base, 'POST', '/auth/register', { body: { email, password, firstName: 'Rel' } });
	if (r.status !== 202) throw new Error(`register → ${r.status} ${r.text?.slice(0, 300) || r.error}`);
	const acct = { email, password, token: null };
	await login(base, acct);
	return acct;
}

/** Logs acct in again on base (after a restart or on another node); sets and returns acct.token. */
export async function login(base, acct) {
	const r = await call(base, 'POST', '/auth/login', { body: { email: acct.email, password: acct.password } });
	if (r.status !== 200) throw new Error(`login → ${r.status} ${r.text?.slice(0, 300) || r.error}`);
	acct.token = r.json.data.accessToken;
	return acct.token;
}

const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);

/** Summary {n, p50, p99, max} (ms, rounded) of a list of latencies. */
export function latencySummary(list) {
	const s = [...list].sort((a, b) => a - b);
	return { n: s.length, p50: Math.round(pct(s, 0.5)), p99: Math.round(pct(s, 0.99)), max: Math.round(s.length ? s[s.length - 1] : 0) };
}

/**
 * A write load: `workers` loops, each creating contacts (firstName = a unique marker) and an
 * interaction on one of its acknowledged contacts (notes = a marker). A 503 with Retry-After
 * is retried with the same marker after retryDelayMs (such a 503 must mean "not written", so a
 * retry never duplicates); a network failure or timeout, and a 503 without Retry-After (a write
 * whose commit the store never confirmed), abandon the marker (its outcome is unknown, so it
 * may or may not exist, but at most once). Every answer is counted under the current phase.
 * unknownStatuses lists further statuses whose outcome is unknown, treated like a network
 * failure: a proxy's 502/504 for a request that was sent to a node that died before answering
 * (never acknowledged, never retried). Such writes are recorded in `unknown`.
 * getBase() and getToken() are read on every request, so that the scenario can move the load
 * to a restarted server.
 */
export class WriteLoad {
	constructor({ getBase, getToken, workers = 8, interactions = true, retryDelayMs = 100, timeoutMs = 15000, tag = 'w', pauseMs = 0, unknownStatuses = [] }) {
		Object.assign(this, { getBase, getToken, workers, interactions, retryDelayMs, timeoutMs, tag, pauseMs, unknownStatuses });
		this.phase = 'before';
		this.contacts = new Map(); // id -> marker
		this.interactionIds = new Map(); // id -> marker
		this.byPhase = {}; // phase -> {status -> count}
		this.latency = {}; // phase -> [ms] of every answer
		this.bad503 = []; // 503 answers not service_unavailable with Retry-After: 5 or unconfirmed
		this.unconfirmed = 0; // 503 answers for a write the store never confirmed
		this.unexpected = []; // answers that are neither 2xx, 503, 401, unknownStatuses nor network errors
		this.unknown = []; // {phase, status, path, marker, at} of writes whose outcome is unknown
		this.answers = []; // {at (epoch ms), status} of every answer, in order
		this.stopped = false;
		this.seq = 0;
	}

	count(r) {
		const ph = (this.byPhase[this.phase] ||= {});
		const key = r.status === 0 ? 'neterr' : String(r.status);
		ph[key] = (ph[key] || 0) + 1;
		(this.latency[this.phase] ||= []).push(r.ms);
		this.answers.push({ at: Date.now(), status: r.status });
		if (r.status === 503) {
			const code = r.json?.code ?? r.json?.error?.code;
			const unconfirmed = r.headers['retry-after'] === undefined && /may have been applied/.test(r.json?.message || '');
			if (unconfirmed) this.unconfirmed++;
			if ((r.headers['retry-after'] !== '5' && !unconfirmed) || code !== 'service_unavailable') {
				if (this.bad503.length < 5) this.bad503.push({ retryAfter: r.headers['retry-after'], code, text: r.text.slice(0, 200) });
				else this.bad503.push(null);
			}
		} else if (r.status !== 0 && r.status !== 401 && !this.unknownStatuses.includes(r.status) && (r.status < 200 || r.status > 299)) {
			this.unexpected.push({ phase: this.phase, status: r.status, text: r.text.slice(0, 200) });
		}
	}

	/** Sends one write until it is acknowledged, abandoned (outcome unknown) or the load stops. */
	async write(p, body, marker) {
		for (;;) {
			const r = await call(this.getBase(), 'POST', p, { token: this.getToken(), body, timeoutMs: this.timeoutMs });
			this.count(r);
			if (r.status === 201) return r.json.data;
			const unconfirmed = r.status === 503 && r.headers['retry-after'] === undefined;
			if (r.status === 0 || this.unknownStatuses.includes(r.status) || unconfirmed) this.unknown.push({ phase: this.phase, status: r.status, path: p, marker, at: Date.now() });
			if (r.status !== 503 || unconfirmed || this.stopped) return null;
			await sleep(this.retryDelayMs);
		}
	}

	async worker(w) {
		const mine = [];
		while (!this.stopped) {
			const marker = `${this.tag}${w}-${this.seq++}`;
			const c = await this.write('/contacts', { firstName: marker }, marker);
			if (c) {
				this.contacts.set(c.id, marker);
				mine.push(c.id);
			}
			if (this.interactions && mine.length && !this.stopped) {
				const contactId = mine[Math.floor(Math.random() * mine.length)];
				const im = `${marker}-i`;
				const i = await this.write('/interactions', { contactId, type: 'call', occurredAt: new Date().toISOString(), notes: im }, im);
				if (i) this.interactionIds.set(i.id, im);
			}
			if (this.pauseMs) await sleep(this.pauseMs);
		}
	}

	start() {
		this.done = Promise.all(Array.from({ length: this.workers }, (_, w) => this.worker(w)));
		return this;
	}

	async stop() {
		this.stopped = true;
		await this.done;
	}

	acked() {
		return { contacts: this.contacts.size, interactions: this.interactionIds.size };
	}
}

/** Runs fn over items with at most n in flight; resolves the results in order. */
export async function pool(items, n, fn) {
	const out = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(n, items.length) }, async () => {
			while (next < items.length) {
				const i = next++;
				out[i] = await fn(items[i], i);
			}
		}),
	);
	return out;
}

/** Every page of GET <p> (cursor pagination, limit 100); resolves the items. */
export async function listAll(base, token, p) {
	const items = [];
	let cursor = null;
	for (let i = 0; i < 100000; i++) {
		const sep = p.includes('?') ? '&' : '?';
		const r = await call(base, 'GET', `${p}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
		if (r.status !== 200) throw new Error(`GET ${p} → ${r.status} ${r.text?.slice(0, 200) || r.error}`);
		items.push(...r.json.data);
		if (!r.json.page.hasMore) return items;
		cursor = r.json.page.nextCursor;
	}
	throw new Error('too many pages');
}

/**
 * Checks a WriteLoad against the store through the API: GET of every acknowledged id (200 and
 * the same marker), and no marker present twice in the full listings. Resolves figures
 * {ackedContacts, presentContacts, ackedInteractions, presentInteractions, duplicateContacts,
 * duplicateInteractions, missing: [...]}.
 */
export async function verifyWrites(base, token, load) {
	const missing = [];
	const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
	const check = async (kind, id, marker, field) => {
		const r = await call(base, 'GET', `/${kind}/${id}`, { token, agent });
		if (r.status === 200 && r.json.data[field] === marker) return 1;
		if (missing.length < 10) missing.push(`${kind}/${id} (${marker}) → ${r.status}`);
		return 0;
	};
	const cs = await pool([...load.contacts], 16, ([id, m]) => check('contacts', id, m, 'firstName'));
	const is = await pool([...load.interactionIds], 16, ([id, m]) => check('interactions', id, m, 'notes'));
	agent.destroy();
	const dups = (items, field) => {
		const seen = new Map();
		for (const it of items) seen.set(it[field], (seen.get(it[field]) || 0) + 1);
		return [...seen.values()].filter((n) => n > 1).length;
	};
	const allContacts = await listAll(base, token, '/contacts');
	const allInteractions = load.interactions ? await listAll(base, token, '/interactions') : [];
	return {
		ackedContacts: load.contacts.size,
		presentContacts: cs.reduce((a, b) => a + b, 0),
		ackedInteractions: load.interactionIds.size,
		presentInteractions: is.reduce((a, b) => a + b, 0),
		rowsContacts: allContacts.length,
		rowsInteractions: allInteractions.length,
		duplicateContacts: dups(allContacts, 'firstName'),
		duplicateInteractions: dups(allInteractions, 'notes'),
		missing,
	};
}

/** {rssKiB, fds, threads} of a live process, from /proc/<pid>/status and /proc/<pid>/fd. */
export function procFigures(pid) {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const num = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status) || [])[1]);
	return { rssKiB: num('VmRSS'), fds: fs.readdirSync(`/proc/${pid}/fd`).length, threads: num('Threads') };
}

/** The direct children of pid (from /proc/<pid>/task/<pid>/children). */
export function childPids(pid) {
	try {
		return fs
			.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
			.trim()
			.split(/\s+/)
			.filter(Boolean)
			.map(Number);
	} catch {
		return [];
	}
}
