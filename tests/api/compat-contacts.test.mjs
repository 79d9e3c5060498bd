// Black-box tests of the v1 compatibility contact and tag routes C1–C11 (SPEC §15.1–§15.3): the
// V1Contact shape with tag link objects, exact messages, `status` in every body, v1 field names in
// error details, ids as integers or digit strings (and nothing else), another user's ids → 404,
// case-insensitive paths with one trailing slash and HEAD, customFields replaced whole and tags
// replacing the set on update, the "no new tags" message, bulk counts, tag usage and deletion by
// (percent-encoded, folded) name, and the truthful status codes of §15.3 (201, 404, 409). Each
// route is checked against its resource equivalent (same domain). The store comes from
// CRM_TEST_STORE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE } from '../support/server.mjs';
import { assertDetail, show } from '../support/accounts.mjs';
import {
	startCompatServer, assertCompatOk, compatError, assertV1Contact, BAD_IDS, RAW_BAD_IDS,
} from '../support/compat.mjs';

const C = '/contacts';

describe(`v1 compatibility contacts and tags [${STORE}]`, () => {
	let S, api, ann, bob;
	before(async () => {
		S = await startCompatServer();
		api = S.api;
		[ann, bob] = await Promise.all([S.user('ca'), S.user('cb')]);
	});
	after(() => S?.stop());

	async function add(u, body) {
		const res = await u.post(`${C}/add-contact`, body);
		assertCompatOk(res, 201, 'Contact successfully added.');
		return assertV1Contact(res.json.data, u.id);
	}
	async function v1get(u, id) {
		const res = await u.get(`${C}/get-contact-by-id/${id}`);
		assertCompatOk(res, 200, 'Contact details found');
		return assertV1Contact(res.json.data, u.id);
	}
	const raw = (u, method, path, text) =>
		api.call(method, path, { token: u.token, body: text, headers: { 'Content-Type': 'application/json' } });

	describe('C1–C2: add and read', () => {
		test('C1 → 201 {message, data: V1Contact, status} with Location; C2 and the resource read agree', async () => {
			const res = await ann.post(`${C}/add-contact`, {
				firstName: ' Ann ', lastName: 'Lee', email: 'ann.c1@example.com', phone: '+1 415-555-2671',
				company: 'Acme', jobRole: 'CTO', birthday: '--04-12', customFields: { vip: true, met: 2019 },
				tags: ['Work', 'work', 'Friends'],
			});
			const body = assertCompatOk(res, 201, 'Contact successfully added.');
			assert.deepEqual(Object.keys(body).sort(), ['data', 'message', 'status']);
			const c = assertV1Contact(body.data, ann.id);
			assert.equal(res.headers.location, `/api/v1/contacts/${c.id}`);
			assert.equal(c.firstName, 'Ann');
			assert.equal(c.birthday, '--04-12');
			assert.deepEqual(c.customFields, { met: 2019, vip: true });
			assert.deepEqual(c.tags.map((t) => t.tag.name), ['Friends', 'Work'], 'names merged by folded form, sorted');
			assert.equal(new Set(c.tags.map((t) => t.id)).size, 2, 'distinct link ids');
			assert.equal(c.lastContacted, null);

			assert.deepEqual(await v1get(ann, c.id), c);
			const r = await ann.get(`${C}/${c.id}`);
			assert.equal(r.status, 200, show(r));
			const rc = r.json.data;
			for (const k of ['id', 'firstName', 'lastName', 'email', 'phone', 'company', 'jobRole', 'birthday', 'customFields', 'createdAt', 'updatedAt'])
				assert.deepEqual(c[k], rc[k], k);
			assert.deepEqual(c.tags.map((t) => ({ id: t.tagId, name: t.tag.name })), rc.tags);
		});

		test('C1 with only firstName: customFields null, tags [], every optional field null', async () => {
			const c = await add(ann, { firstName: 'Solo' });
			assert.equal(c.customFields, null);
			assert.deepEqual(c.tags, []);
			for (const k of ['lastName', 'email', 'phone', 'address', 'company', 'jobRole', 'birthday']) assert.equal(c[k], null, k);
		});

		test('C1 errors: every bad field at once with status 400; unknown and read-only fields; duplicate email → 409 (§15.3); nothing written', async () => {
			const before = (await ann.get(`${C}?includeTotal=true`)).json.page.total;
			const bad = await ann.post(`${C}/add-contact`, { email: 'nope', phone: 'abc', birthday: '2020-02-30', nickname: 'x', userId: 3, customFields: { 'bad key': 1 } });
			compatError(bad, 400, 'validation_failed');
			assertDetail(bad, 'firstName', 'required');
			assertDetail(bad, 'email', 'invalid_format');
			assertDetail(bad, 'phone', 'invalid_characters');
			assertDetail(bad, 'birthday', 'invalid_value');
			assertDetail(bad, 'nickname', 'unknown_field');
			assertDetail(bad, 'userId', 'read_only');
			assertDetail(bad, 'customFields.bad key', 'invalid_format');
			compatError(await ann.post(`${C}/add-contact`, { firstName: 'T', tags: ['a,b'] }), 400, 'validation_failed');
			await add(ann, { firstName: 'Dup', email: 'dup.c1@example.com' });
			const dup = await ann.post(`${C}/add-contact`, { firstName: 'Dup2', email: 'DUP.c1@Example.com' });
			const d = compatError(dup, 409, 'conflict');
			assert.deepEqual(d.details, [{ field: 'email', reason: 'duplicate' }]);
			assert.equal((await ann.get(`${C}?includeTotal=true`)).json.page.total, before + 1);
			// Another user may use the same address (§15.3 item 10).
			await add(bob, { firstName: 'Dup', email: 'dup.c1@example.com' });
			compatError(await raw(ann, 'POST', `${C}/add-contact`, '{"firstName":'), 400, 'malformed_json');
			compatError(await api.post(`${C}/add-contact`, { token: ann.token, body: '{"firstName":"T"}', headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');
			compatError(await api.post(`${C}/add-contact`, { body: { firstName: 'X' } }), 401, 'unauthenticated');
		});

		test('C1 applies the FREE plan limit of the resource route: the 101st contact → 402 plan_limit_reached with status', async () => {
			const u = await S.user('cp');
			for (let i = 0; i < 100; i += 20)
				await Promise.all(Array.from({ length: 20 }, (_, j) => u.post(`${C}/add-contact`, { firstName: `P${i + j}` })
					.then((r) => assert.equal(r.status, 201, show(r)))));
			const res = await u.post(`${C}/add-contact`, { firstName: 'One too many' });
			assert.deepEqual(compatError(res, 402, 'plan_limit_reached').details, [{ field: 'contacts', reason: 'out_of_range' }]);
		});

		test('C2: case-insensitive path with one trailing slash, HEAD, bare JWT; bad id → 400 contactId; another user\'s id → 404', async () => {
			const c = await add(ann, { firstName: 'Path' });
			for (const p of [`/api/v1/Contacts/GET-CONTACT-BY-ID/${c.id}/`, `/api/v1/contacts/get-contact-by-id/${c.id}/`]) {
				const res = await ann.get(p);
				assertCompatOk(res, 200, 'Contact details found');
				assert.equal(res.json.data.id, c.id);
			}
			assert.equal((await ann.get(`${C}/get-contact-by-id/${c.id}//`)).status, 404);
			const head = await api.call('HEAD', `${C}/get-contact-by-id/${c.id}`, { token: ann.token });
			assert.equal(head.status, 200);
			assert.equal(head.text, '');
			const bare = await api.get(`${C}/get-contact-by-id/${c.id}`, { auth: ann.token });
			assertCompatOk(bare, 200, 'Contact details found');
			for (const id of ['abc', '0', '1.5', '01']) {
				const res = await ann.get(`${C}/get-contact-by-id/${id}`);
				compatError(res, 400, 'validation_failed');
				assertDetail(res, 'contactId', 'invalid_format');
			}
			compatError(await bob.get(`${C}/get-contact-by-id/${c.id}`), 404, 'not_found');
			compatError(await ann.get(`${C}/get-contact-by-id/${c.id}?x=1`), 400, 'validation_failed');
			compatError(await api.get(`${C}/get-contact-by-id/${c.id}`), 401, 'unauthenticated');
			assert.equal((await ann.patch(`${C}/get-contact-by-id/${c.id}`, {})).status, 405);
		});
	});

	describe('C3–C5: update and delete', () => {
		test('C3 → 200 "Successfully updated contact": contactId as a digit string; customFields replaced whole; tags replace the set', async () => {
			const c = await add(ann, { firstName: 'Upd', customFields: { a: 1, b: 'two' }, tags: ['one', 'two'] });
			const res = await ann.patch(`${C}/update-contact`, { contactId: String(c.id), customFields: { c: true }, tags: ['Two', 'three'], company: 'Initech' });
			assertCompatOk(res, 200, 'Successfully updated contact');
			const u = assertV1Contact(res.json.data, ann.id);
			assert.deepEqual(u.customFields, { c: true }, 'replaced, not merged');
			assert.deepEqual(u.tags.map((t) => t.tag.name), ['three', 'two'], 'the set is replaced; existing tags keep their spelling');
			assert.equal(u.company, 'Initech');
			assert.equal(u.firstName, 'Upd');
			assert.ok(u.updatedAt >= c.updatedAt);
			const cleared = await ann.patch(`${C}/update-contact`, { contactId: c.id, customFields: null, tags: [], company: null });
			const cc = assertV1Contact(assertCompatOk(cleared, 200).data, ann.id);
			assert.equal(cc.customFields, null);
			assert.deepEqual(cc.tags, []);
			assert.equal(cc.company, null);
			assert.deepEqual((await ann.get(`${C}/${c.id}`)).json.data.customFields, {});
		});

		test('C3 errors: contactId required and only an integer or digit string; nothing to change → no_fields; firstName not clearable; 404 for another user; 409 duplicate email', async () => {
			const c = await add(ann, { firstName: 'Err', email: 'err.c3@example.com' });
			const other = await add(ann, { firstName: 'Other', email: 'other.c3@example.com' });
			const none = await ann.patch(`${C}/update-contact`, { firstName: 'X' });
			compatError(none, 400, 'validation_failed');
			assertDetail(none, 'contactId', 'required');
			for (const id of BAD_IDS) {
				const res = await ann.patch(`${C}/update-contact`, { contactId: id, firstName: 'X' });
				compatError(res, 400, 'validation_failed');
				assert.ok(res.json.details.some((d) => d.field === 'contactId'), `${JSON.stringify(id)}: ${show(res)}`);
			}
			for (const text of RAW_BAD_IDS) {
				const res = await raw(ann, 'PATCH', `${C}/update-contact`, `{"contactId":${text},"firstName":"X"}`);
				assert.equal(res.status, 400, `${text}: ${show(res)}`);
				assert.equal(res.json.status, 400);
			}
			const nothing = await ann.patch(`${C}/update-contact`, { contactId: c.id });
			compatError(nothing, 400, 'validation_failed');
			assertDetail(nothing, 'body', 'no_fields');
			const first = await ann.patch(`${C}/update-contact`, { contactId: c.id, firstName: null, customFields: { k: [1] } });
			assertDetail(first, 'firstName', 'required');
			assertDetail(first, 'customFields.k', 'wrong_type');
			compatError(await bob.patch(`${C}/update-contact`, { contactId: c.id, firstName: 'Mine' }), 404, 'not_found');
			const dup = await ann.patch(`${C}/update-contact`, { contactId: `${other.id}`, email: 'ERR.c3@example.com' });
			assert.deepEqual(compatError(dup, 409, 'conflict').details, [{ field: 'email', reason: 'duplicate' }]);
			assert.equal((await v1get(ann, c.id)).firstName, 'Err');
		});

		test('C4 DELETE with a JSON body → 200 "Contact Successfully deleted"; then 404; another user\'s → 404 and kept', async () => {
			const c = await add(ann, { firstName: 'Del' });
			compatError(await bob.delete(`${C}/delete-contact`, { body: { contactId: c.id } }), 404, 'not_found');
			const none = await ann.delete(`${C}/delete-contact`);
			compatError(none, 400, 'validation_failed');
			assertDetail(none, 'contactId', 'required');
			const res = await ann.delete(`${C}/DELETE-CONTACT/`, { body: { contactId: String(c.id) } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Contact Successfully deleted', status: 200 });
			compatError(await ann.get(`${C}/get-contact-by-id/${c.id}`), 404, 'not_found');
			compatError(await ann.delete(`${C}/delete-contact`, { body: { contactId: c.id } }), 404, 'not_found');
		});

		test('C5 → 200 "Successfully deleted <n>" with count; all or nothing with contactIds[i] details; duplicates and bad ids → 400', async () => {
			const [a, b, c] = [await add(ann, { firstName: 'B1' }), await add(ann, { firstName: 'B2' }), await add(ann, { firstName: 'B3' })];
			const foreign = await add(bob, { firstName: 'Theirs' });
			const mixed = await ann.delete(`${C}/delete-multiple-contacts`, { body: { contactIds: [a.id, String(foreign.id), b.id] } });
			const m = compatError(mixed, 404, 'not_found');
			assert.deepEqual(m.details, [{ field: 'contactIds[1]', reason: 'not_found' }]);
			await v1get(ann, a.id);
			const dup = await ann.delete(`${C}/delete-multiple-contacts`, { body: { contactIds: [a.id, String(a.id)] } });
			compatError(dup, 400, 'validation_failed');
			assertDetail(dup, 'contactIds[1]', 'duplicate');
			const bad = await ann.delete(`${C}/delete-multiple-contacts`, { body: { contactIds: ['1.5', true, 0, ''] } });
			compatError(bad, 400, 'validation_failed');
			assertDetail(bad, 'contactIds[0]', 'wrong_type');
			assertDetail(bad, 'contactIds[1]', 'wrong_type');
			assertDetail(bad, 'contactIds[2]', 'out_of_range');
			assertDetail(bad, 'contactIds[3]', 'wrong_type');
			assertDetail(await ann.delete(`${C}/delete-multiple-contacts`, { body: { contactIds: [] } }), 'contactIds', 'too_few');
			const res = await ann.delete(`${C}/delete-multiple-contacts`, { body: { contactIds: [a.id, String(b.id)] } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Successfully deleted 2', count: 2, status: 200 });
			compatError(await ann.get(`${C}/get-contact-by-id/${a.id}`), 404, 'not_found');
			await v1get(ann, c.id);
			await v1get(bob, foreign.id);
		});
	});

	describe('C6–C9: tags on contacts', () => {
		test('C6 → 200 "Success! Tags added to contact" with the V1Contact; nothing new → the "No new tags" message; 404 and 400 cases', async () => {
			const c = await add(ann, { firstName: 'Tagged', tags: ['Alpha'] });
			const res = await ann.post(`${C}/add-tag`, { contactId: String(c.id), tags: ['alpha', 'Beta', 'BETA'] });
			const u = assertV1Contact(assertCompatOk(res, 200, 'Success! Tags added to contact').data, ann.id);
			assert.deepEqual(u.tags.map((t) => t.tag.name), ['Alpha', 'Beta']);
			assert.equal(u.tags[0].id, c.tags[0].id, 'an existing link keeps its id');
			const again = await ann.post(`${C}/add-tag`, { contactId: c.id, tags: ['BETA', 'alpha'] });
			assertCompatOk(again, 200, 'No new tags to add. All tags are already linked to contact');
			assert.deepEqual(again.json.data.tags, u.tags);
			compatError(await bob.post(`${C}/add-tag`, { contactId: c.id, tags: ['x'] }), 404, 'not_found');
			const bad = await ann.post(`${C}/add-tag`, { contactId: '1.5', tags: ['ok', 'no,comma', 7] });
			compatError(bad, 400, 'validation_failed');
			assertDetail(bad, 'contactId', 'wrong_type');
			assertDetail(bad, 'tags[1]', 'invalid_characters');
			assertDetail(bad, 'tags[2]', 'wrong_type');
			assertDetail(await ann.post(`${C}/add-tag`, { contactId: c.id, tags: [] }), 'tags', 'too_few');
			assertDetail(await ann.post(`${C}/add-tag`, { contactId: c.id }), 'tags', 'required');
			const many = Array.from({ length: 49 }, (_, i) => `t${i}`);
			const over = await ann.post(`${C}/add-tag`, { contactId: c.id, tags: many });
			const o = compatError(over, 409, 'limit_exceeded');
			assert.deepEqual(o.details, [{ field: 'tags', reason: 'too_many' }], 'the v1 field name');
		});

		test('C7 → 200 "Successfully added tags to <ids>" with tagsAdded (merged names) and contactCount; all or nothing', async () => {
			const a = await add(ann, { firstName: 'M1' });
			const b = await add(ann, { firstName: 'M2', tags: ['vip'] });
			const foreign = await add(bob, { firstName: 'Theirs' });
			const res = await ann.post(`${C}/add-multiple-tags`, { contactIds: [a.id, String(b.id)], tags: ['VIP', 'vip', 'Golf'] });
			assert.deepEqual(assertCompatOk(res, 200), {
				message: `Successfully added tags to ${a.id},${b.id}`, tagsAdded: ['VIP', 'Golf'], contactCount: 2, status: 200,
			});
			assert.deepEqual((await v1get(ann, a.id)).tags.map((t) => t.tag.name), ['Golf', 'vip']);
			assert.deepEqual((await v1get(ann, b.id)).tags.map((t) => t.tag.name), ['Golf', 'vip']);
			const mixed = await ann.post(`${C}/add-multiple-tags`, { contactIds: [a.id, foreign.id], tags: ['Chess'] });
			assert.deepEqual(compatError(mixed, 404, 'not_found').details, [{ field: 'contactIds[1]', reason: 'not_found' }]);
			assert.equal((await ann.get('/tags?name=chess')).json.data.length, 0, 'nothing created');
			const bad = await ann.post(`${C}/add-multiple-tags`, { contactIds: [a.id, a.id], tags: [''] });
			assertDetail(bad, 'contactIds[1]', 'duplicate');
			assertDetail(bad, 'tags[0]', 'required');
		});

		test('C8 DELETE → 200 "Successfully removed <stored tag> from <firstName>"; unlinked or unknown → 404; another user → 404', async () => {
			const c = await add(ann, { firstName: 'Rita', tags: ['Book Club', 'Other'] });
			compatError(await bob.delete(`${C}/delete-tag-from-contact`, { body: { contactId: c.id, tagName: 'Book Club' } }), 404, 'not_found');
			const res = await ann.delete(`${C}/delete-tag-from-contact`, { body: { contactId: String(c.id), tagName: '  book CLUB ' } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Successfully removed Book Club from Rita', status: 200 });
			assert.deepEqual((await v1get(ann, c.id)).tags.map((t) => t.tag.name), ['Other']);
			compatError(await ann.delete(`${C}/delete-tag-from-contact`, { body: { contactId: c.id, tagName: 'Book Club' } }), 404, 'not_found');
			compatError(await ann.delete(`${C}/delete-tag-from-contact`, { body: { contactId: c.id, tagName: 'Nope%' } }), 404, 'not_found');
			const bad = await ann.delete(`${C}/delete-tag-from-contact`, { body: { contactId: c.id } });
			compatError(bad, 400, 'validation_failed');
			assertDetail(bad, 'tagName', 'required');
		});

		test('C9 DELETE → 200 "Successfully removed <t> tags from <c> contacts" with deletedAssociations; an unknown name → 404 tags[i]', async () => {
			const a = await add(ann, { firstName: 'R1', tags: ['Red', 'Blue', 'Green'] });
			const b = await add(ann, { firstName: 'R2', tags: ['Red'] });
			const unknown = await ann.delete(`${C}/delete-multiple-tags-from-contacts`, { body: { contactIds: [a.id, b.id], tags: ['red', 'Nonexistent'] } });
			assert.deepEqual(compatError(unknown, 404, 'not_found').details, [{ field: 'tags[1]', reason: 'not_found' }]);
			const res = await ann.delete(`${C}/delete-multiple-tags-from-contacts`, { body: { contactIds: [String(a.id), b.id], tags: ['RED', 'red', 'blue'] } });
			assert.deepEqual(assertCompatOk(res, 200), {
				message: 'Successfully removed 2 tags from 2 contacts', deletedAssociations: 3, status: 200,
			});
			assert.deepEqual((await v1get(ann, a.id)).tags.map((t) => t.tag.name), ['Green']);
			assert.deepEqual((await v1get(ann, b.id)).tags, []);
			const foreign = await add(bob, { firstName: 'Theirs', tags: ['Green'] });
			const mixed = await ann.delete(`${C}/delete-multiple-tags-from-contacts`, { body: { contactIds: [foreign.id], tags: ['Green'] } });
			assert.deepEqual(compatError(mixed, 404, 'not_found').details, [{ field: 'contactIds[0]', reason: 'not_found' }]);
			assert.equal((await v1get(bob, foreign.id)).tags.length, 1);
		});
	});

	describe('C10–C11: tags by name', () => {
		test('C10 GET /contacts/get-tag-usage/:tagName: percent-decoded, matched by folded form; {tag: stored name, contactCount}; unknown → 404; HEAD', async () => {
			const name = 'R&D / 50% Café';
			await add(ann, { firstName: 'U1', tags: [name] });
			await add(ann, { firstName: 'U2', tags: [name, 'x'] });
			await add(bob, { firstName: 'U3', tags: [name] });
			for (const asked of [name, 'r&d / 50% CAFE', ' R&D / 50% café ']) {
				const res = await ann.get(`${C}/get-tag-usage/${encodeURIComponent(asked)}`);
				assert.deepEqual(assertCompatOk(res, 200), { message: 'Tag usage information', data: { tag: name, contactCount: 2 }, status: 200 });
			}
			const slash = await ann.get(`/api/v1/CONTACTS/Get-Tag-Usage/${encodeURIComponent(name)}/`);
			assertCompatOk(slash, 200, 'Tag usage information');
			const head = await api.call('HEAD', `${C}/get-tag-usage/x`, { token: ann.token });
			assert.equal(head.status, 200);
			assert.equal(head.text, '');
			compatError(await ann.get(`${C}/get-tag-usage/${encodeURIComponent('R&D')}`), 404, 'not_found');
			compatError(await ann.get(`${C}/get-tag-usage/${encodeURIComponent('R%')}`), 404, 'not_found');
			compatError(await ann.get(`${C}/get-tag-usage/${'y'.repeat(51)}`), 400, 'validation_failed');
			const bobs = await bob.get(`${C}/get-tag-usage/${encodeURIComponent(name)}`);
			assert.equal(assertCompatOk(bobs, 200).data.contactCount, 1, "another user's tags are separate");
		});

		test('C11 DELETE /contacts/delete-tag {tagName} → 200 "Successfully removed tag <stored name>"; links gone; then 404', async () => {
			const c = await add(ann, { firstName: 'D1', tags: ['Doomed', 'Kept'] });
			const res = await ann.delete(`${C}/delete-tag`, { body: { tagName: 'DOOMED' } });
			assert.deepEqual(assertCompatOk(res, 200), { message: 'Successfully removed tag Doomed', status: 200 });
			assert.deepEqual((await v1get(ann, c.id)).tags.map((t) => t.tag.name), ['Kept']);
			compatError(await ann.get(`${C}/get-tag-usage/Doomed`), 404, 'not_found');
			compatError(await ann.delete(`${C}/delete-tag`, { body: { tagName: 'Doomed' } }), 404, 'not_found');
			await add(bob, { firstName: 'D2', tags: ['Bobs'] });
			compatError(await ann.delete(`${C}/delete-tag`, { body: { tagName: 'Bobs' } }), 404, 'not_found');
			assertCompatOk(await bob.get(`${C}/get-tag-usage/Bobs`), 200);
			const bad = await ann.delete(`${C}/delete-tag`, { body: { tagName: 7, extra: 1 } });
			compatError(bad, 400, 'validation_failed');
			assertDetail(bad, 'tagName', 'wrong_type');
			assertDetail(bad, 'extra', 'unknown_field');
		});
	});
});
