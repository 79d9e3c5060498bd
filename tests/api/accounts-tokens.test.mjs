// Black-box tests of tokens and sessions (SPEC §3.2–§3.6, §7.2, §8): forged access tokens,
// refresh-token rotation, reuse detection and its grace window, parallel refreshes, cookie
// refresh and the CSRF origin check, logout / logout-all, password change, forgot + reset, and
// the session list. The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { STORE, ISO_MS, waitUntil } from '../support/server.mjs';
import {
	startAccountsServer,
	UserPool,
	newIdentity,
	strongPassword,
	randomAlnum,
	decodeJwt,
	encodeJwt,
	hs256,
	b64url,
	setCookies,
	cookieJar,
	assertError,
	assertDetail,
	assertUnauthenticated,
	assertSessionCookies,
	assertCookiesCleared,
	tokenFromLink,
	show,
	FRONTEND,
	FOREIGN_ORIGIN,
	SUBJECTS,
	MSG,
	SESSION_KEYS,
	REFRESH_RE,
	USER_AGENT,
} from '../support/accounts.mjs';

/** Changes one character in the middle of s (so base64url padding bits cannot hide it). */
function flipChar(s, at = Math.floor(s.length / 2)) {
	const c = s[at];
	return s.slice(0, at) + (c === 'A' ? 'B' : 'A') + s.slice(at + 1);
}

describe(`tokens and sessions [${STORE}]`, () => {
	let S;
	let api;
	let flows;
	let pool;

	before(async () => {
		S = await startAccountsServer();
		api = S.api;
		flows = S.flows;
		pool = new UserPool(flows, { tag: 'tok' });
		await pool.fill(12);
	});
	after(() => S?.stop());

	const refresh = (token, o = {}) => api.post('/auth/refresh', { body: token === undefined ? undefined : { refreshToken: token }, ...o });
	const meStatus = async (access) => (await flows.me(access)).status;

	describe('forged and misused access tokens (§3.2)', () => {
		test('a valid token works; altered signature, edited payload, alg none, wrong key, random strings → 401 unauthenticated', async () => {
			const { access, me } = await pool.session();
			const victim = await pool.session();
			assert.equal(await meStatus(access), 200);
			const { header, payload, parts } = decodeJwt(access);
			const [h, p, sig] = parts;

			const forged = {
				'signature altered': `${h}.${p}.${flipChar(sig)}`,
				'signature removed': `${h}.${p}.`,
				'signature of another token': `${h}.${p}.${decodeJwt(victim.access).parts[2]}`,
				'payload sub changed, signature kept': `${h}.${b64url(JSON.stringify({ ...payload, sub: String(victim.me.id) }))}.${sig}`,
				'payload exp extended, signature kept': `${h}.${b64url(JSON.stringify({ ...payload, exp: payload.exp + 86400 }))}.${sig}`,
				'alg none with the real payload': encodeJwt({ alg: 'none', typ: 'JWT' }, payload, ''),
				'alg None with the real payload and signature': `${b64url(JSON.stringify({ alg: 'None', typ: 'JWT' }))}.${p}.${sig}`,
				'alg HS512 header on the real token': `${b64url(JSON.stringify({ ...header, alg: 'HS512' }))}.${p}.${sig}`,
				'HS256 with a guessed key': hs256(header, { ...payload, sub: String(victim.me.id) }, 'secret'),
				'HS256 with another random key': hs256(header, payload, crypto.randomBytes(32).toString('base64url')),
				'random string': randomAlnum(40),
				'three random segments': `${randomAlnum(20)}.${randomAlnum(30)}.${randomAlnum(43)}`,
				'a refresh token': (await pool.session()).refresh,
				'empty segments': '..',
			};
			for (const [label, token] of Object.entries(forged)) {
				const res = await api.get('/me', { token });
				assert.equal(res.status, 401, `${label}: ${show(res)}`);
				assertUnauthenticated(res);
				assert.ok(!res.text.includes(me.email) && !res.text.includes(victim.me.email), `${label}: no user data`);
			}
			// The originals still work.
			assert.equal(await meStatus(access), 200);
			assert.equal(await meStatus(victim.access), 200);
		});

		test('a refresh token presented as a Bearer access token (or in the accessToken cookie) → 401; an access token is no refresh token', async () => {
			const s = await pool.session();
			assertUnauthenticated(await api.get('/me', { token: s.refresh }));
			assertUnauthenticated(await api.get('/me', { cookies: { accessToken: s.refresh } }));
			// A JWT is longer than the 128 characters a token field takes (§17).
			const jwt = await refresh(s.access);
			assertError(jwt, 400, 'validation_failed');
			assertDetail(jwt, 'refreshToken', 'too_long');
			assertError(await refresh(s.access.slice(-43)), 401, 'invalid_refresh_token');
			assert.equal((await refresh(s.refresh)).status, 200, 'the refresh token itself still works');
		});
	});

	describe('refresh: rotation and reuse (§3.3, §7.2)', () => {
		test('each refresh rotates: a new refresh and access token, same session and expiry; consumed tokens → 401 invalid_refresh_token with cookies cleared', async () => {
			const s = await pool.session();
			const r1 = await refresh(s.refresh);
			assert.equal(r1.status, 200, show(r1));
			const p1 = r1.json.data;
			assert.equal(p1.tokenType, 'Bearer');
			assert.match(p1.refreshToken, REFRESH_RE);
			assert.notEqual(p1.refreshToken, s.refresh);
			assert.notEqual(p1.accessToken, s.access);
			assert.equal(p1.expiresIn, 900);
			assert.equal(p1.user.id, s.me.id);
			assert.equal(decodeJwt(p1.accessToken).payload.sid, decodeJwt(s.access).payload.sid, 'same session');
			assert.equal(p1.refreshTokenExpiresAt, s.pair.refreshTokenExpiresAt, 'rotation does not extend the session');
			assertSessionCookies(r1, { refreshToken: p1.refreshToken, accessToken: p1.accessToken });

			const r2 = await refresh(p1.refreshToken);
			assert.equal(r2.status, 200, show(r2));
			const p2 = r2.json.data;
			assert.notEqual(p2.refreshToken, p1.refreshToken);

			for (const old of [s.refresh, p1.refreshToken]) {
				const res = await refresh(old);
				assertError(res, 401, 'invalid_refresh_token');
				assertCookiesCleared(res);
			}
			for (const a of [s.access, p1.accessToken, p2.accessToken]) assert.equal(await meStatus(a), 200, 'inside the grace window nothing is revoked');
			const r3 = await refresh(p2.refreshToken);
			assert.equal(r3.status, 200, `the newest token still works: ${show(r3)}`);
		});

		test('unknown, empty and missing refresh tokens → 401 invalid_refresh_token; a bad body → 400', async () => {
			for (const t of [randomAlnum(43), 'x']) assertError(await refresh(t), 401, 'invalid_refresh_token');
			assertError(await refresh(undefined), 401, 'invalid_refresh_token');
			assertError(await api.post('/auth/refresh', { body: {} }), 401, 'invalid_refresh_token');
			const wt = await api.post('/auth/refresh', { body: { refreshToken: 42 } });
			assertError(wt, 400, 'validation_failed');
			assertDetail(wt, 'refreshToken', 'wrong_type');
			const unk = await api.post('/auth/refresh', { body: { refreshToken: randomAlnum(43), extra: 1 } });
			assertError(unk, 400, 'validation_failed');
			assertDetail(unk, 'extra', 'unknown_field');
			assertError(await api.post('/auth/refresh', { body: '{"refreshToken":', headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json');
		});

		test('inside the grace window (default 10 s): the rotated token → 401 but the session survives and the successor works', async () => {
			const s = await pool.session();
			const r1 = await refresh(s.refresh);
			assert.equal(r1.status, 200, show(r1));
			const again = await refresh(s.refresh);
			assertError(again, 401, 'invalid_refresh_token');
			assert.equal(await meStatus(s.access), 200, 'the access token still works');
			assert.equal(await meStatus(r1.json.data.accessToken), 200);
			const r2 = await refresh(r1.json.data.refreshToken);
			assert.equal(r2.status, 200, `the successor still works: ${show(r2)}`);
		});

		test('reuse after the grace window (REFRESH_REUSE_GRACE_SECONDS=0) revokes the whole family: newest refresh and current access token die', { timeout: 60000 }, async () => {
			const G = await startAccountsServer({ env: { REFRESH_REUSE_GRACE_SECONDS: 0 }, smtp: S.smtp });
			try {
				const ident = await G.flows.verifiedUser('gr');
				const victim = await G.flows.login(ident);
				const bystander = await G.flows.login(ident);
				const gref = (t) => G.api.post('/auth/refresh', { body: { refreshToken: t } });
				const r1 = await gref(victim.refresh);
				assert.equal(r1.status, 200, show(r1));
				const r2 = await gref(r1.json.data.refreshToken);
				assert.equal(r2.status, 200, show(r2));
				const newest = r2.json.data;
				assert.equal((await G.flows.me(newest.accessToken)).status, 200);

				await new Promise((r) => setTimeout(r, 1100));
				const reuse = await gref(victim.refresh);
				assertError(reuse, 401, 'invalid_refresh_token');
				assertError(await gref(newest.refreshToken), 401, 'invalid_refresh_token');
				assertUnauthenticated(await G.flows.me(newest.accessToken));
				assertUnauthenticated(await G.flows.me(victim.access));
				// Another session of the same user is not part of the family.
				const other = await G.flows.me(bystander.access);
				assert.equal(other.status, 200, show(other));
				const list = await G.api.get('/me/sessions', { token: bystander.access });
				assert.equal(list.status, 200, show(list));
				assert.deepEqual(list.json.data.map((x) => x.id), [Number(decodeJwt(bystander.access).payload.sid)]);
				await waitUntil(() => G.srv.stdout().includes('auth.refresh_reused'), { timeoutMs: 3000, message: 'the auth.refresh_reused security event in the log' });
			} finally {
				await G.stop();
			}
		});

		test('20 parallel refreshes with one token: exactly one 200, every other 401; one live branch afterwards', async () => {
			const s = await pool.session();
			const results = await Promise.all(Array.from({ length: 20 }, () => refresh(s.refresh)));
			const ok = results.filter((r) => r.status === 200);
			const statuses = results.map((r) => r.status);
			assert.equal(ok.length, 1, `statuses ${JSON.stringify(statuses)}`);
			for (const r of results) if (r.status !== 200) assertError(r, 401, 'invalid_refresh_token');
			const winner = ok[0].json.data;
			const list = await api.get('/me/sessions', { token: winner.accessToken });
			assert.equal(list.status, 200, show(list));
			assert.equal(list.json.data.length, 1, `one session: ${list.text}`);
			const next = await refresh(winner.refreshToken);
			assert.equal(next.status, 200, `the successor of the one 200 works: ${show(next)}`);
			assertError(await refresh(winner.refreshToken), 401, 'invalid_refresh_token');
		});
	});

	describe('cookies and the CSRF origin check (§3.4, §3.6)', () => {
		test('refresh with the refreshToken cookie and no body: allowed Origin (BASE_URL, FRONTEND_URL) or Referer → 200; foreign or no Origin → 403 origin_not_allowed without consuming the token', async () => {
			const ident = await pool.take();
			const login = await flows.login(ident, { origin: true });
			assert.equal(login.pair.refreshToken, null);
			let cookie = login.jar.refreshToken;
			assert.match(cookie, REFRESH_RE);

			const foreign = await api.post('/auth/refresh', { cookies: { refreshToken: cookie }, origin: FOREIGN_ORIGIN });
			assertError(foreign, 403, 'origin_not_allowed');
			assert.equal(foreign.headers['access-control-allow-origin'], undefined, 'no CORS headers for a foreign origin');
			assertError(await api.post('/auth/refresh', { cookies: { refreshToken: cookie } }), 403, 'origin_not_allowed');
			assertError(await api.post('/auth/refresh', { cookies: { refreshToken: cookie }, headers: { Referer: `${FOREIGN_ORIGIN}/page` } }), 403, 'origin_not_allowed');
			assertError(await api.post('/auth/refresh', { cookies: { refreshToken: cookie }, origin: 'null' }), 403, 'origin_not_allowed');

			const ok = await api.post('/auth/refresh', { cookies: { refreshToken: cookie }, origin: true });
			assert.equal(ok.status, 200, `the token was not consumed by the refused attempts: ${show(ok)}`);
			assert.equal(ok.json.data.refreshToken, null, 'a request with Origin gets the token only in the cookie');
			assert.equal(ok.headers['access-control-allow-origin'], api.origin);
			assert.equal(ok.headers['access-control-allow-credentials'], 'true');
			cookie = assertSessionCookies(ok, { accessToken: ok.json.data.accessToken }).refresh;

			const fe = await api.post('/auth/refresh', { cookies: { refreshToken: cookie }, origin: new URL(FRONTEND).origin });
			assert.equal(fe.status, 200, `FRONTEND_URL's origin is allowed: ${show(fe)}`);
			cookie = cookieJar(fe).refreshToken;

			const ref = await api.post('/auth/refresh', { cookies: { refreshToken: cookie }, headers: { Referer: `${api.origin}/some/page?x=1` } });
			assert.equal(ref.status, 200, `a Referer from an allowed origin stands in for Origin: ${show(ref)}`);
			assert.match(ref.json.data.refreshToken ?? '', /^$|^[A-Za-z0-9_-]{43}$/);
		});

		test('cookie-authenticated PATCH /me: without Origin or from a foreign one → 403 origin_not_allowed; allowed Origin → 200; Bearer needs no Origin; GET needs no Origin', async () => {
			const ident = await pool.take();
			const { jar, access } = await flows.login(ident, { origin: true });
			const cookies = { accessToken: jar.accessToken };
			assertError(await api.patch('/me', { cookies, body: { firstName: 'Csrf' } }), 403, 'origin_not_allowed');
			assertError(await api.patch('/me', { cookies, body: { firstName: 'Csrf' }, origin: FOREIGN_ORIGIN }), 403, 'origin_not_allowed');
			assertError(await api.patch('/me/status', { cookies, body: { active: false } }), 403, 'origin_not_allowed');
			assertError(await api.delete('/me', { cookies, body: { password: ident.password } }), 403, 'origin_not_allowed');
			assertError(await api.post('/auth/logout-all', { cookies }), 403, 'origin_not_allowed');
			const got = await api.get('/me', { cookies });
			assert.equal(got.status, 200, show(got));
			assert.equal(got.json.data.firstName, ident.firstName, 'nothing was changed');
			assert.equal(got.json.data.active, true);

			const ok = await api.patch('/me', { cookies, body: { firstName: 'Allowed' }, origin: true });
			assert.equal(ok.status, 200, show(ok));
			assert.equal(ok.json.data.firstName, 'Allowed');
			const bearer = await api.patch('/me', { token: access, body: { firstName: 'Bearer' } });
			assert.equal(bearer.status, 200, show(bearer));
			const bearerForeign = await api.patch('/me', { token: access, body: { lastName: 'Foreign' }, origin: FOREIGN_ORIGIN });
			assert.equal(bearerForeign.status, 200, `Bearer requests are not subject to the check: ${show(bearerForeign)}`);
			assert.equal(bearerForeign.headers['access-control-allow-origin'], undefined);
		});
	});

	describe('logout (§7.2)', () => {
		test('POST /auth/logout with the Bearer token → 204, cookies cleared; the access and refresh tokens stop working at once', async () => {
			const s = await pool.session();
			const other = await flows.login(s.ident);
			const res = await api.post('/auth/logout', { token: s.access });
			assert.equal(res.status, 204, show(res));
			assert.equal(res.text, '');
			assertCookiesCleared(res);
			assertUnauthenticated(await flows.me(s.access));
			assertError(await refresh(s.refresh), 401, 'invalid_refresh_token');
			assert.equal(await meStatus(other.access), 200, 'other sessions are untouched');
		});

		test('logout with a revoked access token only → 401 unauthenticated, WWW-Authenticate with error="invalid_token" (§3.5)', async () => {
			const s = await pool.session();
			assert.equal((await api.post('/auth/logout', { token: s.access })).status, 204);
			assertUnauthenticated(await api.post('/auth/logout', { token: s.access }));
		});

		test('logout by refresh token only (body, or cookie with an allowed Origin) → 204 and the session is dead', async () => {
			const s = await pool.session();
			const res = await api.post('/auth/logout', { body: { refreshToken: s.refresh } });
			assert.equal(res.status, 204, show(res));
			assertCookiesCleared(res);
			assertUnauthenticated(await flows.me(s.access));
			assertError(await refresh(s.refresh), 401, 'invalid_refresh_token');

			const c = await flows.login(s.ident, { origin: true });
			const cookie = { refreshToken: c.jar.refreshToken };
			assertError(await api.post('/auth/logout', { cookies: cookie }), 403, 'origin_not_allowed');
			assert.equal(await meStatus(c.access), 200, 'a refused logout leaves the session alive');
			const byCookie = await api.post('/auth/logout', { cookies: cookie, origin: true });
			assert.equal(byCookie.status, 204, show(byCookie));
			assertUnauthenticated(await flows.me(c.access));
		});

		test('logout without a usable credential → 401 unauthenticated', async () => {
			assertUnauthenticated(await api.post('/auth/logout'), { presented: false });
			assertUnauthenticated(await api.post('/auth/logout', { body: { refreshToken: randomAlnum(43) } }), { presented: false });
		});

		test('POST /auth/logout-all → 204, cookies cleared; every session\'s tokens are dead', async () => {
			const s = await pool.session();
			const s2 = await flows.login(s.ident);
			const s3 = await flows.login(s.ident, { by: 'username' });
			const stranger = await pool.session();
			const res = await api.post('/auth/logout-all', { token: s2.access });
			assert.equal(res.status, 204, show(res));
			assertCookiesCleared(res);
			for (const x of [s, s2, s3]) {
				assertUnauthenticated(await flows.me(x.access));
				assertError(await refresh(x.refresh), 401, 'invalid_refresh_token');
			}
			assert.equal(await meStatus(stranger.access), 200, 'another user is untouched');
			assertUnauthenticated(await api.post('/auth/logout-all'), { presented: false });
			const again = await flows.login(s.ident);
			assert.equal(await meStatus(again.access), 200, 'login works again');
		});
	});

	describe('password change: PATCH /me/password (§8)', () => {
		test('wrong current → 400 currentPassword incorrect; weak new → 400; success 204: other sessions die, the current one stays, a password_changed mail arrives', async () => {
			const s = await pool.session();
			const other = await flows.login(s.ident);
			const newPassword = strongPassword();
			const wrong = await api.patch('/me/password', { token: s.access, body: { currentPassword: strongPassword(), newPassword } });
			assertError(wrong, 400, 'validation_failed');
			assertDetail(wrong, 'currentPassword', 'incorrect');
			const weak = await api.patch('/me/password', { token: s.access, body: { currentPassword: s.ident.password, newPassword: 'short-pw' } });
			assertError(weak, 400, 'validation_failed');
			assertDetail(weak, 'newPassword', 'too_short');
			const common = await api.patch('/me/password', { token: s.access, body: { currentPassword: s.ident.password, newPassword: s.ident.email.toUpperCase() } });
			assertError(common, 400, 'validation_failed');
			assertDetail(common, 'newPassword', 'too_common');
			const missing = await api.patch('/me/password', { token: s.access, body: { newPassword } });
			assertError(missing, 400, 'validation_failed');
			assertDetail(missing, 'currentPassword', 'required');
			assert.equal(await meStatus(other.access), 200, 'failed attempts change nothing');

			const ok = await api.patch('/me/password', { token: s.access, body: { currentPassword: s.ident.password, newPassword } });
			assert.equal(ok.status, 204, show(ok));
			assert.equal(ok.text, '');
			assert.equal(setCookies(ok).filter((c) => c.attrs['max-age'] === '0').length, 0, 'the current session keeps its cookies');
			assert.equal(await meStatus(s.access), 200, 'the current session stays');
			assertUnauthenticated(await flows.me(other.access));
			assertError(await refresh(other.refresh), 401, 'invalid_refresh_token');
			const r = await refresh(s.refresh);
			assert.equal(r.status, 200, `the current session's refresh token works: ${show(r)}`);

			const mail = await flows.waitMail(s.ident.email, SUBJECTS.changed);
			assert.equal(mail.decoded.contentType, 'multipart/alternative');
			assert.ok(mail.decoded.text.includes('127.0.0.1'), `the mail names the IP address:\n${mail.decoded.text}`);
			assertError(await api.post('/auth/login', { body: { email: s.ident.email, password: s.ident.password } }), 401, 'invalid_credentials');
			await flows.login({ ...s.ident, password: newPassword });
		});
	});

	describe('forgot and reset password (§7.2, §3.7)', () => {
		test('forgot → 202 identical for known and unknown; reset mail with a FRONTEND_URL link; reset 204: all sessions die, old password fails, new works; reuse → 400 invalid_token', async () => {
			const s = await pool.session();
			const other = await flows.login(s.ident);
			const unknown = await api.post('/auth/password/forgot', { body: { email: `nobody_${randomAlnum(8)}@example.com` } });
			const known = await api.post('/auth/password/forgot', { body: { email: s.ident.email } });
			assert.equal(known.status, 202, show(known));
			assert.deepEqual(known.json, { message: MSG.forgot });
			assert.deepEqual(unknown.json, known.json);
			assert.equal(unknown.status, known.status);

			const mail = await flows.waitMail(s.ident.email, SUBJECTS.reset);
			assert.equal(mail.decoded.contentType, 'multipart/alternative');
			const token = tokenFromLink(mail.decoded.text, `${FRONTEND}/reset-password`);
			assert.match(token, /^[A-Za-z0-9_-]{43}$/);
			assert.equal(tokenFromLink(mail.decoded.html, `${FRONTEND}/reset-password`), token);

			const newPassword = strongPassword();
			const weak = await api.post('/auth/password/reset', { body: { token, newPassword: 'tooshort' } });
			assertError(weak, 400, 'validation_failed');
			assertDetail(weak, 'newPassword', 'too_short');
			assert.equal(await meStatus(s.access), 200, 'a refused reset changes nothing');

			const ok = await api.post('/auth/password/reset', { body: { token, newPassword } });
			assert.equal(ok.status, 204, show(ok));
			for (const x of [s, other]) {
				assertUnauthenticated(await flows.me(x.access));
				assertError(await refresh(x.refresh), 401, 'invalid_refresh_token');
			}
			assertError(await api.post('/auth/login', { body: { email: s.ident.email, password: s.ident.password } }), 401, 'invalid_credentials');
			await flows.login({ ...s.ident, password: newPassword });
			assertError(await api.post('/auth/password/reset', { body: { token, newPassword: strongPassword() } }), 400, 'invalid_token');
			await flows.login({ ...s.ident, password: newPassword });
			await flows.waitMail(s.ident.email, SUBJECTS.changed);
		});

		test('a second forgot supersedes the first token: the first → 400 invalid_token, the second works', async () => {
			const ident = await pool.take();
			assert.equal((await api.post('/auth/password/forgot', { body: { email: ident.email } })).status, 202);
			const first = await flows.resetToken(ident.email, 1);
			assert.equal((await api.post('/auth/password/forgot', { body: { email: ident.email } })).status, 202);
			const second = await flows.resetToken(ident.email, 2);
			assert.notEqual(first, second);
			assertError(await api.post('/auth/password/reset', { body: { token: first, newPassword: strongPassword() } }), 400, 'invalid_token');
			const password = strongPassword();
			assert.equal((await api.post('/auth/password/reset', { body: { token: second, newPassword: password } })).status, 204);
			await flows.login({ ...ident, password });
		});

		test('reset with an unknown token → 400 invalid_token; bad bodies → 400 validation_failed', async () => {
			assertError(await api.post('/auth/password/reset', { body: { token: randomAlnum(43), newPassword: strongPassword() } }), 400, 'invalid_token');
			const missing = await api.post('/auth/password/reset', { body: {} });
			assertError(missing, 400, 'validation_failed');
			assertDetail(missing, 'token', 'required');
			assertDetail(missing, 'newPassword', 'required');
		});

		test('a reset proves the mailbox: an unverified account can log in afterwards', async () => {
			const ident = newIdentity('rv');
			assert.equal((await flows.register(ident)).status, 202);
			assertError(await api.post('/auth/login', { body: { email: ident.email, password: ident.password } }), 403, 'email_not_verified');
			assert.equal((await api.post('/auth/password/forgot', { body: { email: ident.email } })).status, 202);
			const token = await flows.resetToken(ident.email);
			const password = strongPassword();
			assert.equal((await api.post('/auth/password/reset', { body: { token, newPassword: password } })).status, 204);
			const l = await flows.login({ ...ident, password });
			assert.equal(l.me.emailVerified, true);
		});

		test('a reset reactivates a deactivated account', async () => {
			const s = await pool.session();
			assert.equal((await api.patch('/me/status', { token: s.access, body: { active: false } })).status, 200);
			assert.equal((await api.post('/auth/password/forgot', { body: { email: s.ident.email } })).status, 202);
			const token = await flows.resetToken(s.ident.email);
			const password = strongPassword();
			assert.equal((await api.post('/auth/password/reset', { body: { token, newPassword: password } })).status, 204);
			const l = await flows.login({ ...s.ident, password });
			assert.equal(l.me.active, true);
		});
	});

	describe('sessions: GET /me/sessions, DELETE /me/sessions/{id} (§8)', () => {
		test('the list shows live sessions newest first, with exactly the Session keys; current is true only on the caller\'s', async () => {
			const s1 = await pool.session();
			const s2 = await flows.login(s1.ident);
			const res = await api.get('/me/sessions', { token: s2.access });
			assert.equal(res.status, 200, show(res));
			assert.deepEqual(Object.keys(res.json), ['data'], 'a bounded list: no page');
			const list = res.json.data;
			assert.equal(list.length, 2, res.text);
			for (const x of list) {
				assert.deepEqual(Object.keys(x).sort(), [...SESSION_KEYS].sort());
				assert.equal(x.authMethod, 'password');
				assert.equal(x.ipAddress, '127.0.0.1');
				assert.equal(x.userAgent, USER_AGENT);
				for (const k of ['createdAt', 'lastUsedAt', 'expiresAt']) assert.match(x[k], ISO_MS);
			}
			const sid1 = Number(decodeJwt(s1.access).payload.sid);
			const sid2 = Number(decodeJwt(s2.access).payload.sid);
			assert.deepEqual(list.map((x) => x.id), [sid2, sid1], 'newest first');
			assert.deepEqual(list.map((x) => x.current), [true, false]);
			const from1 = (await api.get('/me/sessions', { token: s1.access })).json.data;
			assert.deepEqual(from1.map((x) => [x.id, x.current]), [[sid2, false], [sid1, true]]);
		});

		test('DELETE /me/sessions/{id} → 204 and that session\'s tokens die; unknown id and another user\'s id → 404; the current one clears cookies', async () => {
			const s1 = await pool.session();
			const s2 = await flows.login(s1.ident);
			const stranger = await pool.session();
			const sid1 = Number(decodeJwt(s1.access).payload.sid);
			const sid2 = Number(decodeJwt(s2.access).payload.sid);
			const strangerSid = Number(decodeJwt(stranger.access).payload.sid);

			const del = await api.delete(`/me/sessions/${sid1}`, { token: s2.access });
			assert.equal(del.status, 204, show(del));
			assertUnauthenticated(await flows.me(s1.access));
			assertError(await refresh(s1.refresh), 401, 'invalid_refresh_token');
			assert.equal(await meStatus(s2.access), 200);
			assert.deepEqual((await api.get('/me/sessions', { token: s2.access })).json.data.map((x) => x.id), [sid2]);

			assertError(await api.delete(`/me/sessions/${sid1}`, { token: s2.access }), 404, 'not_found');
			assertError(await api.delete('/me/sessions/999999999', { token: s2.access }), 404, 'not_found');
			const foreign = await api.delete(`/me/sessions/${strangerSid}`, { token: s2.access });
			assertError(foreign, 404, 'not_found');
			assert.equal(await meStatus(stranger.access), 200, 'another user\'s session is untouched');
			for (const bad of ['abc', '0', '-1', '1.5']) assertError(await api.delete(`/me/sessions/${bad}`, { token: s2.access }), 400, 'validation_failed');

			const self = await api.delete(`/me/sessions/${sid2}`, { token: s2.access });
			assert.equal(self.status, 204, show(self));
			assertCookiesCleared(self);
			assertUnauthenticated(await flows.me(s2.access));
		});
	});
});
