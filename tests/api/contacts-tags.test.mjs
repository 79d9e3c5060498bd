// Black-box tests of tags and relationships (SPEC §6, §9.3–9.5): a contact's tags (add by folded
// name with get-or-create, remove by percent-decoded name), the bulk add/remove (all or nothing),
// the /tags collection (order, q, name, counts, cursors, rename and merge rules, delete), the caps
// (50 tags per contact, 1000 per account, 100 relationships per contact), relationships stored
// with their inverse, and the cascades of a contact deletion. The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE, ISO_MS } from '../support/server.mjs';
import { assertError, assertDetail, show } from '../support/accounts.mjs';
import { startContactsServer, newUser, TAG_KEYS, REL_KEYS } from '../support/contacts.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const names = (tags) => tags.map((t) => t.name);

describe(`tags and relationships [${STORE}]`, () => {
	let S;
	let api;
	before(async () => {
		S = await startContactsServer({ FREE_CONTACT_LIMIT: 100000 });
		api = S.api;
	});
	after(async () => {
		if (S) await S.stop();
	});

	test("a contact's tags: add (get-or-create, merged by folded form), list, remove by name", async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'T', tags: ['Café'] });
		await sleep(3);
		let r = await u.post(`/contacts/${c.id}/tags`, { names: ['zeta', 'CAFE', 'Alpha', 'alpha', ' beta '] });
		assert.equal(r.status, 200, show(r));
		assert.equal(r.json.message, '3 tag(s) added.');
		assert.deepEqual(names(r.json.data), ['Alpha', 'beta', 'Café', 'zeta'], 'sorted by folded name; existing tag matched');
		for (const t of r.json.data) assert.deepEqual(Object.keys(t), ['id', 'name']);
		r = await u.post(`/contacts/${c.id}/tags`, { names: ['ZETA'] });
		assert.equal(r.json.message, '0 tag(s) added.');
		const g = await u.get(`/contacts/${c.id}/tags`);
		assert.equal(g.status, 200);
		assert.deepEqual(g.json, { data: r.json.data }, 'a bounded list: no page');
		const contact = (await u.get(`/contacts/${c.id}`)).json.data;
		assert.deepEqual(contact.tags, g.json.data);
		assert.ok(contact.updatedAt > c.updatedAt, 'adding tags changes updatedAt');
		const tags = (await u.get('/tags')).json.data;
		assert.equal(tags.length, 4, 'one tag per folded name');
		// remove: percent-decoded, folded, no wildcards
		r = await u.delete(`/contacts/${c.id}/tags/caf%C3%A9`);
		assert.equal(r.status, 204, show(r));
		r = await u.delete(`/contacts/${c.id}/tags/CAFE`);
		assertError(r, 404, 'not_found');
		r = await u.delete(`/contacts/${c.id}/tags/ALPH%25`);
		assertError(r, 404, 'not_found');
		r = await u.delete(`/contacts/${c.id}/tags/nosuchtag`);
		assertError(r, 404, 'not_found');
		const d = await u.create({ firstName: 'U' });
		r = await u.delete(`/contacts/${d.id}/tags/zeta`);
		assertError(r, 404, 'not_found', 'an existing tag not linked to this contact');
		r = await u.post(`/contacts/${c.id}/tags`, { names: ['a/b'] });
		assert.equal(r.status, 200);
		r = await u.delete(`/contacts/${c.id}/tags/A%2FB`);
		assert.equal(r.status, 204, '%2F stays inside its segment: ' + show(r));
		assert.deepEqual(names((await u.get(`/contacts/${c.id}/tags`)).json.data), ['Alpha', 'beta', 'zeta']);
		// routing: the literal /contacts/tags is never read as /contacts/{id}
		r = await u.get('/contacts/tags');
		assertError(r, 405, 'method_not_allowed');
		assert.equal(r.headers.allow, 'POST');
	});

	test('tag names: validation on every route', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'V' });
		const cases = [
			[{ names: [] }, 'names', 'too_few'], [{ names: Array.from({ length: 51 }, (_, i) => `n${i}`) }, 'names', 'too_many'],
			[{ names: ['ok', 'a,b'] }, 'names[1]', 'invalid_characters'], [{ names: ['x'.repeat(51)] }, 'names[0]', 'too_long'],
			[{ names: ['  '] }, 'names[0]', 'required'], [{ names: [1] }, 'names[0]', 'wrong_type'], [{ names: 'x' }, 'names', 'wrong_type'],
			[{}, 'names', 'required'], [{ names: ['ok'], extra: 1 }, 'extra', 'unknown_field'], [{ names: ['tab\there'] }, 'names[0]', 'invalid_characters'],
		];
		for (const [body, f, reason] of cases) {
			const r = await u.post(`/contacts/${c.id}/tags`, body);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, f, reason);
		}
		assert.equal((await u.get('/tags')).json.data.length, 0, 'nothing written');
	});

	test('caps: 50 tags per contact and 1000 tags per account (409 limit_exceeded)', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'Cap', tags: Array.from({ length: 50 }, (_, i) => `c${i}`) });
		let r = await u.post(`/contacts/${c.id}/tags`, { names: ['c0', 'C1'] });
		assert.equal(r.status, 200, 'already linked names add nothing: ' + show(r));
		r = await u.post(`/contacts/${c.id}/tags`, { names: ['one-more'] });
		assertError(r, 409, 'limit_exceeded');
		assertDetail(r, 'names', 'too_many');
		assert.equal((await u.get('/tags?includeTotal=true')).json.page.total, 50, 'the tag was not created either');
		// account cap: 1000 tags
		for (let k = 1; k < 20; k++) {
			const x = await u.create({ firstName: `Cap${k}` });
			r = await u.post(`/contacts/${x.id}/tags`, { names: Array.from({ length: 50 }, (_, i) => `k${k}-${i}`) });
			assert.equal(r.status, 200, show(r));
		}
		assert.equal((await u.get('/tags?limit=1&includeTotal=true')).json.page.total, 1000);
		const y = await u.create({ firstName: 'Over' });
		r = await u.post(`/contacts/${y.id}/tags`, { names: ['brand-new'] });
		assertError(r, 409, 'limit_exceeded');
		assertDetail(r, 'tags', 'too_many');
		r = await u.post('/contacts', { firstName: 'Over2', tags: ['c0', 'brand-new'] });
		assertError(r, 409, 'limit_exceeded');
		r = await u.post('/contacts/tags', { contactIds: [y.id], add: ['brand-new'] });
		assertError(r, 409, 'limit_exceeded');
		r = await u.post(`/contacts/${y.id}/tags`, { names: ['c0', 'k3-7'] });
		assert.equal(r.status, 200, 'existing tags can still be linked: ' + show(r));
		assert.equal((await u.list('includeTotal=true')).page.total, 21, 'the refused contact was not created');
	});

	test('bulk tags: add and remove across contacts, all or nothing, details per element', async () => {
		const u = await newUser(api);
		const other = await newUser(api);
		const a = await u.create({ firstName: 'A', tags: ['old', 'keep'] });
		const b = await u.create({ firstName: 'B', tags: ['keep'] });
		const c = await u.create({ firstName: 'C', tags: ['new'] });
		const theirs = await other.create({ firstName: 'X' });
		await sleep(3);
		let r = await u.post('/contacts/tags', { contactIds: [a.id, b.id, c.id], add: ['New', 'fresh'], remove: ['OLD'] });
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(r.json.data, { contactCount: 3, linksAdded: 5, linksRemoved: 1 });
		const after = await Promise.all([a, b, c].map((x) => u.get(`/contacts/${x.id}`)));
		assert.deepEqual(names(after[0].json.data.tags), ['fresh', 'keep', 'new']);
		assert.deepEqual(names(after[1].json.data.tags), ['fresh', 'keep', 'new'], 'an existing tag keeps its spelling');
		assert.deepEqual(names(after[2].json.data.tags), ['fresh', 'new']);
		for (let i = 0; i < 3; i++) assert.ok(after[i].json.data.updatedAt > [a, b, c][i].updatedAt, 'each touched contact changes');
		// unchanged contacts keep their updatedAt
		r = await u.post('/contacts/tags', { contactIds: [a.id], add: ['fresh'] });
		assert.deepEqual(r.json.data, { contactCount: 1, linksAdded: 0, linksRemoved: 0 });
		assert.equal((await u.get(`/contacts/${a.id}`)).json.data.updatedAt, after[0].json.data.updatedAt);
		// all or nothing: foreign ids and unknown remove names → 404 with details, nothing changed
		r = await u.post('/contacts/tags', { contactIds: [a.id, theirs.id, 987654321], add: ['zzz'], remove: ['keep', 'ghost'] });
		assertError(r, 404, 'not_found');
		assertDetail(r, 'contactIds[1]', 'not_found');
		assertDetail(r, 'contactIds[2]', 'not_found');
		assertDetail(r, 'remove[1]', 'not_found');
		assert.equal(r.json.details.length, 3);
		assert.deepEqual(names((await u.get(`/contacts/${a.id}`)).json.data.tags), ['fresh', 'keep', 'new']);
		assert.equal((await u.get('/tags?name=zzz')).json.data.length, 0, 'no tag created');
		assert.deepEqual((await other.get(`/contacts/${theirs.id}`)).json.data.tags, []);
		r = await u.post('/contacts/tags', { contactIds: [a.id], remove: ['keep', 'KEEP', 'ghost'] });
		assertDetail(r, 'remove[2]', 'not_found');
		// validation
		const cases = [
			[{ contactIds: [a.id] }, 'add', 'required'], [{ contactIds: [a.id], add: [], remove: [] }, 'add', 'required'],
			[{ contactIds: [a.id], add: ['x', 'Y'], remove: ['z', 'y'] }, 'remove[1]', 'conflicting'],
			[{ add: ['x'] }, 'contactIds', 'required'], [{ contactIds: [], add: ['x'] }, 'contactIds', 'too_few'],
			[{ contactIds: [a.id, a.id], add: ['x'] }, 'contactIds[1]', 'duplicate'], [{ contactIds: ['1'], add: ['x'] }, 'contactIds[0]', 'wrong_type'],
			[{ contactIds: [a.id], add: ['a,b'] }, 'add[0]', 'invalid_characters'], [{ contactIds: [a.id], add: 'x' }, 'add', 'wrong_type'],
			[{ contactIds: [a.id], add: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'add', 'too_many'],
			[{ contactIds: Array.from({ length: 501 }, (_, i) => i + 1), add: ['x'] }, 'contactIds', 'too_many'],
		];
		for (const [body, f, reason] of cases) {
			r = await u.post('/contacts/tags', body);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, f, reason);
		}
		// the per-contact cap applies to each contact's result
		const full = await u.create({ firstName: 'Full', tags: Array.from({ length: 49 }, (_, i) => `f${i}`) });
		r = await u.post('/contacts/tags', { contactIds: [a.id, full.id], add: ['p1', 'p2'] });
		assertError(r, 409, 'limit_exceeded');
		assertDetail(r, 'contactIds[1]', 'too_many');
		assert.equal((await u.get('/tags?name=p1')).json.data.length, 0);
		r = await u.post('/contacts/tags', { contactIds: [a.id, full.id], add: ['p1', 'p2'], remove: ['f0'] });
		assert.equal(r.status, 200, 'removing in the same request makes room: ' + show(r));
		assert.equal((await u.get(`/contacts/${full.id}/tags`)).json.data.length, 50);
	});

	test('/tags: sorted by folded name, q prefix, name equality, counts, pages and cursors', async () => {
		const u = await newUser(api);
		const c1 = await u.create({ firstName: 'A', tags: ['Zulu', 'éclair', 'Echo', 'alpha'] });
		await u.create({ firstName: 'B', tags: ['echo', 'ECLAIR-2'] });
		const all = (await u.get('/tags?includeTotal=true')).json;
		assert.deepEqual(names(all.data), ['alpha', 'Echo', 'éclair', 'ECLAIR-2', 'Zulu']);
		assert.equal(all.page.total, 5);
		for (const t of all.data) {
			assert.deepEqual(Object.keys(t), TAG_KEYS);
			assert.match(t.createdAt, ISO_MS);
		}
		assert.deepEqual(all.data.map((t) => t.contactCount), [1, 2, 1, 1, 1]);
		assert.deepEqual(names((await u.get('/tags?q=EC')).json.data), ['Echo', 'éclair', 'ECLAIR-2']);
		assert.deepEqual(names((await u.get('/tags?q=ecla')).json.data), ['éclair', 'ECLAIR-2'], 'accent-insensitive prefix');
		assert.deepEqual(names((await u.get('/tags?name=ECLAIR')).json.data), ['éclair'], 'name: folded equality');
		assert.deepEqual(names((await u.get('/tags?name=ecl')).json.data), []);
		const pages = [];
		let cursor = null;
		do {
			const p = (await u.get(`/tags?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json;
			pages.push(names(p.data));
			cursor = p.page.nextCursor;
		} while (cursor);
		assert.deepEqual(pages, [['alpha', 'Echo'], ['éclair', 'ECLAIR-2'], ['Zulu']]);
		const p1 = (await u.get('/tags?limit=1&q=e')).json;
		let r = await u.get(`/tags?limit=1&q=z&cursor=${p1.page.nextCursor}`);
		assertDetail(r, 'cursor', 'mismatch');
		r = await u.get(`/contacts?cursor=${p1.page.nextCursor}`);
		assertDetail(r, 'cursor', 'mismatch');
		for (const [qs, f, reason] of [['limit=0', 'limit', 'out_of_range'], ['q=' + 'x'.repeat(201), 'q', 'too_long'], ['name=' + 'x'.repeat(51), 'name', 'too_long'], ['sort=name', 'sort', 'unknown_field'], ['cursor=zz', 'cursor', 'invalid_format']]) {
			r = await u.get(`/tags?${qs}`);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, f, reason);
		}
		const one = await u.get(`/tags/${c1.tags[0].id}`);
		assert.equal(one.status, 200);
		assert.deepEqual(one.json.data, all.data.find((t) => t.id === c1.tags[0].id));
		assertError(await u.get('/tags/99999999'), 404, 'not_found');
	});

	test('rename: case/accent changes allowed, another tag’s folded name conflicts, contacts touched', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'R', tags: ['work', 'home'] });
		const work = c.tags.find((t) => t.name === 'work');
		await sleep(3);
		let r = await u.patch(`/tags/${work.id}`, { name: 'Wörk' });
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(Object.keys(r.json.data), TAG_KEYS);
		assert.equal(r.json.data.name, 'Wörk');
		assert.equal(r.json.data.contactCount, 1);
		const cc = (await u.get(`/contacts/${c.id}`)).json.data;
		assert.ok(cc.updatedAt > c.updatedAt, 'linked contacts change on rename');
		assert.deepEqual(names(cc.tags), ['home', 'Wörk']);
		r = await u.patch(`/tags/${work.id}`, { name: 'HOME' });
		assertError(r, 409, 'conflict');
		assertDetail(r, 'name', 'duplicate');
		for (const [body, f, reason] of [[{ name: 'a,b' }, 'name', 'invalid_characters'], [{ name: '' }, 'name', 'required'], [{ name: 'x'.repeat(51) }, 'name', 'too_long'], [{}, 'name', 'required'], [{ name: 'ok', id: 3 }, 'id', 'read_only'], [{ name: 5 }, 'name', 'wrong_type']]) {
			r = await u.patch(`/tags/${work.id}`, body);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, f, reason);
		}
		assertError(await u.patch('/tags/99999999', { name: 'x' }), 404, 'not_found');
		// the renamed tag is found under its new folded name
		assert.equal((await u.list('tag=work')).data.length, 1);
		r = await u.post(`/contacts/${c.id}/tags`, { names: ['WORK'] });
		assert.equal(r.json.message, '0 tag(s) added.');
		// delete: links go, contacts touched, the contact stays
		const before = (await u.get(`/contacts/${c.id}`)).json.data;
		await sleep(3);
		r = await u.delete(`/tags/${work.id}`);
		assert.equal(r.status, 204);
		const afterDel = (await u.get(`/contacts/${c.id}`)).json.data;
		assert.deepEqual(names(afterDel.tags), ['home']);
		assert.ok(afterDel.updatedAt > before.updatedAt);
		assertError(await u.get(`/tags/${work.id}`), 404, 'not_found');
		assertError(await u.delete(`/tags/${work.id}`), 404, 'not_found');
	});

	test('relationships: pairs with inverse types, reading from both sides, rules and errors', async () => {
		const u = await newUser(api);
		const ann = await u.create({ firstName: 'Ann', lastName: 'Lee' });
		const bob = await u.create({ firstName: 'Bob' });
		const cy = await u.create({ firstName: 'Cy', lastName: 'Ames' });
		const dee = await u.create({ firstName: 'Ámy', lastName: 'Zed' });
		let r = await u.post(`/contacts/${ann.id}/relationships`, { relatedContactId: bob.id, type: 'parent' });
		assert.equal(r.status, 201, show(r));
		assert.equal(r.headers.location, `/api/v1/contacts/${ann.id}/relationships`);
		const rel = r.json.data;
		assert.deepEqual(Object.keys(rel), REL_KEYS);
		assert.equal(rel.contactId, ann.id);
		assert.equal(rel.relatedContactId, bob.id);
		assert.deepEqual(rel.relatedContact, { id: bob.id, firstName: 'Bob', lastName: null });
		assert.equal(rel.type, 'parent');
		assert.equal(rel.label, null);
		assert.match(rel.createdAt, ISO_MS);
		const fromBob = (await u.get(`/contacts/${bob.id}/relationships`)).json.data;
		assert.equal(fromBob.length, 1);
		assert.equal(fromBob[0].id, rel.inverseId);
		assert.equal(fromBob[0].inverseId, rel.id);
		assert.equal(fromBob[0].type, 'child', 'the inverse of parent is child');
		assert.deepEqual(fromBob[0].relatedContact, { id: ann.id, firstName: 'Ann', lastName: 'Lee' });
		const pairs = [['spouse', 'spouse'], ['sibling', 'sibling'], ['friend', 'friend'], ['colleague', 'colleague'], ['manager', 'report'], ['report', 'manager'], ['child', 'parent']];
		for (const [type, inv] of pairs) {
			r = await u.post(`/contacts/${cy.id}/relationships`, { relatedContactId: dee.id, type });
			assert.equal(r.status, 201, show(r));
			const back = (await u.get(`/contacts/${dee.id}/relationships`)).json.data.find((x) => x.id === r.json.data.inverseId);
			assert.equal(back.type, inv, `${type} ↔ ${inv}`);
		}
		r = await u.post(`/contacts/${cy.id}/relationships`, { relatedContactId: ann.id, type: 'other', label: 'godmother' });
		assert.equal(r.status, 201);
		assert.equal(r.json.data.label, 'godmother');
		const inv = (await u.get(`/contacts/${ann.id}/relationships`)).json.data.find((x) => x.type === 'other');
		assert.equal(inv.label, 'godmother', 'the inverse carries the same label');
		await u.post(`/contacts/${cy.id}/relationships`, { relatedContactId: bob.id, type: 'friend' });
		// ordering: type, then the related contact's folded first and last name, then id
		const list = (await u.get(`/contacts/${cy.id}/relationships`)).json.data;
		assert.deepEqual(list.map((x) => `${x.type}:${x.relatedContact.firstName}`), [
			'child:Ámy', 'colleague:Ámy', 'friend:Ámy', 'friend:Bob', 'manager:Ámy', 'other:Ann', 'report:Ámy', 'sibling:Ámy', 'spouse:Ámy',
		]);
		// conflicts, errors
		r = await u.post(`/contacts/${ann.id}/relationships`, { relatedContactId: bob.id, type: 'parent' });
		assertError(r, 409, 'conflict');
		r = await u.post(`/contacts/${bob.id}/relationships`, { relatedContactId: ann.id, type: 'child' });
		assertError(r, 409, 'conflict', 'the inverse row already exists');
		r = await u.post(`/contacts/${ann.id}/relationships`, { relatedContactId: bob.id, type: 'friend' });
		assert.equal(r.status, 201, 'another type between the same contacts is fine');
		const bad = [
			[{ relatedContactId: ann.id, type: 'friend' }, 'relatedContactId', 'invalid_value'],
			[{ relatedContactId: bob.id, type: 'cousin' }, 'type', 'invalid_value'], [{ relatedContactId: bob.id, type: 'other' }, 'label', 'required'],
			[{ relatedContactId: bob.id, type: 'other', label: 'x'.repeat(51) }, 'label', 'too_long'], [{ type: 'friend' }, 'relatedContactId', 'required'],
			[{ relatedContactId: '2', type: 'friend' }, 'relatedContactId', 'wrong_type'], [{ relatedContactId: 0, type: 'friend' }, 'relatedContactId', 'out_of_range'],
			[{ relatedContactId: bob.id }, 'type', 'required'], [{ relatedContactId: bob.id, type: 'friend', inverseId: 1 }, 'inverseId', 'read_only'],
		];
		for (const [body, f, reason] of bad) {
			r = await u.post(`/contacts/${ann.id}/relationships`, body);
			assertError(r, 400, 'validation_failed');
			assertDetail(r, f, reason);
		}
		r = await u.post(`/contacts/${ann.id}/relationships`, { relatedContactId: 99999999, type: 'friend' });
		assertError(r, 404, 'not_found');
		// delete: the row and its inverse; relId must belong to {id}
		r = await u.delete(`/contacts/${bob.id}/relationships/${rel.id}`);
		assertError(r, 404, 'not_found', 'relId of another contact');
		r = await u.delete(`/contacts/${ann.id}/relationships/${rel.id}`);
		assert.equal(r.status, 204);
		assert.ok(!(await u.get(`/contacts/${bob.id}/relationships`)).json.data.some((x) => x.id === rel.inverseId), 'inverse gone');
		assertError(await u.delete(`/contacts/${ann.id}/relationships/${rel.id}`), 404, 'not_found');
		assertError(await u.delete(`/contacts/${ann.id}/relationships/abc`), 400, 'validation_failed');
	});

	test('relationships cap: 100 per contact on either side (409 limit_exceeded)', async () => {
		const u = await newUser(api);
		const hub = await u.create({ firstName: 'Hub' });
		const others = [];
		for (let i = 0; i < 101; i++) others.push(await u.create({ firstName: `O${i}` }));
		for (let i = 0; i < 100; i++) {
			const r = await u.post(`/contacts/${hub.id}/relationships`, { relatedContactId: others[i].id, type: 'friend' });
			assert.equal(r.status, 201, show(r));
		}
		let r = await u.post(`/contacts/${hub.id}/relationships`, { relatedContactId: others[100].id, type: 'friend' });
		assertError(r, 409, 'limit_exceeded');
		assertDetail(r, 'relationships', 'too_many');
		r = await u.post(`/contacts/${others[100].id}/relationships`, { relatedContactId: hub.id, type: 'colleague' });
		assertError(r, 409, 'limit_exceeded', 'the related contact is at the cap');
		assert.equal((await u.get(`/contacts/${others[100].id}/relationships`)).json.data.length, 0, 'nothing written');
	});

	test('deleting a contact cascades: links, notes, relationships both ways, search words; one tombstone', async () => {
		const u = await newUser(api);
		const since = new Date(Date.now() - 1000).toISOString();
		const a = await u.create({ firstName: 'Cascade', tags: ['shared', 'solo'] });
		const b = await u.create({ firstName: 'Stays', tags: ['shared'] });
		await u.post(`/contacts/${a.id}/relationships`, { relatedContactId: b.id, type: 'spouse' });
		await u.post(`/contacts/${b.id}/relationships`, { relatedContactId: a.id, type: 'friend' });
		const note = await u.post('/notes', { contactId: a.id, title: 'Remember', content: 'Uniqueword' });
		assert.equal(note.status, 201, show(note));
		assert.equal((await u.list('q=uniqueword')).data.length, 1);
		const r = await u.delete(`/contacts/${a.id}`);
		assert.equal(r.status, 204);
		assert.deepEqual((await u.get(`/contacts/${b.id}/relationships`)).json.data, [], 'relationships gone in both directions');
		const tags = (await u.get('/tags')).json.data;
		assert.deepEqual(tags.map((t) => [t.name, t.contactCount]), [['shared', 1], ['solo', 0]]);
		assertError(await u.get(`/notes/${note.json.data.id}`), 404, 'not_found');
		assert.equal((await u.list('q=uniqueword')).data.length, 0);
		assert.equal((await u.list('q=cascade')).data.length, 0);
		const feed = (await u.list(`updatedSince=${encodeURIComponent(since)}`)).data;
		assert.deepEqual(feed.filter((i) => i.deleted).map((i) => i.id), [a.id], 'one tombstone for the contact');
		assert.equal((await u.get(`/contacts/${b.id}`)).json.data.tags.length, 1);
	});
});
