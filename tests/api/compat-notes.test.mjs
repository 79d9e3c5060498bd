// Black-box tests of the v1 compatibility note and interaction routes N1–N5 and I1–I5 (SPEC
// §15.1–§15.3): V1Note and V1Interaction (`occuredAt`), exact messages and keys (`fetchedNote`,
// `updatedNote`, `items`, the duplicate `Message`), `status` in every body, v1 field names in
// error details, ids as integers or digit strings only, another user's ids → 404, page/limit
// paging with V1Pagination and its limits, N3/I3 refusing a request without filters, I3's
// date-only and exact-millisecond occuredAt, and the truthful codes of §15.3 (201, 404, 409).
// The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE } from '../support/server.mjs';
import { assertDetail, show } from '../support/accounts.mjs';
import {
	startCompatServer, assertCompatOk, compatError, assertV1Note, assertV1Interaction, assertPagination,
	BAD_IDS, RAW_BAD_IDS,
} from '../support/compat.mjs';

describe(`v1 compatibility notes and interactions [${STORE}]`, () => {
	let S, api, ann, bob;
	before(async () => {
		S = await startCompatServer();
		api = S.api;
		[ann, bob] = await Promise.all([S.user('na'), S.user('nb')]);
	});
	after(() => S?.stop());

	async function contact(u, firstName = 'Ann') {
		const r = await u.post('/contacts', { firstName });
		assert.equal(r.status, 201, show(r));
		return r.json.data;
	}
	async function note(u, contactId, title, content = 'Body') {
		const res = await u.post('/notes/create-note', { contactId, title, content });
		assertCompatOk(res, 201, 'Successfully added note');
		return assertV1Note(res.json.data, u.id);
	}
	async function log(u, body) {
		const res = await u.post('/interactions/log-interaction', body);
		assertCompatOk(res, 201, 'Successfully added interaction log');
		return assertV1Interaction(res.json.data, u.id);
	}
	const raw = (u, method, path, text) =>
		api.call(method, path, { token: u.token, body: text, headers: { 'Content-Type': 'application/json' } });

	describe('notes', () => {
		test('N1 → 201 {message, data: V1Note, status} with Location; contactId as a digit string; the resource read agrees', async () => {
			const c = await contact(ann);
			const res = await ann.post('/notes/create-note', { contactId: String(c.id), title: ' Lunch ', content: 'Line 1\nLine 2\n' });
			const body = assertCompatOk(res, 201, 'Successfully added note');
			assert.deepEqual(Object.keys(body).sort(), ['data', 'message', 'status']);
			const n = assertV1Note(body.data, ann.id);
			assert.equal(res.headers.location, `/api/v1/notes/${n.id}`);
			assert.equal(n.contactId, c.id);
			assert.equal(n.title, 'Lunch');
			assert.equal(n.content, 'Line 1\nLine 2\n');
			const r = await ann.get(`/notes/${n.id}`);
			const { userId, ...rest } = n;
			assert.deepEqual(r.json.data, rest);
		});

		test('N1 errors: every field at once; bad ids; another user\'s contact → 404; a title taken (folded) → 409 (§15.3 item 11)', async () => {
			const c = await contact(ann);
			const none = await ann.post('/notes/create-note', { title: '', extra: 1 });
			compatError(none, 400, 'validation_failed');
			assertDetail(none, 'contactId', 'required');
			assertDetail(none, 'title', 'required');
			assertDetail(none, 'content', 'required');
			assertDetail(none, 'extra', 'unknown_field');
			for (const id of BAD_IDS) {
				const res = await ann.post('/notes/create-note', { contactId: id, title: 'T', content: 'C' });
				compatError(res, 400, 'validation_failed');
				assert.ok(res.json.details.some((d) => d.field === 'contactId'), `${JSON.stringify(id)}: ${show(res)}`);
			}
			for (const text of RAW_BAD_IDS) {
				const res = await raw(ann, 'POST', '/notes/create-note', `{"contactId":${text},"title":"T","content":"C"}`);
				assert.equal(res.status, 400, `${text}: ${show(res)}`);
				assert.equal(res.json.status, 400);
			}
			compatError(await bob.post('/notes/create-note', { contactId: c.id, title: 'Mine', content: 'x' }), 404, 'not_found');
			await note(ann, c.id, 'Café');
			const dup = await ann.post('/notes/create-note', { contactId: c.id, title: 'CAFE', content: 'x' });
			assert.deepEqual(compatError(dup, 409, 'conflict').details, [{ field: 'title', reason: 'duplicate' }]);
		});

		test('N2 list-notes: newest first, page/limit with V1Pagination, "Found <n> notes"; limits → 400; empty page → 200 []', async () => {
			const u = await S.user('n2');
			const c = await contact(u);
			const made = [];
			for (let i = 0; i < 5; i++) made.push(await note(u, c.id, `N${i}`));
			const ids = made.map((n) => n.id).reverse();
			const all = await u.get('/notes/list-notes');
			const b = assertCompatOk(all, 200, 'Found 5 notes');
			assert.deepEqual(Object.keys(b).sort(), ['data', 'message', 'pagination', 'status']);
			assert.deepEqual(b.data.map((n) => n.id), ids);
			b.data.forEach((n) => assertV1Note(n, u.id));
			assertPagination(b.pagination, 1, 1000, 5);
			const pages = [];
			for (let p = 1; p <= 3; p++) {
				const r = await u.get(`/NOTES/List-Notes/?page=${p}&limit=2`);
				const body = assertCompatOk(r, 200, `Found ${p < 3 ? 2 : 1} notes`);
				assertPagination(body.pagination, p, 2, 5);
				pages.push(...body.data.map((n) => n.id));
			}
			assert.deepEqual(pages, ids);
			const past = assertCompatOk(await u.get('/notes/list-notes?page=4&limit=2'), 200, 'Found 0 notes');
			assert.deepEqual(past.data, []);
			assertPagination(past.pagination, 4, 2, 5);
			assert.deepEqual(assertCompatOk(await u.get('/notes/list-notes?page=100&limit=1000'), 200).data, []);
			for (const q of ['page=0', 'page=-1', 'page=x', 'limit=0', 'limit=1001', 'page=101&limit=1000', 'page=2&page=3']) {
				const r = await u.get(`/notes/list-notes?${q}`);
				compatError(r, 400, 'validation_failed');
			}
			assertDetail(await u.get('/notes/list-notes?page=101&limit=1000'), 'page', 'out_of_range');
			assertDetail(await u.get('/notes/list-notes?sort=createdAt'), 'sort', 'unknown_field');
			const fresh = await S.user('n2e');
			const empty = assertCompatOk(await fresh.get('/notes/list-notes'), 200, 'Found 0 notes');
			assert.deepEqual(empty.data, []);
			assertPagination(empty.pagination, 1, 1000, 0);
			const head = await api.call('HEAD', '/notes/list-notes', { token: u.token });
			assert.equal(head.status, 200);
			assert.equal(head.text, '');
			assert.equal((await bob.get('/notes/list-notes')).json.data.every((n) => n.userId === bob.id), true);
		});

		test('N3 get-note: at least one filter (else 400); noteId, contactId and title ANDed; paging; 404 for another user\'s ids', async () => {
			const c1 = await contact(ann, 'G1');
			const c2 = await contact(ann, 'G2');
			const a = await note(ann, c1.id, 'Alpha');
			const b = await note(ann, c1.id, 'Beta');
			await note(ann, c2.id, 'Alpha');
			const none = await ann.get('/notes/get-note');
			compatError(none, 400, 'validation_failed');
			assertDetail(none, 'noteId', 'required');
			compatError(await ann.get('/notes/get-note?page=1'), 400, 'validation_failed');

			const byId = assertCompatOk(await ann.get(`/notes/get-note?noteId=${a.id}`), 200, 'successfully fetched note');
			assert.deepEqual(Object.keys(byId).sort(), ['fetchedNote', 'message', 'pagination', 'status']);
			assert.deepEqual(byId.fetchedNote, [a]);
			assertPagination(byId.pagination, 1, 1000, 1);
			assert.deepEqual(assertCompatOk(await ann.get(`/notes/get-note?noteId=${a.id}&contactId=${c1.id}&title=ALPHA`), 200).fetchedNote, [a]);
			const miss = assertCompatOk(await ann.get(`/notes/get-note?noteId=${a.id}&contactId=${c2.id}`), 200);
			assert.deepEqual(miss.fetchedNote, []);
			assertPagination(miss.pagination, 1, 1000, 0);
			assert.deepEqual(assertCompatOk(await ann.get(`/notes/get-note?noteId=${a.id}&title=Beta`), 200).fetchedNote, []);

			const byContact = assertCompatOk(await ann.get(`/notes/get-note?contactId=${c1.id}`), 200);
			assert.deepEqual(byContact.fetchedNote.map((n) => n.id), [b.id, a.id]);
			const p2 = assertCompatOk(await ann.get(`/notes/get-note?contactId=${c1.id}&limit=1&page=2`), 200);
			assert.deepEqual(p2.fetchedNote.map((n) => n.id), [a.id]);
			assertPagination(p2.pagination, 2, 1, 2);
			const byTitle = assertCompatOk(await ann.get(`/notes/get-note?title=${encodeURIComponent(' alpha ')}`), 200);
			assert.equal(byTitle.fetchedNote.length, 2);
			assert.deepEqual(assertCompatOk(await ann.get(`/notes/get-note?contactId=${c2.id}&title=Beta`), 200).fetchedNote, []);

			compatError(await bob.get(`/notes/get-note?noteId=${a.id}`), 404, 'not_found');
			compatError(await bob.get(`/notes/get-note?contactId=${c1.id}`), 404, 'not_found');
			const mine = await contact(bob, 'Mine');
			compatError(await ann.get(`/notes/get-note?noteId=${a.id}&contactId=${mine.id}`), 404, 'not_found');
			for (const q of ['noteId=1.5', 'noteId=', 'contactId=abc', 'noteId=0', `title=${'t'.repeat(201)}`]) {
				const r = await ann.get(`/notes/get-note?${q}`);
				compatError(r, 400, 'validation_failed');
			}
			assertDetail(await ann.get('/notes/get-note?noteId=1.5'), 'noteId', 'invalid_format');
		});

		test('N4 update-note → 200 {message, updatedNote}; ≥ 1 field; title clash → 409; another user → 404; contactId is not a v1 field', async () => {
			const c = await contact(ann);
			const n = await note(ann, c.id, 'Old');
			await note(ann, c.id, 'Taken');
			const res = await ann.patch('/notes/update-note', { noteId: String(n.id), title: 'New', content: 'Changed' });
			const body = assertCompatOk(res, 200, 'Successfully updated note');
			assert.deepEqual(Object.keys(body).sort(), ['message', 'status', 'updatedNote']);
			const u = assertV1Note(body.updatedNote, ann.id);
			assert.equal(u.title, 'New');
			assert.equal(u.content, 'Changed');
			assert.equal(u.createdAt, n.createdAt);
			assertDetail(await ann.patch('/notes/update-note', { noteId: n.id }), 'body', 'no_fields');
			assertDetail(await ann.patch('/notes/update-note', { title: 'x' }), 'noteId', 'required');
			assertDetail(await ann.patch('/notes/update-note', { noteId: n.id, contactId: c.id }), 'contactId', 'unknown_field');
			assertDetail(await ann.patch('/notes/update-note', { noteId: '1.5', title: 'x' }), 'noteId', 'wrong_type');
			const clash = await ann.patch('/notes/update-note', { noteId: n.id, title: 'TAKEN' });
			assert.deepEqual(compatError(clash, 409, 'conflict').details, [{ field: 'title', reason: 'duplicate' }]);
			compatError(await bob.patch('/notes/update-note', { noteId: n.id, title: 'Mine' }), 404, 'not_found');
			assert.equal((await ann.get(`/notes/${n.id}`)).json.data.title, 'New');
		});

		test('N5 delete-note (JSON body) → 200 "Successfully deleted note"; then 404; another user → 404', async () => {
			const c = await contact(ann);
			const n = await note(ann, c.id, 'Gone');
			compatError(await bob.delete('/notes/delete-note', { body: { noteId: n.id } }), 404, 'not_found');
			const res = await ann.delete('/notes/delete-note/', { body: { noteId: `${n.id}` } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Successfully deleted note', status: 200 });
			compatError(await ann.get(`/notes/get-note?noteId=${n.id}`), 404, 'not_found');
			compatError(await ann.delete('/notes/delete-note', { body: { noteId: n.id } }), 404, 'not_found');
			assertDetail(await ann.delete('/notes/delete-note', { body: { noteId: true } }), 'noteId', 'wrong_type');
		});
	});

	describe('interactions', () => {
		test('I1 → 201 {message, Message, data: V1Interaction (occuredAt), status}; type lowercased; date-only; lastContacted derived', async () => {
			const c = await contact(ann);
			const res = await ann.post('/interactions/log-interaction', { contactId: String(c.id), type: ' Call ', occuredAt: '2025-06-30T15:32:14.1239+02:00', durationMinutes: 15 });
			const body = assertCompatOk(res, 201, 'Successfully added interaction log');
			assert.deepEqual(Object.keys(body).sort(), ['Message', 'data', 'message', 'status']);
			assert.equal(body.Message, body.message);
			const i = assertV1Interaction(body.data, ann.id);
			assert.equal(res.headers.location, `/api/v1/interactions/${i.id}`);
			assert.equal(i.type, 'call');
			assert.equal(i.occuredAt, '2025-06-30T13:32:14.123Z');
			assert.equal(i.notes, null);
			assert.equal(i.durationMinutes, 15);
			const d = await log(ann, { contactId: c.id, type: 'email', occuredAt: '2025-07-01', notes: 'hi' });
			assert.equal(d.occuredAt, '2025-07-01T00:00:00.000Z');
			const got = await ann.get(`/contacts/get-contact-by-id/${c.id}`);
			assert.equal(assertCompatOk(got, 200).data.lastContacted, '2025-07-01T00:00:00.000Z');
			const r = await ann.get(`/interactions/${i.id}`);
			assert.equal(r.json.data.occurredAt, i.occuredAt);
		});

		test('I1 errors name v1 fields: occuredAt (required, format, > now + 24 h), contactId; the resource spelling is unknown; 404 for another user', async () => {
			const c = await contact(ann);
			const none = await ann.post('/interactions/log-interaction', { occurredAt: '2025-01-01' });
			compatError(none, 400, 'validation_failed');
			assertDetail(none, 'occuredAt', 'required');
			assertDetail(none, 'occurredAt', 'unknown_field');
			assertDetail(none, 'contactId', 'required');
			assertDetail(none, 'type', 'required');
			for (const [v, reason] of [['2025-W01', 'invalid_format'], ['yesterday', 'invalid_format'], ['2025-01-01T10:00', 'invalid_format'],
				[new Date(Date.now() + 25 * 3600e3).toISOString(), 'out_of_range'], ['1899-12-31', 'out_of_range']]) {
				const res = await ann.post('/interactions/log-interaction', { contactId: c.id, type: 'call', occuredAt: v });
				compatError(res, 400, 'validation_failed');
				assertDetail(res, 'occuredAt', reason);
			}
			const t = await ann.post('/interactions/log-interaction', { contactId: c.id, type: 'a/b', occuredAt: '2025-01-01', durationMinutes: '5' });
			assertDetail(t, 'type', 'invalid_characters');
			assertDetail(t, 'durationMinutes', 'wrong_type');
			for (const id of BAD_IDS) {
				const res = await ann.post('/interactions/log-interaction', { contactId: id, type: 'call', occuredAt: '2025-01-01' });
				compatError(res, 400, 'validation_failed');
			}
			compatError(await bob.post('/interactions/log-interaction', { contactId: c.id, type: 'call', occuredAt: '2025-01-01' }), 404, 'not_found');
		});

		test('I2 list-interactions: newest occuredAt first under "items", paging and limits', async () => {
			const u = await S.user('i2');
			const c = await contact(u);
			const made = [];
			for (const day of ['03', '01', '05', '02']) made.push(await log(u, { contactId: c.id, type: 'call', occuredAt: `2025-02-${day}` }));
			const order = [...made].sort((x, y) => (x.occuredAt < y.occuredAt ? 1 : -1)).map((i) => i.id);
			const res = await u.get('/interactions/list-interactions');
			const body = assertCompatOk(res, 200, 'Found 4 interactions');
			assert.deepEqual(Object.keys(body).sort(), ['items', 'message', 'pagination', 'status']);
			assert.deepEqual(body.items.map((i) => i.id), order);
			assertPagination(body.pagination, 1, 1000, 4);
			const p2 = assertCompatOk(await u.get('/Interactions/LIST-INTERACTIONS/?page=2&limit=3'), 200, 'Found 1 interactions');
			assert.deepEqual(p2.items.map((i) => i.id), order.slice(3));
			assertPagination(p2.pagination, 2, 3, 4);
			compatError(await u.get('/interactions/list-interactions?limit=1001'), 400, 'validation_failed');
			compatError(await u.get('/interactions/list-interactions?page=1001&limit=100'), 400, 'validation_failed');
			compatError(await u.get('/interactions/list-interactions?type=call'), 400, 'validation_failed');
		});

		test('I3 get-interaction: ≥ 1 filter; a date-only occuredAt matches the whole UTC day, a timestamp the exact millisecond; ANDed; 404s', async () => {
			const u = await S.user('i3');
			const c1 = await contact(u, 'D1');
			const c2 = await contact(u, 'D2');
			const start = await log(u, { contactId: c1.id, type: 'call', occuredAt: '2025-03-10T00:00:00.000Z' });
			const end = await log(u, { contactId: c1.id, type: 'call', occuredAt: '2025-03-10T23:59:59.999Z' });
			await log(u, { contactId: c1.id, type: 'call', occuredAt: '2025-03-11T00:00:00.000Z' });
			await log(u, { contactId: c1.id, type: 'call', occuredAt: '2025-03-09T23:59:59.999Z' });
			const other = await log(u, { contactId: c2.id, type: 'meeting', occuredAt: '2025-03-10T12:00:00Z' });

			const none = await u.get('/interactions/get-interaction');
			compatError(none, 400, 'validation_failed');
			assertDetail(none, 'interactionId', 'required');
			const day = assertCompatOk(await u.get('/interactions/get-interaction?occuredAt=2025-03-10'), 200, 'Found 3 interaction logs with provided filters');
			assert.deepEqual(Object.keys(day).sort(), ['data', 'message', 'pagination', 'status']);
			assert.deepEqual(day.data.map((i) => i.id), [end.id, other.id, start.id]);
			day.data.forEach((i) => assertV1Interaction(i, u.id));
			assertPagination(day.pagination, 1, 1000, 3);
			const dayC1 = assertCompatOk(await u.get(`/interactions/get-interaction?occuredAt=2025-03-10&contactId=${c1.id}`), 200);
			assert.deepEqual(dayC1.data.map((i) => i.id), [end.id, start.id]);
			const exact = assertCompatOk(await u.get(`/interactions/get-interaction?occuredAt=${encodeURIComponent('2025-03-10T23:59:59.999Z')}`), 200, 'Found 1 interaction logs with provided filters');
			assert.deepEqual(exact.data.map((i) => i.id), [end.id]);
			const offset = assertCompatOk(await u.get(`/interactions/get-interaction?occuredAt=${encodeURIComponent('2025-03-11T01:59:59.999+02:00')}`), 200);
			assert.deepEqual(offset.data.map((i) => i.id), [end.id]);
			assert.deepEqual(assertCompatOk(await u.get(`/interactions/get-interaction?occuredAt=${encodeURIComponent('2025-03-10T23:59:59.998Z')}`), 200).data, []);

			const byId = assertCompatOk(await u.get(`/interactions/get-interaction?interactionId=${other.id}`), 200);
			assert.deepEqual(byId.data, [other]);
			assert.deepEqual(assertCompatOk(await u.get(`/interactions/get-interaction?interactionId=${other.id}&occuredAt=2025-03-10&contactId=${c2.id}`), 200).data, [other]);
			assert.deepEqual(assertCompatOk(await u.get(`/interactions/get-interaction?interactionId=${other.id}&occuredAt=2025-03-11`), 200).data, []);
			assert.deepEqual(assertCompatOk(await u.get(`/interactions/get-interaction?interactionId=${other.id}&contactId=${c1.id}`), 200).data, []);
			const byContact = assertCompatOk(await u.get(`/interactions/get-interaction?contactId=${c1.id}&limit=2&page=2`), 200);
			assertPagination(byContact.pagination, 2, 2, 4);
			assert.equal(byContact.data.length, 2);

			compatError(await ann.get(`/interactions/get-interaction?interactionId=${other.id}`), 404, 'not_found');
			compatError(await ann.get(`/interactions/get-interaction?contactId=${c1.id}`), 404, 'not_found');
			for (const [q, field, reason] of [['occuredAt=2025-W10', 'occuredAt', 'invalid_format'], ['occuredAt=1800-01-01', 'occuredAt', 'out_of_range'],
				['interactionId=1.5', 'interactionId', 'invalid_format'], ['contactId=-1', 'contactId', 'invalid_format'], ['occurredAt=2025-03-10', 'occurredAt', 'unknown_field']]) {
				const r = await u.get(`/interactions/get-interaction?${q}`);
				compatError(r, 400, 'validation_failed');
				assertDetail(r, field, reason);
			}
		});

		test('I4 update-interaction → 200 {message, data}; ≥ 1 field; occuredAt rules under the v1 name; lastContacted follows; 404 for another user', async () => {
			const c = await contact(ann);
			const i = await log(ann, { contactId: c.id, type: 'call', occuredAt: '2025-04-01T10:00:00Z', notes: 'x', durationMinutes: 5 });
			const res = await ann.patch('/interactions/update-interaction', { interactionId: String(i.id), occuredAt: '2025-04-02', type: 'MEETING', notes: null, durationMinutes: null });
			const body = assertCompatOk(res, 200, 'Successfully updated interaction log');
			const u = assertV1Interaction(body.data, ann.id);
			assert.equal(u.occuredAt, '2025-04-02T00:00:00.000Z');
			assert.equal(u.type, 'meeting');
			assert.equal(u.notes, null);
			assert.equal(u.durationMinutes, null);
			assert.equal((await ann.get(`/contacts/get-contact-by-id/${c.id}`)).json.data.lastContacted, '2025-04-02T00:00:00.000Z');
			assertDetail(await ann.patch('/interactions/update-interaction', { interactionId: i.id }), 'body', 'no_fields');
			assertDetail(await ann.patch('/interactions/update-interaction', { interactionId: i.id, occuredAt: 'soon' }), 'occuredAt', 'invalid_format');
			assertDetail(await ann.patch('/interactions/update-interaction', { interactionId: i.id, contactId: c.id }), 'contactId', 'unknown_field');
			assertDetail(await ann.patch('/interactions/update-interaction', { interactionId: 4.5, type: 'x' }), 'interactionId', 'wrong_type');
			compatError(await bob.patch('/interactions/update-interaction', { interactionId: i.id, type: 'x' }), 404, 'not_found');
		});

		test('I5 delete-interaction (JSON body) → 200 "Successfully deleted interaction"; lastContacted recomputed; then 404', async () => {
			const c = await contact(ann);
			const i = await log(ann, { contactId: c.id, type: 'call', occuredAt: '2025-05-01' });
			compatError(await bob.delete('/interactions/delete-interaction', { body: { interactionId: i.id } }), 404, 'not_found');
			const res = await ann.delete('/INTERACTIONS/delete-interaction', { body: { interactionId: `${i.id}` } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Successfully deleted interaction', status: 200 });
			assert.equal((await ann.get(`/contacts/get-contact-by-id/${c.id}`)).json.data.lastContacted, null);
			compatError(await ann.get(`/interactions/get-interaction?interactionId=${i.id}`), 404, 'not_found');
			compatError(await ann.delete('/interactions/delete-interaction', { body: { interactionId: i.id } }), 404, 'not_found');
			compatError(await api.delete('/interactions/delete-interaction', { body: { interactionId: i.id } }), 401, 'unauthenticated');
		});
	});
});
