// Black-box tests of contacts (SPEC §2.2, §5, §6, §9.1): the Contact object, create / read /
// update / delete, customFields (limits, merge, number forms), birthdays, phones, emails and
// their per-user uniqueness, bulk delete (all or nothing), the FREE plan limit and PREMIUM (the
// ADMIN role set in the store), bad input on every field, another user's ids answering 404, a
// revoked session or deactivated account refused at once, and (PostgreSQL only) the contact read
// through an outage of the store. The store comes from CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE } from '../support/server.mjs';
import { assertError, assertDetail, hasDetail, show } from '../support/accounts.mjs';
import { startContactsServer, newUser, assertContact, UserClient } from '../support/contacts.mjs';
import { makeAdmin, sql } from '../support/db.mjs';
import { PgCluster } from '../support/postgres.mjs';
import { waitUntil } from '../support/server.mjs';

describe(`contacts [${STORE}]`, () => {
	let S;
	let api;
	before(async () => {
		S = await startContactsServer();
		api = S.api;
	});
	after(async () => {
		if (S) await S.stop();
	});

	test('create returns the full Contact object with Location, and GET reads it back', async () => {
		const u = await newUser(api);
		const body = {
			firstName: '  Ann ',
			lastName: 'Lee',
			email: 'Ann@Example.com',
			phone: '+1 (415) 555-2671',
			address: 'Line 1\nLine 2\t',
			company: 'Acme',
			jobRole: 'CTO',
			birthday: '--04-12',
			customFields: { nickname: 'Annie', met: 2019, vip: true, ratio: 2.5, big: 1e2 },
			tags: ['vip', 'Friends', 'VIP', 'friends'],
		};
		const r = await u.post('/contacts', body);
		assert.equal(r.status, 201, show(r));
		const c = r.json.data;
		assertContact(c);
		assert.equal(r.headers.location, `/api/v1/contacts/${c.id}`);
		assert.equal(c.firstName, 'Ann', 'single-line text is trimmed');
		assert.equal(c.address, 'Line 1\nLine 2\t', 'multi-line text is stored as sent');
		assert.equal(c.email, 'Ann@Example.com', 'email stored as sent');
		assert.equal(c.phone, '+1 (415) 555-2671');
		assert.equal(c.birthday, '--04-12');
		assert.deepEqual(c.customFields, { big: 100, met: 2019, nickname: 'Annie', ratio: 2.5, vip: true });
		assert.ok(/"big":100[,}]/.test(r.text), `1e2 comes back as 100: ${r.text}`);
		assert.deepEqual(c.tags.map((t) => t.name), ['Friends', 'vip'], 'merged by folded form, first spelling kept, sorted');
		assert.equal(c.lastContacted, null);
		assert.equal(c.createdAt, c.updatedAt);
		const g = await u.get(`/contacts/${c.id}`);
		assert.equal(g.status, 200, show(g));
		assert.deepEqual(g.json.data, c);
	});

	test('a minimal contact has every key, nulls and {} / []', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'Bo' });
		assertContact(c);
		for (const k of ['lastName', 'email', 'phone', 'address', 'company', 'jobRole', 'birthday', 'lastContacted']) assert.equal(c[k], null, k);
		assert.deepEqual(c.customFields, {});
		assert.deepEqual(c.tags, []);
		const c2 = await u.create({ firstName: 'Cy', lastName: '', email: null, company: '   ', customFields: null });
		assert.equal(c2.lastName, null, '"" stores no value');
		assert.equal(c2.company, null, 'white space only stores no value');
		assert.deepEqual(c2.customFields, {});
	});

	test('bad input: every bad field is named at once and nothing is written', async () => {
		const u = await newUser(api);
		const r = await u.post('/contacts', {
			lastName: 'x'.repeat(101),
			email: 'not-an-email',
			phone: '555-CALL-NOW',
			address: 'a'.repeat(501),
			company: 7,
			jobRole: 'bad\u0007char',
			birthday: '2019-02-29',
			customFields: { 'bad key': 1, nested: { a: 1 }, arr: [1], nul: null, long: 'x'.repeat(1001), ok: 'fine' },
			tags: ['ok', 'a,b', 5, ''],
			id: 5,
			createdAt: 'x',
			lastContacted: null,
			surprise: true,
		});
		const e = assertError(r, 400, 'validation_failed');
		const want = [
			['firstName', 'required'], ['lastName', 'too_long'], ['email', 'invalid_format'], ['phone', 'invalid_characters'],
			['address', 'too_long'], ['company', 'wrong_type'], ['jobRole', 'invalid_characters'], ['birthday', 'invalid_value'],
			['customFields.bad key', 'invalid_format'], ['customFields.nested', 'wrong_type'], ['customFields.arr', 'wrong_type'],
			['customFields.nul', 'wrong_type'], ['customFields.long', 'too_long'], ['tags[1]', 'invalid_characters'],
			['tags[2]', 'wrong_type'], ['tags[3]', 'required'], ['id', 'read_only'], ['createdAt', 'read_only'],
			['lastContacted', 'read_only'], ['surprise', 'unknown_field'],
		];
		for (const [f, reason] of want) assert.ok(hasDetail(e, f, reason), `detail ${f}/${reason}: ${r.text}`);
		const list = await u.list();
		assert.equal(list.data.length, 0, 'nothing written');
		const t = await u.get('/tags');
		assert.equal(t.json.data.length, 0, 'no tag written');
	});

	test('field rules: email, phone, birthday, customFields and tag limits', async () => {
		const u = await newUser(api);
		const year = new Date().getUTCFullYear();
		const bad = [
			[{ email: 'a@b' }, 'email', 'invalid_format'],
			[{ email: `${'a'.repeat(250)}@x.com` }, 'email', 'too_long'],
			[{ email: 'Ann <ann@example.com>' }, 'email', 'invalid_format'],
			[{ phone: '12' }, 'phone', 'invalid_format'],
			[{ phone: '1+23456' }, 'phone', 'invalid_format'],
			[{ phone: '1'.repeat(21) }, 'phone', 'invalid_format'],
			[{ phone: '1'.repeat(33) }, 'phone', 'too_long'],
			[{ birthday: '1899-12-31' }, 'birthday', 'out_of_range'],
			[{ birthday: `${year + 1}-01-01` }, 'birthday', 'out_of_range'],
			[{ birthday: '--13-01' }, 'birthday', 'invalid_value'],
			[{ birthday: '--02-30' }, 'birthday', 'invalid_value'],
			[{ birthday: '12-04' }, 'birthday', 'invalid_format'],
			[{ birthday: '2000-1-01' }, 'birthday', 'invalid_format'],
			[{ customFields: [] }, 'customFields', 'wrong_type'],
			[{ customFields: 'x' }, 'customFields', 'wrong_type'],
			[{ customFields: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'customFields', 'too_many'],
			[{ customFields: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'x'.repeat(1000)])) }, 'customFields', 'too_long'],
			[{ customFields: { ['k'.repeat(51)]: 1 } }, `customFields.${'k'.repeat(51)}`, 'invalid_format'],
			[{ customFields: { a: 'line\nbreak' } }, 'customFields.a', 'invalid_characters'],
			[{ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'tags', 'too_many'],
			[{ tags: 'vip' }, 'tags', 'wrong_type'],
			[{ tags: null }, 'tags', 'wrong_type'],
			[{ tags: ['x'.repeat(51)] }, 'tags[0]', 'too_long'],
			[{ firstName: 'x'.repeat(101) }, 'firstName', 'too_long'],
			[{ firstName: '   ' }, 'firstName', 'required'],
		];
		for (const [extra, field, reason] of bad) {
			const r = await u.post('/contacts', { firstName: 'Ann', ...extra });
			assertError(r, 400, 'validation_failed');
			assertDetail(r, field, reason);
		}
		const good = [
			{ birthday: '1900-01-01' }, { birthday: `${year}-01-01` }, { birthday: '--02-29' }, { birthday: '2000-02-29' },
			{ phone: '+44 (20) 7946.0958/1' }, { phone: '123' }, { email: "o'brien+tag@sub.example.co.uk" },
			{ email: 'x@xn--80ak6aa92e.com' }, { customFields: { s: '', n: -0.5, t: false, i: 0 } },
			{ customFields: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])) },
			{ tags: Array.from({ length: 50 }, (_, i) => `g${i}`) },
			{ firstName: 'x'.repeat(100), lastName: 'ł'.repeat(100) },
		];
		for (const extra of good) {
			const r = await u.post('/contacts', { firstName: 'Ann', ...extra });
			assert.equal(r.status, 201, `${JSON.stringify(extra).slice(0, 80)}: ${show(r)}`);
		}
	});

	test('customFields numbers: integers, integral reals and large values come back in one form', async () => {
		const u = await newUser(api);
		const raw = '{"firstName":"Num","customFields":{"a":1e2,"b":100.0,"c":-0.0,"d":2.5e-7,"e":9007199254740993,"f":1.5e300,"g":0.1}}';
		const res = await api.post('/contacts', { token: u.token, body: raw, headers: { 'Content-Type': 'application/json' } });
		assert.equal(res.status, 201, show(res));
		const cf = res.json.data.customFields;
		assert.equal(cf.a, 100);
		assert.equal(cf.b, 100);
		assert.equal(cf.c, 0);
		assert.equal(cf.d, 2.5e-7);
		assert.equal(cf.f, 1.5e300);
		assert.equal(cf.g, 0.1);
		assert.ok(/"a":100,"b":100,"c":0,/.test(res.text), res.text);
		const g = await u.get(`/contacts/${res.json.data.id}`);
		assert.equal(g.text.match(/"customFields":\{[^}]*\}/)[0], res.text.match(/"customFields":\{[^}]*\}/)[0], 'read back identically');
	});

	test('PATCH: partial changes, clearing, customFields merge, tag-set replacement, no_fields', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'Ann', lastName: 'Lee', company: 'Acme', customFields: { a: 1, b: 'x', c: true }, tags: ['one', 'two'] });
		await new Promise((r) => setTimeout(r, 5));
		let r = await u.patch(`/contacts/${c.id}`, { lastName: null, jobRole: 'CEO', customFields: { a: null, d: 4 }, tags: ['Three', 'one'] });
		assert.equal(r.status, 200, show(r));
		let d = r.json.data;
		assertContact(d);
		assert.equal(d.firstName, 'Ann');
		assert.equal(d.lastName, null);
		assert.equal(d.company, 'Acme', 'untouched fields stay');
		assert.equal(d.jobRole, 'CEO');
		assert.deepEqual(d.customFields, { b: 'x', c: true, d: 4 });
		assert.deepEqual(d.tags.map((t) => t.name), ['one', 'Three']);
		assert.equal(d.createdAt, c.createdAt);
		assert.ok(d.updatedAt > c.updatedAt, 'updatedAt advances');
		r = await u.patch(`/contacts/${c.id}`, { customFields: null, tags: [] });
		assert.deepEqual(r.json.data.customFields, {});
		assert.deepEqual(r.json.data.tags, []);
		r = await u.patch(`/contacts/${c.id}`, {});
		assertError(r, 400, 'validation_failed');
		assertDetail(r, 'body', 'no_fields');
		r = await u.patch(`/contacts/${c.id}`, { firstName: null });
		assertDetail(r, 'firstName', 'required');
		r = await u.patch(`/contacts/${c.id}`, { firstName: '' });
		assertDetail(r, 'firstName', 'required');
		r = await u.patch(`/contacts/${c.id}`, { updatedAt: '2020-01-01T00:00:00Z', customFields: { x: [1] } });
		assertDetail(r, 'updatedAt', 'read_only');
		assertDetail(r, 'customFields.x', 'wrong_type');
		// the limits apply to the merged result
		const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
		r = await u.patch(`/contacts/${c.id}`, { customFields: fifty });
		assert.equal(r.status, 200, show(r));
		r = await u.patch(`/contacts/${c.id}`, { customFields: { extra: 1 } });
		assertError(r, 400, 'validation_failed');
		assertDetail(r, 'customFields', 'too_many');
		r = await u.patch(`/contacts/${c.id}`, { customFields: { k0: null, extra: 1 } });
		assert.equal(r.status, 200, 'removing one key makes room: ' + show(r));
		assert.equal(Object.keys(r.json.data.customFields).length, 50);
		const g = await u.get(`/contacts/${c.id}`);
		assert.deepEqual(g.json.data, r.json.data);
	});

	test('email is unique per user case-insensitively (409), free for other users', async () => {
		const u = await newUser(api);
		const v = await newUser(api);
		const a = await u.create({ firstName: 'A', email: 'dup@example.com' });
		let r = await u.post('/contacts', { firstName: 'B', email: 'DUP@example.COM' });
		assertError(r, 409, 'conflict');
		assertDetail(r, 'email', 'duplicate');
		r = await v.post('/contacts', { firstName: 'B', email: 'dup@example.com' });
		assert.equal(r.status, 201, 'another user may use the address');
		const b = await u.create({ firstName: 'B', email: 'other@example.com' });
		r = await u.patch(`/contacts/${b.id}`, { email: 'Dup@Example.com' });
		assertError(r, 409, 'conflict');
		assertDetail(r, 'email', 'duplicate');
		r = await u.patch(`/contacts/${a.id}`, { email: 'DUP@example.com' });
		assert.equal(r.status, 200, 'changing the case of its own address is fine: ' + show(r));
		assert.equal(r.json.data.email, 'DUP@example.com');
		r = await u.patch(`/contacts/${a.id}`, { email: null });
		assert.equal(r.status, 200);
		r = await u.patch(`/contacts/${b.id}`, { email: 'dup@example.com' });
		assert.equal(r.status, 200, 'a cleared address is free again');
		const list = await u.list('email=DUP%40EXAMPLE.com');
		assert.deepEqual(list.data.map((c) => c.id), [b.id], 'email filter is folded equality');
	});

	test('delete: 204, then 404 everywhere; bad ids are 400, never 404', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'Gone', tags: ['t'] });
		let r = await u.delete(`/contacts/${c.id}`);
		assert.equal(r.status, 204, show(r));
		assert.equal(r.text, '');
		for (const [m, p, b] of [
			['get', `/contacts/${c.id}`], ['patch', `/contacts/${c.id}`, { firstName: 'x' }], ['delete', `/contacts/${c.id}`],
			['get', `/contacts/${c.id}/tags`], ['get', `/contacts/${c.id}/relationships`],
		]) {
			r = b ? await u[m](p, b) : await u[m](p);
			assertError(r, 404, 'not_found');
		}
		for (const bad of ['0', '01', '-1', 'abc', '1.5', '9223372036854775808']) {
			r = await u.get(`/contacts/${bad}`);
			assertError(r, 400, 'validation_failed');
		}
		r = await api.delete(`/contacts/${c.id}`, { token: u.token, body: { x: 1 } });
		assertError(r, 400, 'validation_failed');
		assertDetail(r, 'body', 'not_allowed');
		const tags = await u.get('/tags');
		assert.equal(tags.json.data[0].contactCount, 0, 'the tag stays, unlinked');
	});

	test('bulk delete: all or nothing, details per foreign id, duplicates and sizes refused', async () => {
		const u = await newUser(api);
		const other = await newUser(api);
		const mine = [];
		for (let i = 0; i < 4; i++) mine.push((await u.create({ firstName: `B${i}` })).id);
		const theirs = (await other.create({ firstName: 'Theirs' })).id;
		let r = await u.post('/contacts/bulk-delete', { ids: [mine[0], theirs, mine[1], 999999999] });
		assertError(r, 404, 'not_found');
		assertDetail(r, 'ids[1]', 'not_found');
		assertDetail(r, 'ids[3]', 'not_found');
		assert.equal(r.json.details.length, 2);
		assert.equal((await u.list()).data.length, 4, 'nothing deleted');
		assert.equal((await other.get(`/contacts/${theirs}`)).status, 200, "the other user's contact is untouched");
		r = await u.post('/contacts/bulk-delete', { ids: [mine[0], mine[0]] });
		assertDetail(r, 'ids[1]', 'duplicate');
		for (const [ids, f, reason] of [
			[[], 'ids', 'too_few'], [Array.from({ length: 501 }, (_, i) => i + 1), 'ids', 'too_many'], ['1', 'ids', 'wrong_type'],
			[['1'], 'ids[0]', 'wrong_type'], [[0], 'ids[0]', 'out_of_range'], [[1.5], 'ids[0]', 'wrong_type'],
		]) {
			r = await u.post('/contacts/bulk-delete', { ids });
			assertError(r, 400, 'validation_failed');
			assertDetail(r, f, reason);
		}
		r = await u.post('/contacts/bulk-delete', {});
		assertDetail(r, 'ids', 'required');
		r = await u.post('/contacts/bulk-delete', { ids: [mine[0], mine[2]] });
		assert.equal(r.status, 200, show(r));
		assert.deepEqual(r.json.data, { deleted: 2 });
		assert.deepEqual((await u.list()).data.map((c) => c.id).sort(), [mine[1], mine[3]].sort());
	});

	test('GET /contacts/{id} answers 401 at once for a revoked session or a deactivated account, without the contact', async () => {
		const u = await newUser(api);
		const c = await u.create({ firstName: 'Kept', tags: ['t'] });
		const other = await (await newUser(api)).create({ firstName: 'Elsewhere' });
		const l = await api.post('/auth/login', { body: { email: u.ident.email, password: u.ident.password } });
		assert.equal(l.status, 200, show(l));
		const second = new UserClient(api, u.ident, l.json.data.accessToken);
		assert.equal((await second.get(`/contacts/${c.id}`)).status, 200);
		assert.equal((await api.post('/auth/logout', { token: second.token })).status, 204);
		for (const id of [c.id, other.id, c.id + 1000000]) {
			const r = await second.get(`/contacts/${id}`);
			assertError(r, 401, 'unauthenticated');
			assert.ok(!/Kept|Elsewhere/.test(r.text), `no contact in a refusal: ${r.text}`);
		}
		const first = await u.get(`/contacts/${c.id}`);
		assert.equal(first.status, 200, 'the other session still reads it');
		assert.deepEqual(first.json.data, c);
		await sql(S.srv, `UPDATE users SET active = false WHERE email_key = '${u.ident.email.toLowerCase()}'`);
		const off = await u.get(`/contacts/${c.id}`);
		assertError(off, 401, 'unauthenticated');
		assert.ok(!off.text.includes('Kept'), off.text);
	});

	test("another user's contact answers 404 on every id-taking route and is left unchanged", async () => {
		const a = await newUser(api);
		const b = await newUser(api);
		const c = await a.create({ firstName: 'Private', tags: ['secret'] });
		const c2 = await a.create({ firstName: 'Other' });
		const rel = await a.post(`/contacts/${c.id}/relationships`, { relatedContactId: c2.id, type: 'friend' });
		assert.equal(rel.status, 201, show(rel));
		const tagId = c.tags[0].id;
		const bc = await b.create({ firstName: 'Mine' });
		const attempts = [
			['get', `/contacts/${c.id}`], ['patch', `/contacts/${c.id}`, { firstName: 'Hacked' }], ['delete', `/contacts/${c.id}`],
			['get', `/contacts/${c.id}/tags`], ['post', `/contacts/${c.id}/tags`, { names: ['x'] }],
			['delete', `/contacts/${c.id}/tags/secret`], ['get', `/contacts/${c.id}/relationships`],
			['post', `/contacts/${c.id}/relationships`, { relatedContactId: c2.id, type: 'friend' }],
			['post', `/contacts/${bc.id}/relationships`, { relatedContactId: c.id, type: 'friend' }],
			['delete', `/contacts/${c.id}/relationships/${rel.json.data.id}`],
			['delete', `/contacts/${bc.id}/relationships/${rel.json.data.id}`],
			['get', `/tags/${tagId}`], ['patch', `/tags/${tagId}`, { name: 'pwned' }], ['delete', `/tags/${tagId}`],
			['post', '/contacts/bulk-delete', { ids: [bc.id, c.id] }],
			['post', '/contacts/tags', { contactIds: [bc.id, c.id], add: ['x'] }],
		];
		for (const [m, p, body] of attempts) {
			const r = body ? await b[m](p, body) : await b[m](p);
			assertError(r, 404, 'not_found');
		}
		const after = await a.get(`/contacts/${c.id}`);
		assert.deepEqual(after.json.data, c, "A's contact reads back unchanged");
		assert.equal((await a.get(`/contacts/${c.id}/relationships`)).json.data.length, 1);
		assert.equal((await b.get(`/contacts/${bc.id}`)).json.data.tags.length, 0, "the bulk tag request changed nothing of B's");
		assert.equal((await b.list('q=private')).data.length, 0, "search never reaches A's contacts");
		assert.equal((await b.list('tag=secret')).data.length, 0);
	});
});

describe(`contacts: plan limit [${STORE}]`, () => {
	let S;
	before(async () => {
		S = await startContactsServer({ FREE_CONTACT_LIMIT: 3 });
	});
	after(async () => {
		if (S) await S.stop();
	});

	test('FREE stops at FREE_CONTACT_LIMIT with 402; existing contacts stay usable; ADMIN is PREMIUM', async () => {
		const u = await newUser(S.api, 'plan');
		const ids = [];
		for (let i = 0; i < 3; i++) ids.push((await u.create({ firstName: `P${i}` })).id);
		let r = await u.post('/contacts', { firstName: 'Fourth', email: 'x@example.com' });
		assertError(r, 402, 'plan_limit_reached');
		assert.deepEqual(r.json.details, [{ field: 'contacts', reason: 'out_of_range' }]);
		assert.equal((await u.list('includeTotal=true')).page.total, 3);
		// the plan limit is checked before the email conflict (§1.6)
		await u.patch(`/contacts/${ids[0]}`, { email: 'taken@example.com' });
		r = await u.post('/contacts', { firstName: 'Fourth', email: 'taken@example.com' });
		assertError(r, 402, 'plan_limit_reached');
		r = await u.patch(`/contacts/${ids[1]}`, { firstName: 'Still editable' });
		assert.equal(r.status, 200);
		// parallel creates cannot pass the limit either
		const v = await newUser(S.api, 'plan');
		const results = await Promise.all(Array.from({ length: 8 }, (_, i) => v.post('/contacts', { firstName: `Race${i}` })));
		assert.equal(results.filter((x) => x.status === 201).length, 3, results.map((x) => x.status).join(','));
		assert.ok(results.every((x) => x.status === 201 || x.status === 402));
		// deleting one makes room again
		r = await u.delete(`/contacts/${ids[2]}`);
		assert.equal(r.status, 204);
		assert.equal((await u.post('/contacts', { firstName: 'Again' })).status, 201);
		// PREMIUM (the ADMIN role, set directly in the store) is not limited by the plan
		await makeAdmin(S.srv, u.ident.email);
		for (let i = 0; i < 3; i++) assert.equal((await u.post('/contacts', { firstName: `Premium${i}` })).status, 201);
		const me = await u.get('/me');
		assert.equal(me.json.data.plan, 'PREMIUM');
		assert.equal((await u.list('includeTotal=true')).page.total, 6);
	});

	test('a bulk delete makes room for as many contacts as it removed, and no more', async () => {
		const u = await newUser(S.api, 'plan');
		const ids = [];
		for (let i = 0; i < 3; i++) ids.push((await u.create({ firstName: `B${i}` })).id);
		assertError(await u.post('/contacts', { firstName: 'Over' }), 402, 'plan_limit_reached');
		const r = await u.post('/contacts/bulk-delete', { ids: ids.slice(0, 2) });
		assert.equal(r.status, 200, show(r));
		for (let i = 0; i < 2; i++) assert.equal((await u.post('/contacts', { firstName: `Refill${i}` })).status, 201);
		assertError(await u.post('/contacts', { firstName: 'Over again' }), 402, 'plan_limit_reached');
		assert.equal((await u.list('includeTotal=true')).page.total, 3);
	});

	test('PREMIUM stops at the hard cap of 100,000 contacts with 409 limit_exceeded', async () => {
		const u = await newUser(S.api, 'cap');
		await makeAdmin(S.srv, u.ident.email);
		const c = await u.create({ firstName: 'First' });
		// 99,999 more rows straight into the store (the API would need 100,000 requests)
		const uid = `(SELECT id FROM users WHERE email_key = '${u.ident.email.toLowerCase()}')`;
		const ts = S.srv.store === 'postgres' ? 'now()' : '1';
		const rows = S.srv.store === 'postgres'
			? `SELECT ${uid}, 'Bulk', 'bulk', ${ts}, ${ts} FROM generate_series(1, 99999)`
			: `SELECT ${uid}, 'Bulk', 'bulk', ${ts}, ${ts} FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99999) SELECT i FROM n)`;
		await sql(S.srv, `INSERT INTO contacts (user_id, first_name, first_name_key, created_at, updated_at) ${rows}`);
		assert.equal((await u.list('includeTotal=true&limit=1')).page.total, 100000);
		let r = await u.post('/contacts', { firstName: 'One too many' });
		assertError(r, 409, 'limit_exceeded');
		assertDetail(r, 'contacts', 'too_many');
		r = await u.patch(`/contacts/${c.id}`, { lastName: 'Still editable' });
		assert.equal(r.status, 200);
		r = await u.delete(`/contacts/${c.id}`);
		assert.equal(r.status, 204);
		assert.equal((await u.post('/contacts', { firstName: 'Fits again' })).status, 201);
	});
});

if (STORE === 'postgres') {
	describe('contacts: PostgreSQL down and back [postgres]', () => {
		/** Waits until u reads contact c again as it was, seeing nothing but 503 meanwhile. */
		async function contactBack(u, c, message) {
			const back = await waitUntil(
				async () => {
					const r = await u.get(`/contacts/${c.id}`);
					assert.ok(r.status === 200 || r.status === 503, `while recovering: ${show(r)}`);
					return r.status === 200 ? r : null;
				},
				{ timeoutMs: 30000, intervalMs: 250, message },
			);
			assert.deepEqual(back.json.data, c);
		}

		test('GET /contacts/{id} (the session check and the contact in one pipeline) answers 503 with Retry-After while PostgreSQL is down, never 500, and the contact again once it is back', { timeout: 120000 }, async () => {
			const cluster = await PgCluster.start();
			let S;
			try {
				S = await startContactsServer({ DATABASE_URL: await cluster.createDatabase('crm_down') });
				const u = await newUser(S.api);
				const c = await u.create({ firstName: 'Durable', tags: ['kept'] });
				assert.deepEqual((await u.get(`/contacts/${c.id}`)).json.data, c);

				// A clean stop: the throwaway cluster runs without fsync, so an immediate one could
				// lose the session just written, and the test would see 401 instead of the outage.
				await cluster.stopServer('fast');
				const seen = new Set();
				const down = await waitUntil(
					async () => {
						const r = await u.get(`/contacts/${c.id}`);
						seen.add(r.status);
						return r.status === 503 ? r : null;
					},
					{ timeoutMs: 15000, intervalMs: 200, message: 'a 503 after PostgreSQL stopped' },
				);
				assertError(down, 503, 'service_unavailable');
				assert.equal(down.headers['retry-after'], '5');
				assert.deepEqual([...seen].filter((s) => s !== 503), [], 'nothing but 503 while down');

				await cluster.startServer();
				await contactBack(u, c, 'the contact again after PostgreSQL restarted');
			} finally {
				if (S) await S.stop();
				await cluster.destroy();
			}
		});

		test('a frozen PostgreSQL (its processes stopped): GET /contacts/{id} answers 503 once the statement timeout and margin pass, then at once; the contact again once it runs', { timeout: 120000 }, async () => {
			const cluster = await PgCluster.start();
			let S;
			const stopped = [];
			const resume = () => {
				for (const pid of stopped.splice(0)) process.kill(pid, 'SIGCONT');
			};
			try {
				S = await startContactsServer({ DATABASE_URL: await cluster.createDatabase('crm_frozen'), DB_STATEMENT_TIMEOUT_MS: 500 });
				const u = await newUser(S.api);
				const c = await u.create({ firstName: 'Patient' });
				for (let i = 0; i < 4; i++) assert.equal((await u.get(`/contacts/${c.id}`)).status, 200);
				const backends = (await cluster.psql("SELECT pid FROM pg_stat_activity WHERE datname = 'crm_frozen' AND pid <> pg_backend_pid()"))
					.split('\n').filter(Boolean).map(Number);
				assert.ok(backends.length > 0, 'the server holds connections');
				for (const pid of [cluster.pid, ...backends]) {
					process.kill(pid, 'SIGSTOP');
					stopped.push(pid);
				}
				let t0 = Date.now();
				const first = await u.get(`/contacts/${c.id}`);
				const waited = Date.now() - t0;
				assertError(first, 503, 'service_unavailable');
				assert.ok(waited >= 400 && waited < 6000, `answered after ${waited} ms (timeout 500 ms + 2 s margin)`);
				t0 = Date.now();
				assertError(await u.get(`/contacts/${c.id}`), 503, 'service_unavailable');
				assert.ok(Date.now() - t0 < 1000, 'the open breaker answers at once');
				resume();
				await contactBack(u, c, 'the contact again after PostgreSQL resumed');
			} finally {
				resume();
				if (S) await S.stop();
				await cluster.destroy();
			}
		});
	});
}
