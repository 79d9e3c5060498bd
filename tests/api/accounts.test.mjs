// Black-box tests of accounts (SPEC §2.2, §3.1, §3.8, §3.9, §7.1, §7.2, §8, §14): registration and
// email verification with real mail delivered to the SMTP capture, validation, login and the token
// pair, GET/PATCH /me and mass assignment, deactivation, account deletion, the login-failure
// throttle (also with Redis down), pre-registration takeover and account enumeration.
// The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE, ISO_MS, JSON_CT, request } from '../support/server.mjs';
import { closedPort } from '../support/ports.mjs';
import {
	startAccountsServer,
	UserPool,
	newIdentity,
	uniqueName,
	strongPassword,
	randomAlnum,
	decodeJwt,
	setCookies,
	cookieJar,
	assertError,
	assertDetail,
	assertUnauthenticated,
	assertSessionCookies,
	assertCookiesCleared,
	withoutRequestId,
	tokenFromLink,
	show,
	FRONTEND,
	SUBJECTS,
	MSG,
	ME_KEYS,
	PAIR_KEYS,
	REFRESH_RE,
	TOKEN_RE,
	JWT_RE,
} from '../support/accounts.mjs';

/** Headers that may legitimately differ between two otherwise identical answers. */
const VOLATILE = new Set(['date', 'x-request-id', 'ratelimit-remaining', 'ratelimit-reset', 'connection', 'keep-alive']);
const stableHeaders = (res) =>
	res.rawHeaders
		.filter(([k]) => !VOLATILE.has(k))
		.map(([k, v]) => `${k}: ${v}`)
		.sort();

function assertSameAnswer(a, b, label) {
	assert.equal(a.status, b.status, `${label}: status ${a.status} vs ${b.status}`);
	assert.equal(a.text, b.text, `${label}: bodies differ:\n${a.text}\n${b.text}`);
	assert.deepEqual(stableHeaders(a), stableHeaders(b), `${label}: headers differ`);
}

function assertMe(me, ident, label = 'Me') {
	assert.deepEqual(Object.keys(me).sort(), [...ME_KEYS].sort(), `${label} has exactly the keys of §8: ${JSON.stringify(me)}`);
	assert.ok(Number.isSafeInteger(me.id) && me.id > 0, `${label}.id ${me.id}`);
	if (ident) {
		assert.equal(me.email, ident.email);
		if (ident.username) assert.equal(me.username, ident.username);
		assert.equal(me.firstName, ident.firstName);
		assert.equal(me.lastName, ident.lastName ?? null);
	}
	assert.equal(me.plan, 'FREE');
	assert.equal(me.hasPassword, true);
	assert.deepEqual(me.linkedProviders, []);
	assert.equal(typeof me.emailVerified, 'boolean');
	assert.equal(typeof me.active, 'boolean');
	assert.match(me.createdAt, ISO_MS);
	assert.match(me.updatedAt, ISO_MS);
	assert.ok(me.lastLoginAt === null || ISO_MS.test(me.lastLoginAt), `lastLoginAt ${me.lastLoginAt}`);
}

describe(`accounts [${STORE}]`, () => {
	let S;
	let api;
	let flows;
	let pool;

	before(async () => {
		S = await startAccountsServer();
		api = S.api;
		flows = S.flows;
		pool = new UserPool(flows, { tag: 'acc' });
		await pool.fill(12);
	});
	after(() => S?.stop());

	describe('registration and verification (§7.1, §14)', () => {
		test('register → 202 with the exact message; a multipart verify_email mail carries a BASE_URL link with a 43-character token', async () => {
			const ident = newIdentity('reg');
			const res = await flows.register(ident);
			assert.equal(res.status, 202, show(res));
			assert.equal(res.headers['content-type'], JSON_CT);
			assert.deepEqual(res.json, { message: MSG.register });

			const mail = await flows.waitMail(ident.email, SUBJECTS.verify);
			const d = mail.decoded;
			assert.equal(d.contentType, 'multipart/alternative', `Content-Type ${d.headers['content-type']}`);
			assert.ok(d.text, 'a text/plain part');
			assert.ok(d.html, 'a text/html part');
			assert.match(d.to, new RegExp(ident.email.replace(/[.]/g, '\\.'), 'i'));
			const token = tokenFromLink(d.text, flows.verifyPrefix);
			assert.match(token, TOKEN_RE);
			assert.ok(flows.verifyPrefix.startsWith(`http://localhost:${S.srv.port}/`), flows.verifyPrefix);
			assert.equal(tokenFromLink(d.html, flows.verifyPrefix), token, 'the HTML part links the same token');
			assert.ok(!d.text.includes(ident.password), 'the password is not mailed');
		});

		test('the same status, body and headers for a new, an existing unverified and an existing verified address; the owner of the verified one gets an account_exists notice', async () => {
			const unverified = newIdentity('unv');
			assert.equal((await flows.register(unverified)).status, 202);
			await flows.waitMail(unverified.email, SUBJECTS.verify, 1);
			const verified = await pool.take();

			const fresh = await flows.register(newIdentity('new'));
			const again = await flows.register({ ...unverified, password: strongPassword(), username: uniqueName('x') });
			const taken = await flows.register({ ...verified, password: strongPassword(), username: uniqueName('y') });
			for (const r of [fresh, again, taken]) {
				assert.equal(r.status, 202, show(r));
				assert.deepEqual(r.json, { message: MSG.register });
			}
			assertSameAnswer(fresh, again, 'new vs existing unverified');
			assertSameAnswer(fresh, taken, 'new vs existing verified');

			await flows.waitMail(unverified.email, SUBJECTS.verify, 2);
			const notice = await flows.waitMail(verified.email, SUBJECTS.exists);
			assert.ok(notice.decoded.text.includes(`${FRONTEND}/login`), `the notice links FRONTEND_URL/login:\n${notice.decoded.text}`);
			assert.equal(flows.mails(verified.email, SUBJECTS.verify).length, 1, 'a verified address gets no new verification mail');
		});

		test('GET link form: 302 to FRONTEND_URL/login?verified=1, then login works; a used link still reports verified', async () => {
			const ident = newIdentity('lnk');
			assert.equal((await flows.register(ident)).status, 202);
			const mail = await flows.waitMail(ident.email, SUBJECTS.verify);
			const m = /(http:\/\/localhost:\d+)(\/api\/v1\/auth\/verify-email\?token=[A-Za-z0-9_-]+)/.exec(mail.decoded.text);
			assert.ok(m, mail.decoded.text);
			assert.equal(m[1], `http://localhost:${S.srv.port}`, 'the link starts with BASE_URL');
			const res = await api.get(m[2]);
			assert.equal(res.status, 302, show(res));
			assert.equal(res.headers.location, `${FRONTEND}/login?verified=1`);
			assert.equal(res.headers['referrer-policy'], 'no-referrer');
			assert.ok(!/json/.test(res.headers['content-type'] || ''), `a redirect, not JSON: ${res.headers['content-type']}`);

			const l = await flows.login(ident);
			assert.equal(l.me.emailVerified, true);

			const reopen = await api.get(m[2]);
			assert.equal(reopen.status, 302, show(reopen));
			assert.equal(reopen.headers.location, `${FRONTEND}/login?verified=1`, 'a link scanner opened it first: still a success');
		});

		test('GET link form with a bad, missing or repeated token → 302 ?error=invalid_token (never JSON); HEAD → 405', async () => {
			const bad = `${FRONTEND}/login?error=invalid_token`;
			for (const q of [`?token=${randomAlnum(43)}`, '', '?token=', '?token=a&token=b', `?token=${'x'.repeat(200)}`, '?utm_source=mail']) {
				const res = await api.get(`/auth/verify-email${q}`);
				assert.equal(res.status, 302, `${q}: ${show(res)}`);
				assert.equal(res.headers.location, bad, `${q}: Location`);
				assert.ok(!/json/.test(res.headers['content-type'] || ''), `${q}: not JSON`);
			}
			const head = await api.call('HEAD', `/auth/verify-email?token=${randomAlnum(43)}`);
			assert.equal(head.status, 405);
			// §1.1 writes "Allow: GET" for these routes; this path also serves POST, so either form is accepted.
			const allow = (head.headers.allow || '').split(',').map((s) => s.trim()).sort();
			assert.ok(allow.includes('GET') && !allow.includes('HEAD'), `Allow ${head.headers.allow}`);
		});

		test('POST /auth/verify-email: 204, again 204 (already verified); a bad token → 400 invalid_token; no token → 400 validation_failed', async () => {
			const ident = newIdentity('pv');
			assert.equal((await flows.register(ident)).status, 202);
			const token = await flows.verifyToken(ident.email);
			const r1 = await api.post('/auth/verify-email', { body: { token } });
			assert.equal(r1.status, 204, show(r1));
			assert.equal(r1.text, '');
			const r2 = await api.post('/auth/verify-email', { body: { token } });
			assert.equal(r2.status, 204, `a used token of a verified account: ${show(r2)}`);
			assertError(await api.post('/auth/verify-email', { body: { token: randomAlnum(43) } }), 400, 'invalid_token');
			assertError(await api.post('/auth/verify-email', { body: { token: 'short' } }), 400, 'invalid_token');
			const none = await api.post('/auth/verify-email', { body: {} });
			assertError(none, 400, 'validation_failed');
			assertDetail(none, 'token', 'required');
			const long = await api.post('/auth/verify-email', { body: { token: 'a'.repeat(129) } });
			assertError(long, 400, 'validation_failed');
			assertDetail(long, 'token', 'too_long');
			await flows.login(ident);
		});

		test('login before verification: right password → 403 email_not_verified, wrong password → 401 invalid_credentials', async () => {
			const ident = newIdentity('nv');
			assert.equal((await flows.register(ident)).status, 202);
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: ident.password } }), 403, 'email_not_verified');
			assertError(await api.post('/auth/login', { body: { username: ident.username, password: ident.password } }), 403, 'email_not_verified');
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: strongPassword() } }), 401, 'invalid_credentials');
		});

		test('without a username, one is derived from the local part (outside [A-Za-z0-9_] removed), with _2 when taken', async () => {
			const stem = `ab.c-d${randomAlnum(8)}`;
			const expected = stem.replace(/[^A-Za-z0-9_]/g, '');
			const a = { ...newIdentity(), email: `${stem}@example.com`, username: undefined };
			const b = { ...newIdentity(), email: `${stem}@example.org`, username: undefined };
			assert.equal((await flows.register(a)).status, 202);
			assert.equal((await flows.register(b)).status, 202);
			for (const who of [a, b]) {
				const token = await flows.verifyToken(who.email);
				assert.equal((await api.post('/auth/verify-email', { body: { token } })).status, 204);
			}
			const la = await flows.login(a);
			const lb = await flows.login(b);
			assert.deepEqual([la.me.username, lb.me.username].sort(), [expected, `${expected}_2`].sort());
			// Login by the derived username works.
			await flows.login({ ...a, username: la.me.username }, { by: 'username' });
		});
	});

	describe('registration validation (§2.2, §1.2)', () => {
		const valid = () => {
			const i = newIdentity('val');
			return { email: i.email, password: i.password, firstName: 'Val', lastName: 'Idation', username: i.username };
		};

		test('a malformed email → invalid_format; a short password → too_short; a too long one → too_long', async () => {
			for (const email of ['not-an-email', 'a@b', 'two@@example.com', 'x@example', '.dot@example.com', 'Ann <ann@example.com>']) {
				const res = await api.post('/auth/register', { body: { ...valid(), email } });
				assertError(res, 400, 'validation_failed');
				assertDetail(res, 'email', 'invalid_format');
			}
			const short = await api.post('/auth/register', { body: { ...valid(), password: 'Sh0rt-pw!' } });
			assertError(short, 400, 'validation_failed');
			assertDetail(short, 'password', 'too_short');
			const long = await api.post('/auth/register', { body: { ...valid(), password: `Aa1-${'x'.repeat(125)}` } });
			assertError(long, 400, 'validation_failed');
			assertDetail(long, 'password', 'too_long');
		});

		test('common passwords (any case) and passwords equal to the email, its local part or the username → too_common', async () => {
			// "password1234" is not among the shipped 10,000 (zxcvbn) passwords; these 12-character ones are.
			for (const password of ['qwerty123456', 'Qwerty123456', '1QAZ2WSX3EDC', 'leavemealone']) {
				const res = await api.post('/auth/register', { body: { ...valid(), password } });
				assertError(res, 400, 'validation_failed');
				assertDetail(res, 'password', 'too_common');
			}
			// A fresh address per attempt: one email may be registered only 3 times an hour (§4).
			for (const pick of [(e) => e.email, (e) => e.email.toUpperCase(), (e) => e.local, (e) => e.username.toUpperCase()]) {
				const local = `lp${randomAlnum(14)}`;
				const e = { local, email: `${local}@example.com`, username: `un_${randomAlnum(14)}` };
				const password = pick(e);
				const res = await api.post('/auth/register', { body: { ...valid(), email: e.email, username: e.username, password } });
				assertError(res, 400, 'validation_failed');
				assertDetail(res, 'password', 'too_common');
			}
		});

		test('a taken username (case-insensitively) → 409 conflict, details username duplicate; the email is not revealed', async () => {
			const owner = await pool.take();
			for (const username of [owner.username, owner.username.toUpperCase()]) {
				const res = await api.post('/auth/register', { body: { ...valid(), username } });
				const body = assertError(res, 409, 'conflict');
				assert.deepEqual(body.details, [{ field: 'username', reason: 'duplicate' }]);
				assert.ok(!res.text.includes(owner.email), 'the owner email is not revealed');
			}
		});

		test('an unknown field → 400 unknown_field naming it', async () => {
			const res = await api.post('/auth/register', { body: { ...valid(), nickname: 'x' } });
			assertError(res, 400, 'validation_failed');
			assertDetail(res, 'nickname', 'unknown_field');
		});

		test('server-owned fields in the register body (role, emailVerified) → 400 read_only (§2.2)', async () => {
			const ro = await api.post('/auth/register', { body: { ...valid(), role: 'ADMIN', emailVerified: true } });
			assertError(ro, 400, 'validation_failed');
			assertDetail(ro, 'role', 'read_only');
			assertDetail(ro, 'emailVerified', 'read_only');
		});

		test('every problem is reported at once', async () => {
			const res = await api.post('/auth/register', { body: { email: 'bad', password: 'short', username: 'a!', extra: 1, lastName: 5 } });
			const body = assertError(res, 400, 'validation_failed');
			assertDetail(res, 'email', 'invalid_format');
			assertDetail(res, 'password', 'too_short');
			assertDetail(res, 'firstName', 'required');
			assertDetail(res, 'extra', 'unknown_field');
			assertDetail(res, 'lastName', 'wrong_type');
			assert.ok(body.details.some((d) => d.field === 'username'), JSON.stringify(body.details));
			const empty = await api.post('/auth/register', { body: {} });
			assertError(empty, 400, 'validation_failed');
			for (const f of ['email', 'password', 'firstName']) assertDetail(empty, f, 'required');
		});

		test('malformed JSON → 400 malformed_json; a wrong content type → 415 unsupported_media_type', async () => {
			const ct = { 'Content-Type': 'application/json' };
			for (const body of ['{"email": ', '[]', '{"email":"a@example.com","email":"b@example.com"}', 'null', '{"a":"\\u0000"}']) {
				assertError(await api.post('/auth/register', { body, headers: ct }), 400, 'malformed_json');
			}
			const json = JSON.stringify(valid());
			for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
				assertError(await api.post('/auth/register', { body: json, headers: { 'Content-Type': type } }), 415, 'unsupported_media_type');
			}
			const noType = await api.post('/auth/register', { body: json, headers: { 'Content-Type': '' } });
			assertError(noType, 415, 'unsupported_media_type');
			assert.equal((await api.post('/auth/register', { body: json, headers: { 'Content-Type': 'application/json; charset=utf-8' } })).status, 202);
		});
	});

	describe('login and the token pair (§7, §3.2, §3.4)', () => {
		test('login by email: token pair, JWT claims, Me object and cookies', async () => {
			const ident = await pool.take();
			const t0 = Date.now();
			const { res, pair } = await flows.login(ident);
			assert.equal(res.headers['content-type'], JSON_CT);
			assert.deepEqual(Object.keys(res.json).sort(), ['data'], `body ${res.text.slice(0, 200)}`);
			assert.deepEqual(Object.keys(pair).sort(), [...PAIR_KEYS].sort());
			assert.equal(pair.tokenType, 'Bearer');
			assert.match(pair.accessToken, JWT_RE);
			assert.equal(pair.expiresIn, 900);
			assert.match(pair.accessTokenExpiresAt, ISO_MS);
			assert.match(pair.refreshToken, REFRESH_RE);
			assert.match(pair.refreshTokenExpiresAt, ISO_MS);
			const rtExp = Date.parse(pair.refreshTokenExpiresAt);
			assert.ok(Math.abs(rtExp - (t0 + 7 * 86400e3)) < 60e3, `refreshTokenExpiresAt ≈ 7 days: ${pair.refreshTokenExpiresAt}`);

			const { header, payload } = decodeJwt(pair.accessToken);
			assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
			assert.equal(payload.iss, `http://localhost:${S.srv.port}`);
			assert.equal(payload.aud, 'personal-crm-api');
			assert.equal(payload.sub, String(pair.user.id));
			assert.match(payload.sid, /^[1-9][0-9]*$/);
			assert.equal(payload.typ, 'access');
			assert.equal(payload.exp - payload.iat, 900);
			assert.ok(Math.abs(payload.iat * 1000 - t0) < 60e3, `iat ${payload.iat}`);
			assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/);
			assert.equal(Date.parse(pair.accessTokenExpiresAt), payload.exp * 1000, 'accessTokenExpiresAt = exp');
			for (const k of ['email', 'username', 'name', 'firstName']) assert.equal(payload[k], undefined, `no ${k} in the JWT`);

			assertMe(pair.user, ident);
			assert.equal(pair.user.emailVerified, true);
			assert.equal(pair.user.active, true);
			assert.ok(Math.abs(Date.parse(pair.user.lastLoginAt) - t0) < 60e3, `lastLoginAt ${pair.user.lastLoginAt}`);
			assertSessionCookies(res, { refreshToken: pair.refreshToken, accessToken: pair.accessToken });

			const me = await flows.me(pair.accessToken);
			assert.equal(me.status, 200, show(me));
			assertMe(me.json.data, ident);
		});

		test('login by username, by username in another case, and by email in another case', async () => {
			const ident = await pool.take();
			const a = await flows.login(ident, { by: 'username' });
			const b = await flows.login({ ...ident, username: ident.username.toUpperCase() }, { by: 'username' });
			const c = await flows.login({ ...ident, email: ident.email.toUpperCase() });
			for (const l of [a, b, c]) {
				assert.equal(l.me.id, a.me.id);
				assert.equal(l.me.email, ident.email, 'the email is returned as stored');
			}
			assert.notEqual(a.refresh, b.refresh);
		});

		test('with an Origin header the body carries refreshToken null and the cookie carries the token', async () => {
			const ident = await pool.take();
			const res = await api.post('/auth/login', { body: { email: ident.email, password: ident.password }, origin: true });
			assert.equal(res.status, 200, show(res));
			assert.equal(res.json.data.refreshToken, null);
			assert.match(res.json.data.accessToken, JWT_RE);
			const { refresh } = assertSessionCookies(res, { accessToken: res.json.data.accessToken });
			assert.equal(res.headers['access-control-allow-origin'], api.origin);
			assert.equal(res.headers['access-control-allow-credentials'], 'true');
			const r = await api.post('/auth/refresh', { body: { refreshToken: refresh } });
			assert.equal(r.status, 200, `the cookie value is the refresh token: ${show(r)}`);
		});

		test('email and username together → 400 conflicting; neither → 400 required; other bad bodies', async () => {
			const ident = await pool.take();
			const both = await api.post('/auth/login', { body: { email: ident.email, username: ident.username, password: ident.password } });
			const b = assertError(both, 400, 'validation_failed');
			assert.ok(b.details.some((d) => d.reason === 'conflicting' && ['email', 'username'].includes(d.field)), JSON.stringify(b.details));
			const neither = await api.post('/auth/login', { body: { password: ident.password } });
			const n = assertError(neither, 400, 'validation_failed');
			assert.ok(n.details.some((d) => d.reason === 'required' && ['email', 'username'].includes(d.field)), JSON.stringify(n.details));
			const nopw = await api.post('/auth/login', { body: { email: ident.email } });
			assertError(nopw, 400, 'validation_failed');
			assertDetail(nopw, 'password', 'required');
			const unknown = await api.post('/auth/login', { body: { email: ident.email, password: ident.password, remember: true } });
			assertError(unknown, 400, 'validation_failed');
			assertDetail(unknown, 'remember', 'unknown_field');
			const wt = await api.post('/auth/login', { body: { email: ident.email, password: ident.password, reactivate: 'yes' } });
			assertError(wt, 400, 'validation_failed');
			assertDetail(wt, 'reactivate', 'wrong_type');
			assertError(await api.post('/auth/login', { body: '{"email":', headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json');
			assertError(await api.post('/auth/login', { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');
		});

		test('a wrong password and an unknown user → 401 invalid_credentials with identical bodies (apart from requestId)', async () => {
			const ident = await pool.take();
			const wrong = await api.post('/auth/login', { body: { email: ident.email, password: strongPassword() } });
			const unknown = await api.post('/auth/login', { body: { email: `nobody_${randomAlnum(8)}@example.com`, password: strongPassword() } });
			const wrongU = await api.post('/auth/login', { body: { username: ident.username, password: strongPassword() } });
			const unknownU = await api.post('/auth/login', { body: { username: `nobody_${randomAlnum(8)}`, password: strongPassword() } });
			for (const r of [wrong, unknown, wrongU, unknownU]) assertError(r, 401, 'invalid_credentials');
			assert.deepEqual(withoutRequestId(wrong.json), withoutRequestId(unknown.json));
			assert.deepEqual(withoutRequestId(wrongU.json), withoutRequestId(unknown.json));
			assert.deepEqual(withoutRequestId(unknownU.json), withoutRequestId(unknown.json));
			assert.equal(setCookies(wrong).filter((c) => c.attrs['max-age'] !== '0').length, 0, 'a failed login sets no session cookie');
		});
	});

	describe('GET /me and authentication (§3.5, §8)', () => {
		test('GET /me with the Bearer token and with the accessToken cookie', async () => {
			const { ident, access, res } = await pool.session();
			const bearer = await api.get('/me', { token: access });
			assert.equal(bearer.status, 200, show(bearer));
			assert.deepEqual(Object.keys(bearer.json), ['data']);
			assertMe(bearer.json.data, ident);
			const jar = cookieJar(res);
			const cookie = await api.get('/me', { cookies: { accessToken: jar.accessToken } });
			assert.equal(cookie.status, 200, show(cookie));
			assert.equal(cookie.json.data.id, bearer.json.data.id);
			const scheme = await api.get('/me', { auth: `bearer ${access}` });
			assert.equal(scheme.status, 200, `the scheme is case-insensitive: ${show(scheme)}`);
		});

		test('without credentials → 401 unauthenticated with WWW-Authenticate: Bearer realm="crm"', async () => {
			const res = await api.get('/me');
			assertUnauthenticated(res, { presented: false });
			assert.equal(res.headers['www-authenticate'], 'Bearer realm="crm"');
			for (const p of ['/me/sessions']) assertUnauthenticated(await api.get(p), { presented: false });
			assertUnauthenticated(await api.patch('/me', { body: { firstName: 'X' } }), { presented: false });
		});

		test('an Authorization header decides alone: a Basic scheme, an empty Bearer or a bare JWT → 401 even with a valid cookie', async () => {
			const { access, res } = await pool.session();
			const jar = cookieJar(res);
			for (const auth of ['Basic dXNlcjpwYXNz', 'Bearer ', access, `Token ${access}`, `Bearer  ${access}`]) {
				const r = await api.get('/me', { auth, cookies: { accessToken: jar.accessToken } });
				assertError(r, 401, 'unauthenticated');
				assert.match(r.headers['www-authenticate'] || '', /^Bearer realm="crm"/);
			}
		});
	});

	describe('PATCH /me (§8, §2.2)', () => {
		test('mass assignment: role, emailVerified, id, passwordHash, email, plan (and active, createdAt) → 400 read_only each; nothing changes', async () => {
			const { access } = await pool.session();
			const before = (await flows.me(access)).json.data;
			const fields = { role: 'ADMIN', emailVerified: false, id: 1, passwordHash: '$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA', email: 'evil@example.com', plan: 'PREMIUM', active: false, createdAt: '2020-01-01T00:00:00.000Z' };
			const all = await api.patch('/me', { token: access, body: { firstName: 'Mallory', ...fields } });
			assertError(all, 400, 'validation_failed');
			for (const f of Object.keys(fields)) assertDetail(all, f, 'read_only');
			for (const [f, v] of Object.entries(fields)) {
				const one = await api.patch('/me', { token: access, body: { firstName: 'Mallory', [f]: v } });
				assertError(one, 400, 'validation_failed');
				assertDetail(one, f, 'read_only');
			}
			const after = (await flows.me(access)).json.data;
			assert.deepEqual(after, before, 'GET /me is unchanged (the valid firstName was not applied either)');
		});

		test('a valid change → 200 Me; {} → 400 no_fields; a taken username → 409; http:// avatarUrl → invalid_format', async () => {
			const { ident, access } = await pool.session();
			const other = await pool.take();
			const avatar = 'https://cdn.example.com/a.png?x=1&y=<2>';
			const ok = await api.patch('/me', { token: access, body: { firstName: '  Zoë  ', lastName: null, avatarUrl: avatar, username: `${ident.username}X` } });
			assert.equal(ok.status, 200, show(ok));
			assert.equal(ok.json.data.firstName, 'Zoë', 'trimmed, stored as sent otherwise');
			assert.equal(ok.json.data.lastName, null);
			assert.equal(ok.json.data.avatarUrl, avatar);
			assert.equal(ok.json.data.username, `${ident.username}X`);
			assert.deepEqual((await flows.me(access)).json.data, ok.json.data);

			const empty = await api.patch('/me', { token: access, body: {} });
			assertError(empty, 400, 'validation_failed');
			assertDetail(empty, 'body', 'no_fields');

			const dup = await api.patch('/me', { token: access, body: { username: other.username.toUpperCase() } });
			const d = assertError(dup, 409, 'conflict');
			assert.deepEqual(d.details, [{ field: 'username', reason: 'duplicate' }]);

			for (const url of ['http://cdn.example.com/a.png', 'javascript:alert(1)', 'not a url', `https://x.example/${'a'.repeat(2048)}`]) {
				const bad = await api.patch('/me', { token: access, body: { avatarUrl: url } });
				assertError(bad, 400, 'validation_failed');
				assert.ok(bad.json.details.some((x) => x.field === 'avatarUrl' && ['invalid_format', 'too_long'].includes(x.reason)), show(bad));
			}
			const http = await api.patch('/me', { token: access, body: { avatarUrl: 'http://cdn.example.com/a.png' } });
			assertDetail(http, 'avatarUrl', 'invalid_format');
			const fn = await api.patch('/me', { token: access, body: { firstName: '' } });
			assertDetail(fn, 'firstName', 'required');
			const un = await api.patch('/me', { token: access, body: { username: 'has space' } });
			assertError(un, 400, 'validation_failed');
			assert.deepEqual((await flows.me(access)).json.data.username, `${ident.username}X`);
		});
	});

	describe('deactivation (§3.9, §8)', () => {
		test('PATCH /me/status {active:false} → 200 "Account deactivated.", cookies cleared, every token dead; login 403 account_inactive; reactivate:true → 200', async () => {
			const { ident, access, refresh } = await pool.session();
			const second = await flows.login(ident);
			const res = await api.patch('/me/status', { token: access, body: { active: false } });
			assert.equal(res.status, 200, show(res));
			assert.equal(res.json.message, 'Account deactivated.');
			assertMe(res.json.data, ident);
			assert.equal(res.json.data.active, false);
			assertCookiesCleared(res);

			assertUnauthenticated(await flows.me(access));
			assertUnauthenticated(await flows.me(second.access));
			assertError(await api.post('/auth/refresh', { body: { refreshToken: refresh } }), 401, 'invalid_refresh_token');
			assertError(await api.post('/auth/refresh', { body: { refreshToken: second.refresh } }), 401, 'invalid_refresh_token');

			assertError(await api.post('/auth/login', { body: { email: ident.email, password: ident.password } }), 403, 'account_inactive');
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: ident.password, reactivate: false } }), 403, 'account_inactive');
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: strongPassword(), reactivate: true } }), 401, 'invalid_credentials');
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: ident.password } }), 403, 'account_inactive');

			const back = await flows.login(ident, { extra: { reactivate: true } });
			assert.equal(back.me.active, true);
			const me = await flows.me(back.access);
			assert.equal(me.status, 200, show(me));
			assert.equal(me.json.data.active, true);
			await flows.login(ident);
		});

		test('PATCH /me/status {active:true} on an active account → 200 {data: Me} unchanged; bad bodies → 400', async () => {
			const { access } = await pool.session();
			const res = await api.patch('/me/status', { token: access, body: { active: true } });
			assert.equal(res.status, 200, show(res));
			assert.equal(res.json.data.active, true);
			assert.equal((await flows.me(access)).status, 200);
			const wt = await api.patch('/me/status', { token: access, body: { active: 'false' } });
			assertError(wt, 400, 'validation_failed');
			assertDetail(wt, 'active', 'wrong_type');
			const req = await api.patch('/me/status', { token: access, body: {} });
			assertError(req, 400, 'validation_failed');
			assertDetail(req, 'active', 'required');
			assert.equal((await flows.me(access)).status, 200, 'still active');
		});
	});

	describe('account deletion: DELETE /me (§8)', () => {
		test('password missing → 400 required, wrong → 400 incorrect; right → 204, cookies cleared; then login 401 and the address registers anew', async () => {
			const { ident, access } = await pool.session();
			const other = await flows.login(ident);
			const missing = await api.delete('/me', { token: access, body: {} });
			assertError(missing, 400, 'validation_failed');
			assertDetail(missing, 'password', 'required');
			const wrong = await api.delete('/me', { token: access, body: { password: strongPassword() } });
			assertError(wrong, 400, 'validation_failed');
			assertDetail(wrong, 'password', 'incorrect');
			assert.equal((await flows.me(access)).status, 200, 'nothing deleted yet');

			const id = (await flows.me(access)).json.data.id;
			const del = await api.delete('/me', { token: access, body: { password: ident.password } });
			assert.equal(del.status, 204, show(del));
			assertCookiesCleared(del);
			assertUnauthenticated(await flows.me(access));
			assertUnauthenticated(await flows.me(other.access));
			assertError(await api.post('/auth/refresh', { body: { refreshToken: other.refresh } }), 401, 'invalid_refresh_token');
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: ident.password } }), 401, 'invalid_credentials');
			assertError(await api.post('/auth/login', { body: { username: ident.username, password: ident.password } }), 401, 'invalid_credentials');

			const again = { ...ident, password: strongPassword() };
			const reg = await flows.register(again);
			assert.equal(reg.status, 202, show(reg));
			const token = await flows.verifyToken(ident.email, 2);
			assert.equal((await api.post('/auth/verify-email', { body: { token } })).status, 204);
			const fresh = await flows.login(again);
			assert.notEqual(fresh.me.id, id, 'a new account');
			assert.equal(fresh.me.username, ident.username, 'the username is free again');
		});
	});

	describe('login failure throttle (§3.8)', () => {
		async function throttleScenario(a) {
			const [victim, bystander] = await a.pool.take(2);
			for (let i = 1; i <= 10; i++) {
				const r = await a.api.post('/auth/login', { body: { email: victim.email, password: `Wrong-${i}-${randomAlnum(8)}` } });
				assertError(r, 401, 'invalid_credentials');
			}
			const right = await a.api.post('/auth/login', { body: { email: victim.email, password: victim.password } });
			assertError(right, 429, 'rate_limited');
			const ra = Number(right.headers['retry-after']);
			assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 900, `Retry-After ${right.headers['retry-after']}`);
			assertError(await a.api.post('/auth/login', { body: { email: victim.email.toUpperCase(), password: victim.password } }), 429, 'rate_limited');
			// Email and username are counted separately; other accounts are unaffected.
			const byName = await a.api.post('/auth/login', { body: { username: victim.username, password: victim.password } });
			assert.equal(byName.status, 200, `a different identifier is unaffected: ${show(byName)}`);
			const other = await a.api.post('/auth/login', { body: { email: bystander.email, password: bystander.password } });
			assert.equal(other.status, 200, show(other));
			return victim;
		}

		test('10 wrong passwords, then the right one → 429 rate_limited with Retry-After; forgot + reset still work and clear the failures', async () => {
			const victim = await throttleScenario({ api, pool });
			const forgot = await api.post('/auth/password/forgot', { body: { email: victim.email } });
			assert.equal(forgot.status, 202, `forgot is never throttled: ${show(forgot)}`);
			const token = await flows.resetToken(victim.email);
			const password = strongPassword();
			assert.equal((await api.post('/auth/password/reset', { body: { token, newPassword: password } })).status, 204);
			await flows.login({ ...victim, password });
		});

		test('the throttle lives in the store: the same with REDIS_URL pointing at a closed port', { timeout: 90000 }, async () => {
			const port = await closedPort();
			const R = await startAccountsServer({ env: { REDIS_URL: `redis://127.0.0.1:${port}` }, smtp: S.smtp });
			try {
				const p = new UserPool(R.flows, { tag: 'rds', batch: 2 });
				await throttleScenario({ api: R.api, pool: p });
			} finally {
				await R.stop();
			}
		});
	});

	describe('pre-registration takeover (§7.1, §3.7)', () => {
		test('an attacker pre-registers the victim\'s address; the victim registers again and uses the newest mail: B logs in, A does not', async () => {
			const victim = newIdentity('vic');
			const passwordA = strongPassword();
			const passwordB = strongPassword();
			const attack = await flows.register({ ...victim, password: passwordA, firstName: 'Mallory' });
			assert.equal(attack.status, 202);
			const tokenA = await flows.verifyToken(victim.email, 1);
			const own = await flows.register({ ...victim, password: passwordB, username: uniqueName('vic2') });
			assert.equal(own.status, 202);
			assertSameAnswer(attack, own, 'first vs second registration');
			const tokenB = await flows.verifyToken(victim.email, 2);
			assert.notEqual(tokenA, tokenB);

			assert.equal((await api.post('/auth/verify-email', { body: { token: tokenB } })).status, 204);
			assertError(await api.post('/auth/login', { body: { email: victim.email, password: passwordA } }), 401, 'invalid_credentials');
			const l = await flows.login({ ...victim, password: passwordB });
			assert.equal(l.me.emailVerified, true);
			// The attacker's older token was invalidated when the newer one was issued.
			assertError(await api.post('/auth/verify-email', { body: { token: tokenA } }), 400, 'invalid_token');
			assertError(await api.post('/auth/login', { body: { email: victim.email, password: passwordA } }), 401, 'invalid_credentials');
			await flows.login({ ...victim, password: passwordB });
		});

		test('before the victim verifies, the attacker\'s password does not log in either (email_not_verified, not a session)', async () => {
			const victim = newIdentity('vic');
			const passwordA = strongPassword();
			assert.equal((await flows.register({ ...victim, password: passwordA })).status, 202);
			assert.equal((await flows.register({ ...victim, password: strongPassword(), username: uniqueName('v3') })).status, 202);
			assertError(await api.post('/auth/login', { body: { email: victim.email, password: passwordA } }), 403, 'email_not_verified');
		});
	});

	describe('account enumeration (§3.8)', () => {
		test('resend-verification: unknown, unverified and verified addresses get the same answer; only the unverified one gets a mail', async () => {
			const unverified = newIdentity('env');
			assert.equal((await flows.register(unverified)).status, 202);
			await flows.waitMail(unverified.email, SUBJECTS.verify, 1);
			const verified = await pool.take();
			const unknownEmail = `unknown_${randomAlnum(10)}@example.com`;
			const rUnknown = await api.post('/auth/resend-verification', { body: { email: unknownEmail } });
			const rVerified = await api.post('/auth/resend-verification', { body: { email: verified.email } });
			const rUnverified = await api.post('/auth/resend-verification', { body: { email: unverified.email } });
			for (const r of [rUnknown, rVerified, rUnverified]) {
				assert.equal(r.status, 202, show(r));
				assert.deepEqual(r.json, { message: MSG.resend });
			}
			assertSameAnswer(rUnknown, rUnverified, 'unknown vs unverified');
			assertSameAnswer(rUnknown, rVerified, 'unknown vs verified');

			const second = await flows.verifyToken(unverified.email, 2);
			const first = tokenFromLink(flows.mails(unverified.email, SUBJECTS.verify)[0].decoded.text, flows.verifyPrefix);
			assertError(await api.post('/auth/verify-email', { body: { token: first } }), 400, 'invalid_token');
			assert.equal((await api.post('/auth/verify-email', { body: { token: second } })).status, 204);
			assert.equal(flows.mails(unknownEmail).length, 0, 'an unknown address gets nothing');
			assert.equal(flows.mails(verified.email, SUBJECTS.verify).length, 1, 'a verified address gets no new verification mail');
			const bad = await api.post('/auth/resend-verification', { body: { email: 'nope' } });
			assertError(bad, 400, 'validation_failed');
			assertDetail(bad, 'email', 'invalid_format');
		});

		test('forgot-password: known and unknown addresses get the same answer; only the known one gets a mail', async () => {
			const known = await pool.take();
			const unknownEmail = `unknown_${randomAlnum(10)}@example.com`;
			const rUnknown = await api.post('/auth/password/forgot', { body: { email: unknownEmail } });
			const rKnown = await api.post('/auth/password/forgot', { body: { email: known.email } });
			for (const r of [rUnknown, rKnown]) {
				assert.equal(r.status, 202, show(r));
				assert.deepEqual(r.json, { message: MSG.forgot });
			}
			assertSameAnswer(rUnknown, rKnown, 'forgot: unknown vs known');
			await flows.resetToken(known.email);
			assert.equal(flows.mails(unknownEmail).length, 0);
		});

		test('register: an unknown and a known address get the same answer', async () => {
			const known = await pool.take();
			const a = await flows.register(newIdentity('enr'));
			const b = await flows.register({ ...newIdentity('enr'), email: known.email.toUpperCase() });
			assertSameAnswer(a, b, 'register: unknown vs known (other case)');
			await flows.waitMail(known.email, SUBJECTS.exists);
		});
	});
});
