// Black-box tests of the v1 compatibility account routes U1–U11 (SPEC §15.1–§15.3): v1 field
// names and messages, `status` in every body, case-insensitive matching with one trailing slash,
// the bare-JWT Authorization header, and that each route really performs its resource
// operation (mails, tokens, sessions). The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE, JSON_CT } from '../support/server.mjs';
import {
	startAccountsServer,
	UserPool,
	newIdentity,
	strongPassword,
	randomAlnum,
	cookieJar,
	assertError,
	assertDetail,
	assertUnauthenticated,
	assertSessionCookies,
	assertCookiesCleared,
	show,
	SUBJECTS,
	ME_KEYS,
	PAIR_KEYS,
	REFRESH_RE,
	JWT_RE,
} from '../support/accounts.mjs';

const U = '/api/v1/user';

/** A compat success: this status, `status` in the body, JSON content type. */
function assertCompatOk(res, status, message) {
	assert.equal(res.status, status, show(res));
	assert.equal(res.headers['content-type'], JSON_CT, show(res));
	assert.equal(res.json?.status, status, `body carries status ${status}: ${show(res)}`);
	if (message !== undefined) assert.equal(res.json.message, message, show(res));
	return res.json;
}

const compatError = (res, status, code) => assertError(res, status, code, { compat: true });

function assertPair(pair) {
	assert.deepEqual(Object.keys(pair).sort(), [...PAIR_KEYS].sort());
	assert.equal(pair.tokenType, 'Bearer');
	assert.match(pair.accessToken, JWT_RE);
	assert.equal(pair.expiresIn, 900);
	assert.deepEqual(Object.keys(pair.user).sort(), [...ME_KEYS].sort());
}

describe(`v1 compatibility account routes [${STORE}]`, () => {
	let S;
	let api;
	let flows;
	let pool;

	before(async () => {
		S = await startAccountsServer();
		api = S.api;
		flows = S.flows;
		pool = new UserPool(flows, { tag: 'cmp' });
		await pool.fill(10);
	});
	after(() => S?.stop());

	const v1login = (ident, o = {}) => api.post(`${U}/login`, { body: { email: ident.email, password: ident.password }, ...o });
	async function v1session() {
		const ident = await pool.take();
		const res = await v1login(ident);
		assertCompatOk(res, 200, 'Login successful');
		return { ident, res, pair: res.json.data, access: res.json.data.accessToken, refresh: res.json.data.refreshToken };
	}

	describe('U1–U3: register, re-verify, verify', () => {
		test('U1 POST /user/register: 202 {message, data: the submitted username/firstName/lastName/email, status}; a verify mail arrives', async () => {
			const ident = newIdentity('c1');
			const res = await api.post(`${U}/register`, { body: { username: ident.username, firstName: ident.firstName, lastName: ident.lastName, email: ident.email, password: ident.password } });
			const body = assertCompatOk(res, 202);
			assert.deepEqual(Object.keys(body).sort(), ['data', 'message', 'status']);
			assert.equal(typeof body.message, 'string');
			assert.deepEqual(body.data, { username: ident.username, firstName: ident.firstName, lastName: ident.lastName, email: ident.email });
			assert.ok(!res.text.includes(ident.password), 'the password is not echoed');
			await flows.verifyToken(ident.email);
		});

		test('U1: all five fields are required, every problem at once, with status 400; unknown fields rejected; a taken username → 409', async () => {
			const res = await api.post(`${U}/register`, { body: { email: 'bad', password: 'short' } });
			compatError(res, 400, 'validation_failed');
			for (const f of ['username', 'firstName', 'lastName']) assertDetail(res, f, 'required');
			assertDetail(res, 'email', 'invalid_format');
			assertDetail(res, 'password', 'too_short');
			const none = await api.post(`${U}/register`, { body: {} });
			compatError(none, 400, 'validation_failed');
			for (const f of ['username', 'firstName', 'lastName', 'email', 'password']) assertDetail(none, f, 'required');
			const ident = newIdentity('c1b');
			const full = { username: ident.username, firstName: 'A', lastName: 'B', email: ident.email, password: ident.password };
			const unk = await api.post(`${U}/register`, { body: { ...full, role: 'ADMIN', phone: '1' } });
			compatError(unk, 400, 'validation_failed');
			assertDetail(unk, 'phone', 'unknown_field');
			const owner = await pool.take();
			const dup = await api.post(`${U}/register`, { body: { ...full, username: owner.username } });
			const d = compatError(dup, 409, 'conflict');
			assert.deepEqual(d.details, [{ field: 'username', reason: 'duplicate' }]);
			compatError(await api.post(`${U}/register`, { body: '{"email":', headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json');
			compatError(await api.post(`${U}/register`, { body: JSON.stringify(full), headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');
		});

		test('U2 reVerify-email → 202 with status; U3 verify-email with email + verificationCode → 200 "Email verified successfully"; login then works', async () => {
			const ident = newIdentity('c3');
			assert.equal((await flows.register(ident)).status, 202);
			await flows.verifyToken(ident.email, 1);
			const rv = await api.post(`${U}/reVerify-email`, { body: { email: ident.email } });
			assertCompatOk(rv, 202);
			assert.deepEqual(Object.keys(rv.json).sort(), ['message', 'status']);
			const rvUnknown = await api.post(`${U}/reVerify-email`, { body: { email: `nobody_${randomAlnum(8)}@example.com` } });
			assert.equal(rvUnknown.text, rv.text, 'the same answer for an unknown address');
			const code = await flows.verifyToken(ident.email, 2);
			compatError(await v1login(ident), 403, 'email_not_verified');

			const q = `email=${encodeURIComponent(ident.email)}&verificationCode=${encodeURIComponent(code)}`;
			const res = await api.get(`${U}/verify-email?${q}`);
			assertCompatOk(res, 200);
			assert.deepEqual(res.json, { message: 'Email verified successfully', status: 200 });
			assertCompatOk(await v1login(ident), 200, 'Login successful');
		});

		test('U3: a code for another address → 400 invalid_token with status; a wrong code → 400 invalid_token; missing parameters → 400 naming verificationCode; HEAD → 405', async () => {
			const a = newIdentity('c3a');
			const b = await pool.take();
			assert.equal((await flows.register(a)).status, 202);
			const code = await flows.verifyToken(a.email);
			const wrongEmail = await api.get(`${U}/verify-email?email=${encodeURIComponent(b.email)}&verificationCode=${code}`);
			compatError(wrongEmail, 400, 'invalid_token');
			compatError(await v1login(a), 403, 'email_not_verified');
			compatError(await api.get(`${U}/verify-email?email=${encodeURIComponent(a.email)}&verificationCode=${randomAlnum(43)}`), 400, 'invalid_token');
			const missing = await api.get(`${U}/verify-email?email=${encodeURIComponent(a.email)}`);
			compatError(missing, 400, 'validation_failed');
			assertDetail(missing, 'verificationCode', 'required');
			const head = await api.call('HEAD', `${U}/verify-email?email=${encodeURIComponent(a.email)}&verificationCode=${code}`);
			assert.equal(head.status, 405);
		});
	});

	describe('U4, U9, U5: login, renewToken, logOut', () => {
		test('U4 POST /user/login → 200 {"message":"Login successful", data: token pair, status: 200} and the cookies; by username too', async () => {
			const ident = await pool.take();
			const res = await v1login(ident);
			const body = assertCompatOk(res, 200, 'Login successful');
			assert.deepEqual(Object.keys(body).sort(), ['data', 'message', 'status']);
			assertPair(body.data);
			assert.match(body.data.refreshToken, REFRESH_RE);
			assertSessionCookies(res, { refreshToken: body.data.refreshToken, accessToken: body.data.accessToken });
			assert.equal((await flows.me(body.data.accessToken)).status, 200);
			const byName = await api.post(`${U}/login`, { body: { username: ident.username, password: ident.password } });
			assertCompatOk(byName, 200, 'Login successful');
		});

		test('U4 errors carry status: wrong password / unknown user 401 identical, both identifiers 400, malformed 400, 415', async () => {
			const ident = await pool.take();
			const wrong = await api.post(`${U}/login`, { body: { email: ident.email, password: strongPassword() } });
			const unknown = await api.post(`${U}/login`, { body: { email: `nobody_${randomAlnum(8)}@example.com`, password: strongPassword() } });
			compatError(wrong, 401, 'invalid_credentials');
			compatError(unknown, 401, 'invalid_credentials');
			const { requestId: _a, ...w } = wrong.json;
			const { requestId: _b, ...u } = unknown.json;
			assert.deepEqual(w, u);
			const both = await api.post(`${U}/login`, { body: { email: ident.email, username: ident.username, password: ident.password } });
			compatError(both, 400, 'validation_failed');
			assert.ok(both.json.details.some((d) => d.reason === 'conflicting'), show(both));
			compatError(await api.post(`${U}/login`, { body: '{"email":', headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json');
			compatError(await api.post(`${U}/login`, { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');
		});

		test('compat routes match case-insensitively with one trailing slash: POST /api/v1/USER/LOGIN/ works; two slashes do not', async () => {
			const ident = await pool.take();
			for (const p of ['/api/v1/USER/LOGIN/', '/api/v1/User/Login', '/api/v1/user/login/']) {
				const res = await api.post(p, { body: { email: ident.email, password: ident.password } });
				assertCompatOk(res, 200, 'Login successful');
			}
			const twice = await api.post('/api/v1/user/login//', { body: { email: ident.email, password: ident.password } });
			assert.equal(twice.status, 404, show(twice));
			const s = await v1session();
			const upd = await api.patch('/api/v1/USER/updatedetails/', { token: s.access, body: { firstName: 'Casey' } });
			assertCompatOk(upd, 200, 'Successfully updated user details');
			// Resource routes stay exact.
			assert.equal((await api.get('/api/v1/ME', { token: s.access })).status, 404);
			assert.equal((await api.get('/api/v1/me/', { token: s.access })).status, 404);
		});

		test('U9 POST /user/renewToken: body token → 200 "Successfully generated new access token." with a rotated pair; cookie + allowed Origin works; errors carry status', async () => {
			const s = await v1session();
			const res = await api.post(`${U}/renewToken`, { body: { refreshToken: s.refresh } });
			const body = assertCompatOk(res, 200, 'Successfully generated new access token.');
			assertPair(body.data);
			assert.notEqual(body.data.refreshToken, s.refresh);
			assertSessionCookies(res, { refreshToken: body.data.refreshToken });
			compatError(await api.post(`${U}/renewToken`, { body: { refreshToken: s.refresh } }), 401, 'invalid_refresh_token');
			compatError(await api.post(`${U}/renewToken`, { body: { refreshToken: randomAlnum(43) } }), 401, 'invalid_refresh_token');
			const again = await api.post(`${U}/renewToken`, { body: { refreshToken: body.data.refreshToken } });
			assertCompatOk(again, 200);

			const ident = await pool.take();
			const login = await v1login(ident, { origin: true });
			assertCompatOk(login, 200);
			assert.equal(login.json.data.refreshToken, null);
			const cookie = { refreshToken: cookieJar(login).refreshToken };
			compatError(await api.post(`${U}/renewToken`, { cookies: cookie }), 403, 'origin_not_allowed');
			const viaCookie = await api.post(`${U}/renewToken`, { cookies: cookie, origin: true });
			assertCompatOk(viaCookie, 200, 'Successfully generated new access token.');
			assert.equal(viaCookie.json.data.refreshToken, null);
		});

		test('U5 POST /user/logOut → 200 {"message":"user logged out", status}, cookies cleared, tokens dead; by refresh cookie too', async () => {
			const s = await v1session();
			const res = await api.post(`${U}/logOut`, { token: s.access });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'user logged out', status: 200 });
			assertCookiesCleared(res);
			assertUnauthenticated(await flows.me(s.access));
			compatError(await api.post(`${U}/renewToken`, { body: { refreshToken: s.refresh } }), 401, 'invalid_refresh_token');
			const none = await api.post(`${U}/logOut`);
			compatError(none, 401, 'unauthenticated');

			const ident = await pool.take();
			const login = await v1login(ident, { origin: true });
			const jar = cookieJar(login);
			const byCookie = await api.post(`${U}/logOut`, { cookies: { refreshToken: jar.refreshToken }, origin: true });
			assertCompatOk(byCookie, 200, 'user logged out');
			assertUnauthenticated(await flows.me(jar.accessToken));
		});
	});

	describe('U6, U10, U11: updatePassword, updateDetails, status', () => {
		test('U6 PATCH /user/updatePassword: wrong oldPassword → 400 details oldPassword incorrect; success 200 "Password successfully changed"; other sessions die', async () => {
			const s = await v1session();
			const other = await v1login(s.ident);
			const newPassword = strongPassword();
			const wrong = await api.patch(`${U}/updatePassword`, { token: s.access, body: { oldPassword: strongPassword(), newPassword } });
			compatError(wrong, 400, 'validation_failed');
			assert.ok(wrong.json.details.some((d) => d.field === 'oldPassword' && d.reason === 'incorrect'), show(wrong));
			const resName = await api.patch(`${U}/updatePassword`, { token: s.access, body: { currentPassword: s.ident.password, newPassword } });
			compatError(resName, 400, 'validation_failed');
			assertDetail(resName, 'currentPassword', 'unknown_field');
			assertDetail(resName, 'oldPassword', 'required');
			const weak = await api.patch(`${U}/updatePassword`, { token: s.access, body: { oldPassword: s.ident.password, newPassword: 'weak' } });
			compatError(weak, 400, 'validation_failed');
			assertDetail(weak, 'newPassword', 'too_short');

			const ok = await api.patch(`${U}/updatePassword`, { token: s.access, body: { oldPassword: s.ident.password, newPassword } });
			assert.deepEqual(assertCompatOk(ok, 200), { message: 'Password successfully changed', status: 200 });
			assert.equal((await flows.me(s.access)).status, 200);
			assertUnauthenticated(await flows.me(other.json.data.accessToken));
			await flows.waitMail(s.ident.email, SUBJECTS.changed);
			compatError(await v1login(s.ident), 401, 'invalid_credentials');
			assertCompatOk(await v1login({ ...s.ident, password: newPassword }), 200);
			compatError(await api.patch(`${U}/updatePassword`, { body: { oldPassword: newPassword, newPassword: strongPassword() } }), 401, 'unauthenticated');
		});

		test('U10 PATCH /user/updateDetails with avatar → 200 Me with avatarUrl; http:// avatar → 400 field avatar; {} and resource names → 400', async () => {
			const s = await v1session();
			const avatar = 'https://img.example.com/me.png';
			const res = await api.patch(`${U}/updateDetails`, { token: s.access, body: { firstName: 'Vee', lastName: 'One', avatar } });
			const body = assertCompatOk(res, 200, 'Successfully updated user details');
			assert.deepEqual(Object.keys(body.data).sort(), [...ME_KEYS].sort());
			assert.equal(body.data.avatarUrl, avatar);
			assert.equal(body.data.firstName, 'Vee');
			assert.equal(body.data.lastName, 'One');
			assert.deepEqual((await flows.me(s.access)).json.data, body.data);

			const http = await api.patch(`${U}/updateDetails`, { token: s.access, body: { avatar: 'http://img.example.com/me.png' } });
			compatError(http, 400, 'validation_failed');
			assertDetail(http, 'avatar', 'invalid_format');
			const empty = await api.patch(`${U}/updateDetails`, { token: s.access, body: {} });
			compatError(empty, 400, 'validation_failed');
			const resName = await api.patch(`${U}/updateDetails`, { token: s.access, body: { avatarUrl: avatar } });
			compatError(resName, 400, 'validation_failed');
			assertDetail(resName, 'avatarUrl', 'unknown_field');
			const ro = await api.patch(`${U}/updateDetails`, { token: s.access, body: { firstName: 'X', email: 'evil@example.com', role: 'ADMIN' } });
			compatError(ro, 400, 'validation_failed');
			assert.equal((await flows.me(s.access)).json.data.firstName, 'Vee', 'nothing applied');
			compatError(await api.patch(`${U}/updateDetails`, { body: { firstName: 'X' } }), 401, 'unauthenticated');
		});

		test('a bare JWT in Authorization (no "Bearer ") works on compat routes but not on /api/v1/me', async () => {
			const s = await v1session();
			const res = await api.patch(`${U}/updateDetails`, { auth: s.access, body: { firstName: 'Bare' } });
			assertCompatOk(res, 200, 'Successfully updated user details');
			assert.equal(res.json.data.firstName, 'Bare');
			const bearer = await api.patch(`${U}/updateDetails`, { token: s.access, body: { lastName: 'Bearer' } });
			assertCompatOk(bearer, 200);
			assertUnauthenticated(await api.get('/me', { auth: s.access }));
			compatError(await api.patch(`${U}/updateDetails`, { auth: `x${s.access}`, body: { firstName: 'Bad' } }), 401, 'unauthenticated');
		});

		test('U11 PATCH /user/status → 200 data {active:false}, cookies cleared, tokens dead; login → 403 account_inactive with status; reactivate: true → 200; a body field active → read_only', async () => {
			const s = await v1session();
			const res = await api.patch(`${U}/status`, { token: s.access });
			const body = assertCompatOk(res, 200, 'Successfully updated user active status');
			assert.deepEqual(body.data, { active: false });
			assertCookiesCleared(res);
			assertUnauthenticated(await flows.me(s.access));
			compatError(await api.post(`${U}/renewToken`, { body: { refreshToken: s.refresh } }), 401, 'invalid_refresh_token');
			compatError(await v1login(s.ident), 403, 'account_inactive');
			const back = await api.post(`${U}/login`, { body: { email: s.ident.email, password: s.ident.password, reactivate: true } });
			assertCompatOk(back, 200, 'Login successful');
			assert.equal(back.json.data.user.active, true);
			const field = await api.patch(`${U}/status`, { token: back.json.data.accessToken, body: { active: true } });
			compatError(field, 400, 'validation_failed');
			assertDetail(field, 'active', 'read_only');
		});
	});

	describe('U7, U8: forgotPassword, resetPassword', () => {
		test('U7 → 202 with status, identical for unknown; U8 with email + resetCode → 200 "Password reset successful"; the new password logs in', async () => {
			const ident = await pool.take();
			const before = await v1login(ident);
			const known = await api.post(`${U}/forgotPassword`, { body: { email: ident.email } });
			const unknown = await api.post(`${U}/forgotPassword`, { body: { email: `nobody_${randomAlnum(8)}@example.com` } });
			assertCompatOk(known, 202);
			assert.deepEqual(Object.keys(known.json).sort(), ['message', 'status']);
			assert.equal(unknown.text, known.text);
			const resetCode = await flows.resetToken(ident.email);
			const newPassword = strongPassword();
			const res = await api.post(`${U}/resetPassword`, { body: { email: ident.email, resetCode, newPassword } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Password reset successful', status: 200 });
			assertUnauthenticated(await flows.me(before.json.data.accessToken));
			compatError(await v1login(ident), 401, 'invalid_credentials');
			assertCompatOk(await v1login({ ...ident, password: newPassword }), 200);
			compatError(await api.post(`${U}/resetPassword`, { body: { email: ident.email, resetCode, newPassword: strongPassword() } }), 400, 'invalid_token');
		});

		test('U8: a code for another address → 400 invalid_token with status; missing fields name resetCode; weak password → 400', async () => {
			const a = await pool.take();
			const b = await pool.take();
			assertCompatOk(await api.post(`${U}/forgotPassword`, { body: { email: a.email } }), 202);
			const code = await flows.resetToken(a.email);
			compatError(await api.post(`${U}/resetPassword`, { body: { email: b.email, resetCode: code, newPassword: strongPassword() } }), 400, 'invalid_token');
			compatError(await api.post(`${U}/resetPassword`, { body: { email: a.email, resetCode: randomAlnum(43), newPassword: strongPassword() } }), 400, 'invalid_token');
			const missing = await api.post(`${U}/resetPassword`, { body: { email: a.email } });
			compatError(missing, 400, 'validation_failed');
			assertDetail(missing, 'resetCode', 'required');
			assertDetail(missing, 'newPassword', 'required');
			const weak = await api.post(`${U}/resetPassword`, { body: { email: a.email, resetCode: code, newPassword: 'weak' } });
			compatError(weak, 400, 'validation_failed');
			assertDetail(weak, 'newPassword', 'too_short');
			const token = await api.post(`${U}/resetPassword`, { body: { email: a.email, token: code, newPassword: strongPassword() } });
			compatError(token, 400, 'validation_failed');
			assertDetail(token, 'token', 'unknown_field');
			assertCompatOk(await v1login(b), 200, 'Login successful');
		});
	});
});
