// Helpers for the notes and interactions API tests (SPEC §10): a server with a pool of verified
// users, logged-in sessions, contacts created through POST /contacts, the exact object keys,
// and a walker that follows nextCursor through every page of a listing.
import assert from 'node:assert/strict';
import { startAccountsServer, UserPool, show } from './accounts.mjs';

export const NOTE_KEYS = ['id', 'contactId', 'title', 'content', 'createdAt', 'updatedAt'];
export const INTERACTION_KEYS = ['id', 'contactId', 'type', 'occurredAt', 'notes', 'durationMinutes', 'createdAt', 'updatedAt'];
export const TOMBSTONE_KEYS = ['deleted', 'id', 'updatedAt'];
export const PAGE_KEYS = ['hasMore', 'limit', 'nextCursor'];

/** A server for one test file with `users` verified users ready: {S, api, pool, session(), stop()}. */
export async function startTimeline({ tag = 'tl', users = 4 } = {}) {
	const S = await startAccountsServer();
	const pool = new UserPool(S.flows, { tag });
	await pool.fill(users);
	return {
		S,
		api: S.api,
		pool,
		/** A fresh logged-in user: {token, me, ident}. */
		async session() {
			const s = await pool.session();
			return { token: s.access, me: s.me, ident: s.ident };
		},
		stop: () => S.stop(),
	};
}

/** POST /contacts as token; resolves the Contact object. */
export async function createContact(api, token, firstName = 'Ann', extra = {}) {
	const res = await api.post('/contacts', { token, body: { firstName, ...extra } });
	assert.equal(res.status, 201, `creating a contact needs POST /contacts (§9.1): ${show(res)}`);
	return res.json.data;
}

/** GET /contacts/{id}; resolves the Contact object. */
export async function getContact(api, token, id) {
	const res = await api.get(`/contacts/${id}`, { token });
	assert.equal(res.status, 200, show(res));
	return res.json.data;
}

/** Follows nextCursor from `path` (which may carry a query) until hasMore is false; resolves
 * {items, pages}. Every page is checked for the §1.3 page shape. */
export async function listAll(api, token, path, { maxPages = 100 } = {}) {
	const items = [];
	const pages = [];
	let cursor = null;
	for (let i = 0; i < maxPages; i++) {
		const sep = path.includes('?') ? '&' : '?';
		const res = await api.get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path, { token });
		assert.equal(res.status, 200, show(res));
		const { data, page } = res.json;
		assert.ok(Array.isArray(data), show(res));
		assertPage(page, res);
		items.push(...data);
		pages.push(res.json);
		if (!page.hasMore) return { items, pages };
		cursor = page.nextCursor;
	}
	throw new Error(`more than ${maxPages} pages from ${path}`);
}

/** The page object of §1.3: nextCursor null exactly when hasMore is false. */
export function assertPage(page, res) {
	assert.ok(page && typeof page === 'object', `page: ${show(res)}`);
	const keys = Object.keys(page).filter((k) => k !== 'total').sort();
	assert.deepEqual(keys, PAGE_KEYS, `page keys: ${JSON.stringify(page)}`);
	assert.equal(page.hasMore, page.nextCursor !== null, `nextCursor null exactly when hasMore is false: ${JSON.stringify(page)}`);
	if (page.nextCursor !== null) {
		assert.match(page.nextCursor, /^[A-Za-z0-9_-]+$/);
		assert.ok(page.nextCursor.length <= 512);
	}
}

/** Resolves after the wall clock has moved on by at least ms (write times are in ms). */
export const tick = (ms = 3) => new Promise((r) => setTimeout(r, ms));

/** ISO string of a time ms milliseconds from now. */
export const isoFromNow = (ms) => new Date(Date.now() + ms).toISOString();
