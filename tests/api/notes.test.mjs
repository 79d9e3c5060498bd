// Black-box tests of notes (SPEC §10.1 with §1.3–1.5, §2.2, §6, §9.2): create, read, update and
// move, delete with tombstones; validation naming every bad field with nothing written; title
// uniqueness per contact by folded form; ownership (another user's ids → 404); listings with
// filters, sorts, keyset cursors and totals; the change feed; and the contact search words fed by
// notes. The per-account cap of 200,000 notes is not reached here (creating that many rows through
// the API would take minutes): tests/unit/test_store_notes.c checks the cap logic on both stores.
// The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE, ISO_MS, JSON_CT } from '../support/server.mjs';
import { assertError, assertDetail, show } from '../support/accounts.mjs';
import { startTimeline, createContact, listAll, assertPage, tick, NOTE_KEYS, TOMBSTONE_KEYS } from '../support/timeline.mjs';

describe(`notes [${STORE}]`, () => {
	let T, api;
	before(async () => {
		T = await startTimeline({ tag: 'nt', users: 6 });
		api = T.api;
	});
	after(() => T?.stop());

	const post = (token, body) => api.post('/notes', { token, body });
	async function note(token, contactId, title, content = 'Some content.') {
		const res = await post(token, { contactId, title, content });
		assert.equal(res.status, 201, show(res));
		return res.json.data;
	}
	async function count(token, q = '') {
		const res = await api.get(`/notes?includeTotal=true${q}`, { token });
		assert.equal(res.status, 200, show(res));
		return res.json.page.total;
	}

	describe('create, read, update, delete', () => {
		test('POST → 201 with Location and the Note; GET returns it; multi-line content is kept byte for byte, the title is trimmed', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const content = 'Line one\r\nLine two\n\tindented  \n';
			const res = await post(token, { contactId: c.id, title: '  Coffee at Blue Bottle  ', content });
			assert.equal(res.status, 201, show(res));
			assert.equal(res.headers['content-type'], JSON_CT);
			const n = res.json.data;
			assert.deepEqual(Object.keys(n).sort(), [...NOTE_KEYS].sort());
			assert.equal(res.headers.location, `/api/v1/notes/${n.id}`);
			assert.ok(Number.isSafeInteger(n.id) && n.id > 0);
			assert.equal(n.contactId, c.id);
			assert.equal(n.title, 'Coffee at Blue Bottle');
			assert.equal(n.content, content);
			assert.match(n.createdAt, ISO_MS);
			assert.equal(n.updatedAt, n.createdAt);
			const got = await api.get(`/notes/${n.id}`, { token });
			assert.equal(got.status, 200, show(got));
			assert.deepEqual(got.json, { data: n });
			const head = await api.call('HEAD', `/notes/${n.id}`, { token });
			assert.equal(head.status, 200);
			assert.equal(head.text, '');
		});

		test('PATCH changes title and content (updatedAt moves, createdAt stays); DELETE → 204, then 404 everywhere', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const n = await note(token, c.id, 'First');
			await tick();
			const p = await api.patch(`/notes/${n.id}`, { token, body: { title: 'Second', content: 'New body' } });
			assert.equal(p.status, 200, show(p));
			assert.equal(p.json.data.title, 'Second');
			assert.equal(p.json.data.content, 'New body');
			assert.equal(p.json.data.createdAt, n.createdAt);
			assert.ok(p.json.data.updatedAt > n.updatedAt, `${p.json.data.updatedAt} > ${n.updatedAt}`);
			assert.deepEqual((await api.get(`/notes/${n.id}`, { token })).json.data, p.json.data);
			const d = await api.delete(`/notes/${n.id}`, { token });
			assert.equal(d.status, 204, show(d));
			assert.equal(d.text, '');
			assertError(await api.get(`/notes/${n.id}`, { token }), 404, 'not_found');
			assertError(await api.patch(`/notes/${n.id}`, { token, body: { title: 'x' } }), 404, 'not_found');
			assertError(await api.delete(`/notes/${n.id}`, { token }), 404, 'not_found');
			assert.equal(await count(token), 0);
		});

		test('PATCH contactId moves the note to another contact', async () => {
			const { token } = await T.session();
			const a = await createContact(api, token, 'Ann');
			const b = await createContact(api, token, 'Bob');
			const n = await note(token, a.id, 'Moving');
			const p = await api.patch(`/notes/${n.id}`, { token, body: { contactId: b.id } });
			assert.equal(p.status, 200, show(p));
			assert.equal(p.json.data.contactId, b.id);
			assert.equal((await api.get(`/contacts/${a.id}/notes`, { token })).json.data.length, 0);
			assert.deepEqual((await api.get(`/contacts/${b.id}/notes`, { token })).json.data.map((x) => x.id), [n.id]);
		});

		test("deleting the contact deletes its notes (§6 cascade)", async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Gone');
			const n = await note(token, c.id, 'With the contact');
			assert.equal((await api.delete(`/contacts/${c.id}`, { token })).status, 204);
			assertError(await api.get(`/notes/${n.id}`, { token }), 404, 'not_found');
		});
	});

	describe('validation (§2.2): 400 naming every bad field, nothing written', () => {
		test('POST: missing, empty, too long, wrong types, control characters, unknown and server-owned fields', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const none = await post(token, {});
			assertError(none, 400, 'validation_failed');
			for (const f of ['contactId', 'title', 'content']) assertDetail(none, f, 'required');

			const bad = await post(token, { contactId: '1', title: 'x'.repeat(201), content: ' \n\t ', colour: 'red', id: 5, createdAt: 'now', updatedAt: 'now', userId: 1 });
			assertError(bad, 400, 'validation_failed');
			assertDetail(bad, 'contactId', 'wrong_type');
			assertDetail(bad, 'title', 'too_long');
			assertDetail(bad, 'content', 'required');
			assertDetail(bad, 'colour', 'unknown_field');
			for (const f of ['id', 'createdAt', 'updatedAt', 'userId']) assertDetail(bad, f, 'read_only');

			const more = await post(token, { contactId: 0, title: 'a\u0007b', content: 'x'.repeat(50001) });
			assertDetail(more, 'contactId', 'out_of_range');
			assertDetail(more, 'title', 'invalid_characters');
			assertDetail(more, 'content', 'too_long');
			const types = await post(token, { contactId: 1.5, title: 7, content: null });
			assertDetail(types, 'contactId', 'wrong_type');
			assertDetail(types, 'title', 'wrong_type');
			assert.ok(types.json.details.some((d) => d.field === 'content'), show(types));
			const empty = await post(token, { contactId: c.id, title: '   ', content: 'ok' });
			assertDetail(empty, 'title', 'required');
			// the limits themselves are fine: 200 and 50,000 code points (multi-byte ones count once)
			const edge = await post(token, { contactId: c.id, title: 'é'.repeat(200), content: '😀'.repeat(50000) });
			assert.equal(edge.status, 201, show(edge));
			assert.equal(await count(token), 1, 'only the valid note was written');
		});

		test('PATCH: {} → no_fields; bad values and unknown or server-owned fields named; the note is unchanged', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const n = await note(token, c.id, 'Keep');
			const empty = await api.patch(`/notes/${n.id}`, { token, body: {} });
			assertError(empty, 400, 'validation_failed');
			assertDetail(empty, 'body', 'no_fields');
			const bad = await api.patch(`/notes/${n.id}`, { token, body: { title: '', content: 'x'.repeat(50001), contactId: -3, id: 9, extra: true } });
			assertError(bad, 400, 'validation_failed');
			assertDetail(bad, 'title', 'required');
			assertDetail(bad, 'content', 'too_long');
			assertDetail(bad, 'contactId', 'out_of_range');
			assertDetail(bad, 'id', 'read_only');
			assertDetail(bad, 'extra', 'unknown_field');
			const nul = await api.patch(`/notes/${n.id}`, { token, body: { title: null } });
			assertError(nul, 400, 'validation_failed');
			assert.deepEqual((await api.get(`/notes/${n.id}`, { token })).json.data, n);
		});

		test('path and query ids must be positive 64-bit integers (400, never 404); DELETE takes no body', async () => {
			const { token } = await T.session();
			for (const id of ['0', '01', 'abc', '-1', '9223372036854775808']) {
				assertError(await api.get(`/notes/${id}`, { token }), 400, 'validation_failed');
				assertError(await api.get(`/contacts/${id}/notes`, { token }), 400, 'validation_failed');
				const q = await api.get(`/notes?contactId=${id}`, { token });
				assertError(q, 400, 'validation_failed');
				assertDetail(q, 'contactId', 'invalid_format');
			}
			const c = await createContact(api, token, 'Ann');
			const n = await note(token, c.id, 'Body');
			const d = await api.delete(`/notes/${n.id}`, { token, body: { x: 1 } });
			assertError(d, 400, 'validation_failed');
			assertDetail(d, 'body', 'not_allowed');
			assert.equal((await api.get(`/notes/${n.id}`, { token })).status, 200);
		});

		test('without a session → 401', async () => {
			assertError(await api.get('/notes'), 401, 'unauthenticated');
			assertError(await api.post('/notes', { body: { contactId: 1, title: 'a', content: 'b' } }), 401, 'unauthenticated');
		});
	});

	describe('titles are unique per contact by folded form (§2.1, §2.2)', () => {
		test('create, update and move clash → 409 conflict naming title; other contacts and case changes of the own title are fine', async () => {
			const { token } = await T.session();
			const a = await createContact(api, token, 'Ann');
			const b = await createContact(api, token, 'Bob');
			const n1 = await note(token, a.id, 'Café Meeting');
			for (const title of ['café meeting', 'CAFE MEETING', '  Cafe\u0301 meeting ']) {
				const r = await post(token, { contactId: a.id, title, content: 'x' });
				assertError(r, 409, 'conflict');
				assertDetail(r, 'title', 'duplicate');
			}
			const onB = await note(token, b.id, 'Cafe meeting');
			const n2 = await note(token, a.id, 'Other');
			const clash = await api.patch(`/notes/${n2.id}`, { token, body: { title: 'CAFÉ MEETING' } });
			assertError(clash, 409, 'conflict');
			assertDetail(clash, 'title', 'duplicate');
			const own = await api.patch(`/notes/${n1.id}`, { token, body: { title: 'CAFÉ meeting' } });
			assert.equal(own.status, 200, show(own));
			assert.equal(own.json.data.title, 'CAFÉ meeting');
			const move = await api.patch(`/notes/${onB.id}`, { token, body: { contactId: a.id } });
			assertError(move, 409, 'conflict');
			assertDetail(move, 'title', 'duplicate');
			const moveRenamed = await api.patch(`/notes/${onB.id}`, { token, body: { contactId: a.id, title: 'Cafe meeting 2' } });
			assert.equal(moveRenamed.status, 200, show(moveRenamed));
			assert.equal(await count(token, `&contactId=${a.id}`), 3);
			assert.equal((await api.get(`/notes/${n2.id}`, { token })).json.data.title, 'Other', 'nothing written by the clash');
		});
	});

	describe('ownership: another user\'s ids answer 404 and change nothing', () => {
		test('get, update, delete, create on, list by and move to A\'s contact or note → 404', async () => {
			const A = await T.session();
			const B = await T.session();
			const ca = await createContact(api, A.token, 'Ann');
			const na = await note(A.token, ca.id, 'Private');
			const cb = await createContact(api, B.token, 'Bob');
			const nb = await note(B.token, cb.id, 'Mine');
			const tb = B.token;
			assertError(await api.get(`/notes/${na.id}`, { token: tb }), 404, 'not_found');
			assertError(await api.patch(`/notes/${na.id}`, { token: tb, body: { title: 'Hacked' } }), 404, 'not_found');
			assertError(await api.delete(`/notes/${na.id}`, { token: tb }), 404, 'not_found');
			assertError(await post(tb, { contactId: ca.id, title: 'Planted', content: 'x' }), 404, 'not_found');
			assertError(await api.get(`/notes?contactId=${ca.id}`, { token: tb }), 404, 'not_found');
			assertError(await api.get(`/contacts/${ca.id}/notes`, { token: tb }), 404, 'not_found');
			assertError(await api.patch(`/notes/${nb.id}`, { token: tb, body: { contactId: ca.id } }), 404, 'not_found');
			assertError(await api.get('/contacts/999999999999/notes', { token: tb }), 404, 'not_found');
			assertError(await post(tb, { contactId: 999999999999, title: 'x', content: 'x' }), 404, 'not_found');
			assert.deepEqual((await api.get(`/notes/${na.id}`, { token: A.token })).json.data, na);
			assert.deepEqual((await api.get(`/notes/${nb.id}`, { token: tb })).json.data, nb);
			const listed = await api.get('/notes', { token: tb });
			assert.deepEqual(listed.json.data.map((x) => x.id), [nb.id], 'B sees only B\'s notes');
		});
	});

	describe('listings (§1.3, §1.4, §10.1)', () => {
		let U, ca, cb, made;
		before(async () => {
			U = await T.session();
			ca = await createContact(api, U.token, 'Ann');
			cb = await createContact(api, U.token, 'Bob');
			made = [];
			for (let i = 0; i < 7; i++) {
				made.push(await note(U.token, i % 2 ? cb.id : ca.id, `Note ${i}${i === 3 ? ' Héllo' : ''}`));
				await tick();
			}
		});

		test('default -createdAt, pages of 3 through nextCursor: every note once, ids as tie-break', async () => {
			const { items, pages } = await listAll(api, U.token, '/notes?limit=3');
			assert.equal(pages.length, 3);
			assert.deepEqual(pages.map((p) => p.data.length), [3, 3, 1]);
			assert.deepEqual(items.map((n) => n.id), made.map((n) => n.id).reverse());
			assert.equal(pages[0].page.limit, 3);
			assert.ok(!('total' in pages[0].page));
			for (const n of items) assert.deepEqual(Object.keys(n).sort(), [...NOTE_KEYS].sort());
			const asc = await listAll(api, U.token, '/notes?sort=createdAt&limit=2');
			assert.deepEqual(asc.items.map((n) => n.id), made.map((n) => n.id));
		});

		test('sort=updatedAt follows changes; unknown sort → invalid_value', async () => {
			await api.patch(`/notes/${made[2].id}`, { token: U.token, body: { content: 'changed' } });
			const res = await api.get('/notes?sort=-updatedAt&limit=1', { token: U.token });
			assert.equal(res.json.data[0].id, made[2].id);
			const asc = await api.get('/notes?sort=updatedAt&limit=100', { token: U.token });
			assert.equal(asc.json.data.at(-1).id, made[2].id);
			for (const s of ['title', '-occurredAt', 'createdat', '--createdAt']) {
				const r = await api.get(`/notes?sort=${s}`, { token: U.token });
				assertError(r, 400, 'validation_failed');
				assertDetail(r, 'sort', 'invalid_value');
			}
		});

		test('includeTotal counts every match ignoring the cursor; contactId and /contacts/{id}/notes agree; title is folded equality', async () => {
			const first = await api.get(`/notes?contactId=${ca.id}&limit=2&includeTotal=true`, { token: U.token });
			assert.equal(first.json.page.total, 4);
			const second = await api.get(`/notes?contactId=${ca.id}&limit=2&includeTotal=true&cursor=${first.json.page.nextCursor}`, { token: U.token });
			assert.equal(second.json.page.total, 4);
			const viaPath = await listAll(api, U.token, `/contacts/${cb.id}/notes`);
			assert.deepEqual(viaPath.items.map((n) => n.id), [made[5].id, made[3].id, made[1].id]);
			const t = await api.get(`/notes?title=${encodeURIComponent('  NOTE 3 HELLO ')}&includeTotal=true`, { token: U.token });
			assert.deepEqual(t.json.data.map((n) => n.id), [made[3].id]);
			assert.equal(t.json.page.total, 1);
			assert.equal((await api.get('/notes?title=Note', { token: U.token })).json.data.length, 0, 'equality, not prefix');
			const tooLong = await api.get(`/notes?title=${'x'.repeat(201)}`, { token: U.token });
			assertDetail(tooLong, 'title', 'too_long');
		});

		test('from inclusive, to exclusive on createdAt; a date-only to includes that day; from after to → 400', async () => {
			const from = made[2].createdAt, to = made[5].createdAt;
			const r = await listAll(api, U.token, `/notes?sort=createdAt&from=${from}&to=${to}`);
			assert.deepEqual(r.items.map((n) => n.id), [made[2].id, made[3].id, made[4].id]);
			const day = made[0].createdAt.slice(0, 10);
			const lastDay = made[6].createdAt.slice(0, 10);
			const all = await api.get(`/notes?from=${day}&to=${lastDay}&includeTotal=true`, { token: U.token });
			assert.equal(all.json.page.total, 7, show(all));
			const none = await api.get(`/notes?to=${day}T00:00:00Z&includeTotal=true`, { token: U.token });
			assert.equal(none.json.page.total, 0);
			const bad = await api.get(`/notes?from=${to}&to=${from}`, { token: U.token });
			assertError(bad, 400, 'validation_failed');
			assertDetail(bad, 'to', 'out_of_range');
			const fmt = await api.get('/notes?from=yesterday&to=2025-13-01', { token: U.token });
			assertDetail(fmt, 'from', 'invalid_format');
			assertDetail(fmt, 'to', 'invalid_format');
		});

		test('cursors: used with another sort or other filters → mismatch; undecodable → invalid_format; limit bounds; unknown and repeated parameters', async () => {
			const first = await api.get('/notes?limit=2', { token: U.token });
			const cur = first.json.page.nextCursor;
			for (const q of [`sort=createdAt&cursor=${cur}`, `contactId=${ca.id}&cursor=${cur}`, `title=x&cursor=${cur}`, `from=2020-01-01&cursor=${cur}`]) {
				const r = await api.get(`/notes?limit=2&${q}`, { token: U.token });
				assertError(r, 400, 'validation_failed');
				assertDetail(r, 'cursor', 'mismatch');
			}
			assert.equal((await api.get(`/notes?limit=5&cursor=${cur}`, { token: U.token })).status, 200, 'limit is not part of the cursor');
			for (const c of ['!!!', 'abc', 'eyJ2IjoyfQ', 'x'.repeat(513)]) {
				const r = await api.get(`/notes?cursor=${c}`, { token: U.token });
				assertError(r, 400, 'validation_failed');
				assertDetail(r, 'cursor', 'invalid_format');
			}
			for (const l of ['0', '101', 'ten', '-1', '2.5']) {
				const r = await api.get(`/notes?limit=${l}`, { token: U.token });
				assertError(r, 400, 'validation_failed');
				assert.ok(r.json.details.some((d) => d.field === 'limit'), show(r));
			}
			const unk = await api.get('/notes?colour=red&type=call', { token: U.token });
			assertDetail(unk, 'colour', 'unknown_field');
			assertDetail(unk, 'type', 'unknown_field');
			const dup = await api.get(`/notes?contactId=${ca.id}&contactId=${cb.id}`, { token: U.token });
			assertDetail(dup, 'contactId', 'duplicate');
			const pathContact = await api.get(`/contacts/${ca.id}/notes?contactId=${ca.id}`, { token: U.token });
			assertDetail(pathContact, 'contactId', 'unknown_field');
			const every = await api.get('/notes?limit=0&sort=nope&cursor=%21&includeTotal=yes', { token: U.token });
			for (const f of ['limit', 'sort', 'cursor', 'includeTotal']) assert.ok(every.json.details.some((d) => d.field === f), `${f}: ${show(every)}`);
		});

		test('an empty page: data [], hasMore false, nextCursor null', async () => {
			const { token } = await T.session();
			const res = await api.get('/notes?includeTotal=true', { token });
			assert.equal(res.status, 200, show(res));
			assert.deepEqual(res.json, { data: [], page: { limit: 25, nextCursor: null, hasMore: false, total: 0 } });
			assertPage(res.json.page, res);
		});
	});

	describe('change feed (§9.2 for kind note)', () => {
		test('updatedSince: live notes (deleted false) and tombstones in (updatedAt, id) order; cursor pages; filters apply to live notes only', async () => {
			const { token } = await T.session();
			const a = await createContact(api, token, 'Ann');
			const b = await createContact(api, token, 'Bob');
			const old = await note(token, a.id, 'Before');
			await tick(5);
			const since = new Date().toISOString();
			await tick(5);
			const n1 = await note(token, a.id, 'One');
			const n2 = await note(token, b.id, 'Two');
			const n3 = await note(token, a.id, 'Three');
			await api.patch(`/notes/${n1.id}`, { token, body: { content: 'edited' } });
			assert.equal((await api.delete(`/notes/${n2.id}`, { token })).status, 204);
			const feed = await listAll(api, token, `/notes?updatedSince=${since}&limit=2`);
			assert.deepEqual(feed.items.map((x) => [x.id, x.deleted]), [[n3.id, false], [n1.id, false], [n2.id, true]]);
			const tomb = feed.items[2];
			assert.deepEqual(Object.keys(tomb).sort(), TOMBSTONE_KEYS);
			assert.match(tomb.updatedAt, ISO_MS);
			assert.deepEqual(Object.keys(feed.items[0]).sort(), [...NOTE_KEYS, 'deleted'].sort());
			for (let i = 1; i < feed.items.length; i++) assert.ok(feed.items[i - 1].updatedAt <= feed.items[i].updatedAt);
			assert.ok(!feed.items.some((x) => x.id === old.id));
			const total = await api.get(`/notes?updatedSince=${since}&includeTotal=true&sort=updatedAt`, { token });
			assert.equal(total.status, 200, show(total));
			assert.equal(total.json.page.total, 3);
			const onlyA = await listAll(api, token, `/notes?updatedSince=${since}&contactId=${a.id}`);
			assert.deepEqual(onlyA.items.map((x) => x.id), [n3.id, n1.id, n2.id], 'the tombstone stays: filters apply to live items');
			const path = await listAll(api, token, `/contacts/${b.id}/notes?updatedSince=${since}`);
			assert.deepEqual(path.items.map((x) => x.id), [n2.id]);
			const last = feed.items.at(-1).updatedAt;
			const next = await api.get(`/notes?updatedSince=${last}`, { token });
			assert.deepEqual(next.json.data.map((x) => x.id), [n2.id], 'items at the greatest instant may repeat');
		});

		test('updatedSince rules: sort other than updatedAt → conflicting; older than 30 days → too_old; a date is not a timestamp', async () => {
			const { token } = await T.session();
			const since = new Date(Date.now() - 60000).toISOString();
			for (const s of ['-createdAt', 'createdAt', '-updatedAt']) {
				const r = await api.get(`/notes?updatedSince=${since}&sort=${s}`, { token });
				assertError(r, 400, 'validation_failed');
				assertDetail(r, 'sort', 'conflicting');
			}
			const old = await api.get(`/notes?updatedSince=${new Date(Date.now() - 31 * 86400000).toISOString()}`, { token });
			assertDetail(old, 'updatedSince', 'too_old');
			const date = await api.get('/notes?updatedSince=2025-01-01', { token });
			assertDetail(date, 'updatedSince', 'invalid_format');
			const first = await api.get(`/notes?limit=1`, { token });
			assert.equal(first.status, 200);
		});
	});

	describe('search words (§9.2): a note\'s title and content find its contact', () => {
		const q = async (token, term) => {
			const r = await api.get(`/contacts?q=${encodeURIComponent(term)}`, { token });
			assert.equal(r.status, 200, show(r));
			return r.json.data.map((c) => c.id);
		};
		test('found right after create, follows changes and moves, gone after delete', async () => {
			const { token } = await T.session();
			const a = await createContact(api, token, 'Ann');
			const b = await createContact(api, token, 'Bob');
			assert.deepEqual(await q(token, 'zebrafish'), []);
			const n = await note(token, a.id, 'Zebrafish lab', 'Talked about Quokkas and Élan.');
			assert.deepEqual(await q(token, 'zebrafish'), [a.id]);
			assert.deepEqual(await q(token, 'QUOKK'), [a.id], 'prefix, case-insensitive');
			assert.deepEqual(await q(token, 'elan'), [a.id], 'accent-insensitive');
			await api.patch(`/notes/${n.id}`, { token, body: { content: 'Now about wombats.' } });
			assert.deepEqual(await q(token, 'quokkas'), []);
			assert.deepEqual(await q(token, 'wombats'), [a.id]);
			await api.patch(`/notes/${n.id}`, { token, body: { contactId: b.id } });
			assert.deepEqual(await q(token, 'wombats'), [b.id]);
			assert.deepEqual(await q(token, 'zebrafish'), [b.id]);
			assert.equal((await api.delete(`/notes/${n.id}`, { token })).status, 204);
			assert.deepEqual(await q(token, 'zebrafish'), []);
			assert.deepEqual(await q(token, 'wombats'), []);
			assert.deepEqual(await q(token, 'bob'), [b.id], 'the contact\'s own words stay');
		});
	});
});
