// Helpers for the contact tests (SPEC §9): a server with email verification off and rate limits
// raised (the tests send many requests from one address), users registered and logged in through
// the API, a small client bound to one user's token, and the Contact object's shape.
import assert from 'node:assert/strict';
import { startServer, stopChecked, ISO_MS } from './server.mjs';
import { Api, newIdentity, show } from './accounts.mjs';

export const CONTACT_KEYS = [
	'id', 'firstName', 'lastName', 'email', 'phone', 'address', 'company', 'jobRole', 'birthday',
	'customFields', 'tags', 'lastContacted', 'createdAt', 'updatedAt',
];
export const TAG_KEYS = ['id', 'name', 'contactCount', 'createdAt', 'updatedAt'];
export const REL_KEYS = ['id', 'contactId', 'relatedContactId', 'relatedContact', 'type', 'label', 'inverseId', 'createdAt'];

/** Starts a server for the contact tests; env adds or overrides variables. */
export async function startContactsServer(env = {}) {
	const srv = await startServer({
		env: {
			REQUIRE_EMAIL_VERIFICATION: 'false',
			RATE_LIMIT_AUTH_MAX: 1000000,
			RATE_LIMIT_ANON_MAX: 1000000,
			RATE_LIMIT_MAX: 1000000,
			RATE_LIMIT_MAX_PREMIUM: 1000000,
			...env,
		},
	});
	const api = new Api(srv);
	return { srv, api, stop: () => stopChecked(srv) };
}

/** A client for one user: get/post/patch/delete with the user's token. */
export class UserClient {
	constructor(api, ident, token) {
		this.api = api;
		this.ident = ident;
		this.token = token;
	}
	get(p, o = {}) { return this.api.get(p, { token: this.token, ...o }); }
	post(p, body, o = {}) { return this.api.post(p, { token: this.token, body, ...o }); }
	patch(p, body, o = {}) { return this.api.patch(p, { token: this.token, body, ...o }); }
	delete(p, o = {}) { return this.api.delete(p, { token: this.token, ...o }); }

	/** POST /contacts expecting 201; resolves the Contact. */
	async create(body) {
		const r = await this.post('/contacts', body);
		assert.equal(r.status, 201, show(r));
		return r.json.data;
	}

	/** GET /contacts?<query> expecting 200; resolves the body {data, page}. */
	async list(query = '') {
		const r = await this.get(`/contacts${query ? '?' + query : ''}`);
		assert.equal(r.status, 200, show(r));
		return r.json;
	}

	/** Every page of a listing, following nextCursor; resolves the items in order. */
	async listAll(query = '', limit = 100) {
		const items = [];
		let cursor = null;
		for (let i = 0; i < 1000; i++) {
			const q = [query, `limit=${limit}`, cursor ? `cursor=${cursor}` : ''].filter(Boolean).join('&');
			const body = await this.list(q);
			items.push(...body.data);
			if (!body.page.hasMore) {
				assert.equal(body.page.nextCursor, null);
				return items;
			}
			cursor = body.page.nextCursor;
		}
		throw new Error('too many pages');
	}
}

/** Registers and logs in a fresh user; resolves a UserClient. */
export async function newUser(api, tag = 'c') {
	const ident = newIdentity(tag);
	const r = await api.post('/auth/register', { body: { email: ident.email, password: ident.password, firstName: ident.firstName } });
	assert.equal(r.status, 202, show(r));
	const l = await api.post('/auth/login', { body: { email: ident.email, password: ident.password } });
	assert.equal(l.status, 200, show(l));
	return new UserClient(api, ident, l.json.data.accessToken);
}

/** Asserts the Contact object of §9.1: exactly its keys in order, types, timestamps. */
export function assertContact(c, { feed = false } = {}) {
	const keys = feed ? [...CONTACT_KEYS, 'deleted'] : CONTACT_KEYS;
	assert.deepEqual(Object.keys(c), keys, `Contact keys in order: ${JSON.stringify(c)}`);
	assert.ok(Number.isSafeInteger(c.id) && c.id > 0);
	assert.equal(typeof c.firstName, 'string');
	assert.ok(c.customFields && typeof c.customFields === 'object' && !Array.isArray(c.customFields));
	assert.deepEqual(Object.keys(c.customFields), Object.keys(c.customFields).sort(), 'customFields keys sorted');
	assert.ok(Array.isArray(c.tags));
	for (const t of c.tags) assert.deepEqual(Object.keys(t), ['id', 'name']);
	assert.match(c.createdAt, ISO_MS);
	assert.match(c.updatedAt, ISO_MS);
	assert.ok(c.lastContacted === null || ISO_MS.test(c.lastContacted));
	if (feed) assert.equal(c.deleted, false);
}
