// Black-box tests of GET /contacts (SPEC §1.4, §9.2): the five sorts with their id tie-break and
// nulls last, keyset pagination (stable under concurrent inserts and deletes), cursors bound to
// their sort and filters, search (prefixes, accents, case, phone suffixes, notes, every term),
// tag/company/email filters, includeTotal, the change feed with tombstones, and bad query
// parameters. The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE, ISO_MS } from '../support/server.mjs';
import { assertError, assertDetail, show } from '../support/accounts.mjs';
import { startContactsServer, newUser, assertContact } from '../support/contacts.mjs';
import { sql } from '../support/db.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ids = (items) => items.map((c) => c.id);

/** Sets a contact's lastContacted directly in the store (it is derived from interactions). */
function setLastContacted(srv, id, ms) {
	const v = ms === null ? 'NULL' : srv.store === 'postgres' ? `'epoch'::timestamptz + ${ms} * interval '1 millisecond'` : String(ms);
	return sql(srv, `UPDATE contacts SET last_contacted = ${v} WHERE id = ${Number(id)}`);
}

describe(`contacts listing [${STORE}]`, () => {
	let S;
	let api;
	before(async () => {
		S = await startContactsServer();
		api = S.api;
	});
	after(async () => {
		if (S) await S.stop();
	});

	test('sorts: folded text bytewise, ties by the other name then id, both directions', async () => {
		const u = await newUser(api);
		const mk = (firstName, lastName) => u.create({ firstName, ...(lastName !== undefined ? { lastName } : {}) });
		const zola = await mk('Émile', 'Zola');
		const adams = await mk('emile', 'Adams');
		const bob = await mk('Bob');
		const brown = await mk('bob', 'Brown');
		const angel = await mk('Ángel', 'Cruz');
		const zoe = await mk('Zoë', 'Álvarez');
		const same1 = await mk('Same', 'Name');
		const same2 = await mk('SAME', 'name');
		let body = await u.list();
		for (const c of body.data) assertContact(c);
		assert.deepEqual(ids(body.data), ids([angel, bob, brown, adams, zola, same1, same2, zoe]), 'firstName (default), ties by lastName, then id');
		body = await u.list('sort=-firstName');
		assert.deepEqual(ids(body.data), ids([zoe, same2, same1, zola, adams, brown, bob, angel]), '-firstName reverses everything incl. id');
		body = await u.list('sort=lastName');
		assert.deepEqual(ids(body.data), ids([bob, adams, zoe, brown, angel, same1, same2, zola]), 'lastName ("" first), ties by firstName, id');
		body = await u.list('sort=-lastName');
		assert.deepEqual(ids(body.data), ids([zola, same2, same1, angel, brown, zoe, adams, bob]));
		const created = [zola, adams, bob, brown, angel, zoe, same1, same2];
		assert.deepEqual(ids((await u.list('sort=createdAt')).data), ids(created));
		assert.deepEqual(ids((await u.list('sort=-createdAt')).data), ids(created).reverse());
		await u.patch(`/contacts/${zola.id}`, { jobRole: 'writer' });
		assert.deepEqual(ids((await u.list('sort=updatedAt')).data), ids([adams, bob, brown, angel, zoe, same1, same2, zola]));
		assert.deepEqual(ids((await u.list('sort=-updatedAt')).data)[0], zola.id);
	});

	test('lastContacted sorts put never-contacted contacts last in both directions, with cursors', async () => {
		const u = await newUser(api);
		const cs = [];
		for (let i = 0; i < 6; i++) cs.push(await u.create({ firstName: `L${i}` }));
		const t = Date.UTC(2025, 0, 1);
		await setLastContacted(S.srv, cs[0].id, t + 3000);
		await setLastContacted(S.srv, cs[2].id, t + 1000);
		await setLastContacted(S.srv, cs[4].id, t + 3000);
		const asc = [cs[2], cs[0], cs[4], cs[1], cs[3], cs[5]];
		const desc = [cs[4], cs[0], cs[2], cs[5], cs[3], cs[1]];
		assert.deepEqual(ids((await u.list('sort=lastContacted')).data), ids(asc));
		assert.deepEqual(ids((await u.list('sort=-lastContacted')).data), ids(desc));
		for (const [q, want] of [['sort=lastContacted', asc], ['sort=-lastContacted', desc]]) {
			for (const limit of [1, 2, 4]) assert.deepEqual(ids(await u.listAll(q, limit)), ids(want), `${q} limit ${limit}`);
		}
		const one = (await u.list('sort=-lastContacted&limit=1')).data[0];
		assert.equal(one.lastContacted, new Date(t + 3000).toISOString());
	});

	// One tag by -lastContacted is read from the tag's links in their own order (each link keeps
	// its contact's lastContacted): the same rows, order and pages as any other listing.
	test('one tag by -lastContacted: ties by id, never-contacted last, pages, other filters, followed writes', async () => {
		const u = await newUser(api);
		const t = Date.UTC(2025, 0, 1);
		const cs = [];
		for (let i = 0; i < 8; i++) cs.push(await u.create({ firstName: `T${i}`, company: i % 2 ? 'Odd' : 'Even', tags: i === 7 ? ['other'] : i % 3 ? ['Kin', 'other'] : ['kin'] }));
		// cs[7] is not tagged kin and was contacted last of all
		for (const [i, ms] of [[0, t + 2000], [1, t + 5000], [2, t + 2000], [4, t + 9000], [7, t + 99000]]) await setLastContacted(S.srv, cs[i].id, ms);
		const want = [cs[4], cs[1], cs[2], cs[0], cs[6], cs[5], cs[3]]; // 3, 5, 6 never contacted
		assert.deepEqual(ids((await u.list('tag=KIN&sort=-lastContacted')).data), ids(want));
		for (const limit of [1, 2, 3]) assert.deepEqual(ids(await u.listAll('tag=kin&sort=-lastContacted', limit)), ids(want), `pages of ${limit}`);
		assert.deepEqual(ids((await u.list('tag=kin&sort=-lastContacted&company=odd')).data), ids([cs[1], cs[5], cs[3]]));
		assert.deepEqual(ids((await u.list('tag=kin&sort=-lastContacted&q=t2')).data), ids([cs[2]]));
		assert.deepEqual(ids((await u.list('tag=kin&tag=other&match=all&sort=-lastContacted')).data), ids([cs[4], cs[1], cs[2], cs[5]]));
		assert.deepEqual((await u.list('tag=nosuchtag&sort=-lastContacted')).data, []);
		const p = await u.list('tag=kin&sort=-lastContacted&includeTotal=true&limit=2');
		assert.deepEqual([p.page.total, p.page.hasMore], [7, true]);
		// an interaction moves a contact up; an untagged contact leaves; a new link joins in order
		const r = await u.post('/interactions', { contactId: cs[3].id, type: 'call', occurredAt: new Date(t + 7000).toISOString() });
		assert.equal(r.status, 201, show(r));
		assert.equal((await u.patch(`/contacts/${cs[1].id}`, { tags: ['other'] })).status, 200);
		assert.equal((await u.patch(`/contacts/${cs[7].id}`, { tags: ['kin'] })).status, 200);
		assert.deepEqual(ids(await u.listAll('tag=kin&sort=-lastContacted', 2)), ids([cs[7], cs[4], cs[3], cs[2], cs[0], cs[6], cs[5]]));
		assert.equal((await u.list('tag=kin&sort=-lastContacted&limit=1')).data[0].lastContacted, new Date(t + 99000).toISOString());
	});

	// The default page of one tag by -lastContacted reads 25 links and one more (the statement a
	// store keeps prepared for it): a full page says there is more, and the next page, a page of
	// an explicit limit=25 and another account's tag of the same name agree with it.
	test('one tag by -lastContacted: a full default page, its next page, limit=25, another account', async () => {
		const u = await newUser(api);
		const other = await newUser(api);
		const t = Date.UTC(2025, 2, 1);
		const cs = [];
		for (let i = 0; i < 27; i++) cs.push(await u.create({ firstName: `M${i}`, tags: i === 26 ? ['few'] : ['many'] }));
		await other.create({ firstName: 'Elsewhere', tags: ['many'] });
		for (let i = 0; i < 26; i += 2) await setLastContacted(S.srv, cs[i].id, t + i * 1000);
		// contacted ones newest first, then the never-contacted by id, newest id first
		const contacted = cs.slice(0, 26).filter((_, i) => i % 2 === 0).reverse();
		const never = cs.slice(0, 26).filter((_, i) => i % 2 === 1).reverse();
		const want = [...contacted, ...never];
		for (let round = 0; round < 2; round++) {
			const first = await u.list('tag=many&sort=-lastContacted');
			assert.deepEqual(ids(first.data), ids(want.slice(0, 25)), `round ${round}`);
			assert.equal(first.page.hasMore, true);
			const next = await u.list(`tag=many&sort=-lastContacted&cursor=${first.page.nextCursor}`);
			assert.deepEqual(ids(next.data), ids(want.slice(25)));
			assert.equal(next.page.hasMore, false);
		}
		assert.deepEqual(ids((await u.list('tag=many&sort=-lastContacted&limit=25')).data), ids(want.slice(0, 25)));
		assert.deepEqual(ids(await u.listAll('tag=many&sort=-lastContacted', 25)), ids(want));
		const theirs = await other.list('tag=many&sort=-lastContacted');
		assert.deepEqual(theirs.data.map((c) => c.firstName), ['Elsewhere']);
		assert.equal(theirs.page.hasMore, false);
		assert.deepEqual((await u.list('tag=few&sort=-lastContacted')).data.map((c) => c.firstName), ['M26']);
	});

	test("a page shows each contact's tags as the contact itself does, by folded name, names exact", async () => {
		const u = await newUser(api);
		const odd = ['Zeta "quoted"', 'back\\slash', 'émoji 🎉', 'Ärger', 'alpha', 'ünï/cødé'];
		const cs = [];
		cs.push(await u.create({ firstName: 'P0', tags: odd }));
		cs.push(await u.create({ firstName: 'P1' }));
		cs.push(await u.create({ firstName: 'P2', tags: ['alpha', 'Zeta "quoted"'] }));
		for (const q of ['', 'sort=-lastContacted', 'tag=alpha&sort=-lastContacted', 'includeTotal=true', 'q=p']) {
			const page = await u.list(q);
			assert.ok(page.data.length >= 2, q);
			for (const c of page.data) {
				const one = (await u.get(`/contacts/${c.id}`)).json.data;
				assert.deepEqual(c.tags, one.tags, `${q}: contact ${c.firstName}`);
			}
		}
		const p0 = (await u.list()).data.find((c) => c.id === cs[0].id);
		assert.deepEqual(p0.tags.map((t) => t.name), ['alpha', 'Ärger', 'back\\slash', 'émoji 🎉', 'ünï/cødé', 'Zeta "quoted"']);
		assert.deepEqual((await u.list()).data.find((c) => c.id === cs[1].id).tags, []);
	});

	test('every filter at its limit at once, and with a cursor', async () => {
		const u = await newUser(api);
		const tags = Array.from({ length: 10 }, (_, i) => `t${i}`);
		const body = { firstName: 'Alpha Beta Gamma Delta Epsilon', lastName: 'Zeta Eta Theta Iota Kappa', company: 'Acme', tags };
		const a = await u.create({ ...body, email: 'max@example.com' });
		const b = await u.create(body);
		await u.create({ ...body, tags: tags.slice(1) }); // one tag short
		const q = `q=${encodeURIComponent('alp bet gam del eps zet eta the iot kap')}&${tags.map((t) => `tag=${t}`).join('&')}&match=all&company=acme`;
		for (const sort of ['lastName', '-lastContacted']) {
			assert.deepEqual(ids((await u.list(`${q}&email=max%40example.com&sort=${sort}`)).data), [a.id], sort);
			const p1 = await u.list(`${q}&sort=${sort}&limit=1&includeTotal=true`);
			assert.equal(p1.page.total, 2);
			const p2 = await u.list(`${q}&sort=${sort}&limit=1&cursor=${p1.page.nextCursor}`);
			assert.deepEqual([...ids(p1.data), ...ids(p2.data)].sort(), [a.id, b.id].sort(), sort);
		}
		const one = await u.list(`q=kap&tag=t3&sort=-lastContacted&limit=1`);
		const two = await u.list(`q=kap&tag=t3&sort=-lastContacted&limit=1&cursor=${one.page.nextCursor}`);
		assert.deepEqual([one.page.hasMore, two.page.hasMore, ids(two.data).length], [true, true, 1], 'one tag by -lastContacted with a search');
		// the change feed with every filter (its own order, updatedAt then id)
		const since = encodeURIComponent(new Date(Date.now() - 60000).toISOString());
		const feed = await u.list(`${q}&email=max%40example.com&updatedSince=${since}`);
		assert.deepEqual(ids(feed.data), [a.id]);
	});

	test('pages: limit, hasMore/nextCursor, every row exactly once for each sort', async () => {
		const u = await newUser(api);
		const names = ['Kim', 'kim', 'Kím', 'Lee', 'Al', 'Zed', 'Mo', 'Ed', 'Ab'];
		for (const n of names) await u.create({ firstName: n, lastName: n.length % 2 ? 'X' : undefined });
		for (const sort of ['firstName', '-firstName', 'lastName', '-lastName', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'lastContacted', '-lastContacted']) {
			const full = (await u.list(`sort=${sort}&limit=100`)).data;
			assert.equal(full.length, names.length);
			for (const limit of [1, 2, 4]) assert.deepEqual(ids(await u.listAll(`sort=${sort}`, limit)), ids(full), `${sort} in pages of ${limit}`);
		}
		const p = await u.list('limit=4&includeTotal=true');
		assert.deepEqual(Object.keys(p.page), ['limit', 'nextCursor', 'hasMore', 'total']);
		assert.equal(p.page.limit, 4);
		assert.equal(p.page.hasMore, true);
		assert.equal(p.page.total, names.length);
		assert.match(p.page.nextCursor, /^[A-Za-z0-9_-]+$/);
		const p2 = await u.list(`limit=4&includeTotal=true&cursor=${p.page.nextCursor}`);
		assert.equal(p2.page.total, names.length, 'total ignores the cursor');
		const last = await u.list('limit=9');
		assert.equal(last.page.hasMore, false);
		assert.equal(last.page.nextCursor, null);
		assert.equal(Object.hasOwn(last.page, 'total'), false, 'total only with includeTotal=true');
		const empty = await (await newUser(api)).list('includeTotal=true');
		assert.deepEqual(empty, { data: [], page: { limit: 25, nextCursor: null, hasMore: false, total: 0 } });
	});

	test('keyset pages are stable under concurrent inserts and deletes', async () => {
		const u = await newUser(api);
		const cs = [];
		for (let i = 0; i < 20; i++) cs.push(await u.create({ firstName: `M${String(i).padStart(2, '0')}` }));
		const p1 = await u.list('limit=8');
		assert.deepEqual(ids(p1.data), ids(cs.slice(0, 8)));
		// behind the cursor: inserted rows and a deleted seen row; ahead: inserts and deletes
		const behind = await u.create({ firstName: 'A-behind' });
		const sameKeyBehind = await u.create({ firstName: 'M05' });
		const ahead = await u.create({ firstName: 'Z-ahead' });
		await u.delete(`/contacts/${cs[3].id}`);
		await u.delete(`/contacts/${cs[12].id}`);
		await u.patch(`/contacts/${cs[2].id}`, { firstName: 'Y-moved-ahead' });
		const rest = [];
		let cursor = p1.page.nextCursor;
		while (cursor) {
			const p = await u.list(`limit=8&cursor=${cursor}`);
			rest.push(...p.data);
			cursor = p.page.nextCursor;
		}
		const seen = [...ids(p1.data), ...ids(rest)];
		const expectRest = [...cs.slice(8, 12), ...cs.slice(13), { id: cs[2].id }, ahead];
		assert.deepEqual(ids(rest), ids(expectRest), 'rows ahead of the cursor, in order; nothing behind it');
		assert.ok(!seen.includes(behind.id) && !seen.includes(sameKeyBehind.id), 'rows inserted behind the cursor are not returned');
		assert.ok(!ids(rest).includes(cs[12].id), 'a row deleted ahead is not returned');
		const dupes = seen.filter((id, i) => id !== cs[2].id && seen.indexOf(id) !== i);
		assert.deepEqual(dupes, [], 'no row returned twice (besides one that moved ahead by changing its key)');
	});

	test('paging while another client writes: no duplicates, every untouched row exactly once', async () => {
		const u = await newUser(api);
		const stable = [];
		for (let i = 0; i < 40; i++) stable.push((await u.create({ firstName: `S${String(i).padStart(2, '0')}` })).id);
		let writing = true;
		const writer = (async () => {
			let k = 0;
			while (writing) {
				const c = await u.create({ firstName: `S${String(k % 40).padStart(2, '0')}x` });
				if (k % 2) await u.delete(`/contacts/${c.id}`);
				k++;
			}
			return k;
		})();
		const seen = [];
		for (const sort of ['firstName', '-createdAt', 'updatedAt']) {
			const got = await u.listAll(`sort=${sort}`, 3);
			const gotIds = got.map((c) => c.id);
			assert.equal(new Set(gotIds).size, gotIds.length, `${sort}: no row twice`);
			for (const id of stable) assert.equal(gotIds.filter((x) => x === id).length, 1, `${sort}: stable row ${id} once`);
			seen.push(gotIds.length);
		}
		writing = false;
		const writes = await writer;
		assert.ok(writes > 0, 'the writer ran concurrently');
	});

	test('cursors: bound to sort and filters (mismatch), undecodable (invalid_format)', async () => {
		const u = await newUser(api);
		for (let i = 0; i < 3; i++) await u.create({ firstName: `C${i}`, company: 'Acme', tags: ['t'] });
		const base = await u.list('limit=1&company=acme&tag=t');
		const cur = base.page.nextCursor;
		assert.ok(cur);
		const ok = await u.get(`/contacts?limit=1&company=ACME&tag=T&cursor=${cur}`);
		assert.equal(ok.status, 200, 'the same filters by folded form: ' + show(ok));
		assert.equal(ok.json.data[0].firstName, 'C1');
		for (const q of ['sort=-firstName', 'sort=lastName', 'company=other', 'tag=t&tag=u', 'tag=t&match=all', 'q=c1', 'email=a%40b.cd', 'updatedSince=' + encodeURIComponent(new Date(Date.now() - 60000).toISOString())]) {
			const extra = q.startsWith('company') ? `${q}&tag=t` : q.startsWith('tag') ? `company=acme&${q}` : `company=acme&tag=t&${q}`;
			const r = await u.get(`/contacts?limit=1&${extra}&cursor=${cur}`);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, 'cursor', 'mismatch');
		}
		const mangled = Buffer.from('{"v":1,"s":"firstName","f":"x","k":[1,2],"i":5}').toString('base64url');
		for (const bad of ['!!!', 'abc', 'x'.repeat(513), mangled, Buffer.from('{"v":1}').toString('base64url'), '']) {
			const r = await u.get(`/contacts?cursor=${encodeURIComponent(bad)}`);
			assertError(r, 400, 'validation_failed');
			assert.ok(r.json.details.some((d) => d.field === 'cursor' && ['invalid_format', 'mismatch'].includes(d.reason)), show(r));
		}
		// a cursor with the right sort and digest but keys of the wrong shape is invalid_format
		const good = JSON.parse(Buffer.from(cur, 'base64url').toString());
		const forged = Buffer.from(JSON.stringify({ ...good, k: [12] })).toString('base64url');
		const r = await u.get(`/contacts?limit=1&company=acme&tag=t&cursor=${forged}`);
		assertDetail(r, 'cursor', 'invalid_format');
		// another user's cursor only pages through that user's own rows
		const v = await newUser(api);
		const vr = await v.get(`/contacts?limit=1&company=acme&tag=t&cursor=${cur}`);
		assert.equal(vr.status, 200);
		assert.deepEqual(vr.json.data, []);
	});

	test('search: every term prefixes a folded word of names, email, company, job role, phone, notes', async () => {
		const u = await newUser(api);
		const ann = await u.create({ firstName: 'Ann-Marie', lastName: 'Lövås', email: 'ann.marie@example.com', phone: '+1 (415) 555-2671', company: 'Straße GmbH', jobRole: 'Chief Technology Officer' });
		const bob = await u.create({ firstName: 'Bob', lastName: 'Ann', company: 'Acme', phone: '030 1234567' });
		const q = async (s) => ids((await u.list(`q=${encodeURIComponent(s)}`)).data).sort((a, b) => a - b);
		assert.deepEqual(await q('ann'), [ann.id, bob.id].sort((a, b) => a - b));
		assert.deepEqual(await q('ANN mar'), [ann.id], 'every term must match');
		assert.deepEqual(await q('lovas'), [ann.id], 'accents folded');
		assert.deepEqual(await q('LÖV'), [ann.id]);
		assert.deepEqual(await q('strasse'), [ann.id], 'full case folding (ß → ss)');
		assert.deepEqual(await q('example.com'), [ann.id], 'email words');
		assert.deepEqual(await q('chief techn'), [ann.id], 'job role words');
		assert.deepEqual(await q('acme'), [bob.id], 'company');
		assert.deepEqual(await q('4155'), [ann.id], 'phone digits');
		assert.deepEqual(await q('2671'), [ann.id], 'phone suffix');
		assert.deepEqual(await q('671'), [ann.id], '3-digit suffix');
		assert.deepEqual(await q('1234567'), [bob.id]);
		assert.deepEqual(await q('nn'), [], 'prefixes only, not infixes');
		assert.deepEqual(await q('zzz'), []);
		assert.deepEqual(await q('ann zzz'), []);
		assert.equal((await u.list('q=' + encodeURIComponent('!!! ---'))).data.length, 2, 'a q with no terms is ignored');
		// a write is searchable when it is acknowledged, and old words are gone
		await u.patch(`/contacts/${bob.id}`, { lastName: 'Zebra', company: null });
		assert.deepEqual(await q('zebra'), [bob.id]);
		assert.deepEqual(await q('acme'), []);
		assert.deepEqual(await q('ann'), [ann.id]);
		const carl = await u.create({ firstName: 'Carl', tags: ['searchtag'] });
		assert.deepEqual(await q('carl'), [carl.id]);
		assert.deepEqual(await q('searchtag'), [], 'tag names are not search words');
		// note titles and contents are search words of their contact
		const n = await u.post('/notes', { contactId: carl.id, title: 'Dinner plans', content: 'Talked about Kilimanjaro' });
		assert.equal(n.status, 201, show(n));
		assert.deepEqual(await q('kiliman'), [carl.id]);
		assert.deepEqual(await q('dinner carl'), [carl.id]);
		await u.delete(`/notes/${n.json.data.id}`);
		assert.deepEqual(await q('kiliman'), []);
		// search combines with sort, filters and cursors
		await u.create({ firstName: 'Anna', company: 'Acme' });
		await u.create({ firstName: 'Annabel', company: 'Acme' });
		const all = await u.listAll('q=ann&sort=-firstName', 1);
		assert.deepEqual(all.map((c) => c.firstName), ['Annabel', 'Anna', 'Ann-Marie']);
		assert.deepEqual((await u.list('q=ann&company=acme&includeTotal=true')).page.total, 2);
		await u.delete(`/contacts/${ann.id}`);
		assert.deepEqual(await q('lovas'), [], 'a deleted contact is not found');
	});

	test('filters: tag any/all by folded name (unknown names match nothing), company', async () => {
		const u = await newUser(api);
		const a = await u.create({ firstName: 'A', tags: ['Red', 'Blue'], company: 'Ünited' });
		const b = await u.create({ firstName: 'B', tags: ['red'], company: 'united' });
		const c = await u.create({ firstName: 'C', tags: ['Green'] });
		const L = async (qs) => ids((await u.list(qs)).data);
		assert.deepEqual(await L('tag=RED'), [a.id, b.id]);
		assert.deepEqual(await L('tag=red&tag=green'), [a.id, b.id, c.id]);
		assert.deepEqual(await L('tag=red&tag=green&match=any'), [a.id, b.id, c.id]);
		assert.deepEqual(await L('tag=red&tag=blue&match=all'), [a.id]);
		assert.deepEqual(await L('tag=red&tag=RED&match=all'), [a.id, b.id], 'repeated names count once');
		assert.deepEqual(await L('tag=red&tag=nope&match=all'), [], 'an unknown name matches nothing with all');
		assert.deepEqual(await L('tag=nope'), []);
		assert.deepEqual(await L('tag=r'), [], 'no wildcards or prefixes');
		assert.deepEqual(await L('company=UNITED'), [a.id, b.id], 'company: folded equality (accents too)');
		assert.deepEqual(await L('company=unit'), []);
		assert.deepEqual(await L('company=united&tag=blue'), [a.id]);
		assert.equal((await u.list('tag=red&includeTotal=true&limit=1')).page.total, 2);
	});

	test('change feed: live items with deleted:false and tombstones, merged by (updatedAt, id)', async () => {
		const u = await newUser(api);
		const a = await u.create({ firstName: 'FeedA' });
		const b = await u.create({ firstName: 'FeedB' });
		const gone = await u.create({ firstName: 'FeedGone' });
		await sleep(5);
		const since = new Date().toISOString();
		await sleep(5);
		const pa = await u.patch(`/contacts/${a.id}`, { lastName: 'Changed' });
		assert.equal(pa.status, 200);
		let r = await u.delete(`/contacts/${gone.id}`);
		assert.equal(r.status, 204);
		const c = await u.create({ firstName: 'FeedC' });
		const feed = await u.list(`updatedSince=${encodeURIComponent(since)}&includeTotal=true`);
		assert.deepEqual(feed.data.map((i) => [i.id, i.deleted]), [[a.id, false], [gone.id, true], [c.id, false]]);
		for (const i of feed.data) {
			if (i.deleted) assert.deepEqual(Object.keys(i), ['id', 'deleted', 'updatedAt']);
			else assertContact(i, { feed: true });
			assert.match(i.updatedAt, ISO_MS);
		}
		const times = feed.data.map((i) => i.updatedAt);
		assert.deepEqual([...times].sort(), times, 'ascending updatedAt');
		assert.equal(feed.page.total, 3);
		assert.ok(!ids(feed.data).includes(b.id));
		// pages of one give the same sequence
		assert.deepEqual((await u.listAll(`updatedSince=${encodeURIComponent(since)}`, 1)).map((i) => i.id), ids(feed.data));
		// the greatest updatedAt seen, passed next time, repeats at most that instant
		const again = await u.list(`updatedSince=${encodeURIComponent(feed.data[2].updatedAt)}`);
		assert.deepEqual(ids(again.data), [c.id]);
		// filters apply to live items only: tombstones always come
		const filtered = await u.list(`updatedSince=${encodeURIComponent(since)}&q=feedc`);
		assert.deepEqual(filtered.data.map((i) => i.id), [gone.id, c.id]);
		r = await u.get(`/contacts?updatedSince=${encodeURIComponent(since)}&sort=updatedAt`);
		assert.equal(r.status, 200);
		for (const s of ['-updatedAt', 'firstName', 'createdAt']) {
			r = await u.get(`/contacts?updatedSince=${encodeURIComponent(since)}&sort=${s}`);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, 'sort', 'conflicting');
		}
		r = await u.get(`/contacts?updatedSince=${encodeURIComponent(new Date(Date.now() - 31 * 86400000).toISOString())}`);
		assertDetail(r, 'updatedSince', 'too_old');
		for (const bad of ['yesterday', '2025-06-30', '2025-06-30T13:32Z']) {
			r = await u.get(`/contacts?updatedSince=${encodeURIComponent(bad)}`);
			assertDetail(r, 'updatedSince', 'invalid_format');
		}
		// a feed cursor is bound to its updatedSince
		const p1 = await u.list(`updatedSince=${encodeURIComponent(since)}&limit=1`);
		r = await u.get(`/contacts?updatedSince=${encodeURIComponent(new Date(Date.parse(since) - 1).toISOString())}&limit=1&cursor=${p1.page.nextCursor}`);
		assertDetail(r, 'cursor', 'mismatch');
		r = await u.get(`/contacts?sort=updatedAt&limit=1&cursor=${p1.page.nextCursor}`);
		assertDetail(r, 'cursor', 'mismatch');
		// tag changes touch updatedAt, so they show in the feed
		const t0 = new Date().toISOString();
		await sleep(5);
		await u.post(`/contacts/${b.id}/tags`, { names: ['feedtag'] });
		assert.deepEqual(ids((await u.list(`updatedSince=${encodeURIComponent(t0)}`)).data), [b.id]);
	});

	test('bad query parameters: 400 naming each one, unknown and repeated parameters', async () => {
		const u = await newUser(api);
		const cases = [
			['limit=0', 'limit', 'out_of_range'], ['limit=101', 'limit', 'out_of_range'], ['limit=abc', 'limit', 'invalid_format'],
			['limit=1.5', 'limit', 'invalid_format'], ['includeTotal=yes', 'includeTotal', 'invalid_value'],
			['sort=name', 'sort', 'invalid_value'], ['sort=--firstName', 'sort', 'invalid_value'], ['sort=FIRSTNAME', 'sort', 'invalid_value'],
			['match=some', 'match', 'invalid_value'], ['q=' + 'a'.repeat(201), 'q', 'too_long'], ['q=', 'q', 'too_short'],
			['q=' + Array.from({ length: 11 }, (_, i) => `t${i}`).join('+'), 'q', 'too_many'],
			[Array.from({ length: 11 }, (_, i) => `tag=t${i}`).join('&'), 'tag', 'too_many'], ['tag=' + 'x'.repeat(51), 'tag', 'too_long'],
			['company=' + 'x'.repeat(201), 'company', 'too_long'], ['bogus=1', 'bogus', 'unknown_field'],
			['sort=firstName&sort=lastName', 'sort', 'duplicate'], ['q=a&q=b', 'q', 'duplicate'], ['cursor=', 'cursor', 'invalid_format'],
		];
		for (const [qs, field, reason] of cases) {
			const r = await u.get(`/contacts?${qs}`);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, field, reason);
		}
		const r = await u.get('/contacts?limit=0&sort=bad&match=x');
		assertError(r, 400, 'validation_failed');
		assert.ok(r.json.details.length >= 3, 'several problems reported at once: ' + show(r));
		const ten = Array.from({ length: 10 }, (_, i) => `tag=t${i}`).join('&');
		assert.equal((await u.get(`/contacts?${ten}&q=${Array.from({ length: 10 }, (_, i) => `w${i}`).join('+')}`)).status, 200, '10 tags and 10 terms are fine');
		const noAuth = await api.get('/contacts');
		assertError(noAuth, 401, 'unauthenticated');
		const head = await api.call('HEAD', '/contacts', { token: u.token });
		assert.equal(head.status, 200);
		assert.equal(head.text, '');
	});

	// On PostgreSQL the page is read in the same round trip as the session check; what the
	// client sees must not depend on it.
	test('a revoked session or a deactivated account answers 401 on every kind of page, before its query is looked at, without contacts', async () => {
		const u = await newUser(api);
		for (let i = 0; i < 3; i++) await u.create({ firstName: 'Kept', lastName: `Person ${i}`, company: 'Keepers', tags: ['t'] });
		const l = await api.post('/auth/login', { body: { email: u.ident.email, password: u.ident.password } });
		assert.equal(l.status, 200, show(l));
		const token = l.json.data.accessToken;
		const page = (qs, t = token) => api.get(`/contacts${qs ? '?' + qs : ''}`, { token: t });
		const first = await page('limit=2');
		assert.equal(first.status, 200, show(first));
		const pages = ['', 'q=kept', 'q=kept+person', 'tag=t&sort=-lastContacted', 'tag=t', 'company=keepers', 'limit=2',
			`limit=2&cursor=${encodeURIComponent(first.json.page.nextCursor)}`, 'includeTotal=true', `updatedSince=${new Date(Date.now() - 60000).toISOString()}`];
		for (const qs of pages) {
			const r = await page(qs);
			assert.equal(r.status, 200, `${qs}: ${show(r)}`);
			assert.ok(r.json.data.length >= 1 && r.text.includes('Kept'), `${qs} finds the contacts`);
		}
		assert.equal((await api.post('/auth/logout', { token })).status, 204);
		const bad = ['limit=0', 'bogus=1', 'q=a&q=b', 'cursor=zzz', 'q=%FF'];
		for (const qs of [...pages, ...bad]) {
			const r = await page(qs);
			assertError(r, 401, 'unauthenticated');
			assert.ok(!r.text.includes('Kept'), `no contact in a refusal (${qs}): ${r.text}`);
		}
		const still = await u.list('q=kept');
		assert.equal(still.data.length, 3, 'the other session still reads them');
		await sql(S.srv, `UPDATE users SET active = false WHERE email_key = '${u.ident.email.toLowerCase()}'`);
		for (const qs of ['', 'q=kept', 'tag=t&sort=-lastContacted']) {
			const r = await page(qs, u.token);
			assertError(r, 401, 'unauthenticated');
			assert.ok(!r.text.includes('Kept'), r.text);
		}
	});
});

// On PostgreSQL a search page is read from its matches when one term has fewer than 250
// search words (q=zelda); otherwise it first walks the contacts in the sort's order up to 1,000
// rows after the cursor, and reads the page from every match when that walk is short of a page
// (q=kx: 30 contacts with 40 such words each, all sorting after the 1,010 others by firstName);
// see src/store/contact_query_sql.h. SQLite answers from one statement. The matches sort either
// after all the others or before them, depending on the sort; every sort must page through
// exactly the same matches in its own order, on both stores.
describe(`contacts listing: a search on an account larger than its first walk [${STORE}]`, () => {
	const FILLERS = 1010;
	const TARGETS = 30;
	let S;
	let u;
	let targets;
	before(async () => {
		S = await startContactsServer({ FREE_CONTACT_LIMIT: 5000 });
		u = await newUser(S.api, 'walk');
		const bodies = [];
		for (let i = 0; i < FILLERS; i++) bodies.push({ firstName: 'Aaron', lastName: `Filler ${String(i).padStart(4, '0')}` });
		for (let i = 0; i < TARGETS; i++) {
			bodies.push({
				firstName: 'Zelda', lastName: `Target ${String(i).padStart(2, '0')}`, company: i % 2 ? 'Odd Works' : 'Even Works',
				jobRole: Array.from({ length: 40 }, (_, k) => `kx${String(k).padStart(2, '0')}`).join(' '),
			});
		}
		const made = [];
		for (let i = 0; i < bodies.length; i += 8) made.push(...(await Promise.all(bodies.slice(i, i + 8).map((b) => u.create(b)))));
		targets = made.filter((c) => c.firstName === 'Zelda');
		assert.equal(targets.length, TARGETS);
	});
	after(async () => {
		if (S) await S.stop();
	});

	test('every sort pages through all the matches once, in its order', async () => {
		const byName = [...targets].sort((a, b) => (a.lastName < b.lastName ? -1 : a.lastName > b.lastName ? 1 : a.id - b.id));
		const byId = [...targets].sort((a, b) => a.id - b.id);
		const expected = {
			firstName: ids(byName), lastName: ids(byName), createdAt: ids(byId), updatedAt: ids(byId), lastContacted: ids(byId),
		};
		for (const q of ['zelda', 'kx']) {
			for (const [sort, want] of Object.entries(expected)) {
				assert.deepEqual(ids(await u.listAll(`q=${q}&sort=${sort}`, 7)), want, `q=${q}&sort=${sort}`);
				// nulls stay last for -lastContacted; none has one, so the ids descend
				assert.deepEqual(ids(await u.listAll(`q=${q}&sort=-${sort}`, 7)), [...want].reverse(), `q=${q}&sort=-${sort}`);
			}
		}
		for (const q of ['zelda', 'kx']) {
			const first = await u.list(`q=${q}&includeTotal=true`);
			assert.deepEqual(ids(first.data), expected.firstName.slice(0, 25), `q=${q}`);
			assert.equal(first.page.total, TARGETS);
			assert.equal(first.page.hasMore, true);
			for (const c of first.data) assertContact(c);
		}
	});

	test('several terms, a term with one match, a term with none, and a term matching the others', async () => {
		const odd = targets.filter((c) => c.company === 'Odd Works').sort((a, b) => (a.lastName < b.lastName ? -1 : 1));
		assert.deepEqual(ids(await u.listAll('q=zelda+odd', 4)), ids(odd));
		assert.deepEqual(ids(await u.listAll('q=odd+zel')), ids(odd));
		const one = await u.list('q=filler+0999');
		assert.deepEqual(one.data.map((c) => c.lastName), ['Filler 0999']);
		assert.equal(one.page.hasMore, false);
		assert.deepEqual((await u.list('q=nobody')).data, []);
		const fillers = await u.listAll('q=aaron&sort=-lastName', 100);
		assert.equal(fillers.length, FILLERS);
		assert.equal(fillers[0].lastName, `Filler ${FILLERS - 1}`);
		assert.equal(new Set(ids(fillers)).size, FILLERS);
		assert.ok(fillers.every((c) => c.firstName === 'Aaron'));
	});
});
