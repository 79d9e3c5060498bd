// Helpers for the account tests (SPEC §3, §7, §8, §14, §15): a server wired to the SMTP capture,
// a small API client that checks every answer for leaked password hashes, MIME decoding of
// captured mails (multipart, quoted-printable, base64, RFC 2047 subjects), token extraction from
// mail links, Set-Cookie parsing, JWT decoding/forging, and register → verify → login flows.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, stopChecked, request } from './server.mjs';
import { startSmtp } from './smtp.mjs';

/** FRONTEND_URL of the account servers: a path prefix, so links and redirects are checked exactly. */
export const FRONTEND = 'http://app.crm.test/ui';
export const FOREIGN_ORIGIN = 'http://evil.example';
export const SUBJECTS = {
	verify: 'Verify your email address',
	exists: 'Someone tried to sign up with your email',
	reset: 'Reset your password',
	changed: 'Your password was changed',
};
export const MSG = {
	register: 'If this address can be registered, a verification email has been sent.',
	resend: 'If this address has an unverified account, a new verification email has been sent.',
	forgot: 'If an account exists for this address, a password reset email has been sent.',
};
export const ME_KEYS = [
	'id', 'email', 'username', 'firstName', 'lastName', 'avatarUrl', 'emailVerified', 'active', 'plan',
	'hasPassword', 'linkedProviders', 'createdAt', 'updatedAt', 'lastLoginAt',
];
export const PAIR_KEYS = ['tokenType', 'accessToken', 'expiresIn', 'accessTokenExpiresAt', 'refreshToken', 'refreshTokenExpiresAt', 'user'];
export const SESSION_KEYS = ['id', 'authMethod', 'createdAt', 'lastUsedAt', 'expiresAt', 'ipAddress', 'userAgent', 'current'];
export const REFRESH_RE = /^[A-Za-z0-9_-]{43}$/;
export const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
export const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const USER_AGENT = 'crm-accounts-test/1.0';
export const REFRESH_COOKIE_PATHS = ['/api/v1/auth', '/api/v1/user/logOut', '/api/v1/user/renewToken'];

// ------------------------------------------------------------------ identities

let counter = 0;
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export function randomAlnum(n) {
	const bytes = crypto.randomBytes(n);
	let s = '';
	for (let i = 0; i < n; i++) s += ALNUM[bytes[i] % ALNUM.length];
	return s;
}

/** A fresh username (≤ 30 chars of [a-z0-9_]); tag ≤ 10 chars. */
export function uniqueName(tag = 'u') {
	counter++;
	return `${tag}_${counter.toString(36)}${randomAlnum(6)}`.slice(0, 30);
}

/** A strong password that is not common and shares nothing with the identity. */
export function strongPassword() {
	return `Pw-${randomAlnum(10)}-Z9!q`;
}

/** A fresh identity: {email, username, password, firstName, lastName}. */
export function newIdentity(tag = 'u') {
	const username = uniqueName(tag);
	return { email: `${username}@example.com`, username, password: strongPassword(), firstName: 'Ann', lastName: 'Lee' };
}

// ------------------------------------------------------------------ MIME

function splitHead(raw) {
	const m = /\r?\n\r?\n/.exec(raw);
	const headText = m ? raw.slice(0, m.index) : raw;
	const body = m ? raw.slice(m.index + m[0].length) : '';
	const headers = {};
	let last = null;
	for (const line of headText.split(/\r?\n/)) {
		if (/^[ \t]/.test(line) && last) {
			headers[last] += ' ' + line.trim();
			continue;
		}
		const i = line.indexOf(':');
		if (i <= 0) continue;
		last = line.slice(0, i).trim().toLowerCase();
		const v = line.slice(i + 1).trim();
		headers[last] = headers[last] === undefined ? v : `${headers[last]}, ${v}`;
	}
	return { headers, body };
}

/** Parses "type/sub; a=b; c="d"" into {type, params}. */
export function parseContentType(value = 'text/plain') {
	const [type, ...rest] = value.split(';');
	const params = {};
	for (const p of rest) {
		const i = p.indexOf('=');
		if (i < 0) continue;
		let v = p.slice(i + 1).trim();
		if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
		params[p.slice(0, i).trim().toLowerCase()] = v;
	}
	return { type: type.trim().toLowerCase(), params };
}

/** Quoted-printable → bytes. */
export function decodeQuotedPrintable(s) {
	const text = s.replace(/[ \t]+(\r?\n)/g, '$1').replace(/=\r?\n/g, '');
	const bytes = [];
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
			bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
		}
	}
	return Buffer.from(bytes);
}

function decodeTransfer(body, cte = '') {
	const enc = cte.trim().toLowerCase();
	if (enc === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
	if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
	return Buffer.from(body, 'utf8');
}

function decodeCharset(buf, charset = 'utf-8') {
	const cs = charset.toLowerCase();
	if (cs === 'iso-8859-1' || cs === 'latin1') return buf.toString('latin1');
	return buf.toString('utf8');
}

/** RFC 2047 encoded words (B and Q) in a header value. */
export function decodeHeaderValue(v = '') {
	return v
		.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
		.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, cs, enc, data) => {
			const buf = enc.toUpperCase() === 'B'
				? Buffer.from(data, 'base64')
				: decodeQuotedPrintable(data.replace(/_/g, ' '));
			return decodeCharset(buf, cs);
		});
}

/** Decodes a MIME entity into its leaf parts: [{type, headers, text}]. */
export function mimeLeaves(raw) {
	const { headers, body } = splitHead(raw);
	const ct = parseContentType(headers['content-type'] || 'text/plain; charset=us-ascii');
	if (ct.type.startsWith('multipart/')) {
		const boundary = ct.params.boundary;
		assert.ok(boundary, `multipart without boundary: ${headers['content-type']}`);
		const delim = `--${boundary}`;
		const lines = body.split(/\r?\n/);
		const parts = [];
		let cur = null;
		for (const line of lines) {
			if (line === delim || line.startsWith(delim + ' ') || line === delim + '\t') {
				if (cur) parts.push(cur.join('\r\n'));
				cur = [];
			} else if (line.startsWith(`${delim}--`)) {
				if (cur) parts.push(cur.join('\r\n'));
				cur = null;
				break;
			} else if (cur) cur.push(line);
		}
		return parts.flatMap((p) => mimeLeaves(p));
	}
	const text = decodeCharset(decodeTransfer(body, headers['content-transfer-encoding']), ct.params.charset);
	return [{ type: ct.type, headers, text }];
}

/** Decodes a captured message: {subject, to, from, contentType, text, html, leaves}. */
export function decodeMail(msg) {
	const raw = msg.raw ?? msg.data ?? '';
	const { headers } = splitHead(raw);
	const leaves = mimeLeaves(raw);
	const text = leaves.find((l) => l.type === 'text/plain');
	const html = leaves.find((l) => l.type === 'text/html');
	return {
		subject: decodeHeaderValue(headers.subject || ''),
		to: headers.to || '',
		from: headers.from || '',
		contentType: parseContentType(headers['content-type'] || '').type,
		headers,
		text: text ? text.text : null,
		html: html ? html.text : null,
		leaves,
	};
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The token of the first `<prefix>?token=<token>` link in text (throws if none). */
export function tokenFromLink(text, prefix) {
	const re = new RegExp(`${escapeRe(prefix)}\\?token=([A-Za-z0-9_%.~-]+)`);
	const m = re.exec(text || '');
	assert.ok(m, `no link ${prefix}?token=… in the mail text:\n${(text || '').slice(0, 1500)}`);
	return decodeURIComponent(m[1]);
}

// ------------------------------------------------------------------ cookies and JWTs

/** Every Set-Cookie of a response, parsed: [{name, value, attrs (lower-case keys), raw}]. */
export function setCookies(res) {
	return res.rawHeaders
		.filter(([k]) => k.toLowerCase() === 'set-cookie')
		.map(([, v]) => {
			const [first, ...rest] = v.split(';').map((s) => s.trim());
			const i = first.indexOf('=');
			const attrs = {};
			for (const a of rest) {
				if (!a) continue;
				const j = a.indexOf('=');
				if (j < 0) attrs[a.toLowerCase()] = true;
				else attrs[a.slice(0, j).trim().toLowerCase()] = a.slice(j + 1).trim();
			}
			return { name: first.slice(0, i), value: first.slice(i + 1), attrs, raw: v };
		});
}

/** The cookies a browser would keep from a response: {name: value} (Max-Age=0 removes). */
export function cookieJar(res, jar = {}) {
	for (const c of setCookies(res)) {
		if (c.attrs['max-age'] === '0' || c.value === '') delete jar[c.name];
		else jar[c.name] = c.value;
	}
	return jar;
}

export const b64url = (buf) => Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
export const unb64url = (s) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

export function decodeJwt(token) {
	const [h, p, s] = token.split('.');
	return { header: JSON.parse(unb64url(h).toString('utf8')), payload: JSON.parse(unb64url(p).toString('utf8')), parts: [h, p, s] };
}

export function encodeJwt(header, payload, signature = '') {
	return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}

export function hs256(header, payload, secret) {
	const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
	return `${signing}.${b64url(crypto.createHmac('sha256', secret).update(signing).digest())}`;
}

// ------------------------------------------------------------------ the API client

const SECRET_VALUE = /\$argon2(id|i|d)\$|\$2[aby]\$\d\d\$/;
const SECRET_KEY = /hash|secret|^password$|^newPassword$|^currentPassword$|^oldPassword$/i;

/** Fails if a response leaks a password hash or carries a password-ish key anywhere. */
export function assertNoSecrets(res, label) {
	assert.ok(!SECRET_VALUE.test(res.text), `${label}: the response contains a password hash: ${res.text.slice(0, 500)}`);
	const walk = (v, where) => {
		if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
		else if (v && typeof v === 'object') {
			for (const [k, x] of Object.entries(v)) {
				assert.ok(!SECRET_KEY.test(k), `${label}: the response has a key ${where}.${k}: ${res.text.slice(0, 500)}`);
				walk(x, `${where}.${k}`);
			}
		}
	};
	if (res.json !== undefined) walk(res.json, 'body');
}

/**
 * A client for one server. Paths not starting with /api/ are relative to /api/v1.
 * options: body, token (Bearer), auth (a raw Authorization value), cookies ({name: value}),
 * origin (true = the server's own BASE_URL origin, or a string), headers.
 */
export class Api {
	constructor(srv) {
		this.srv = srv;
		this.base = srv.url;
		this.origin = `http://localhost:${srv.port}`;
	}

	async call(method, p, { body, token, auth, cookies, origin, headers = {} } = {}) {
		const h = { 'User-Agent': USER_AGENT, ...headers };
		if (token) h.Authorization = `Bearer ${token}`;
		if (auth !== undefined) h.Authorization = auth;
		if (cookies && Object.keys(cookies).length) h.Cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
		if (origin) h.Origin = origin === true ? this.origin : origin;
		const path = p.startsWith('/api/') ? p : `/api/v1${p}`;
		const res = await request(this.base + path, { method, headers: h, body });
		res.label = `${method} ${path}`;
		assertNoSecrets(res, res.label);
		return res;
	}

	get(p, o) { return this.call('GET', p, o); }
	post(p, o) { return this.call('POST', p, o); }
	patch(p, o) { return this.call('PATCH', p, o); }
	delete(p, o) { return this.call('DELETE', p, o); }
}

// ------------------------------------------------------------------ assertions

export const show = (res) => `${res.label || ''} → ${res.status} ${res.text.slice(0, 600)}`;

/** The error envelope (§1.3) with this status and code; compat: also `status`. Returns the body. */
export function assertError(res, status, code, { compat = false } = {}) {
	assert.equal(res.status, status, `status: ${show(res)}`);
	assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', `content-type: ${show(res)}`);
	assert.ok(res.json && typeof res.json === 'object', `JSON error body: ${show(res)}`);
	assert.equal(res.json.code, code, `code: ${show(res)}`);
	assert.equal(typeof res.json.message, 'string', `message: ${show(res)}`);
	assert.ok(res.json.message.length > 0, `message not empty: ${show(res)}`);
	assert.equal(res.json.requestId, res.headers['x-request-id'], `requestId: ${show(res)}`);
	if (compat) assert.equal(res.json.status, status, `compat error body carries status: ${show(res)}`);
	return res.json;
}

export function hasDetail(body, field, reason) {
	return Array.isArray(body?.details) && body.details.some((d) => d.field === field && d.reason === reason);
}

export function assertDetail(res, field, reason) {
	assert.ok(hasDetail(res.json, field, reason), `expected detail {field: ${field}, reason: ${reason}}: ${show(res)}`);
}

/** A 401 with the Bearer challenge (§3.5). */
export function assertUnauthenticated(res, { code = 'unauthenticated', presented = true, compat = false } = {}) {
	assertError(res, 401, code, { compat });
	const www = res.headers['www-authenticate'] || '';
	assert.match(www, /^Bearer realm="crm"/, `WWW-Authenticate: ${JSON.stringify(www)} (${show(res)})`);
	if (presented) assert.match(www, /error="invalid_token"/, `WWW-Authenticate names the invalid token: ${JSON.stringify(www)}`);
}

/** The body minus requestId (for "identical answers" comparisons). */
export function withoutRequestId(json) {
	const { requestId, ...rest } = json || {};
	return rest;
}

/** Cookie assertions of §3.4 for a login/refresh answer; returns {access, refresh: [..]}. */
export function assertSessionCookies(res, { refreshToken, accessToken } = {}) {
	const cs = setCookies(res);
	const access = cs.filter((c) => c.name === 'accessToken');
	const refresh = cs.filter((c) => c.name === 'refreshToken');
	assert.equal(access.length, 1, `one accessToken cookie: ${cs.map((c) => c.raw).join(' | ')}`);
	const a = access[0];
	assert.equal(a.attrs.path, '/api/v1', a.raw);
	assert.equal(a.attrs.httponly, true, a.raw);
	assert.equal(String(a.attrs.samesite).toLowerCase(), 'lax', a.raw);
	assert.equal(a.attrs['max-age'], '900', a.raw);
	assert.equal(a.attrs.domain, undefined, a.raw);
	assert.equal(a.attrs.secure, undefined, `no Secure with an http BASE_URL: ${a.raw}`);
	if (accessToken) assert.equal(a.value, accessToken, 'the accessToken cookie holds the access token of the body');
	assert.equal(refresh.length, 3, `refreshToken set three times: ${cs.map((c) => c.raw).join(' | ')}`);
	assert.deepEqual(refresh.map((c) => c.attrs.path).sort(), [...REFRESH_COOKIE_PATHS].sort());
	assert.equal(new Set(refresh.map((c) => c.value)).size, 1, 'the three refreshToken cookies hold one value');
	assert.match(refresh[0].value, REFRESH_RE);
	for (const c of refresh) {
		assert.equal(c.attrs.httponly, true, c.raw);
		assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax', c.raw);
		assert.equal(c.attrs.domain, undefined, c.raw);
		const age = Number(c.attrs['max-age']);
		assert.ok(age > 7 * 86400 - 120 && age <= 7 * 86400, `refresh Max-Age ≈ 7 days: ${c.raw}`);
	}
	if (refreshToken) assert.equal(refresh[0].value, refreshToken, 'the refreshToken cookie holds the refresh token of the body');
	return { access: a.value, refresh: refresh[0].value };
}

/** Cookies cleared with Max-Age=0 on every path (§3.4). */
export function assertCookiesCleared(res) {
	const cs = setCookies(res);
	const a = cs.filter((c) => c.name === 'accessToken');
	const r = cs.filter((c) => c.name === 'refreshToken');
	const all = cs.map((c) => c.raw).join(' | ');
	assert.ok(a.some((c) => c.attrs.path === '/api/v1' && c.attrs['max-age'] === '0'), `accessToken cleared on /api/v1: ${all}`);
	for (const p of REFRESH_COOKIE_PATHS) {
		assert.ok(r.some((c) => c.attrs.path === p && c.attrs['max-age'] === '0'), `refreshToken cleared on ${p}: ${all}`);
	}
	for (const c of [...a, ...r]) assert.notEqual(c.attrs['max-age'], undefined, `a cleared cookie has Max-Age: ${c.raw}`);
	assert.ok(![...a, ...r].some((c) => c.attrs['max-age'] !== '0'), `no live session cookie is set: ${all}`);
}

// ------------------------------------------------------------------ servers and flows

/**
 * Starts an SMTP capture (unless one is given) and a crm server delivering mail to it, with
 * FRONTEND_URL=FRONTEND and rate limits raised so that the tests' many requests from
 * 127.0.0.1 never hit the per-address buckets. Resolves {srv, smtp, api, flows, stop()}.
 */
export async function startAccountsServer({ env = {}, smtp } = {}) {
	const ownSmtp = !smtp;
	const mail = smtp || (await startSmtp());
	let srv;
	try {
		srv = await startServer({
			env: {
				SMTP_URL: mail.url,
				SMTP_TLS: 'none',
				FRONTEND_URL: FRONTEND,
				RATE_LIMIT_AUTH_MAX: 100000,
				RATE_LIMIT_ANON_MAX: 100000,
				RATE_LIMIT_MAX: 100000,
				...env,
			},
		});
	} catch (e) {
		if (ownSmtp) await mail.stop();
		throw e;
	}
	const api = new Api(srv);
	const flows = new Flows(api, mail);
	return {
		srv,
		smtp: mail,
		api,
		flows,
		async stop() {
			try {
				await stopChecked(srv);
			} finally {
				if (ownSmtp) await mail.stop();
			}
		},
	};
}

const rcptIs = (m, email) => m.rcptTos.some((r) => r.toLowerCase() === email.toLowerCase());

/** Register / mail / verify / login flows against one server. */
export class Flows {
	constructor(api, smtp) {
		this.api = api;
		this.smtp = smtp;
		this.verifyPrefix = `${api.origin}/api/v1/auth/verify-email`;
		this.resetPrefix = `${FRONTEND}/reset-password`;
	}

	/** Captured mails to email (optionally with this subject), oldest first, decoded. */
	mails(email, subject) {
		return this.smtp
			.messages()
			.filter((m) => rcptIs(m, email))
			.map((m) => ({ ...m, decoded: decodeMail(m) }))
			.filter((m) => !subject || m.decoded.subject === subject)
			.sort((a, b) => a.seq - b.seq);
	}

	/** Waits until at least n mails with this subject reached email; resolves the n-th (decoded). */
	async waitMail(email, subject, n = 1, timeoutMs = 10000) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const list = this.mails(email, subject);
			if (list.length >= n) return list[n - 1];
			if (Date.now() > deadline) {
				const all = this.smtp.messages().filter((m) => rcptIs(m, email)).map((m) => decodeMail(m).subject);
				throw new Error(`no mail #${n} "${subject}" to ${email} within ${timeoutMs} ms; mails to it: ${JSON.stringify(all)}`);
			}
			await new Promise((r) => setTimeout(r, 50));
		}
	}

	/** The verification token of the n-th verify mail to email. */
	async verifyToken(email, n = 1) {
		const m = await this.waitMail(email, SUBJECTS.verify, n);
		return tokenFromLink(m.decoded.text, this.verifyPrefix);
	}

	/** The reset token of the n-th reset mail to email. */
	async resetToken(email, n = 1) {
		const m = await this.waitMail(email, SUBJECTS.reset, n);
		return tokenFromLink(m.decoded.text, this.resetPrefix);
	}

	async register(ident, extra = {}) {
		const body = { email: ident.email, password: ident.password, firstName: ident.firstName, ...extra };
		if (ident.lastName !== undefined) body.lastName = ident.lastName;
		if (ident.username !== undefined) body.username = ident.username;
		return this.api.post('/auth/register', { body });
	}

	/** Register, read the mail, verify: resolves the identity. */
	async verifiedUser(tag = 'u', overrides = {}) {
		const ident = { ...newIdentity(tag), ...overrides };
		const r = await this.register(ident);
		assert.equal(r.status, 202, show(r));
		const token = await this.verifyToken(ident.email);
		const v = await this.api.post('/auth/verify-email', { body: { token } });
		assert.equal(v.status, 204, show(v));
		return ident;
	}

	/** n verified users, registered in parallel. */
	async verifiedUsers(n, tag = 'u') {
		return Promise.all(Array.from({ length: n }, () => this.verifiedUser(tag)));
	}

	/** POST /auth/login with email (default) or username; asserts 200; resolves {res, pair, access, refresh, me}. */
	async login(ident, { by = 'email', origin, password = ident.password, extra = {} } = {}) {
		const body = { [by]: ident[by], password, ...extra };
		const res = await this.api.post('/auth/login', { body, origin });
		assert.equal(res.status, 200, show(res));
		const pair = res.json.data;
		const jar = cookieJar(res);
		return { res, pair, access: pair.accessToken, refresh: pair.refreshToken ?? jar.refreshToken, me: pair.user, jar };
	}

	/** A verified, logged-in user: identity plus a session {access, refresh, me, ...}. */
	async session(tag = 'u') {
		const ident = await this.verifiedUser(tag);
		const s = await this.login(ident);
		return { ident, ...s };
	}

	async me(token) {
		return this.api.get('/me', { token });
	}
}

/** A pool of verified users created in parallel batches; take() hands each out once. */
export class UserPool {
	constructor(flows, { batch = 4, tag = 'p' } = {}) {
		this.flows = flows;
		this.batch = batch;
		this.tag = tag;
		this.ready = [];
	}

	async fill(n) {
		while (n > 0) {
			const k = Math.min(n, this.batch);
			this.ready.push(...(await this.flows.verifiedUsers(k, this.tag)));
			n -= k;
		}
	}

	async take(n = 1) {
		if (this.ready.length < n) await this.fill(Math.max(this.batch, n - this.ready.length));
		return n === 1 ? this.ready.shift() : this.ready.splice(0, n);
	}

	/** take() + login: {ident, access, refresh, me, pair, res}. */
	async session() {
		const ident = await this.take();
		const s = await this.flows.login(ident);
		return { ident, ...s };
	}
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
