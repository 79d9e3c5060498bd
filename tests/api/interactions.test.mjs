// Black-box tests of interactions (SPEC §10.2 with §1.3–1.5, §2.2, §6, §9.2): create, read, update
// and move, delete with tombstones; validation naming every bad field with nothing written; the
// derived lastContacted of contacts (and their updatedAt) recomputed on create, update, move and
// delete; ownership (another user's ids → 404); listings with the type, contact and time filters,
// sorts, keyset cursors and totals; and the change feed. The per-account cap of 1,000,000
// interactions is not reached here: tests/unit/test_store_notes.c checks the cap logic on both
// stores. The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE, ISO_MS } from '../support/server.mjs';
import { assertError, assertDetail, show } from '../support/accounts.mjs';
import { startTimeline, createContact, getContact, listAll, tick, isoFromNow, INTERACTION_KEYS, TOMBSTONE_KEYS } from '../support/timeline.mjs';

describe(`interactions [${STORE}]`, () => {
	let T, api;
	before(async () => {
		T = await startTimeline({ tag: 'ix', users: 6 });
		api = T.api;
	});
	after(() => T?.stop());

	const post = (token, body) => api.post('/interactions', { token, body });
	async function log(token, contactId, occurredAt, extra = {}) {
		const res = await post(token, { contactId, type: 'call', occurredAt, ...extra });
		assert.equal(res.status, 201, show(res));
		return res.json.data;
	}
	async function count(token, q = '') {
		const res = await api.get(`/interactions?includeTotal=true${q}`, { token });
		assert.equal(res.status, 200, show(res));
		return res.json.page.total;
	}

	describe('create, read, update, delete', () => {
		test('POST → 201 with Location; type stored lowercase, occurredAt normalised to UTC ms, optional fields null', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const res = await post(token, { contactId: c.id, type: '  Phone Call ', occurredAt: '2025-06-30T15:32:14.123456+02:00', notes: 'Line 1\nLine 2\t', durationMinutes: 25 });
			assert.equal(res.status, 201, show(res));
			const i = res.json.data;
			assert.deepEqual(Object.keys(i).sort(), [...INTERACTION_KEYS].sort());
			assert.equal(res.headers.location, `/api/v1/interactions/${i.id}`);
			assert.equal(i.type, 'phone call');
			assert.equal(i.occurredAt, '2025-06-30T13:32:14.123Z');
			assert.equal(i.notes, 'Line 1\nLine 2\t');
			assert.equal(i.durationMinutes, 25);
			assert.match(i.createdAt, ISO_MS);
			assert.equal(i.updatedAt, i.createdAt);
			const bare = await log(token, c.id, '2025-06-01');
			assert.equal(bare.occurredAt, '2025-06-01T00:00:00.000Z', 'a date is midnight UTC');
			assert.equal(bare.notes, null);
			assert.equal(bare.durationMinutes, null);
			const blank = await log(token, c.id, '2025-06-02T00:00:00Z', { notes: '  \n ', durationMinutes: null });
			assert.equal(blank.notes, null, 'only white space is no value');
			const got = await api.get(`/interactions/${i.id}`, { token });
			assert.deepEqual(got.json, { data: i });
			const uni = await log(token, c.id, '2025-06-03', { type: 'Réunion_Équipe-2' });
			assert.equal(uni.type, 'réunion_équipe-2');
		});

		test('PATCH changes fields and clears notes/durationMinutes with null; DELETE → 204 then 404', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const i = await log(token, c.id, '2025-01-01T10:00:00Z', { notes: 'n', durationMinutes: 5 });
			await tick();
			const p = await api.patch(`/interactions/${i.id}`, { token, body: { type: 'EMAIL', occurredAt: '2025-01-02', notes: null, durationMinutes: null } });
			assert.equal(p.status, 200, show(p));
			const u = p.json.data;
			assert.equal(u.type, 'email');
			assert.equal(u.occurredAt, '2025-01-02T00:00:00.000Z');
			assert.equal(u.notes, null);
			assert.equal(u.durationMinutes, null);
			assert.equal(u.createdAt, i.createdAt);
			assert.ok(u.updatedAt > i.updatedAt);
			assert.deepEqual((await api.get(`/interactions/${i.id}`, { token })).json.data, u);
			const only = await api.patch(`/interactions/${i.id}`, { token, body: { durationMinutes: 10080 } });
			assert.equal(only.json.data.durationMinutes, 10080);
			assert.equal(only.json.data.type, 'email');
			assert.equal((await api.delete(`/interactions/${i.id}`, { token })).status, 204);
			assertError(await api.get(`/interactions/${i.id}`, { token }), 404, 'not_found');
			assertError(await api.delete(`/interactions/${i.id}`, { token }), 404, 'not_found');
			assert.equal(await count(token), 0);
		});
	});

	describe('validation (§2.2): 400 naming every bad field, nothing written', () => {
		test('POST: required, type characters and length, occurredAt format, range and the 24 h future limit, notes and duration bounds, unknown and server-owned fields', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const none = await post(token, {});
			for (const f of ['contactId', 'type', 'occurredAt']) assertDetail(none, f, 'required');
			const bad = await post(token, { contactId: c.id, type: 'call!', occurredAt: 'yesterday', notes: 'x'.repeat(10001), durationMinutes: 10081, lastContacted: 'x', id: 1, createdAt: 'x', mood: 'good' });
			assertError(bad, 400, 'validation_failed');
			assertDetail(bad, 'notes', 'too_long');
			assertDetail(bad, 'durationMinutes', 'out_of_range');
			assertDetail(bad, 'id', 'read_only');
			assertDetail(bad, 'createdAt', 'read_only');
			assertDetail(bad, 'mood', 'unknown_field');
			assertDetail(bad, 'lastContacted', 'read_only');
			const rules = await post(token, { contactId: c.id, type: 'call!', occurredAt: 'yesterday' });
			assertDetail(rules, 'type', 'invalid_characters');
			assertDetail(rules, 'occurredAt', 'invalid_format');
			const cases = [
				[{ type: 'x'.repeat(51) }, 'type', 'too_long'],
				[{ type: '   ' }, 'type', 'required'],
				[{ type: 'a\tb' }, 'type', 'invalid_characters'],
				[{ type: 5 }, 'type', 'wrong_type'],
				[{ occurredAt: isoFromNow(25 * 3600 * 1000) }, 'occurredAt', 'out_of_range'],
				[{ occurredAt: '1899-12-31T23:59:59Z' }, 'occurredAt', 'out_of_range'],
				[{ occurredAt: '2025-02-30' }, 'occurredAt', 'invalid_format'],
				[{ occurredAt: '2025-06-30T15:32Z' }, 'occurredAt', 'invalid_format'],
				[{ occurredAt: 1751290334000 }, 'occurredAt', 'wrong_type'],
				[{ durationMinutes: -1 }, 'durationMinutes', 'out_of_range'],
				[{ durationMinutes: 4.5 }, 'durationMinutes', 'wrong_type'],
				[{ durationMinutes: '5' }, 'durationMinutes', 'wrong_type'],
				[{ durationMinutes: 1e2 }, 'durationMinutes', null],
				[{ notes: 7 }, 'notes', 'wrong_type'],
				[{ notes: 'a\u0001b' }, 'notes', 'invalid_characters'],
				[{ contactId: 'abc' }, 'contactId', 'wrong_type'],
			];
			for (const [patch, field, reason] of cases) {
				const r = await post(token, { contactId: c.id, type: 'call', occurredAt: '2025-01-01', ...patch });
				if (reason === null) {
					assert.equal(r.status, 201, `${JSON.stringify(patch)} is fine: ${show(r)}`);
					continue;
				}
				assertError(r, 400, 'validation_failed');
				assertDetail(r, field, reason);
			}
			const soon = await post(token, { contactId: c.id, type: 'call', occurredAt: isoFromNow(23 * 3600 * 1000) });
			assert.equal(soon.status, 201, `up to 24 h ahead is allowed: ${show(soon)}`);
			assert.equal(await count(token), 2, 'only the valid interactions were written');
			assert.equal((await getContact(api, token, c.id)).lastContacted, soon.json.data.occurredAt);
		});

		test('PATCH: {} → no_fields; null for a required field → 400; bad values named; unchanged after', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			const i = await log(token, c.id, '2025-01-01');
			const e = await api.patch(`/interactions/${i.id}`, { token, body: {} });
			assertDetail(e, 'body', 'no_fields');
			const bad = await api.patch(`/interactions/${i.id}`, { token, body: { type: null, occurredAt: null, contactId: null, updatedAt: 'x' } });
			assertError(bad, 400, 'validation_failed');
			for (const f of ['type', 'occurredAt', 'contactId']) assert.ok(bad.json.details.some((d) => d.field === f), `${f}: ${show(bad)}`);
			assertDetail(bad, 'updatedAt', 'read_only');
			const rules = await api.patch(`/interactions/${i.id}`, { token, body: { type: 'no/slash', occurredAt: isoFromNow(86400000 * 2) } });
			assertDetail(rules, 'type', 'invalid_characters');
			assertDetail(rules, 'occurredAt', 'out_of_range');
			assert.deepEqual((await api.get(`/interactions/${i.id}`, { token })).json.data, i);
		});
	});

	describe('lastContacted (§6): the latest occurredAt, recomputed in the same transaction', () => {
		test('create, update, move and delete recompute it; updatedAt of the contact moves only when it changes', async () => {
			const { token } = await T.session();
			const a = await createContact(api, token, 'Ann');
			const b = await createContact(api, token, 'Bob');
			assert.equal(a.lastContacted, null);
			const i1 = await log(token, a.id, '2025-03-01T12:00:00Z');
			let ca = await getContact(api, token, a.id);
			assert.equal(ca.lastContacted, '2025-03-01T12:00:00.000Z');
			assert.ok(ca.updatedAt > a.updatedAt, 'updatedAt moved with lastContacted');
			await tick();
			await log(token, a.id, '2025-02-01T12:00:00Z'); // older: no change
			const same = await getContact(api, token, a.id);
			assert.equal(same.lastContacted, '2025-03-01T12:00:00.000Z');
			assert.equal(same.updatedAt, ca.updatedAt, 'unchanged lastContacted leaves updatedAt alone');
			const i3 = await log(token, a.id, '2025-04-01T12:00:00Z');
			assert.equal((await getContact(api, token, a.id)).lastContacted, '2025-04-01T12:00:00.000Z');
			await api.patch(`/interactions/${i3.id}`, { token, body: { occurredAt: '2025-01-15' } });
			assert.equal((await getContact(api, token, a.id)).lastContacted, '2025-03-01T12:00:00.000Z', 'update to an older time falls back to the next latest');
			await api.patch(`/interactions/${i1.id}`, { token, body: { contactId: b.id } });
			assert.equal((await getContact(api, token, a.id)).lastContacted, '2025-02-01T12:00:00.000Z', 'the old contact after a move');
			const cb = await getContact(api, token, b.id);
			assert.equal(cb.lastContacted, '2025-03-01T12:00:00.000Z', 'the new contact after a move');
			assert.ok(cb.updatedAt > b.updatedAt);
			assert.equal((await api.delete(`/interactions/${i1.id}`, { token })).status, 204);
			assert.equal((await getContact(api, token, b.id)).lastContacted, null, 'no interaction left');
			const { items } = await listAll(api, token, `/contacts/${a.id}/interactions`);
			for (const x of items) await api.delete(`/interactions/${x.id}`, { token });
			assert.equal((await getContact(api, token, a.id)).lastContacted, null);
		});

		test('a contact\'s lastContacted shows in the contacts change feed', async () => {
			const { token } = await T.session();
			const c = await createContact(api, token, 'Ann');
			await tick(5);
			const since = new Date().toISOString();
			await tick(5);
			await log(token, c.id, '2025-05-05T05:05:05Z');
			const feed = await api.get(`/contacts?updatedSince=${since}`, { token });
			assert.equal(feed.status, 200, show(feed));
			const item = feed.json.data.find((x) => x.id === c.id);
			assert.ok(item, show(feed));
			assert.equal(item.lastContacted, '2025-05-05T05:05:05.000Z');
		});
	});

	describe('ownership: another user\'s ids answer 404 and change nothing', () => {
		test('get, update, delete, create on, list by and move to A\'s contact or interaction → 404', async () => {
			const A = await T.session();
			const B = await T.session();
			const ca = await createContact(api, A.token, 'Ann');
			const ia = await log(A.token, ca.id, '2025-01-01');
			const cb = await createContact(api, B.token, 'Bob');
			const ib = await log(B.token, cb.id, '2025-01-02');
			const tb = B.token;
			assertError(await api.get(`/interactions/${ia.id}`, { token: tb }), 404, 'not_found');
			assertError(await api.patch(`/interactions/${ia.id}`, { token: tb, body: { type: 'x' } }), 404, 'not_found');
			assertError(await api.delete(`/interactions/${ia.id}`, { token: tb }), 404, 'not_found');
			assertError(await post(tb, { contactId: ca.id, type: 'call', occurredAt: '2025-01-01' }), 404, 'not_found');
			assertError(await api.get(`/interactions?contactId=${ca.id}`, { token: tb }), 404, 'not_found');
			assertError(await api.get(`/contacts/${ca.id}/interactions`, { token: tb }), 404, 'not_found');
			assertError(await api.patch(`/interactions/${ib.id}`, { token: tb, body: { contactId: ca.id } }), 404, 'not_found');
			for (const id of ['0', 'x', '9223372036854775808']) assertError(await api.get(`/interactions/${id}`, { token: tb }), 400, 'validation_failed');
			assert.deepEqual((await api.get(`/interactions/${ia.id}`, { token: A.token })).json.data, ia);
			assert.equal((await getContact(api, A.token, ca.id)).lastContacted, ia.occurredAt);
			assert.deepEqual((await api.get(`/interactions/${ib.id}`, { token: tb })).json.data, ib);
			assert.deepEqual((await api.get('/interactions', { token: tb })).json.data.map((x) => x.id), [ib.id]);
		});
	});

	describe('listings (§1.4, §10.2)', () => {
		let U, ca, cb, made;
		before(async () => {
			U = await T.session();
			ca = await createContact(api, U.token, 'Ann');
			cb = await createContact(api, U.token, 'Bob');
			const types = ['call', 'email', 'Meeting', 'call', 'social', 'email', 'call'];
			const days = ['2025-03-05', '2025-03-01', '2025-03-03', '2025-03-03', '2025-03-07', '2025-03-02', '2025-03-06'];
			made = [];
			for (let i = 0; i < types.length; i++) {
				made.push(await log(U.token, i % 2 ? cb.id : ca.id, `${days[i]}T10:00:00Z`, { type: types[i] }));
				await tick();
			}
		});
		const ids = (list) => list.map((x) => x.id);
		const byOccurred = (desc) =>
			[...made].sort((x, y) => (x.occurredAt === y.occurredAt ? x.id - y.id : x.occurredAt < y.occurredAt ? -1 : 1) * (desc ? -1 : 1));

		test('default -occurredAt with id tie-break in the same direction, through pages of 2; sort=occurredAt and createdAt', async () => {
			const d = await listAll(api, U.token, '/interactions?limit=2');
			assert.equal(d.pages.length, 4);
			assert.deepEqual(ids(d.items), ids(byOccurred(true)));
			const a = await listAll(api, U.token, '/interactions?sort=occurredAt&limit=3');
			assert.deepEqual(ids(a.items), ids(byOccurred(false)));
			const cr = await listAll(api, U.token, '/interactions?sort=-createdAt&limit=4');
			assert.deepEqual(ids(cr.items), ids(made).reverse());
			const ca2 = await api.get('/interactions?sort=createdAt&limit=100', { token: U.token });
			assert.deepEqual(ids(ca2.json.data), ids(made));
			const bad = await api.get('/interactions?sort=updatedAt', { token: U.token });
			assertDetail(bad, 'sort', 'invalid_value');
		});

		test('type: repeatable any-of, compared lowercase; at most 10; bad values named', async () => {
			const r = await listAll(api, U.token, '/interactions?type=CALL&type=meeting');
			assert.deepEqual(ids(r.items), ids(byOccurred(true).filter((x) => ['call', 'meeting'].includes(x.type))));
			const t = await api.get('/interactions?type=email&includeTotal=true', { token: U.token });
			assert.equal(t.json.page.total, 2);
			const none = await api.get('/interactions?type=visit', { token: U.token });
			assert.deepEqual(none.json.data, []);
			const many = await api.get(`/interactions?${Array.from({ length: 11 }, (_, i) => `type=t${i}`).join('&')}`, { token: U.token });
			assertError(many, 400, 'validation_failed');
			assertDetail(many, 'type', 'too_many');
			const ten = await api.get(`/interactions?${Array.from({ length: 10 }, (_, i) => `type=t${i}`).join('&')}`, { token: U.token });
			assert.equal(ten.status, 200, show(ten));
			const badType = await api.get(`/interactions?type=a%21&type=${'x'.repeat(51)}`, { token: U.token });
			assertDetail(badType, 'type', 'invalid_characters');
			assertDetail(badType, 'type', 'too_long');
		});

		test('contactId and /contacts/{id}/interactions; from inclusive, to exclusive on occurredAt; a date-only to includes the day', async () => {
			const onB = await listAll(api, U.token, `/contacts/${cb.id}/interactions`);
			assert.deepEqual(ids(onB.items), ids(byOccurred(true).filter((x) => x.contactId === cb.id)));
			const q = await api.get(`/interactions?contactId=${ca.id}&includeTotal=true`, { token: U.token });
			assert.equal(q.json.page.total, 4);
			const range = await listAll(api, U.token, '/interactions?from=2025-03-03T10:00:00Z&to=2025-03-06T10:00:00Z&sort=occurredAt');
			assert.deepEqual(range.items.map((x) => x.occurredAt.slice(0, 10)), ['2025-03-03', '2025-03-03', '2025-03-05']);
			const dayTo = await api.get('/interactions?from=2025-03-06&to=2025-03-07&sort=occurredAt', { token: U.token });
			assert.deepEqual(dayTo.json.data.map((x) => x.occurredAt.slice(0, 10)), ['2025-03-06', '2025-03-07']);
			const typed = await api.get(`/contacts/${ca.id}/interactions?type=call&from=2025-03-06`, { token: U.token });
			assert.deepEqual(ids(typed.json.data), [made[6].id]);
			const bad = await api.get('/interactions?from=2025-03-07&to=2025-03-01', { token: U.token });
			assertDetail(bad, 'to', 'out_of_range');
		});

		test('cursors belong to their sort and filters: other type set → mismatch; same set in another order is the same listing', async () => {
			const first = await api.get('/interactions?limit=1&type=call&type=email', { token: U.token });
			const cur = first.json.page.nextCursor;
			assert.ok(cur);
			const other = await api.get(`/interactions?limit=1&type=call&cursor=${cur}`, { token: U.token });
			assertDetail(other, 'cursor', 'mismatch');
			const swapped = await api.get(`/interactions?limit=1&type=email&type=call&cursor=${cur}`, { token: U.token });
			assert.equal(swapped.status, 200, show(swapped));
			const sorted = await api.get(`/interactions?limit=1&type=call&type=email&sort=occurredAt&cursor=${cur}`, { token: U.token });
			assertDetail(sorted, 'cursor', 'mismatch');
			const path = await api.get(`/contacts/${ca.id}/interactions?limit=1&type=call&type=email&cursor=${cur}`, { token: U.token });
			assertDetail(path, 'cursor', 'mismatch');
			const unknown = await api.get('/interactions?title=x&q=y', { token: U.token });
			assertDetail(unknown, 'title', 'unknown_field');
			assertDetail(unknown, 'q', 'unknown_field');
		});
	});

	describe('change feed (§9.2 for kind interaction)', () => {
		test('updatedSince: live items with deleted false and tombstones in (updatedAt, id) order; filters apply to live items; sort must be updatedAt', async () => {
			const { token } = await T.session();
			const a = await createContact(api, token, 'Ann');
			await log(token, a.id, '2025-01-01');
			await tick(5);
			const since = new Date().toISOString();
			await tick(5);
			const i1 = await log(token, a.id, '2025-01-02', { type: 'email' });
			const i2 = await log(token, a.id, '2025-01-03');
			const i3 = await log(token, a.id, '2025-01-04');
			await api.patch(`/interactions/${i1.id}`, { token, body: { notes: 'later' } });
			await api.delete(`/interactions/${i2.id}`, { token });
			const feed = await listAll(api, token, `/interactions?updatedSince=${since}&limit=1&sort=updatedAt`);
			assert.deepEqual(feed.items.map((x) => [x.id, x.deleted]), [[i3.id, false], [i1.id, false], [i2.id, true]]);
			assert.deepEqual(Object.keys(feed.items[2]).sort(), TOMBSTONE_KEYS);
			assert.deepEqual(Object.keys(feed.items[0]).sort(), [...INTERACTION_KEYS, 'deleted'].sort());
			const typed = await listAll(api, token, `/interactions?updatedSince=${since}&type=email`);
			assert.deepEqual(typed.items.map((x) => x.id), [i1.id, i2.id]);
			const total = await api.get(`/interactions?updatedSince=${since}&includeTotal=true`, { token });
			assert.equal(total.json.page.total, 3);
			const conflicting = await api.get(`/interactions?updatedSince=${since}&sort=-occurredAt`, { token });
			assertDetail(conflicting, 'sort', 'conflicting');
			const cursor = feed.pages[0].page.nextCursor;
			const reused = await api.get(`/interactions?limit=1&cursor=${cursor}`, { token });
			assertDetail(reused, 'cursor', 'mismatch');
			const old = await api.get(`/interactions?updatedSince=${new Date(Date.now() - 40 * 86400000).toISOString()}`, { token });
			assertDetail(old, 'updatedSince', 'too_old');
		});
	});
});
