// Black-box tests of the insights (SPEC §11, §5, §1.4) and their compatibility routes S1–S5
// (§15.2, §15.3 item 16), with exact figures on a hand-built data set: contacts through
// POST /contacts (tags in the contact's "tags"), interactions through POST /interactions with
// chosen occurredAt, notes through POST /notes, one relationship. Covered: empty accounts, ties
// (every ordering rule), never-contacted contacts, from inclusive / to exclusive, day, ISO-week
// and month bucket boundaries with zero buckets, the 366-bucket limit, another user's data never
// counted, bad parameters → 400, FREE → 402 on the two PREMIUM routes (PREMIUM through the ADMIN
// role set in the store). The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE } from '../support/server.mjs';
import { assertError, assertDetail, show } from '../support/accounts.mjs';
import { startContactsServer, newUser } from '../support/contacts.mjs';
import { makeAdmin } from '../support/db.mjs';

const DAY = 86400000;
const BRIEF_KEYS = ['id', 'firstName', 'lastName', 'company', 'jobRole', 'lastContacted'];
const STALE_KEYS = [...BRIEF_KEYS, 'daysSinceContact'];
const MOST_KEYS = ['id', 'firstName', 'lastName', 'email', 'phone', 'company', 'jobRole', 'interactionCount'];
const OVERVIEW_KEYS = ['totalContacts', 'totalInteractions', 'totalNotes', 'totalTags', 'avgInteractionsPerContact', 'contactsNeverContacted', 'interactionsLast30Days', 'staleContacts'];
const SUMMARY_KEYS = ['contactId', 'totalInteractions', 'byType', 'firstInteractionAt', 'lastContacted', 'interactionsLast30Days', 'averageDaysBetweenInteractions', 'noteCount', 'tagCount', 'relationshipCount'];
const TAG_KEYS = ['id', 'name', 'contactCount', 'interactionCount', 'staleContactCount', 'lastContacted'];
const iso = (ms) => new Date(ms).toISOString();

/** GET path as u expecting 200; resolves the body. */
async function ok(u, path) {
	const r = await u.get(path);
	assert.equal(r.status, 200, show(r));
	return r.json;
}

/** POST /interactions for contact c at ms (or an ISO string). */
async function interact(u, c, type, at) {
	const r = await u.post('/interactions', { contactId: c.id, type, occurredAt: typeof at === 'number' ? iso(at) : at });
	assert.equal(r.status, 201, show(r));
	return r.json.data;
}

describe(`insights [${STORE}]`, () => {
	let S;
	let u; // the main account, PREMIUM for the trend and tag tests
	let free; // a FREE account with the same kind of data (402s)
	let other; // another user whose data must never be counted
	let base; // the instant the relative occurredAt values are computed from
	const c = {}; // the main account's contacts by letter

	before(async () => {
		S = await startContactsServer();
		[u, free, other] = await Promise.all([newUser(S.api, 'ins'), newUser(S.api, 'insfree'), newUser(S.api, 'insoth')]);
		base = Date.now() - 60000;
		// Contacts A..G in id order. D and E are never contacted.
		c.A = await u.create({ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com', phone: '+1 415 555 0101', company: 'Acme', jobRole: 'CTO', tags: ['vip', 'Work'] });
		c.B = await u.create({ firstName: 'Ben', tags: ['work'] });
		c.C = await u.create({ firstName: 'Cara', company: 'Initech', tags: ['old'] });
		c.D = await u.create({ firstName: 'Dan', tags: ['VIP'] });
		c.E = await u.create({ firstName: 'Eve', jobRole: 'Chef' });
		c.F = await u.create({ firstName: 'Finn' });
		c.G = await u.create({ firstName: 'Gail', tags: ['lonely'] });
		// G's tag stays, with no contacts
		let r = await u.patch(`/contacts/${c.G.id}`, { tags: [] });
		assert.equal(r.status, 200, show(r));
		// A: 3 (two within 30 days), B: 3 (one within 30 days), C and F: 1 each at the same
		// instant, G: 1.
		await interact(u, c.A, 'Call', base - 1 * DAY);
		await interact(u, c.A, 'email', base - 3 * DAY);
		await interact(u, c.A, 'call', base - 40 * DAY);
		await interact(u, c.B, 'meeting', base - 2 * DAY);
		await interact(u, c.B, 'call', base - 50 * DAY);
		await interact(u, c.B, 'email', base - 70 * DAY);
		await interact(u, c.C, 'call', base - 100 * DAY);
		await interact(u, c.F, 'call', base - 100 * DAY);
		await interact(u, c.G, 'coffee', base - 60 * DAY);
		for (const [who, title] of [[c.A, 'One'], [c.A, 'Two'], [c.B, 'Three']]) {
			r = await u.post('/notes', { contactId: who.id, title, content: 'x' });
			assert.equal(r.status, 201, show(r));
		}
		r = await u.post(`/contacts/${c.A.id}/relationships`, { relatedContactId: c.B.id, type: 'friend' });
		assert.equal(r.status, 201, show(r));
		// The other account: more of everything, some of it tagged like ours.
		const o1 = await other.create({ firstName: 'Olga', tags: ['vip', 'work', 'lonely'] });
		const o2 = await other.create({ firstName: 'Otto' });
		for (let i = 0; i < 4; i++) await interact(other, o1, 'call', base - i * DAY);
		await interact(other, o2, 'call', '2024-01-10T10:00:00Z');
		r = await other.post('/notes', { contactId: o1.id, title: 'Other', content: 'x' });
		assert.equal(r.status, 201, show(r));
		other.contacts = [o1, o2];
		// The FREE account has data too: the 402s are not about an empty account.
		const f1 = await free.create({ firstName: 'Fay', tags: ['x'] });
		await interact(free, f1, 'call', base - DAY);
		await makeAdmin(S.srv, u.ident.email);
	});
	after(async () => {
		if (S) await S.stop();
	});

	const ids = (list) => list.map((x) => x.id);

	test('GET /insights/overview: exact figures; another account is not counted', async () => {
		const { data } = await ok(u, '/insights/overview');
		assert.deepEqual(Object.keys(data), OVERVIEW_KEYS);
		assert.deepEqual(data, {
			totalContacts: 7,
			totalInteractions: 9,
			totalNotes: 3,
			totalTags: 4,
			avgInteractionsPerContact: 1.29, // 9 / 7 = 1.2857…
			contactsNeverContacted: 2,
			interactionsLast30Days: 3,
			staleContacts: 5, // D, E never; C, F, G before now − 30 days
		});
		const o = (await ok(other, '/insights/overview')).data;
		assert.deepEqual(o, {
			totalContacts: 2, totalInteractions: 5, totalNotes: 1, totalTags: 3, avgInteractionsPerContact: 2.5,
			contactsNeverContacted: 0, interactionsLast30Days: 4, staleContacts: 1,
		});
	});

	test('an empty account: zeros everywhere, avg a number, empty lists, zero buckets', async () => {
		const e = await newUser(S.api, 'insempty');
		assert.deepEqual((await ok(e, '/insights/overview')).data, {
			totalContacts: 0, totalInteractions: 0, totalNotes: 0, totalTags: 0, avgInteractionsPerContact: 0,
			contactsNeverContacted: 0, interactionsLast30Days: 0, staleContacts: 0,
		});
		assert.deepEqual(await ok(e, '/insights/recently-contacted'), { data: [] });
		assert.deepEqual(await ok(e, '/insights/most-interacted'), { data: [] });
		assert.deepEqual(await ok(e, '/insights/stale-contacts?includeTotal=true'), { data: [], page: { limit: 25, nextCursor: null, hasMore: false, total: 0 } });
		let r = await e.get('/insights/overall-metrics');
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(r.json, { data: { totalContacts: 0, totalInteractions: 0, avgInteractionPerContact: 0, totalTags: 0 }, status: 200 });
		assert.deepEqual((await e.get('/insights/recently-contacted/5')).json, { data: [], status: 200 });
		assert.deepEqual((await e.get('/insights/stale-contacts/30')).json, { data: [], status: 200 });
		assert.deepEqual((await e.get('/insights/most-interacted-contacts')).json, { data: [], status: 200 });
		await makeAdmin(S.srv, e.ident.email);
		assert.deepEqual(await ok(e, '/insights/tags'), { data: [] });
		const t = (await ok(e, '/insights/interactions-trend?interval=month&from=2024-01-01&to=2024-02-29')).data;
		assert.deepEqual(t, {
			interval: 'month', from: '2024-01-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z', total: 0,
			buckets: [{ start: '2024-01-01T00:00:00.000Z', count: 0 }, { start: '2024-02-01T00:00:00.000Z', count: 0 }],
		});
	});

	test('GET /insights/recently-contacted: newest first, ties by ascending id, limit', async () => {
		const { data } = await ok(u, '/insights/recently-contacted');
		assert.deepEqual(ids(data), [c.A.id, c.B.id, c.G.id, c.C.id, c.F.id], 'never-contacted contacts are not listed; C and F tie');
		for (const x of data) assert.deepEqual(Object.keys(x), BRIEF_KEYS);
		assert.deepEqual(data[0], { id: c.A.id, firstName: 'Ann', lastName: 'Lee', company: 'Acme', jobRole: 'CTO', lastContacted: iso(base - DAY) });
		assert.deepEqual(data[1], { id: c.B.id, firstName: 'Ben', lastName: null, company: null, jobRole: null, lastContacted: iso(base - 2 * DAY) });
		assert.deepEqual(ids((await ok(u, '/insights/recently-contacted?limit=2')).data), [c.A.id, c.B.id]);
		assert.deepEqual(ids((await ok(u, '/insights/recently-contacted?limit=100')).data).length, 5);
		for (const [bad, why] of [['0', 'out_of_range'], ['101', 'out_of_range'], ['-1', 'out_of_range'], ['x', 'invalid_format'], ['1.5', 'invalid_format'], ['', 'invalid_format']]) {
			const r = await u.get(`/insights/recently-contacted?limit=${bad}`);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, 'limit', why);
		}
		assertError(await u.get('/insights/recently-contacted?limit=2&limit=3'), 400, 'validation_failed');
		assertError(await u.get('/insights/recently-contacted?days=3'), 400, 'validation_failed');
	});

	test('GET /insights/stale-contacts: never contacted first by id, then oldest, paginated with total', async () => {
		const { data, page } = await ok(u, '/insights/stale-contacts');
		assert.deepEqual(ids(data), [c.D.id, c.E.id, c.C.id, c.F.id, c.G.id]);
		assert.deepEqual(page, { limit: 25, nextCursor: null, hasMore: false });
		for (const x of data) assert.deepEqual(Object.keys(x), STALE_KEYS);
		assert.deepEqual(data.map((x) => x.daysSinceContact), [null, null, 100, 100, 60]);
		assert.deepEqual(data[1], { id: c.E.id, firstName: 'Eve', lastName: null, company: null, jobRole: 'Chef', lastContacted: null, daysSinceContact: null });
		// days moves the cutoff: G (60 days) is no longer stale at 80, everyone contacted is at 1
		assert.deepEqual(ids((await ok(u, '/insights/stale-contacts?days=80')).data), [c.D.id, c.E.id, c.C.id, c.F.id]);
		assert.deepEqual(ids((await ok(u, '/insights/stale-contacts?days=3650')).data), [c.D.id, c.E.id]);
		// pages of 2 with the total on each page
		const seen = [];
		let cursor = null;
		const pages = [];
		for (let i = 0; i < 5; i++) {
			const q = `/insights/stale-contacts?limit=2&includeTotal=true${cursor ? `&cursor=${cursor}` : ''}`;
			const body = await ok(u, q);
			assert.equal(body.page.total, 5);
			assert.equal(body.page.hasMore, body.page.nextCursor !== null);
			seen.push(...ids(body.data));
			pages.push(ids(body.data));
			if (!body.page.hasMore) break;
			cursor = body.page.nextCursor;
		}
		assert.deepEqual(pages, [[c.D.id, c.E.id], [c.C.id, c.F.id], [c.G.id]], 'a page boundary inside the never-contacted ones and one inside a tie');
		// pages of 1 cross from the never-contacted to the contacted ones
		const one = await ok(u, '/insights/stale-contacts?limit=1');
		const two = await ok(u, `/insights/stale-contacts?limit=1&cursor=${one.page.nextCursor}`);
		const three = await ok(u, `/insights/stale-contacts?limit=1&cursor=${two.page.nextCursor}`);
		assert.deepEqual([ids(one.data), ids(two.data), ids(three.data)], [[c.D.id], [c.E.id], [c.C.id]]);
		// a cursor belongs to one days value
		let r = await u.get(`/insights/stale-contacts?limit=1&days=31&cursor=${one.page.nextCursor}`);
		assertError(r, 400, 'validation_failed');
		assertDetail(r, 'cursor', 'mismatch');
		r = await u.get('/insights/stale-contacts?cursor=!!!');
		assertDetail(r, 'cursor', 'invalid_format');
		r = await u.get('/insights/stale-contacts?days=0&limit=101&includeTotal=yes&cursor=%25');
		assertError(r, 400, 'validation_failed');
		for (const [f, why] of [['days', 'out_of_range'], ['limit', 'out_of_range'], ['includeTotal', 'invalid_value'], ['cursor', 'invalid_format']]) assertDetail(r, f, why);
		assertDetail(await u.get('/insights/stale-contacts?days=3651'), 'days', 'out_of_range');
	});

	test('GET /insights/most-interacted: count desc, lastContacted desc, id asc; from inclusive, to exclusive', async () => {
		const { data } = await ok(u, '/insights/most-interacted');
		assert.deepEqual(ids(data), [c.A.id, c.B.id, c.G.id, c.C.id, c.F.id]);
		assert.deepEqual(data.map((x) => x.interactionCount), [3, 3, 1, 1, 1]);
		for (const x of data) assert.deepEqual(Object.keys(x), MOST_KEYS);
		assert.deepEqual(data[0], { id: c.A.id, firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com', phone: '+1 415 555 0101', company: 'Acme', jobRole: 'CTO', interactionCount: 3 });
		assert.deepEqual(ids((await ok(u, '/insights/most-interacted?limit=4')).data), [c.A.id, c.B.id, c.G.id, c.C.id], 'the limit cuts inside a tie by id');
		const q = (from, to) => `/insights/most-interacted?from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
		let r = await ok(u, q(base - 45 * DAY, base + 1));
		assert.deepEqual(r.data.map((x) => [x.id, x.interactionCount]), [[c.A.id, 3], [c.B.id, 1]]);
		r = await ok(u, q(base - 40 * DAY, base - DAY));
		assert.deepEqual(r.data.map((x) => [x.id, x.interactionCount]), [[c.A.id, 2], [c.B.id, 1]], 'from inclusive (A at −40 d), to exclusive (A at −1 d)');
		r = await ok(u, q(base - 40 * DAY + 1, base - DAY + 1));
		assert.deepEqual(r.data.map((x) => [x.id, x.interactionCount]), [[c.A.id, 2], [c.B.id, 1]], 'A at −40 d is before from, A at −1 d before to');
		r = await ok(u, `/insights/most-interacted?from=${encodeURIComponent(iso(base - 60 * DAY))}`);
		assert.deepEqual(r.data.map((x) => [x.id, x.interactionCount]), [[c.A.id, 3], [c.B.id, 2], [c.G.id, 1]]);
		r = await ok(u, `/insights/most-interacted?to=${encodeURIComponent(iso(base - 60 * DAY))}`);
		assert.deepEqual(r.data.map((x) => [x.id, x.interactionCount]), [[c.B.id, 1], [c.C.id, 1], [c.F.id, 1]], 'B (−70 d) before C and F (−100 d)');
		assert.deepEqual((await ok(u, '/insights/most-interacted?from=2001-01-01&to=2001-01-01')).data, []);
		let bad = await u.get('/insights/most-interacted?from=2025-02-01&to=2025-01-01&limit=0');
		assertError(bad, 400, 'validation_failed');
		assertDetail(bad, 'to', 'out_of_range');
		assertDetail(bad, 'limit', 'out_of_range');
		bad = await u.get('/insights/most-interacted?from=yesterday&to=1899-12-31');
		assertDetail(bad, 'from', 'invalid_format');
		assertDetail(bad, 'to', 'out_of_range');
	});

	// Over a range, the top may come from the contacts with the most interactions of all time
	// (a floor from a sample of them, src/domain/insights.c) or from counting every contact in
	// the range: both give the same rows. Here 100 contacts with 3 old interactions each fill
	// the sample, so the contacts that lead in the range are outside it.
	test('GET /insights/most-interacted over a range: the same top whichever way it is counted', async () => {
		const f = await newUser(S.api, 'insfloor');
		await makeAdmin(S.srv, f.ident.email); // PREMIUM: more contacts than the FREE plan's
		const old = base - 300 * DAY;
		const fill = [];
		for (let i = 0; i < 100; i += 20) {
			fill.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => f.create({ firstName: `Fill${i + k}` })))));
		}
		for (let i = 0; i < fill.length; i += 25) {
			await Promise.all(fill.slice(i, i + 25).flatMap((x) => [1, 2, 3].map((h) => interact(f, x, 'call', old + h * 3600000))));
		}
		const p = await f.create({ firstName: 'Past' }); // 4 of all time, 1 in the range
		for (const d of [1, 2, 3]) await interact(f, p, 'call', old - d * DAY);
		await interact(f, p, 'call', base - 10 * DAY);
		const n1 = await f.create({ firstName: 'New1' }); // 2, both in the range
		await interact(f, n1, 'call', base - 5 * DAY);
		await interact(f, n1, 'email', base - 4 * DAY);
		const n2 = await f.create({ firstName: 'New2' }); // 2 in the range, contacted earlier than New1
		await interact(f, n2, 'call', base - 8 * DAY);
		await interact(f, n2, 'call', base - 7 * DAY);
		const n3 = await f.create({ firstName: 'New3' }); // 1 in the range, the latest of all
		await interact(f, n3, 'call', base - DAY);
		const range = `from=${encodeURIComponent(iso(base - 30 * DAY))}&to=${encodeURIComponent(iso(base))}`;
		const top = async (limit) => (await ok(f, `/insights/most-interacted?${range}&limit=${limit}`)).data.map((x) => [x.id, x.interactionCount]);
		const all = await top(100);
		assert.deepEqual(all, [[n1.id, 2], [n2.id, 2], [n3.id, 1], [p.id, 1]], 'count desc, then lastContacted desc');
		for (const k of [1, 2, 3, 4]) assert.deepEqual(await top(k), all.slice(0, k), `limit ${k}`);
		// over all time Past's 4 lead, then the fillers' 3 (the same lastContacted: by id)
		const allTime = (await ok(f, '/insights/most-interacted?limit=3')).data.map((x) => [x.id, x.interactionCount]);
		const fillIds = fill.map((x) => x.id).sort((a, b) => a - b);
		assert.deepEqual(allTime, [[p.id, 4], [fillIds[0], 3], [fillIds[1], 3]]);
	});

	test('GET /insights/contacts/{id}/summary: exact figures, empty summary, 404 for another user', async () => {
		let { data } = await ok(u, `/insights/contacts/${c.A.id}/summary`);
		assert.deepEqual(Object.keys(data), SUMMARY_KEYS);
		assert.deepEqual(data, {
			contactId: c.A.id,
			totalInteractions: 3,
			byType: [{ type: 'call', count: 2 }, { type: 'email', count: 1 }],
			firstInteractionAt: iso(base - 40 * DAY),
			lastContacted: iso(base - DAY),
			interactionsLast30Days: 2,
			averageDaysBetweenInteractions: 19.5, // 39 days over 2 gaps
			noteCount: 2,
			tagCount: 2,
			relationshipCount: 1,
		});
		data = (await ok(u, `/insights/contacts/${c.B.id}/summary`)).data;
		assert.deepEqual(data.byType, [{ type: 'call', count: 1 }, { type: 'email', count: 1 }, { type: 'meeting', count: 1 }], 'count ties by type');
		assert.equal(data.averageDaysBetweenInteractions, 34, '68 days over 2 gaps: a whole number');
		assert.deepEqual([data.noteCount, data.tagCount, data.relationshipCount, data.interactionsLast30Days], [1, 1, 1, 1]);
		data = (await ok(u, `/insights/contacts/${c.C.id}/summary`)).data;
		assert.equal(data.averageDaysBetweenInteractions, null, 'one interaction');
		assert.equal(data.firstInteractionAt, data.lastContacted);
		data = (await ok(u, `/insights/contacts/${c.D.id}/summary`)).data;
		assert.deepEqual(data, {
			contactId: c.D.id, totalInteractions: 0, byType: [], firstInteractionAt: null, lastContacted: null,
			interactionsLast30Days: 0, averageDaysBetweenInteractions: null, noteCount: 0, tagCount: 1, relationshipCount: 0,
		});
		assertError(await u.get(`/insights/contacts/${other.contacts[0].id}/summary`), 404, 'not_found');
		assertError(await u.get('/insights/contacts/999999999/summary'), 404, 'not_found');
		assertError(await u.get('/insights/contacts/abc/summary'), 400, 'validation_failed');
		assertError(await u.get(`/insights/contacts/${c.A.id}/summary?x=1`), 400, 'validation_failed');
	});

	test('GET /insights/tags (PREMIUM): every tag with exact figures, ordered by count, folded name, id', async () => {
		let { data } = await ok(u, '/insights/tags');
		for (const x of data) assert.deepEqual(Object.keys(x), TAG_KEYS);
		assert.deepEqual(data.map(({ id, ...rest }) => rest), [
			{ name: 'vip', contactCount: 2, interactionCount: 2, staleContactCount: 1, lastContacted: iso(base - DAY) },
			{ name: 'Work', contactCount: 2, interactionCount: 3, staleContactCount: 0, lastContacted: iso(base - DAY) },
			{ name: 'old', contactCount: 1, interactionCount: 0, staleContactCount: 1, lastContacted: iso(base - 100 * DAY) },
			{ name: 'lonely', contactCount: 0, interactionCount: 0, staleContactCount: 0, lastContacted: null },
		]);
		data = (await ok(u, '/insights/tags?days=3650')).data;
		assert.deepEqual(data.map((x) => [x.name, x.interactionCount, x.staleContactCount]), [['vip', 3, 1], ['Work', 6, 0], ['old', 1, 0], ['lonely', 0, 0]]);
		data = (await ok(u, '/insights/tags?days=1')).data;
		assert.deepEqual(data.map((x) => [x.name, x.interactionCount, x.staleContactCount, x.lastContacted]), [
			['vip', 0, 2, iso(base - DAY)], ['Work', 0, 2, iso(base - DAY)], ['old', 0, 1, iso(base - 100 * DAY)], ['lonely', 0, 0, null],
		], 'every tagged contact stale: lastContacted is still the latest');
		for (const bad of ['0', '3651', 'x']) assertError(await u.get(`/insights/tags?days=${bad}`), 400, 'validation_failed');
		assertError(await u.get('/insights/tags?limit=5'), 400, 'validation_failed');
	});

	test('FREE accounts get 402 premium_required on the trend and tags, after validation', async () => {
		assertError(await free.get('/insights/tags'), 402, 'premium_required');
		assertError(await free.get('/insights/interactions-trend'), 402, 'premium_required');
		assertError(await free.get('/insights/interactions-trend?interval=day&from=2024-01-01&to=2024-01-31'), 402, 'premium_required');
		assertError(await free.get('/insights/interactions-trend?interval=year'), 400, 'validation_failed');
		assertError(await free.get('/insights/tags?days=0'), 400, 'validation_failed');
		// the other routes are open to FREE
		assert.equal((await ok(free, '/insights/overview')).data.totalContacts, 1);
		assert.equal((await free.get('/insights/overall-metrics')).status, 200);
	});

	describe('GET /insights/interactions-trend (PREMIUM)', () => {
		let t;
		const tc = {};
		before(async () => {
			t = await newUser(S.api, 'instrend');
			tc.X = await t.create({ firstName: 'Xavier' });
			tc.Y = await t.create({ firstName: 'Yara' });
			await interact(t, tc.X, 'call', '2024-01-01T00:00:00.000Z'); // a Monday
			await interact(t, tc.X, 'email', '2024-01-07T23:59:59.999Z'); // the Sunday after
			await interact(t, tc.Y, 'call', '2024-01-08T00:00:00.000Z'); // the next Monday
			await interact(t, tc.X, 'meeting', '2024-01-31T23:59:59.999Z');
			await interact(t, tc.X, 'call', '2024-02-01T00:00:00.000Z');
			await interact(t, tc.Y, 'call', '2024-02-29T12:00:00+02:00'); // 10:00 UTC on the leap day
			await interact(t, tc.Y, 'email', '2024-03-15');
			await makeAdmin(S.srv, t.ident.email);
		});
		const trend = async (q) => (await ok(t, `/insights/interactions-trend?${q}`)).data;
		const counts = (d) => d.buckets.map((b) => b.count);

		test('days: from moved back to 00:00, to exclusive, a date-only to includes that day', async () => {
			let d = await trend('interval=day&from=2024-01-07&to=2024-01-09');
			assert.deepEqual(d, {
				interval: 'day', from: '2024-01-07T00:00:00.000Z', to: '2024-01-10T00:00:00.000Z', total: 2,
				buckets: [
					{ start: '2024-01-07T00:00:00.000Z', count: 1 },
					{ start: '2024-01-08T00:00:00.000Z', count: 1 },
					{ start: '2024-01-09T00:00:00.000Z', count: 0 },
				],
			});
			d = await trend('interval=day&from=2024-01-07T12:00:00Z&to=2024-01-08T00:00:00Z');
			assert.deepEqual([d.from, d.to, counts(d), d.total], ['2024-01-07T00:00:00.000Z', '2024-01-08T00:00:00.000Z', [1], 1], 'to exclusive: the Monday 00:00 call is out');
			d = await trend('interval=day&from=2024-01-01&to=2024-01-07T23:59:59.999Z');
			assert.deepEqual([counts(d), d.total], [[1, 0, 0, 0, 0, 0, 0], 1], 'the last bucket is partial and ends before to');
			d = await trend(`interval=day&from=${encodeURIComponent('2024-01-01T01:00:00+02:00')}&to=2024-01-01`);
			assert.deepEqual([d.from, counts(d)], ['2023-12-31T00:00:00.000Z', [0, 1]], 'an offset is converted to UTC first');
			d = await trend('interval=day&from=2024-01-08&to=2024-01-08T00:00:00Z');
			assert.deepEqual([d.buckets, d.total], [[], 0], 'an empty range has no buckets');
		});

		test('ISO weeks from Monday 00:00 UTC, with zero weeks', async () => {
			const d = await trend('interval=week&from=2024-01-03&to=2024-02-05');
			assert.equal(d.from, '2024-01-01T00:00:00.000Z', 'a Wednesday moves back to its Monday');
			assert.equal(d.to, '2024-02-06T00:00:00.000Z');
			assert.deepEqual(d.buckets.map((b) => b.start.slice(0, 10)), ['2024-01-01', '2024-01-08', '2024-01-15', '2024-01-22', '2024-01-29', '2024-02-05']);
			assert.deepEqual(counts(d), [2, 1, 0, 0, 2, 0]);
			assert.equal(d.total, 5);
			const w = await trend('from=2024-01-07T23:59:59.999Z&to=2024-01-08T00:00:00.001Z');
			assert.deepEqual([w.interval, w.from, counts(w)], ['week', '2024-01-01T00:00:00.000Z', [2, 1]], 'week is the default interval; the moved-back from counts the whole first week');
		});

		test('months from the 1st, February of a leap year, filters by contact and type', async () => {
			let d = await trend('interval=month&from=2024-01-15&to=2024-03-31');
			assert.deepEqual([d.from, d.to], ['2024-01-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']);
			assert.deepEqual(d.buckets, [
				{ start: '2024-01-01T00:00:00.000Z', count: 4 },
				{ start: '2024-02-01T00:00:00.000Z', count: 2 },
				{ start: '2024-03-01T00:00:00.000Z', count: 1 },
			]);
			assert.equal(d.total, 7);
			const q = 'interval=month&from=2024-01-01&to=2024-03-31';
			assert.deepEqual(counts(await trend(`${q}&contactId=${tc.Y.id}`)), [1, 1, 1]);
			assert.deepEqual(counts(await trend(`${q}&type=call`)), [2, 2, 0]);
			assert.deepEqual(counts(await trend(`${q}&type=CALL&type=email`)), [3, 2, 1], 'types compared lowercase, any of');
			assert.deepEqual(counts(await trend(`${q}&type=call&contactId=${tc.X.id}`)), [1, 1, 0]);
			assert.deepEqual(counts(await trend(`${q}&type=nothing`)), [0, 0, 0]);
			d = await trend('interval=month&from=2023-11-20&to=2023-12-31');
			assert.deepEqual([counts(d), d.total], [[0, 0], 0], 'zero buckets are listed');
		});

		test('defaults: to = now; from = to − 30 days, 12 weeks or 12 months, moved back', async () => {
			const before0 = Date.now();
			let d = await trend('interval=day');
			const to = Date.parse(d.to);
			assert.ok(to >= before0 && to <= Date.now(), `to is now: ${d.to}`);
			assert.equal(d.buckets.length, 31);
			assert.equal(Date.parse(d.from), Math.floor((to - 30 * DAY) / DAY) * DAY);
			d = await trend('');
			assert.equal(d.interval, 'week');
			assert.equal(new Date(d.from).getUTCDay(), 1, 'a Monday');
			assert.ok(Date.parse(d.from) <= Date.parse(d.to) - 84 * DAY && Date.parse(d.from) > Date.parse(d.to) - 91 * DAY);
			assert.ok(d.buckets.length === 13 || d.buckets.length === 12);
			d = await trend('interval=month&to=2024-03-10');
			assert.equal(d.from, '2023-03-01T00:00:00.000Z');
			assert.equal(d.buckets.length, 13);
			assert.deepEqual(counts(d).slice(-3), [4, 2, 0], 'the date-only to ends with 2024-03-10: the 15th is out');
			d = await trend('interval=day&to=2024-01-08T00:00:00Z');
			assert.deepEqual([d.from, d.buckets.length, d.total], ['2023-12-09T00:00:00.000Z', 30, 2]);
		});

		test('at most 366 buckets; bad parameters → 400 with every problem', async () => {
			let d = await trend('interval=day&from=2023-01-01&to=2024-01-01');
			assert.equal(d.buckets.length, 366);
			let r = await t.get('/insights/interactions-trend?interval=day&from=2022-12-31&to=2024-01-01');
			assertError(r, 400, 'validation_failed');
			assertDetail(r, 'from', 'out_of_range');
			d = await trend('interval=month&from=1994-01-01&to=2024-06-30');
			assert.equal(d.buckets.length, 366);
			assertDetail(await t.get('/insights/interactions-trend?interval=month&from=1994-01-01&to=2024-07-01'), 'from', 'out_of_range');
			assertDetail(await t.get('/insights/interactions-trend?interval=week&from=2010-01-01&to=2024-01-01'), 'from', 'out_of_range');
			r = await t.get('/insights/interactions-trend?interval=year&from=x&contactId=0&type=a!');
			assertError(r, 400, 'validation_failed');
			for (const [f, why] of [['interval', 'invalid_value'], ['from', 'invalid_format'], ['contactId', 'invalid_format'], ['type', 'invalid_characters']]) assertDetail(r, f, why);
			r = await t.get('/insights/interactions-trend?from=2024-02-01&to=2024-01-01');
			assertDetail(r, 'to', 'out_of_range');
			r = await t.get(`/insights/interactions-trend?${Array.from({ length: 11 }, (_, i) => `type=t${i}`).join('&')}`);
			assertDetail(r, 'type', 'too_many');
			assertError(await t.get('/insights/interactions-trend?interval=day&interval=week'), 400, 'validation_failed');
			assertError(await t.get('/insights/interactions-trend?limit=3'), 400, 'validation_failed');
			// another user's contact, or none, is 404
			r = await t.get(`/insights/interactions-trend?contactId=${c.A.id}`);
			assertError(r, 404, 'not_found');
			assertDetail(r, 'contactId', 'not_found');
			assertError(await t.get('/insights/interactions-trend?contactId=999999999'), 404, 'not_found');
		});

		test("another user's interactions are not counted", async () => {
			// the other account has an interaction on 2024-01-10: not in t's January
			const d = await trend('interval=month&from=2024-01-01&to=2024-01-31');
			assert.deepEqual(counts(d), [4]);
			const o = await other.get('/insights/interactions-trend?interval=month&from=2024-01-01&to=2024-01-31');
			assertError(o, 402, 'premium_required');
		});
	});

	// The totals, per-contact counts and per-day figures are kept by the store as rows are
	// written (db/*/0003_insights_rollups.sql): every kind of write must show at once.
	describe('figures follow every write', () => {
		let w;
		const wc = {};
		const most = async () => (await ok(w, '/insights/most-interacted')).data.map((x) => [x.id, x.interactionCount]);
		const overview = async () => {
			const o = (await ok(w, '/insights/overview')).data;
			return [o.totalContacts, o.totalInteractions, o.totalNotes];
		};
		const days = async (q = '') => (await ok(w, `/insights/interactions-trend?interval=day&from=2024-05-01&to=2024-05-04${q}`)).data.buckets.map((b) => b.count);
		before(async () => {
			w = await newUser(S.api, 'insroll');
			await makeAdmin(S.srv, w.ident.email);
			for (const k of ['P', 'Q', 'R']) wc[k] = await w.create({ firstName: k, tags: k === 'Q' ? ['solo'] : ['both'] });
		});

		const tagCounts = async () => Object.fromEntries((await ok(w, '/insights/tags')).data.map((t) => [t.name, t.contactCount]));
		test('create, move, re-date, re-type and delete interactions; delete contacts with theirs', async () => {
			assert.deepEqual(await tagCounts(), { both: 2, solo: 1 });
			assert.deepEqual([await overview(), await most(), await days()], [[3, 0, 0], [], [0, 0, 0, 0]], 'an account with no interactions');
			const i1 = await interact(w, wc.P, 'call', '2024-05-01T10:00:00Z');
			const i2 = await interact(w, wc.P, 'email', '2024-05-01T23:59:59.999Z');
			const i3 = await interact(w, wc.Q, 'call', '2024-05-02T00:00:00Z');
			await interact(w, wc.R, 'call', '2024-05-04T06:00:00Z');
			await interact(w, wc.R, 'call', '2024-05-04T18:00:00Z');
			let r = await w.post('/notes', { contactId: wc.P.id, title: 'n1', content: 'x' });
			assert.equal(r.status, 201, show(r));
			const n2 = (await w.post('/notes', { contactId: wc.Q.id, title: 'n2', content: 'x' })).json.data;
			assert.deepEqual(await overview(), [3, 5, 2]);
			assert.deepEqual(await most(), [[wc.R.id, 2], [wc.P.id, 2], [wc.Q.id, 1]], 'ties by lastContacted desc');
			assert.deepEqual(await days(), [2, 1, 0, 2]);
			// a to inside a day counts that day's interactions before it, and only those
			let d = (await ok(w, '/insights/interactions-trend?interval=day&from=2024-05-03&to=2024-05-04T12:00:00Z')).data;
			assert.deepEqual([d.buckets.map((b) => b.count), d.total], [[0, 1], 1]);
			d = (await ok(w, '/insights/interactions-trend?interval=week&from=2024-04-29&to=2024-05-04T06:00:00Z')).data;
			assert.deepEqual([d.buckets.map((b) => b.count), d.total], [[3], 3], 'to exclusive inside the last day');
			assert.deepEqual(await days('&type=email'), [1, 0, 0, 0]);

			// moved to another contact, then to another day and type
			r = await w.patch(`/interactions/${i1.id}`, { contactId: wc.Q.id });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await most(), [[wc.R.id, 2], [wc.Q.id, 2], [wc.P.id, 1]], 'R was contacted last');
			r = await w.patch(`/interactions/${i1.id}`, { occurredAt: '2024-05-03T12:00:00Z', type: 'meeting' });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await days(), [1, 1, 1, 2]);
			assert.deepEqual([await days('&type=call'), await days('&type=meeting')], [[0, 1, 0, 2], [0, 0, 1, 0]]);
			r = await w.patch(`/interactions/${i2.id}`, { notes: 'only the text changes' });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual([await days(), await most()], [[1, 1, 1, 2], [[wc.R.id, 2], [wc.Q.id, 2], [wc.P.id, 1]]]);

			// deleted one by one, and with their contact
			assert.equal((await w.delete(`/interactions/${i3.id}`)).status, 204);
			assert.deepEqual([await overview(), await days(), await most()], [[3, 4, 2], [1, 0, 1, 2], [[wc.R.id, 2], [wc.Q.id, 1], [wc.P.id, 1]]]);
			assert.equal((await w.delete(`/notes/${n2.id}`)).status, 204);
			assert.equal((await w.delete(`/contacts/${wc.R.id}`)).status, 204);
			assert.deepEqual(await tagCounts(), { both: 1, solo: 1 }, "a deleted contact's links no longer count");
			r = await w.patch(`/contacts/${wc.Q.id}`, { tags: ['both', 'solo'] });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await tagCounts(), { both: 2, solo: 1 });
			r = await w.patch(`/contacts/${wc.Q.id}`, { tags: [] });
			assert.deepEqual(await tagCounts(), { both: 1, solo: 0 });
			assert.deepEqual([await overview(), await days(), await most()], [[2, 2, 1], [1, 0, 1, 0], [[wc.Q.id, 1], [wc.P.id, 1]]]);
			r = await w.post('/contacts/bulk-delete', { ids: [wc.P.id, wc.Q.id] });
			assert.ok(r.status === 200 || r.status === 204, show(r));
			assert.deepEqual([await overview(), await days(), await most()], [[0, 0, 0], [0, 0, 0, 0], []], 'empty again');
			assert.deepEqual(await tagCounts(), { both: 0, solo: 0 });
			const o = (await ok(w, '/insights/overview')).data;
			assert.equal(o.avgInteractionsPerContact, 0);
		});

		// The tag figures are kept per tag and day, and each link carries its contact's
		// lastContacted (db/*/0006_tag_insight_rollups.sql): links and interactions written in
		// either order, moved, re-dated, untagged and deleted, alone or with their contact or tag.
		test('tag figures follow every write of links and interactions', async () => {
			const x = await newUser(S.api, 'instagw');
			await makeAdmin(S.srv, x.ident.email);
			const now = Date.now();
			const tags = async (days) =>
				Object.fromEntries((await ok(x, `/insights/tags?days=${days}`)).data.map((t) => [t.name, [t.contactCount, t.interactionCount, t.staleContactCount, t.lastContacted]]));
			const K = await x.create({ firstName: 'K', tags: ['a'] });
			const L = await x.create({ firstName: 'L', tags: ['a', 'b'] });
			const M = await x.create({ firstName: 'M' });
			const k2 = await interact(x, K, 'call', now - 2 * DAY);
			await interact(x, K, 'call', now - 10 * DAY);
			const l5 = await interact(x, L, 'call', now - 5 * DAY);
			const m1 = await interact(x, M, 'call', now - 1 * DAY);
			// the first, partial day of the window: just inside and just outside 7 days; and the
			// future, after now, outside every window
			await interact(x, K, 'email', now - 7 * DAY + 5 * 60000);
			await interact(x, K, 'email', now - 7 * DAY - 5 * 60000);
			await interact(x, L, 'email', now + 3 * 3600000);
			assert.deepEqual(await tags(7), { a: [2, 3, 0, iso(now + 3 * 3600000)], b: [1, 1, 0, iso(now + 3 * 3600000)] });
			assert.deepEqual(await tags(3), { a: [2, 1, 0, iso(now + 3 * 3600000)], b: [1, 0, 0, iso(now + 3 * 3600000)] }, 'L was last contacted in the future');
			assert.deepEqual(await tags(30), { a: [2, 5, 0, iso(now + 3 * 3600000)], b: [1, 1, 0, iso(now + 3 * 3600000)] });

			// a link written after the interactions counts them; an untagged contact's no longer
			let r = await x.patch(`/contacts/${M.id}`, { tags: ['b'] });
			assert.equal(r.status, 200, show(r));
			r = await x.patch(`/contacts/${L.id}`, { tags: ['b'] });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await tags(7), { a: [1, 2, 0, iso(now - 2 * DAY)], b: [2, 2, 0, iso(now + 3 * 3600000)] });

			// L's future interaction deleted: L's lastContacted falls back to 5 days ago
			const lf = (await x.get(`/interactions?contactId=${L.id}&limit=100`)).json.data.find((i) => i.type === 'email');
			assert.equal((await x.delete(`/interactions/${lf.id}`)).status, 204);
			assert.deepEqual(await tags(3), { a: [1, 1, 0, iso(now - 2 * DAY)], b: [2, 1, 1, iso(now - 1 * DAY)] });

			// moved to another contact, and to another day
			r = await x.patch(`/interactions/${k2.id}`, { contactId: M.id });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await tags(7), { a: [1, 1, 0, iso(now - 7 * DAY + 5 * 60000)], b: [2, 3, 0, iso(now - 1 * DAY)] }, 'K last contacted just inside 7 days');
			r = await x.patch(`/interactions/${l5.id}`, { occurredAt: iso(now - 20 * DAY) });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await tags(7), { a: [1, 1, 0, iso(now - 7 * DAY + 5 * 60000)], b: [2, 2, 1, iso(now - 1 * DAY)] });
			assert.deepEqual(await tags(30), { a: [1, 3, 0, iso(now - 7 * DAY + 5 * 60000)], b: [2, 3, 0, iso(now - 1 * DAY)] });
			assert.equal((await x.delete(`/interactions/${m1.id}`)).status, 204);
			assert.deepEqual(await tags(30), { a: [1, 3, 0, iso(now - 7 * DAY + 5 * 60000)], b: [2, 2, 0, iso(now - 2 * DAY)] });

			// a contact deleted with its links and interactions, then a tag with its links
			assert.equal((await x.delete(`/contacts/${M.id}`)).status, 204);
			assert.deepEqual(await tags(30), { a: [1, 3, 0, iso(now - 7 * DAY + 5 * 60000)], b: [1, 1, 0, iso(now - 20 * DAY)] });
			const b = (await x.get('/tags?name=b')).json.data[0];
			assert.equal((await x.delete(`/tags/${b.id}`)).status, 204);
			assert.deepEqual(await tags(30), { a: [1, 3, 0, iso(now - 7 * DAY + 5 * 60000)] });
			r = await x.post('/contacts/tags', { contactIds: [K.id, L.id], add: ['b'] });
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(await tags(30), { a: [1, 3, 0, iso(now - 7 * DAY + 5 * 60000)], b: [2, 4, 0, iso(now - 7 * DAY + 5 * 60000)] }, 'a new tag of the same name starts afresh');
			r = await x.post('/contacts/bulk-delete', { ids: [K.id] });
			assert.ok(r.status === 200 || r.status === 204, show(r));
			assert.deepEqual(await tags(3650), { a: [0, 0, 0, null], b: [1, 1, 0, iso(now - 20 * DAY)] });
		});
	});

	describe('compatibility routes S1–S5 (§15.2)', () => {
		test('S1 recently-contacted/:limit', async () => {
			const r = await u.get('/insights/recently-contacted/2');
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(Object.keys(r.json).sort(), ['data', 'status']);
			assert.equal(r.json.status, 200);
			assert.deepEqual(r.json.data, (await ok(u, '/insights/recently-contacted?limit=2')).data);
			assert.deepEqual(ids((await u.get('/insights/Recently-Contacted/3/')).json.data), [c.A.id, c.B.id, c.G.id], 'case-insensitive, one trailing slash');
			for (const [bad, why] of [['0', 'out_of_range'], ['101', 'out_of_range'], ['abc', 'invalid_format'], ['1.5', 'invalid_format'], ['99999999999', 'out_of_range']]) {
				const b = await u.get(`/insights/recently-contacted/${bad}`);
				assertError(b, 400, 'validation_failed', { compat: true });
				assertDetail(b, 'limit', why);
			}
			assertError(await u.get('/insights/recently-contacted/2?x=1'), 400, 'validation_failed', { compat: true });
		});

		test('S2 stale-contacts/:days: the ContactBriefs, no page', async () => {
			const r = await u.get('/insights/stale-contacts/30');
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(Object.keys(r.json).sort(), ['data', 'status']);
			assert.deepEqual(ids(r.json.data), [c.D.id, c.E.id, c.C.id, c.F.id, c.G.id]);
			for (const x of r.json.data) assert.deepEqual(Object.keys(x), BRIEF_KEYS);
			assert.deepEqual(ids((await u.get('/insights/stale-contacts/80')).json.data), [c.D.id, c.E.id, c.C.id, c.F.id]);
			for (const bad of ['0', '3651', 'x']) assertError(await u.get(`/insights/stale-contacts/${bad}`), 400, 'validation_failed', { compat: true });
		});

		test('S3 contact-summary/:contactId: [{type, total_interactions}], 404 for another user', async () => {
			let r = await u.get(`/insights/contact-summary/${c.A.id}`);
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(r.json, { data: [{ type: 'call', total_interactions: 2 }, { type: 'email', total_interactions: 1 }], status: 200 });
			r = await u.get(`/insights/contact-summary/${c.D.id}`);
			assert.deepEqual(r.json, { data: [], status: 200 });
			assertError(await u.get(`/insights/contact-summary/${other.contacts[0].id}`), 404, 'not_found', { compat: true });
			assertError(await u.get('/insights/contact-summary/abc'), 400, 'validation_failed', { compat: true });
		});

		test('S4 overall-metrics: avgInteractionPerContact is a number', async () => {
			const r = await u.get('/insights/overall-metrics');
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(r.json, { data: { totalContacts: 7, totalInteractions: 9, avgInteractionPerContact: 1.29, totalTags: 4 }, status: 200 });
			assert.deepEqual(Object.keys(r.json.data), ['totalContacts', 'totalInteractions', 'avgInteractionPerContact', 'totalTags']);
		});

		test('S5 most-interacted-contacts?limit=: only contacts with interactions, ties by lastContacted then id', async () => {
			let r = await u.get('/insights/most-interacted-contacts');
			assert.equal(r.status, 200, show(r));
			assert.deepEqual(ids(r.json.data), [c.A.id, c.B.id, c.G.id, c.C.id, c.F.id]);
			assert.equal(r.json.status, 200);
			for (const x of r.json.data) assert.deepEqual(Object.keys(x), MOST_KEYS);
			r = await u.get('/insights/most-interacted-contacts?limit=2');
			assert.deepEqual(r.json, { data: (await ok(u, '/insights/most-interacted?limit=2')).data, status: 200 });
			assertError(await u.get('/insights/most-interacted-contacts?limit=0'), 400, 'validation_failed', { compat: true });
			assertError(await u.get('/insights/most-interacted-contacts?from=2024-01-01'), 400, 'validation_failed', { compat: true });
		});

		test('the insight routes need an access token', async () => {
			for (const p of ['/insights/overview', '/insights/tags', '/insights/overall-metrics', '/insights/recently-contacted/3']) {
				const r = await S.api.get(p);
				assert.equal(r.status, 401, show(r));
			}
		});
	});
});
