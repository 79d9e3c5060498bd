// OAuth providers on loopback for the sign-in tests (SPEC §7.3): a real OpenID Connect provider
// acting as Google (the npm package oauth2-mock-server, pinned in package-lock.json: RS256 keys,
// JWKS, authorize and token endpoints, its hooks used to shape each ID token), and a small
// node:http stub acting as GitHub (authorize, token endpoint, /user, /user/emails). Both are
// strict the way real providers are: the client id, secret and redirect_uri must match, codes
// work once, and the PKCE code_verifier must be present and match the S256 challenge sent to
// authorize. Every token request is recorded for assertions. Nothing here touches the network
// beyond 127.0.0.1.
import crypto from 'node:crypto';
import http from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';
import { freePort } from './ports.mjs';

export const GOOGLE_CLIENT = { id: 'google-client-id.apps.test', secret: 'google-client-secret-test' };
export const GITHUB_CLIENT = { id: 'github-client-id-test', secret: 'github-client-secret-test' };

export const b64url = (buf) => Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
export const s256 = (verifier) => b64url(crypto.createHash('sha256').update(verifier).digest());

/** Reads a request body (form-encoded) into an object. */
function readForm(req) {
	return new Promise((resolve) => {
		let data = '';
		req.on('data', (c) => (data += c));
		req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(data))));
	});
}

function sendJson(res, status, body) {
	const text = JSON.stringify(body);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
	res.end(text);
}

/** Checks a token request the way a strict provider does; returns an error string or null. */
function checkTokenRequest(body, client, redirectUri, flows) {
	if (body.grant_type !== 'authorization_code') return 'unsupported_grant_type';
	if (body.client_id !== client.id || body.client_secret !== client.secret) return 'invalid_client';
	const flow = flows.get(body.code);
	if (!flow) return 'invalid_grant: unknown code';
	if (flow.used) return 'invalid_grant: code already used';
	flow.used = true;
	if (body.redirect_uri !== flow.redirectUri || (redirectUri && body.redirect_uri !== redirectUri)) return 'invalid_grant: redirect_uri';
	if (!body.code_verifier) return 'invalid_grant: code_verifier missing';
	if (flow.method !== 'S256' || s256(body.code_verifier) !== flow.challenge) return 'invalid_grant: code_verifier does not match';
	return null;
}

/**
 * Google: an oauth2-mock-server on 127.0.0.1 with one RS256 key. Shape the next sign-in with
 * nextProfile(profile): {sub, email, email_verified, given_name, family_name, name, claims
 * (extra or overriding ID-token claims; null deletes one), idToken(token, keys) → replacement
 * token, tokenStatus / tokenBody (the token endpoint's answer)}.
 */
async function startGoogle() {
	const port = await freePort();
	const server = new OAuth2Server();
	await server.issuer.keys.generate('RS256');
	await server.start(port, '127.0.0.1');
	const url = `http://127.0.0.1:${port}`;
	server.issuer.url = url; // the issuer the ID tokens carry
	const flows = new Map(); // code → {challenge, method, redirectUri, nonce, profile, used}
	const tokenRequests = [];
	let pending = null;
	const g = {
		url,
		port,
		issuer: url,
		server,
		flows,
		tokenRequests,
		redirectUri: null, // set by the test: BASE_URL/api/v1/auth/google/callback
		nextProfile(p) {
			pending = p;
		},
		/** The mock's signing key as a JWK with its private part (to sign tokens by hand). */
		signingKey() {
			return server.issuer.keys.toJSON(true)[0];
		},
	};
	const svc = server.service;
	svc.on('beforeAuthorizeRedirect', (redirect, req) => {
		const code = redirect.url.searchParams.get('code');
		if (!code) return;
		flows.set(code, {
			challenge: req.query.code_challenge,
			method: req.query.code_challenge_method,
			redirectUri: req.query.redirect_uri,
			nonce: req.query.nonce,
			query: { ...req.query },
			profile: pending || {},
			used: false,
		});
		pending = null;
	});
	svc.on('beforeTokenSigning', (token, req) => {
		if (!('aud' in token.payload)) return; // the access token: left as the mock makes it
		const flow = flows.get(req.body?.code);
		const p = flow?.profile || {};
		Object.assign(token.payload, {
			sub: p.sub ?? 'sub-default',
			email: p.email,
			email_verified: p.email_verified ?? true,
			given_name: p.given_name,
			family_name: p.family_name,
			name: p.name,
		});
		for (const [k, v] of Object.entries(p.claims || {})) {
			if (v === null) delete token.payload[k];
			else token.payload[k] = v;
		}
		for (const k of Object.keys(token.payload)) if (token.payload[k] === undefined) delete token.payload[k];
	});
	svc.on('beforeResponse', (response, req) => {
		const body = req.body || {};
		tokenRequests.push({ ...body });
		const err = checkTokenRequest(body, GOOGLE_CLIENT, g.redirectUri, flows);
		if (err) {
			response.statusCode = 400;
			response.body = { error: 'invalid_grant', error_description: err };
			return;
		}
		const p = flows.get(body.code)?.profile || {};
		if (p.tokenStatus) response.statusCode = p.tokenStatus;
		if (p.tokenBody) response.body = p.tokenBody;
		else if (p.idToken && response.body.id_token) response.body.id_token = p.idToken(response.body.id_token, g);
	});
	return g;
}

/**
 * GitHub: a node:http stub with /login/oauth/authorize, /login/oauth/access_token and the API
 * under /api (/user, /user/emails). nextProfile(p): {id, login, name, emails: [{email, primary,
 * verified}], fail: {token|user|emails: status | 'hang' | 'close'}}.
 */
async function startGitHub() {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const flows = new Map(); // code → {...}
	const tokens = new Map(); // access token → profile
	const tokenRequests = [];
	const apiRequests = [];
	const hung = new Set();
	let pending = null;
	const gh = { url, port, flows, tokenRequests, apiRequests, redirectUri: null };
	gh.nextProfile = (p) => {
		pending = p;
	};
	const misbehave = (res, how) => {
		if (how === 'hang') {
			hung.add(res);
			return true;
		}
		if (how === 'close') {
			res.socket.destroy();
			return true;
		}
		if (typeof how === 'number') {
			sendJson(res, how, { message: 'Server Error' });
			return true;
		}
		return false;
	};
	const server = http.createServer(async (req, res) => {
		const u = new URL(req.url, url);
		if (req.method === 'GET' && u.pathname === '/login/oauth/authorize') {
			const q = Object.fromEntries(u.searchParams);
			const code = crypto.randomBytes(10).toString('hex');
			flows.set(code, {
				challenge: q.code_challenge,
				method: q.code_challenge_method,
				redirectUri: q.redirect_uri,
				query: q,
				profile: pending || {},
				used: false,
			});
			pending = null;
			if (q.client_id !== GITHUB_CLIENT.id) return sendJson(res, 400, { error: 'unknown client' });
			const back = new URL(q.redirect_uri);
			back.searchParams.set('code', code);
			if (q.state) back.searchParams.set('state', q.state);
			res.writeHead(302, { Location: back.href });
			return res.end();
		}
		if (req.method === 'POST' && u.pathname === '/login/oauth/access_token') {
			const body = await readForm(req);
			tokenRequests.push({ ...body, accept: req.headers.accept });
			const flow = flows.get(body.code);
			if (flow && misbehave(res, flow.profile.fail?.token)) return;
			const err = checkTokenRequest(body, GITHUB_CLIENT, gh.redirectUri, flows);
			// GitHub answers 200 with an error member for a bad code or verifier.
			if (err) return sendJson(res, 200, { error: 'bad_verification_code', error_description: err });
			const token = `gho_${crypto.randomBytes(12).toString('hex')}`;
			tokens.set(token, flow.profile);
			return sendJson(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
		}
		if (req.method === 'GET' && (u.pathname === '/api/user' || u.pathname === '/api/user/emails')) {
			const auth = req.headers.authorization || '';
			apiRequests.push({ path: u.pathname, authorization: auth, accept: req.headers.accept, userAgent: req.headers['user-agent'] });
			const p = tokens.get(auth.replace(/^(Bearer|token) /, ''));
			if (!p) return sendJson(res, 401, { message: 'Bad credentials' });
			if (u.pathname === '/api/user') {
				if (misbehave(res, p.fail?.user)) return;
				return sendJson(res, 200, { id: p.id, login: p.login, name: p.name ?? null, email: null });
			}
			if (misbehave(res, p.fail?.emails)) return;
			return sendJson(res, 200, p.emails || []);
		}
		sendJson(res, 404, { message: 'Not Found' });
	});
	await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
	gh.stop = () =>
		new Promise((resolve) => {
			for (const r of hung) r.socket?.destroy();
			server.closeAllConnections?.();
			server.close(() => resolve());
		});
	return gh;
}

/**
 * Starts both providers. Resolves {google, github, env(), stop()}: env() gives the crm settings
 * that point Google and GitHub sign-in at them.
 */
export async function startOAuthProviders() {
	const google = await startGoogle();
	let github;
	try {
		github = await startGitHub();
	} catch (e) {
		await google.server.stop();
		throw e;
	}
	return {
		google,
		github,
		env(overrides = {}) {
			return {
				GOOGLE_CLIENT_ID: GOOGLE_CLIENT.id,
				GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT.secret,
				GOOGLE_AUTH_URL: `${google.url}/authorize`,
				GOOGLE_TOKEN_URL: `${google.url}/token`,
				GOOGLE_JWKS_URL: `${google.url}/jwks`,
				GOOGLE_ISSUER: google.issuer,
				GITHUB_CLIENT_ID: GITHUB_CLIENT.id,
				GITHUB_CLIENT_SECRET: GITHUB_CLIENT.secret,
				GITHUB_AUTH_URL: `${github.url}/login/oauth/authorize`,
				GITHUB_TOKEN_URL: `${github.url}/login/oauth/access_token`,
				GITHUB_API_URL: `${github.url}/api`,
				...overrides,
			};
		},
		async stop() {
			await Promise.allSettled([google.server.stop(), github.stop()]);
		},
	};
}

/** Signs an ID token by hand: header and payload objects, with a JWK private key (RS256) or an
 * HMAC secret (HS256), or no signature at all (alg none). */
export function signJwt(header, payload, { jwk, hmacSecret } = {}) {
	const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
	if (header.alg === 'none') return `${signing}.`;
	if (hmacSecret) return `${signing}.${b64url(crypto.createHmac('sha256', hmacSecret).update(signing).digest())}`;
	const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
	return `${signing}.${b64url(crypto.sign('sha256', Buffer.from(signing), key))}`;
}

/** Decodes a JWT's header and payload without checking anything. */
export function peekJwt(token) {
	const [h, p] = token.split('.');
	const dec = (s) => JSON.parse(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
	return { header: dec(h), payload: dec(p) };
}
