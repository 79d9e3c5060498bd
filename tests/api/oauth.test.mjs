// Black-box tests of Google and GitHub sign-in (SPEC §7.3, §3.4, §8, §13.6, §15.2 O1–O4) against
// real providers on loopback (tests/support/oauth.mjs: oauth2-mock-server as Google, a GitHub-like
// stub), driven like a browser: fetch with manual redirects, carrying the crm_oauth cookie from
// the start to the callback. Covers the happy paths, state and PKCE abuse, every ID-token check,
// e-mail collisions, linking and its conflicts, provider failures and timeouts, reactivation,
// password-less accounts (reset, identities, deletion) and the identity routes. The store comes
// from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { STORE, ISO_MS, request, startServer, stopChecked } from '../support/server.mjs';
import { closedPort } from '../support/ports.mjs';
import { pgBinDir } from '../support/postgres.mjs';
import {
	startAccountsServer,
	randomAlnum,
	uniqueName,
	strongPassword,
	setCookies,
	cookieJar,
	assertError,
	assertSessionCookies,
	decodeJwt,
	show,
	FRONTEND,
	SUBJECTS,
	ME_KEYS,
} from '../support/accounts.mjs';
import { startOAuthProviders, signJwt, peekJwt, s256, GOOGLE_CLIENT, GITHUB_CLIENT } from '../support/oauth.mjs';

const LINKED_SUBJECT = { github: 'GitHub sign-in was linked to your account', google: 'Google sign-in was linked to your account' };

describe(`oauth [${STORE}]`, () => {
	let P; // providers
	let S; // accounts server (SMTP capture, FRONTEND_URL)
	let api;
	let flows;

	before(async () => {
		P = await startOAuthProviders();
		S = await startAccountsServer({ env: P.env() });
		api = S.api;
		flows = S.flows;
		P.google.redirectUri = `${api.origin}/api/v1/auth/google/callback`;
		P.github.redirectUri = `${api.origin}/api/v1/auth/github/callback`;
	});
	after(async () => {
		await S?.stop();
		await P?.stop();
	});

	// ------------------------------------------------------------ the browser's side

	const stateCookie = (res) => setCookies(res).find((c) => c.name === 'crm_oauth');

	/** GET /auth/{provider}{query}; the answer. */
	const begin = (provider, { query = '', cookies, headers } = {}) => api.get(`/auth/${provider}${query}`, { cookies, headers });

	/** Follows the provider's authorize step (it signs the user in at once); the callback URL. */
	async function authorize(location) {
		const res = await request(location);
		assert.equal(res.status, 302, `provider authorize: ${res.status} ${res.text}`);
		return res.headers.location;
	}

	/** GET the callback URL (relative to crm) with the crm_oauth cookie value (or none). */
	function callback(callbackUrl, cookie, extraCookies = {}) {
		const u = new URL(callbackUrl, api.origin);
		const cookies = { ...extraCookies };
		if (cookie) cookies.crm_oauth = cookie;
		return api.get(u.pathname + u.search, { cookies });
	}

	/** A whole flow: profile for the provider, start, authorize, callback. */
	async function signIn(provider, profile = {}, { query = '', cookies, tamper } = {}) {
		P[provider].nextProfile(profile);
		const start = await begin(provider, { query, cookies });
		assert.equal(start.status, 302, show(start));
		const sc = stateCookie(start);
		assert.ok(sc, `crm_oauth is set: ${show(start)}`);
		let cb = await authorize(start.headers.location);
		if (tamper) cb = tamper(cb);
		const res = await callback(cb, sc.value);
		return { start, cookie: sc.value, callbackUrl: cb, res, jar: cookieJar(res) };
	}

	/** The error code of a failure redirect (and checks its shape). */
	function errorOf(res) {
		assert.equal(res.status, 302, show(res));
		assert.ok(!/json/.test(res.headers['content-type'] || ''), `a redirect, not JSON: ${show(res)}`);
		const loc = res.headers.location || '';
		const m = /^(.*)\/login\?error=([a-z_]+)$/.exec(loc);
		assert.ok(m, `Location is FRONTEND_URL/login?error=<code>: ${loc}`);
		assert.equal(m[1], FRONTEND);
		return m[2];
	}

	function assertNoSession(res) {
		const live = setCookies(res).filter((c) => (c.name === 'accessToken' || c.name === 'refreshToken') && c.value !== '');
		assert.deepEqual(live.map((c) => c.raw), [], 'no session cookie is set');
	}

	function assertStateCleared(res) {
		const c = setCookies(res).filter((x) => x.name === 'crm_oauth');
		assert.equal(c.length, 1, `crm_oauth cleared once: ${res.rawHeaders.filter(([k]) => k === 'set-cookie').map(([, v]) => v).join(' | ')}`);
		assert.equal(c[0].value, '');
		assert.equal(c[0].attrs['max-age'], '0');
		assert.equal(c[0].attrs.path, '/api/v1/auth');
	}

	const googleProfile = (over = {}) => {
		const tag = uniqueName('g');
		return { sub: `g-${randomAlnum(16)}`, email: `${tag}@example.com`, email_verified: true, given_name: 'Grace', family_name: 'Hopper', ...over };
	};
	const githubProfile = (over = {}) => {
		const tag = uniqueName('h');
		return {
			id: 1000000 + Math.floor(Math.random() * 1e9),
			login: tag,
			name: 'Linus Benedict Torvalds',
			emails: [{ email: `${tag}@example.com`, primary: true, verified: true }],
			...over,
		};
	};
	const me = (jar) => api.get('/me', { token: jar.accessToken });

	/** A full successful sign-in; resolves {res, jar, me}. */
	async function signedIn(provider, profile, opts) {
		const r = await signIn(provider, profile, opts);
		assert.equal(r.res.status, 302, show(r.res));
		assert.ok(r.jar.accessToken, `signed in: ${r.res.headers.location}`);
		const m = await me(r.jar);
		assert.equal(m.status, 200, show(m));
		return { ...r, me: m.json.data };
	}

	/** Moves a session's creation time back (for the fresh-login rule of DELETE /me). */
	function ageSession(sessionId, ms) {
		if (STORE === 'postgres') {
			execFileSync(path.join(pgBinDir(), 'psql'), ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c',
				`UPDATE sessions SET created_at = created_at - interval '${ms} milliseconds' WHERE id = ${Number(sessionId)}`, S.srv.env.DATABASE_URL]);
		} else {
			execFileSync('/usr/bin/python3', ['-c',
				'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1],timeout=10)\nc.execute("UPDATE sessions SET created_at=created_at-? WHERE id=?",(int(sys.argv[2]),int(sys.argv[3])))\nc.commit()',
				path.join(S.srv.dataDir, 'crm.sqlite3'), String(ms), String(sessionId)]);
		}
	}

	// ------------------------------------------------------------ happy paths

	describe('sign-in (§7.3 steps 1–6)', () => {
		test('Google: the start redirects with every parameter and a signed crm_oauth cookie; a new account is created, verified and password-less, with a session and a redirect to FRONTEND_URL + returnTo', async () => {
			const profile = googleProfile();
			P.google.nextProfile(profile);
			const start = await begin('google', { query: '?returnTo=%2Fcontacts%3Ftab%3Dall' });
			assert.equal(start.status, 302, show(start));
			const loc = new URL(start.headers.location);
			assert.equal(`${loc.origin}${loc.pathname}`, `${P.google.url}/authorize`);
			const q = Object.fromEntries(loc.searchParams);
			assert.equal(q.response_type, 'code');
			assert.equal(q.client_id, GOOGLE_CLIENT.id);
			assert.equal(q.redirect_uri, `${api.origin}/api/v1/auth/google/callback`);
			assert.equal(q.scope, 'openid email profile');
			assert.equal(q.prompt, 'select_account');
			assert.equal(q.code_challenge_method, 'S256');
			assert.match(q.state, /^[A-Za-z0-9_-]{43}$/);
			assert.match(q.nonce, /^[A-Za-z0-9_-]{43}$/);
			assert.match(q.code_challenge, /^[A-Za-z0-9_-]{43}$/);
			assert.ok(!start.headers.location.includes(GOOGLE_CLIENT.secret), 'no secret in the URL');
			assert.equal(start.headers['referrer-policy'], 'no-referrer');
			const sc = stateCookie(start);
			assert.ok(sc, 'crm_oauth is set');
			assert.equal(sc.attrs.path, '/api/v1/auth');
			assert.equal(sc.attrs['max-age'], '600');
			assert.equal(sc.attrs.httponly, true);
			assert.equal(String(sc.attrs.samesite).toLowerCase(), 'lax');
			assert.equal(sc.attrs.secure, undefined, 'no Secure on an http BASE_URL');
			assert.equal(sc.attrs.domain, undefined);
			assert.match(sc.value, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
			assertNoSession(start);

			const cb = await authorize(start.headers.location);
			const res = await callback(cb, sc.value);
			assert.equal(res.status, 302, show(res));
			assert.equal(res.headers.location, `${FRONTEND}/contacts?tab=all`);
			assert.equal(res.text, '', 'no body');
			assertStateCleared(res);
			const { access } = assertSessionCookies(res);
			assert.ok(!res.headers.location.includes(access), 'no token in the URL');

			// PKCE: the verifier crm sent matches the S256 challenge of the start.
			const tr = P.google.tokenRequests.at(-1);
			assert.equal(tr.code_verifier.length, 43);
			assert.equal(s256(tr.code_verifier), q.code_challenge);
			assert.equal(tr.redirect_uri, q.redirect_uri);

			const m = await api.get('/me', { cookies: { accessToken: access } });
			assert.equal(m.status, 200, show(m));
			const u = m.json.data;
			assert.deepEqual(Object.keys(u).sort(), [...ME_KEYS].sort());
			assert.equal(u.email, profile.email);
			assert.equal(u.emailVerified, true);
			assert.equal(u.hasPassword, false);
			assert.deepEqual(u.linkedProviders, ['google']);
			assert.equal(u.firstName, 'Grace');
			assert.equal(u.lastName, 'Hopper');
			assert.equal(u.username, profile.email.split('@')[0].replace(/[^A-Za-z0-9_]/g, '').slice(0, 24));
			assert.equal(u.active, true);
			assert.match(u.lastLoginAt, ISO_MS);
			const sessions = await api.get('/me/sessions', { token: access });
			assert.equal(sessions.json.data.length, 1);
			assert.equal(sessions.json.data[0].authMethod, 'google');
			assert.equal(decodeJwt(access).payload.sub, String(u.id));

			// The frontend takes the access token in JSON from the refresh cookie.
			const jar = cookieJar(res);
			const r = await api.post('/auth/refresh', { cookies: { refreshToken: jar.refreshToken }, origin: true });
			assert.equal(r.status, 200, show(r));
			assert.equal(r.json.data.user.id, u.id);
			assert.equal(r.json.data.refreshToken, null);
		});

		test('a linked Google identity signs the same user in again (no second account); returnTo defaults to /', async () => {
			const profile = googleProfile();
			const first = await signedIn('google', profile);
			assert.equal(first.res.headers.location, `${FRONTEND}/`);
			// The provider may report a new address: the identity, not the address, decides.
			const again = await signedIn('google', { ...profile, email: `changed.${profile.email}` });
			assert.equal(again.me.id, first.me.id);
			assert.equal(again.me.email, profile.email, 'the account keeps its address');
			const ids = await api.get('/me/identities', { token: again.jar.accessToken });
			assert.equal(ids.status, 200, show(ids));
			assert.equal(ids.json.data.length, 1);
			assert.equal(ids.json.data[0].provider, 'google');
			assert.equal(ids.json.data[0].email, `changed.${profile.email}`);
			assert.match(ids.json.data[0].createdAt, ISO_MS);
			assert.match(ids.json.data[0].lastLoginAt, ISO_MS);
			const sessions = await api.get('/me/sessions', { token: again.jar.accessToken });
			assert.equal(sessions.json.data.length, 2, 'each sign-in opens its own session');
		});

		test('GitHub: a new account from /user and the primary verified address; names split at the first space; the token and API calls are made as GitHub wants', async () => {
			const profile = githubProfile();
			const r = await signedIn('github', profile, { query: '?returnTo=/settings' });
			assert.equal(r.res.headers.location, `${FRONTEND}/settings`);
			const q = Object.fromEntries(new URL(r.start.headers.location).searchParams);
			assert.equal(q.scope, 'read:user user:email');
			assert.equal(q.client_id, GITHUB_CLIENT.id);
			assert.equal(q.code_challenge_method, 'S256');
			assert.equal(q.nonce, undefined, 'GitHub gets no nonce');
			assert.equal(q.redirect_uri, `${api.origin}/api/v1/auth/github/callback`);
			assert.equal(r.me.email, profile.emails[0].email);
			assert.equal(r.me.firstName, 'Linus');
			assert.equal(r.me.lastName, 'Benedict Torvalds');
			assert.equal(r.me.hasPassword, false);
			assert.equal(r.me.emailVerified, true);
			assert.deepEqual(r.me.linkedProviders, ['github']);
			const tr = P.github.tokenRequests.at(-1);
			assert.equal(tr.accept, 'application/json');
			assert.equal(s256(tr.code_verifier), q.code_challenge);
			const calls = P.github.apiRequests.slice(-2);
			assert.deepEqual(calls.map((c) => c.path), ['/api/user', '/api/user/emails']);
			for (const c of calls) {
				assert.match(c.authorization, /^Bearer gho_/);
				assert.ok(c.userAgent, 'a User-Agent is sent (GitHub requires one)');
			}
			const sessions = await api.get('/me/sessions', { token: r.jar.accessToken });
			assert.equal(sessions.json.data[0].authMethod, 'github');
		});

		test('GitHub: an unverified primary falls back to the first verified address; without a name the login is the first name; none verified → email_unverified', async () => {
			const tag = uniqueName('hv');
			const r = await signedIn('github', githubProfile({
				login: tag,
				name: null,
				emails: [
					{ email: `${tag}.primary@example.com`, primary: true, verified: false },
					{ email: `${tag}.second@example.com`, primary: false, verified: true },
				],
			}));
			assert.equal(r.me.email, `${tag}.second@example.com`);
			assert.equal(r.me.firstName, tag);
			assert.equal(r.me.lastName, null);

			const none = await signIn('github', githubProfile({ emails: [{ email: `${uniqueName('n')}@example.com`, primary: true, verified: false }] }));
			assert.equal(errorOf(none.res), 'email_unverified');
			assertNoSession(none.res);
			assertStateCleared(none.res);
		});

		test('Google: email_verified false → email_unverified; no first name → the local part of the address', async () => {
			const r = await signIn('google', googleProfile({ email_verified: false }));
			assert.equal(errorOf(r.res), 'email_unverified');
			assertNoSession(r.res);
			const p = googleProfile({ given_name: undefined, family_name: undefined, name: undefined });
			const ok = await signedIn('google', p);
			assert.equal(ok.me.firstName, p.email.split('@')[0]);
			assert.equal(ok.me.lastName, null);
		});

		test('a provider e-mail that an account already uses, verified or not: account_exists, nothing created or linked, no session', async () => {
			const verified = await flows.verifiedUser('ex');
			const r1 = await signIn('google', googleProfile({ email: verified.email.toUpperCase() }));
			assert.equal(errorOf(r1.res), 'account_exists');
			assertNoSession(r1.res);
			const s = await flows.login(verified);
			assert.deepEqual(s.me.linkedProviders, [], 'nothing was linked');
			assert.equal(s.me.hasPassword, true);

			const unverified = { email: `${uniqueName('unv')}@example.com`, password: strongPassword(), firstName: 'Una' };
			assert.equal((await flows.register(unverified)).status, 202);
			const r2 = await signIn('github', githubProfile({ emails: [{ email: unverified.email, primary: true, verified: true }] }));
			assert.equal(errorOf(r2.res), 'account_exists');
			assertNoSession(r2.res);
			// Still one account, still unverified: verifying and logging in work as before.
			const token = await flows.verifyToken(unverified.email);
			assert.equal((await api.post('/auth/verify-email', { body: { token } })).status, 204);
			const s2 = await flows.login(unverified);
			assert.deepEqual(s2.me.linkedProviders, []);
		});

		test('unknown callback parameters are ignored; HEAD → 405 on both routes; an unknown provider → 404', async () => {
			const r = await signIn('google', googleProfile(), { tamper: (cb) => `${cb}&scope=email%20profile&authuser=0&prompt=consent&hd=example.com` });
			assert.equal(r.res.status, 302);
			assert.ok(r.jar.accessToken, show(r.res));
			for (const p of ['/auth/google', '/auth/github', '/auth/google/callback', '/auth/github/callback']) {
				const h = await api.call('HEAD', p);
				assert.equal(h.status, 405, `HEAD ${p}`);
				assert.equal(h.headers.allow, 'GET');
			}
			assertError(await api.get('/auth/gitlab'), 404, 'not_found');
			assertError(await api.get('/auth/gitlab/callback?code=x&state=y'), 404, 'not_found');
			// Literal routes still win over /auth/{provider}.
			const login = await api.get('/auth/login');
			assert.equal(login.status, 405);
			assert.equal(login.headers.allow, 'POST');
		});
	});

	// ------------------------------------------------------------ the start's input

	describe('the start (§7.3)', () => {
		test('an unknown, repeated or invalid query parameter → invalid_request (a redirect, never JSON)', async () => {
			const bad = [
				'?foo=1',
				'?returnTo=/a&returnTo=/b',
				'?reactivate=true&reactivate=true',
				'?returnTo=//evil.example/x',
				'?returnTo=https://evil.example/',
				'?returnTo=relative/path',
				'?returnTo=/back%5Cslash',
				'?returnTo=',
				'?returnTo=/' + 'a'.repeat(512),
				'?reactivate=yes',
				'?link=1',
				'?returnTo=%ZZ',
				'?returnTo=/a%0Ab',
			];
			for (const q of bad) {
				const res = await begin('google', { query: q });
				assert.equal(errorOf(res), 'invalid_request', `GET /auth/google${q}`);
				assert.equal(stateCookie(res), undefined, `no crm_oauth for ${q}`);
			}
			const ok = await begin('github', { query: '?returnTo=/' + 'a'.repeat(511) + '&reactivate=false&link=false' });
			assert.equal(ok.status, 302);
			assert.ok(ok.headers.location.startsWith(`${P.github.url}/login/oauth/authorize?`), ok.headers.location);
		});

		test('link=true needs the accessToken cookie: none, a Bearer header only, or a revoked session → unauthenticated', async () => {
			assert.equal(errorOf(await begin('github', { query: '?link=true' })), 'unauthenticated');
			const s = await flows.session('lk');
			assert.equal(errorOf(await begin('github', { query: '?link=true', headers: { Authorization: `Bearer ${s.access}` } })), 'unauthenticated');
			assert.equal(errorOf(await begin('github', { query: '?link=true', cookies: { accessToken: 'garbage' } })), 'unauthenticated');
			assert.equal((await api.post('/auth/logout', { token: s.access })).status, 204);
			assert.equal(errorOf(await begin('github', { query: '?link=true', cookies: { accessToken: s.access } })), 'unauthenticated');
		});
	});

	// ------------------------------------------------------------ state

	describe('state (§7.3 step 1)', () => {
		test('a missing, altered, replayed or foreign state → invalid_state, with no session; the cookie is cleared on every callback', async () => {
			P.google.nextProfile(googleProfile());
			const a = await begin('google');
			const ca = stateCookie(a).value;
			const cbA = await authorize(a.headers.location);

			// No cookie at all.
			let r = await callback(cbA, null);
			assert.equal(errorOf(r), 'invalid_state');
			assertStateCleared(r);
			assertNoSession(r);
			// Altered cookie: a payload or tag character changed.
			for (const i of [3, ca.length - 3]) {
				const alt = ca.slice(0, i) + (ca[i] === 'A' ? 'B' : 'A') + ca.slice(i + 1);
				r = await callback(cbA, alt);
				assert.equal(errorOf(r), 'invalid_state', `altered at ${i}`);
			}
			// A cookie signed by someone else (a forged payload with a made-up tag).
			const forged = Buffer.from(JSON.stringify({ provider: 'google', state: 'x' })).toString('base64url') + '.' + 'A'.repeat(43);
			assert.equal(errorOf(await callback(cbA, forged)), 'invalid_state');
			// The query state changed, or missing.
			const u = new URL(cbA, api.origin);
			const st = u.searchParams.get('state');
			u.searchParams.set('state', st.slice(0, -1) + (st.endsWith('A') ? 'B' : 'A'));
			assert.equal(errorOf(await callback(u.href, ca)), 'invalid_state');
			u.searchParams.delete('state');
			assert.equal(errorOf(await callback(u.href, ca)), 'invalid_state');

			// Foreign state: another flow's cookie (its own valid signature, another state).
			P.google.nextProfile(googleProfile());
			const b = await begin('google');
			const cb = stateCookie(b).value;
			assert.equal(errorOf(await callback(cbA, cb)), 'invalid_state');
			// A GitHub flow's cookie on the Google callback.
			const g = await begin('github');
			assert.equal(errorOf(await callback(cbA, stateCookie(g).value)), 'invalid_state');

			// The real pair still works once (nothing above consumed the code)...
			r = await callback(cbA, ca);
			assert.equal(r.status, 302);
			assert.ok(cookieJar(r).accessToken, `the genuine callback signs in: ${r.headers.location}`);
			assertStateCleared(r);
			// ...and is not replayable: the browser no longer has the cookie, and an attacker who
			// kept it replays a used code, which the provider refuses.
			assert.equal(errorOf(await callback(cbA, null)), 'invalid_state');
			r = await callback(cbA, ca);
			assert.equal(errorOf(r), 'oauth_failed');
			assertNoSession(r);
		});

		test('repeated code, state or error → invalid_request; ?error=access_denied → access_denied; another provider error → oauth_failed', async () => {
			P.github.nextProfile(githubProfile());
			const s = await begin('github');
			const c = stateCookie(s).value;
			const cb = await authorize(s.headers.location);
			for (const extra of ['&code=again', '&state=again', '&error=x&error=y']) {
				const r = await callback(cb + extra, c);
				assert.equal(errorOf(r), 'invalid_request', extra);
				assertStateCleared(r);
			}
			const st = new URL(cb).searchParams.get('state');
			assert.equal(errorOf(await callback(`/api/v1/auth/github/callback?error=access_denied&state=${st}&error_description=The+user+said+no`, c)), 'access_denied');
			assert.equal(errorOf(await callback(`/api/v1/auth/github/callback?error=server_error&state=${st}`, c)), 'oauth_failed');
			assert.equal(errorOf(await callback(`/api/v1/auth/github/callback?state=${st}`, c)), 'invalid_request', 'no code');
			// An error from the provider without our state is a state failure first.
			assert.equal(errorOf(await callback('/api/v1/auth/github/callback?error=access_denied', null)), 'invalid_state');
		});
	});

	// ------------------------------------------------------------ PKCE

	describe('PKCE (§7.3 steps 1 and 3)', () => {
		test('a code redeemed with another flow\'s verifier is refused by the provider → oauth_failed; a token request without a verifier would be refused too', async () => {
			for (const provider of ['google', 'github']) {
				const profile = provider === 'google' ? googleProfile() : githubProfile();
				P[provider].nextProfile(profile);
				const a = await begin(provider);
				const ca = stateCookie(a).value;
				const stateA = new URL(await authorize(a.headers.location)).searchParams.get('state');
				P[provider].nextProfile(profile);
				const b = await begin(provider);
				const codeB = new URL(await authorize(b.headers.location)).searchParams.get('code');
				// Flow A's cookie and state, flow B's code: crm sends A's verifier for B's challenge.
				const r = await callback(`/api/v1/auth/${provider}/callback?code=${encodeURIComponent(codeB)}&state=${stateA}`, ca);
				assert.equal(errorOf(r), 'oauth_failed', provider);
				assertNoSession(r);
				// (oauth2-mock-server refuses the mismatch itself, before its hooks see the request.)
				if (provider === 'github') {
					const tr = P.github.tokenRequests.at(-1);
					assert.equal(tr.code, codeB);
					assert.ok(tr.code_verifier && s256(tr.code_verifier) !== P.github.flows.get(codeB).challenge, 'the verifier did not match B');
				}
			}
			// The providers here insist on the verifier: a client that omitted it gets nothing.
			P.github.nextProfile(githubProfile());
			const s = await begin('github');
			const code = new URL(await authorize(s.headers.location)).searchParams.get('code');
			const form = new URLSearchParams({ grant_type: 'authorization_code', code, client_id: GITHUB_CLIENT.id, client_secret: GITHUB_CLIENT.secret, redirect_uri: P.github.redirectUri });
			const res = await request(`${P.github.url}/login/oauth/access_token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body: form.toString() });
			assert.equal(res.json.error, 'bad_verification_code');
			assert.match(res.json.error_description, /code_verifier missing/);
		});
	});

	// ------------------------------------------------------------ ID tokens

	describe('Google ID token (§7.3 step 4)', () => {
		const now = () => Math.floor(Date.now() / 1000);
		const cases = [
			['a bad signature', { idToken: (t) => { const [h, p, s] = t.split('.'); return `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`; } }],
			['a payload changed after signing', { idToken: (t) => { const [h, , s] = t.split('.'); const { payload } = peekJwt(t); payload.sub = 'someone-else'; return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`; } }],
			['alg none', { idToken: (t) => { const { header, payload } = peekJwt(t); return signJwt({ ...header, alg: 'none' }, payload); } }],
			['HS256 keyed with the client secret', { idToken: (t) => { const { header, payload } = peekJwt(t); return signJwt({ ...header, alg: 'HS256' }, payload, { hmacSecret: GOOGLE_CLIENT.secret }); } }],
			['a key that is not in the JWKS', { idToken: (t, g) => { const { payload } = peekJwt(t); const jwk = g.foreignKey; return signJwt({ alg: 'RS256', typ: 'JWT', kid: jwk.kid }, payload, { jwk }); } }],
			['a wrong iss', { claims: { iss: 'https://accounts.evil.example' } }],
			['a wrong aud', { claims: { aud: 'someone-elses-client' } }],
			['no nonce', { claims: { nonce: null } }],
			['a wrong nonce', { claims: { nonce: 'not-the-nonce-of-this-flow' } }],
			['an expired token', { claims: { exp: now() - 120, iat: now() - 3720 } }],
			['an iat in the future', { claims: { iat: now() + 600, exp: now() + 4200 } }],
			['no sub', { claims: { sub: null } }],
			['no id_token at all', { tokenBody: { access_token: 'ya29.x', token_type: 'Bearer', expires_in: 3600 } }],
			['a token endpoint answering 500', { tokenStatus: 500, tokenBody: { error: 'internal' } }],
			['a token endpoint answering an error', { tokenStatus: 400, tokenBody: { error: 'invalid_grant' } }],
		];

		before(async () => {
			// A second RSA key the provider does not publish.
			const crypto = await import('node:crypto');
			const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
			P.google.foreignKey = { ...privateKey.export({ format: 'jwk' }), kid: 'not-published', alg: 'RS256' };
		});

		for (const [name, shape] of cases) {
			test(`${name} → oauth_failed, no account, no session`, async () => {
				const profile = googleProfile(shape);
				const r = await signIn('google', profile);
				assert.equal(errorOf(r.res), 'oauth_failed');
				assertNoSession(r.res);
				assertStateCleared(r.res);
				// Nothing was created: the same identity signing in properly gets a new account
				// whose address is still free.
				const ok = await signedIn('google', { sub: profile.sub, email: profile.email, given_name: 'Fresh' });
				assert.equal(ok.me.firstName, 'Fresh');
				assert.equal(ok.me.email, profile.email);
			});
		}

		test('iss "accounts.google.com" is not accepted when GOOGLE_ISSUER is not Google\'s default; a token within the 30 s leeway is', async () => {
			const r = await signIn('google', googleProfile({ claims: { iss: 'accounts.google.com' } }));
			assert.equal(errorOf(r.res), 'oauth_failed');
			await signedIn('google', googleProfile({ claims: { exp: now() - 10 } }));
		});
	});

	// ------------------------------------------------------------ linking

	describe('linking from a session (§7.3 step 5)', () => {
		test('link=true links the identity to the signed-in user without a new session, mails a notice, and that identity then signs the user in', async () => {
			const s = await flows.session('lnk');
			const before = await api.get('/me/sessions', { token: s.access });
			const profile = githubProfile();
			const r = await signIn('github', profile, { query: '?link=true&returnTo=/settings/security', cookies: { accessToken: s.access } });
			assert.equal(r.res.status, 302, show(r.res));
			assert.equal(r.res.headers.location, `${FRONTEND}/settings/security`);
			assertNoSession(r.res);
			assertStateCleared(r.res);
			const m = await api.get('/me', { token: s.access });
			assert.deepEqual(m.json.data.linkedProviders, ['github']);
			assert.equal(m.json.data.hasPassword, true);
			const after = await api.get('/me/sessions', { token: s.access });
			assert.equal(after.json.data.length, before.json.data.length, 'no session opened by linking');
			const mail = await flows.waitMail(s.ident.email, LINKED_SUBJECT.github);
			assert.ok(mail.decoded.text.includes('GitHub'), mail.decoded.text);
			assert.ok(mail.decoded.text.includes('127.0.0.1'), 'the notice names the address');

			const again = await signedIn('github', profile);
			assert.equal(again.me.id, s.me.id, 'the linked identity signs the owner in');
			const login = await flows.login(s.ident);
			assert.equal(login.me.id, s.me.id, 'the password still works');

			// Linking the same identity again changes nothing and still succeeds.
			const same = await signIn('github', profile, { query: '?link=true', cookies: { accessToken: s.access } });
			assert.equal(same.res.headers.location, `${FRONTEND}/`);
			assert.equal(flows.mails(s.ident.email, LINKED_SUBJECT.github).length, 1, 'no second notice');
		});

		test('the provider e-mail need not match or be verified when linking', async () => {
			const s = await flows.session('lnk2');
			const r = await signIn('google', googleProfile({ email: 'someone.else@example.org', email_verified: false }), { query: '?link=true', cookies: { accessToken: s.access } });
			assert.equal(r.res.headers.location, `${FRONTEND}/`, show(r.res));
			const m = await api.get('/me', { token: s.access });
			assert.deepEqual(m.json.data.linkedProviders, ['google']);
			assert.equal(m.json.data.email, s.ident.email);
		});

		test('an identity linked to another user → identity_in_use; another identity of the same provider → identity_conflict; a session revoked meanwhile → unauthenticated', async () => {
			const owner = await flows.session('own');
			const other = await flows.session('oth');
			const profile = githubProfile();
			const linked = await signIn('github', profile, { query: '?link=true', cookies: { accessToken: owner.access } });
			assert.equal(linked.res.headers.location, `${FRONTEND}/`);

			const inUse = await signIn('github', profile, { query: '?link=true', cookies: { accessToken: other.access } });
			assert.equal(errorOf(inUse.res), 'identity_in_use');
			assertNoSession(inUse.res);
			// An OAuth-created account's identity cannot be taken over by linking either.
			const gp = googleProfile();
			const oauthUser = await signedIn('google', gp);
			const takeover = await signIn('google', gp, { query: '?link=true', cookies: { accessToken: other.access } });
			assert.equal(errorOf(takeover.res), 'identity_in_use');
			const ids = await api.get('/me/identities', { token: oauthUser.jar.accessToken });
			assert.equal(ids.json.data.length, 1);

			const conflict = await signIn('github', githubProfile(), { query: '?link=true', cookies: { accessToken: owner.access } });
			assert.equal(errorOf(conflict.res), 'identity_conflict');
			const m = await api.get('/me', { token: owner.access });
			assert.deepEqual(m.json.data.linkedProviders, ['github']);
			const m2 = await api.get('/me', { token: other.access });
			assert.deepEqual(m2.json.data.linkedProviders, []);

			// The session recorded in the state is revoked before the callback.
			const s = await flows.session('rev');
			P.google.nextProfile(googleProfile());
			const start = await begin('google', { query: '?link=true', cookies: { accessToken: s.access } });
			const cb = await authorize(start.headers.location);
			assert.equal((await api.post('/auth/logout', { token: s.access })).status, 204);
			const r = await callback(cb, stateCookie(start).value);
			assert.equal(errorOf(r), 'unauthenticated');
			assertNoSession(r);
		});
	});

	// ------------------------------------------------------------ deactivation

	describe('deactivated accounts (§3.9, §7.3 step 5)', () => {
		test('a deactivated account → account_inactive; with reactivate=true it is reactivated and signed in', async () => {
			const profile = googleProfile();
			const r = await signedIn('google', profile);
			const d = await api.patch('/me/status', { token: r.jar.accessToken, body: { active: false } });
			assert.equal(d.status, 200, show(d));
			const refused = await signIn('google', profile);
			assert.equal(errorOf(refused.res), 'account_inactive');
			assertNoSession(refused.res);
			const back = await signedIn('google', profile, { query: '?reactivate=true' });
			assert.equal(back.me.id, r.me.id);
			assert.equal(back.me.active, true);
		});
	});

	// ------------------------------------------------------------ provider failures

	describe('provider failures (§7.3 steps 3–4, §17 timeouts)', () => {
		for (const [name, fail] of [
			['the token endpoint answering 500', { token: 500 }],
			['the token endpoint closing the connection', { token: 'close' }],
			['/user answering 500', { user: 500 }],
			['/user/emails answering 503', { emails: 503 }],
		]) {
			test(`GitHub: ${name} → oauth_failed at once, no session`, async () => {
				const t0 = Date.now();
				const r = await signIn('github', githubProfile({ fail }));
				assert.equal(errorOf(r.res), 'oauth_failed');
				assertNoSession(r.res);
				assert.ok(Date.now() - t0 < 5000, `answered in ${Date.now() - t0} ms`);
			});
		}

		test('GitHub: /user never answering → oauth_failed after the 10 s total timeout, and the server keeps serving meanwhile', { timeout: 40000 }, async () => {
			P.github.nextProfile(githubProfile({ fail: { user: 'hang' } }));
			const start = await begin('github');
			const cb = await authorize(start.headers.location);
			const u = new URL(cb, api.origin);
			const t0 = Date.now();
			const pending = request(`${api.origin}${u.pathname}${u.search}`, { headers: { Cookie: `crm_oauth=${stateCookie(start).value}` }, timeoutMs: 30000 });
			await new Promise((r) => setTimeout(r, 500));
			const h = await request(`${api.origin}/api/v1/health`, { timeoutMs: 3000 });
			assert.equal(h.status, 200, 'other requests are served while the callback waits');
			const res = await pending;
			const took = Date.now() - t0;
			assert.equal(errorOf(res), 'oauth_failed');
			assertNoSession(res);
			assert.ok(took >= 9000 && took < 16000, `answered after ${took} ms`);
		});

		test('providers down (closed ports: GitHub\'s token endpoint, Google\'s JWKS) → oauth_failed quickly; an unconfigured provider → provider_not_configured', async () => {
			const dead = await closedPort();
			const down = await startServer({
				env: P.env({
					FRONTEND_URL: FRONTEND,
					GOOGLE_JWKS_URL: `http://127.0.0.1:${dead}/jwks`,
					GITHUB_TOKEN_URL: `http://127.0.0.1:${dead}/login/oauth/access_token`,
					RATE_LIMIT_ANON_MAX: 100000,
				}),
			});
			const none = await startServer({ env: { FRONTEND_URL: FRONTEND, RATE_LIMIT_ANON_MAX: 100000 } });
			try {
				const origin = `http://localhost:${down.port}`;
				for (const provider of ['google', 'github']) {
					P[provider].redirectUri = null; // this server has its own callback URL
					P[provider].nextProfile(provider === 'google' ? googleProfile() : githubProfile());
					const start = await request(`${origin}/api/v1/auth/${provider}`);
					assert.equal(start.status, 302);
					const sc = stateCookie(start).value;
					const cb = new URL(await authorize(start.headers.location));
					const t0 = Date.now();
					const r = await request(`${origin}${cb.pathname}${cb.search}`, { headers: { Cookie: `crm_oauth=${sc}` } });
					assert.equal(errorOf(r), 'oauth_failed', provider);
					assertNoSession(r);
					assert.ok(Date.now() - t0 < 6000, `${provider}: answered in ${Date.now() - t0} ms`);
				}
				const nOrigin = `http://localhost:${none.port}`;
				for (const p of ['/api/v1/auth/google', '/api/v1/auth/github?returnTo=/x', '/api/v1/auth/github/callback?code=a&state=b']) {
					const r = await request(`${nOrigin}${p}`);
					assert.equal(errorOf(r), 'provider_not_configured', p);
				}
			} finally {
				P.google.redirectUri = `${api.origin}/api/v1/auth/google/callback`;
				P.github.redirectUri = `${api.origin}/api/v1/auth/github/callback`;
				await stopChecked(down);
				await stopChecked(none);
			}
		});
	});

	// ------------------------------------------------------------ password-less accounts

	describe('password-less accounts (§7.2, §8) and linked identities', () => {
		test('an OAuth account sets a password through forgot/reset, then logs in with it; its Me says hasPassword', async () => {
			const r = await signedIn('github', githubProfile());
			const email = r.me.email;
			const pw = await api.patch('/me/password', { token: r.jar.accessToken, body: { currentPassword: 'whatever-it-is', newPassword: strongPassword() } });
			assertError(pw, 409, 'conflict');
			const f = await api.post('/auth/password/forgot', { body: { email } });
			assert.equal(f.status, 202);
			const token = await flows.resetToken(email);
			const password = strongPassword();
			assert.equal((await api.post('/auth/password/reset', { body: { token, newPassword: password } })).status, 204);
			const s = await flows.login({ email, password });
			assert.equal(s.me.id, r.me.id);
			assert.equal(s.me.hasPassword, true);
			assert.deepEqual(s.me.linkedProviders, ['github']);
		});

		test('identities are listed and unlinked only while another way to sign in remains', async () => {
			const g = googleProfile();
			const r = await signedIn('google', g);
			const tok = r.jar.accessToken;
			// The only way in: refused.
			const last = await api.delete('/me/identities/google', { token: tok });
			assertError(last, 409, 'conflict');
			assertError(await api.delete('/me/identities/github', { token: tok }), 404, 'not_found');
			assertError(await api.delete('/me/identities/gitlab', { token: tok }), 404, 'not_found');
			assertError(await api.delete('/me/identities/google', {}), 401, 'unauthenticated');
			// Cookie-authenticated DELETE from a foreign origin is refused (§3.6).
			assertError(await api.delete('/me/identities/google', { cookies: { accessToken: tok }, origin: 'http://evil.example' }), 403, 'origin_not_allowed');

			// Link GitHub too: now Google can go.
			const h = githubProfile();
			const l = await signIn('github', h, { query: '?link=true', cookies: { accessToken: tok } });
			assert.equal(l.res.headers.location, `${FRONTEND}/`);
			const list = await api.get('/me/identities', { token: tok });
			assert.deepEqual(list.json.data.map((i) => i.provider), ['github', 'google']);
			for (const i of list.json.data) assert.deepEqual(Object.keys(i).sort(), ['createdAt', 'email', 'lastLoginAt', 'provider']);
			const head = await api.call('HEAD', '/me/identities', { token: tok });
			assert.equal(head.status, 200);
			assert.equal((await api.delete('/me/identities/google', { token: tok })).status, 204);
			const m = await api.get('/me', { token: tok });
			assert.deepEqual(m.json.data.linkedProviders, ['github']);
			// The unlinked Google identity is free again: it now creates a new account... whose
			// address is taken by this one, so it answers account_exists.
			assert.equal(errorOf((await signIn('google', g)).res), 'account_exists');
			// GitHub is the last way in now.
			assertError(await api.delete('/me/identities/github', { token: tok }), 409, 'conflict');

			// With a password, the last identity may go too.
			await api.post('/auth/password/forgot', { body: { email: r.me.email } });
			const token = await flows.resetToken(r.me.email);
			const password = strongPassword();
			assert.equal((await api.post('/auth/password/reset', { body: { token, newPassword: password } })).status, 204);
			const s = await flows.login({ email: r.me.email, password });
			assert.equal((await api.delete('/me/identities/github', { token: s.access })).status, 204);
			const ids = await api.get('/me/identities', { token: s.access });
			assert.deepEqual(ids.json.data, []);
		});

		test('DELETE /me of a password-less account works within 10 minutes of the OAuth sign-in and answers 403 reauthentication_required after', async () => {
			const fresh = await signedIn('github', githubProfile());
			const d = await api.delete('/me', { token: fresh.jar.accessToken, body: {} });
			assert.equal(d.status, 204, show(d));
			assert.equal((await me(fresh.jar)).status, 401);

			const old = await signedIn('google', googleProfile());
			const sid = decodeJwt(old.jar.accessToken).payload.sid;
			ageSession(sid, 11 * 60 * 1000);
			assertError(await api.delete('/me', { token: old.jar.accessToken, body: {} }), 403, 'reauthentication_required');
			// A fresh sign-in is the proof: with its session the deletion goes through.
			const again = await signedIn('google', { sub: peekSub(old), email: old.me.email });
			assert.equal(again.me.id, old.me.id);
			const d2 = await api.delete('/me', { token: again.jar.accessToken, body: {} });
			assert.equal(d2.status, 204, show(d2));
		});
	});

	// ------------------------------------------------------------ logs

	describe('logs (§13.6)', () => {
		test('the OAuth security events are logged; no client secret, code, verifier or provider token is', () => {
			const lines = S.srv.logs();
			const events = new Set(lines.filter((l) => l && l.msg === 'security event').map((l) => l.event));
			for (const e of ['auth.oauth_login', 'auth.oauth_linked', 'auth.oauth_failed', 'auth.oauth_unlinked']) {
				assert.ok(events.has(e), `a ${e} line was logged`);
			}
			const text = S.srv.stdout() + S.srv.stderr();
			for (const secret of [GOOGLE_CLIENT.secret, GITHUB_CLIENT.secret]) assert.ok(!text.includes(secret), 'no client secret in the logs');
			for (const code of [...P.google.flows.keys(), ...P.github.flows.keys()]) assert.ok(!text.includes(code), `no authorization code in the logs (${code})`);
			for (const tr of [...P.google.tokenRequests, ...P.github.tokenRequests]) {
				if (tr.code_verifier) assert.ok(!text.includes(tr.code_verifier), 'no PKCE verifier in the logs');
			}
			assert.ok(!/gho_[0-9a-f]{24}/.test(text), 'no provider access token in the logs');
			assert.ok(!/crm_oauth=/.test(text), 'no state cookie in the logs');
		});
	});

	// The Google sub of a signed-in result (from the flow's recorded profile).
	function peekSub(r) {
		const code = new URL(r.callbackUrl, api.origin).searchParams.get('code');
		return P.google.flows.get(code).profile.sub;
	}
});

