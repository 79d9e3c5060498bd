// Helpers for the tests of the v1 compatibility routes C1–C11, N1–N5 and I1–I5 (SPEC §15): the
// V1Contact, V1Note, V1Interaction and V1Pagination shapes, the compat success and error checks
// (`status` in every body), users with their id, and the request bodies that must be refused as
// ids (§15.1).
import assert from 'node:assert/strict';
import { ISO_MS, JSON_CT } from './server.mjs';
import { assertError, show } from './accounts.mjs';
import { startContactsServer, newUser } from './contacts.mjs';

export const V1_CONTACT_KEYS = [
	'id', 'firstName', 'lastName', 'email', 'phone', 'address', 'company', 'jobRole', 'customFields',
	'lastContacted', 'createdAt', 'updatedAt', 'userId', 'birthday', 'tags',
];
export const V1_NOTE_KEYS = ['id', 'contactId', 'userId', 'title', 'content', 'createdAt', 'updatedAt'];
export const V1_INTERACTION_KEYS = ['id', 'contactId', 'userId', 'type', 'occuredAt', 'notes', 'durationMinutes', 'createdAt', 'updatedAt'];
export const V1_PAGINATION_KEYS = ['currentPage', 'pageSize', 'totalItems', 'totalPages'];

/** Id values the compat routes refuse (§15.1): neither a JSON integer ≥ 1 nor a digit string. */
export const BAD_IDS = ['1.5', 4.5, '', true, null, 'abc', '-3', ' 7', '+7', [1], { id: 1 }];
/** The same as raw JSON number text (JSON.stringify cannot write 42.0). */
export const RAW_BAD_IDS = ['42.0', '1e2', '0', '-1', '99999999999999999999'];

/** A compat success: the status, JSON content type, `status` in the body, the message. */
export function assertCompatOk(res, status, message) {
	assert.equal(res.status, status, show(res));
	assert.equal(res.headers['content-type'], JSON_CT, show(res));
	assert.equal(res.json?.status, status, `body carries status ${status}: ${show(res)}`);
	if (message !== undefined) assert.equal(res.json.message, message, show(res));
	return res.json;
}

/** A compat error: the error envelope plus `status` (§15.1). */
export const compatError = (res, status, code) => assertError(res, status, code, { compat: true });

/** The V1Contact of §15.1: exact keys in order, customFields null or a non-empty object, tag links. */
export function assertV1Contact(c, userId) {
	assert.deepEqual(Object.keys(c), V1_CONTACT_KEYS, `V1Contact keys in order: ${JSON.stringify(c)}`);
	assert.ok(Number.isSafeInteger(c.id) && c.id > 0);
	assert.equal(c.userId, userId);
	assert.ok(c.customFields === null || (typeof c.customFields === 'object' && Object.keys(c.customFields).length > 0),
		`customFields is null when empty: ${JSON.stringify(c.customFields)}`);
	assert.match(c.createdAt, ISO_MS);
	assert.match(c.updatedAt, ISO_MS);
	assert.ok(c.lastContacted === null || ISO_MS.test(c.lastContacted));
	assert.ok(Array.isArray(c.tags));
	for (const t of c.tags) {
		assert.deepEqual(Object.keys(t), ['id', 'contactId', 'tagId', 'tag'], JSON.stringify(t));
		assert.ok(Number.isSafeInteger(t.id) && t.id > 0);
		assert.equal(t.contactId, c.id);
		assert.deepEqual(Object.keys(t.tag), ['id', 'name', 'userId']);
		assert.equal(t.tag.id, t.tagId);
		assert.equal(t.tag.userId, userId);
	}
	return c;
}

export function assertV1Note(n, userId) {
	assert.deepEqual(Object.keys(n), V1_NOTE_KEYS, `V1Note keys in order: ${JSON.stringify(n)}`);
	assert.equal(n.userId, userId);
	assert.match(n.createdAt, ISO_MS);
	assert.match(n.updatedAt, ISO_MS);
	return n;
}

export function assertV1Interaction(i, userId) {
	assert.deepEqual(Object.keys(i), V1_INTERACTION_KEYS, `V1Interaction keys in order: ${JSON.stringify(i)}`);
	assert.equal(i.userId, userId);
	assert.match(i.occuredAt, ISO_MS);
	assert.match(i.createdAt, ISO_MS);
	return i;
}

/** V1Pagination with exactly these values. */
export function assertPagination(p, currentPage, pageSize, totalItems) {
	assert.deepEqual(Object.keys(p), V1_PAGINATION_KEYS);
	assert.deepEqual(p, { currentPage, pageSize, totalItems, totalPages: Math.ceil(totalItems / pageSize) });
}

/** A server for the compat tests: {srv, api, stop, user()} where user() resolves a logged-in
 * UserClient with its account id in `.id`. */
export async function startCompatServer(env = {}) {
	const S = await startContactsServer(env);
	return {
		...S,
		async user(tag = 'v1') {
			const u = await newUser(S.api, tag);
			const me = await u.get('/me');
			assert.equal(me.status, 200, show(me));
			u.id = me.json.data.id;
			return u;
		},
	};
}
