// Black-box test of `crm migrate-to-postgres` (README "Command line", docs/operations.md "Moving
// from SQLite to PostgreSQL"). Runs once per `make test` (tests/run.mjs runs tests/cross/ after
// the per-store API files), since it uses both stores: a server on SQLite gets a realistic data
// set for two users through the API; a set of API answers is read; the server is stopped; the
// command copies the SQLite file into a fresh database of the test cluster; a server on that
// database, with the same secrets, must give exactly the same answers (only an error's requestId
// and the export's exportedAt differ), accept the old access and refresh tokens and the passwords, continue the
// id sequences past SQLite's, and a second copy into the now-populated database is refused.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, stopChecked, runCliAsync } from '../support/server.mjs';
import { createDatabase } from '../support/postgres.mjs';
import { Api, newIdentity, show, withoutRequestId } from '../support/accounts.mjs';
import { UserClient } from '../support/contacts.mjs';
import { makeAdmin, sql } from '../support/db.mjs';
import { tempDir } from '../support/cleanup.mjs';

// Both servers share these, so the tokens issued by the first are valid on the second (the
// issuer defaults to BASE_URL, which names the port, so it is fixed too).
const ENV = {
	SESSION_SECRET: 'migrate-session-secret-0123456789-abcdefgh',
	ACCESS_TOKEN_SECRET: 'migrate-access-secret-0123456789-abcdefghi',
	JWT_ISSUER: 'http://crm.test',
	REQUIRE_EMAIL_VERIFICATION: 'false',
	RATE_LIMIT_AUTH_MAX: 1000000,
	RATE_LIMIT_ANON_MAX: 1000000,
	RATE_LIMIT_MAX: 1000000,
	RATE_LIMIT_MAX_PREMIUM: 1000000,
	RATE_LIMIT_EXPORT_MAX: 1000000,
};
const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString();
const day = (ms) => iso(ms).slice(0, 10);
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const showCli = (r) => `exit ${r.code} signal ${r.signal}\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;

/** POST/PATCH expecting one status; resolves the body's data. */
async function must(res, status) {
	const r = await res;
	assert.equal(r.status, status, show(r));
	return r.json?.data;
}

/** Registers and logs in a user; resolves {client, ident, login} (login: the token pair). */
async function signUp(api, tag, firstName) {
	const ident = newIdentity(tag);
	const r = await api.post('/auth/register', { body: { email: ident.email, password: ident.password, firstName } });
	assert.equal(r.status, 202, show(r));
	const l = await api.post('/auth/login', { body: { email: ident.email, password: ident.password } });
	assert.equal(l.status, 200, show(l));
	return { client: new UserClient(api, ident, l.json.data.accessToken), ident, login: l.json.data };
}

/** The rows per table that `crm migrate-to-postgres` printed. */
function copiedRows(stdout) {
	const out = {};
	for (const m of stdout.matchAll(/^ {2}([a-z_]+) +(\d+) rows/gm)) out[m[1]] = Number(m[2]);
	return out;
}

/**
 * Reads the answers that must survive the move: every listing and object of both users, with
 * paging, search, filters, the change feed, insights and both exports. Resolves a map from a
 * label to {status, type, body}; body is the parsed JSON (the export without exportedAt) or,
 * for the CSV, the text.
 */
async function snapshot(users, ids) {
	const out = {};
	const read = async (u, label, p) => {
		const r = await u.get(p);
		let body = r.json !== undefined ? r.json : r.text;
		// The two fields that legitimately differ: an error's requestId, the export's time.
		if (body && typeof body === 'object' && r.status >= 400) {
			assert.equal(body.requestId, r.headers['x-request-id'], show(r));
			body = withoutRequestId(body);
		}
		if (p === '/me/export' && body && typeof body === 'object') {
			assert.match(body.exportedAt, /^\d{4}-/, 'the export has exportedAt');
			const { exportedAt, ...rest } = body;
			body = rest;
		}
		out[`${label} GET ${p}`] = { status: r.status, type: r.headers['content-type'], body };
		return r;
	};
	for (const [label, u] of Object.entries(users)) {
		for (const p of [
			'/me', '/me/sessions', '/me/identities', '/me/export', '/subscription',
			'/contacts', '/contacts?sort=-updatedAt&includeTotal=true', '/contacts?sort=lastName',
			'/contacts?sort=-lastContacted', '/contacts?q=ann', '/contacts?q=4155', '/contacts?q=kilim',
			'/contacts?tag=vip&tag=family&match=all', '/contacts?company=acme',
			`/contacts?updatedSince=${encodeURIComponent(iso(ids.start))}`,
			'/contacts/export.csv', '/tags', '/tags?q=fa', '/notes', '/interactions',
			'/insights/overview', '/insights/recently-contacted', '/insights/stale-contacts?includeTotal=true',
			'/insights/most-interacted', '/insights/tags',
			`/insights/interactions-trend?interval=day&from=${day(ids.start - 60 * DAY)}&to=${day(ids.start + DAY)}`,
			'/notes/list-notes', '/interactions/list-interactions', '/insights/overall-metrics',
		]) {
			await read(u, label, p);
		}
		// Paging: every page of a small limit, following the cursors.
		let cursor = null;
		for (let page = 0; page < 10; page++) {
			const r = await read(u, label, `/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
			assert.equal(r.status, 200, show(r));
			cursor = r.json.page.nextCursor;
			if (!cursor) break;
		}
	}
	const u = users.u1;
	for (const id of ids.contacts) {
		for (const p of [`/contacts/${id}`, `/contacts/${id}/tags`, `/contacts/${id}/relationships`,
			`/contacts/${id}/notes`, `/contacts/${id}/interactions`, `/insights/contacts/${id}/summary`]) {
			await read(u, 'u1', p);
		}
	}
	for (const id of ids.tags) await read(u, 'u1', `/tags/${id}`);
	for (const id of ids.notes) await read(u, 'u1', `/notes/${id}`);
	for (const id of ids.interactions) await read(u, 'u1', `/interactions/${id}`);
	for (const p of [`/contacts/${ids.deletedContact}`, `/notes/${ids.deletedNote}`, `/interactions/${ids.deletedInteraction}`]) {
		await read(u, 'u1', p); // 404 on both
	}
	await read(users.u2, 'u2', `/contacts/${ids.contacts[0]}`); // another user's contact: 404
	return out;
}

describe('crm migrate-to-postgres', () => {
	const dataDir = tempDir('crm-migrate-');
	const sqlitePath = path.join(dataDir, 'crm.sqlite3');
	let sq = null;
	let pg = null;
	let databaseUrl;
	let before_ = null;
	let copy = null;
	let copyHash = null;
	let u1, u2, revoked;
	const ids = { contacts: [], tags: [], notes: [], interactions: [] };

	before(async () => {
		sq = await startServer({ store: 'sqlite', dataDir, env: ENV });
		const api = new Api(sq);
		ids.start = Date.now() - 1000;
		u1 = await signUp(api, 'mig1', 'Ann');
		u2 = await signUp(api, 'mig2', 'Zed');
		await makeAdmin(sq, u1.ident.email); // PREMIUM: the trend insight answers, and role is copied
		const a = u1.client;
		const b = u2.client;
		await must(a.patch('/me', { lastName: 'Lee-Smith', username: `${u1.ident.username}_x` }), 200);

		// A second session, logged out (revoked), and a failed login (throttle and audit rows).
		const l2 = await api.post('/auth/login', { body: { email: u1.ident.email, password: u1.ident.password } });
		assert.equal(l2.status, 200, show(l2));
		revoked = l2.json.data.refreshToken;
		assert.equal((await api.post('/auth/logout', { token: l2.json.data.accessToken, body: {} })).status, 204);
		assert.equal((await api.post('/auth/login', { body: { email: u1.ident.email, password: 'wrong-password-123' } })).status, 401);
		// A rotated refresh token: u1's current pair is the rotated one.
		const rf = await api.post('/auth/refresh', { body: { refreshToken: u1.login.refreshToken } });
		assert.equal(rf.status, 200, show(rf));
		u1.login = rf.json.data;
		u1.client.token = rf.json.data.accessToken;

		const now = Date.now();
		const c1 = await a.create({
			firstName: 'Ann', lastName: 'Lee', email: 'Ann.Lee@Example.com', phone: '+1 (415) 555-2671',
			address: '1 Main St\nApt 2\tback\\side', company: 'Acme', jobRole: 'CTO', birthday: '1985-04-12',
			customFields: { nickname: 'Annie', met: 2019, vip: true, score: 0.1, big: 1.5e300, neg: -2.5, quote: 'say "hi"' },
			tags: ['vip', 'Family'],
		});
		const c2 = await a.create({ firstName: 'Émile', lastName: 'Zola', company: 'acme', birthday: '--02-29', tags: ['family', 'Writers'] });
		const c3 = await a.create({ firstName: 'bob', email: 'bob@example.org', company: '=SUM(A1)', tags: [] });
		const c4 = await a.create({ firstName: 'Cy', lastName: 'Young', jobRole: '+formula', customFields: { x: 'y' } });
		const c5 = await a.create({ firstName: 'Dee', lastName: 'Öztürk', address: '日本語\r\nline' });
		// The other user: same names (tenancy must hold), a tag, a note, an interaction.
		const z1 = await b.create({ firstName: 'Ann', lastName: 'Lee', tags: ['vip'] });
		await must(b.post('/notes', { contactId: z1.id, title: 'First meeting', content: 'other user' }), 201);
		await must(b.post('/interactions', { contactId: z1.id, type: 'call', occurredAt: iso(now - DAY) }), 201);
		// The newest contact, note and interaction are deleted below: their ids must not be reused.
		const gone = await a.create({ firstName: 'Gone', lastName: 'Soon' });
		ids.contacts.push(c1.id, c2.id, c3.id, c4.id, c5.id);

		await must(a.post(`/contacts/${c1.id}/relationships`, { relatedContactId: c2.id, type: 'spouse' }), 201);
		await must(a.post(`/contacts/${c1.id}/relationships`, { relatedContactId: c3.id, type: 'other', label: 'godmother' }), 201);
		await must(a.post(`/contacts/${c4.id}/relationships`, { relatedContactId: c1.id, type: 'manager' }), 201);
		await must(a.post(`/contacts/${gone.id}/relationships`, { relatedContactId: c1.id, type: 'friend' }), 201);

		const n1 = await must(a.post('/notes', { contactId: c1.id, title: 'First meeting', content: 'Climbed Kilimanjaro.\r\nTabs:\there, backslash \\ end' }), 201);
		const n2 = await must(a.post('/notes', { contactId: c2.id, title: 'Books', content: 'Germinal' }), 201);
		const n3 = await must(a.post('/notes', { contactId: c1.id, title: 'Scratch', content: 'to delete' }), 201);
		await must(a.patch(`/notes/${n2.id}`, { content: 'Germinal, Nana' }), 200);
		assert.equal((await a.delete(`/notes/${n3.id}`)).status, 204);
		ids.notes.push(n1.id, n2.id);
		ids.deletedNote = n3.id;

		const i1 = await must(a.post('/interactions', { contactId: c1.id, type: 'call', occurredAt: iso(now - 2 * DAY), durationMinutes: 30, notes: 'Long\ncall' }), 201);
		const i2 = await must(a.post('/interactions', { contactId: c1.id, type: 'Meeting', occurredAt: iso(now - 10 * DAY + 7) }), 201);
		const i3 = await must(a.post('/interactions', { contactId: c2.id, type: 'email', occurredAt: iso(now - 40 * DAY) }), 201);
		const i4 = await must(a.post('/interactions', { contactId: c3.id, type: 'email', occurredAt: iso(now - 1000) }), 201);
		await must(a.patch(`/interactions/${i3.id}`, { durationMinutes: 5 }), 200);
		assert.equal((await a.delete(`/interactions/${i4.id}`)).status, 204);
		ids.interactions.push(i1.id, i2.id, i3.id);
		ids.deletedInteraction = i4.id;

		const tags = (await a.get('/tags')).json.data;
		const writers = tags.find((t) => t.name === 'Writers');
		await must(a.patch(`/tags/${writers.id}`, { name: 'Authors' }), 200);
		ids.tags.push(...tags.map((t) => t.id));

		assert.equal((await a.delete(`/contacts/${gone.id}`)).status, 204); // a tombstone, and the newest id gone
		ids.deletedContact = gone.id;

		before_ = await snapshot({ u1: u1.client, u2: u2.client }, ids);

		// Refused while the SQLite server runs (it holds the file open).
		databaseUrl = await createDatabase();
		const busy = await runCliAsync(['migrate-to-postgres', '--to', databaseUrl], { ...ENV, DATA_DIR: dataDir });
		assert.equal(busy.code, 1, showCli(busy));
		assert.match(busy.stderr, /open in another process/, showCli(busy));

		await stopChecked(sq);
		sq = null;
		const hash = sha256(sqlitePath);
		copy = await runCliAsync(['migrate-to-postgres'], { ...ENV, DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
		copyHash = { before: hash, after: sha256(sqlitePath) };
		assert.equal(copy.code, 0, showCli(copy));

		pg = await startServer({ store: 'postgres', dataDir, env: { ...ENV, DATABASE_URL: databaseUrl } });
		for (const u of [u1, u2]) u.client.api = new Api(pg);
	});

	after(async () => {
		await stopChecked(sq);
		await stopChecked(pg);
	});

	test('the command applies the migrations, prints the rows per table, and leaves the SQLite file unchanged', () => {
		assert.match(copy.stdout, /^applied 0001_init$/m, showCli(copy));
		const rows = copiedRows(copy.stdout);
		assert.equal(Object.keys(rows).length, 21, `one line per table: ${JSON.stringify(rows)}`);
		assert.deepEqual(
			{ users: rows.users, contacts: rows.contacts, tombstones: rows.tombstones, notes: rows.notes, interactions: rows.interactions, contact_relationships: rows.contact_relationships },
			// 5 + 1 contacts, 2 + 1 notes, 3 + 1 interactions; 3 tombstones (contact, note, interaction); 3 pairs
			{ users: 2, contacts: 6, tombstones: 3, notes: 3, interactions: 4, contact_relationships: 6 },
		);
		// The deleted rows had the highest ids: the counters follow SQLite's, not max(id) + 1.
		assert.match(copy.stdout, new RegExp(`^ {2}contacts +\\d+ rows, next id ${ids.deletedContact + 1}$`, 'm'));
		assert.match(copy.stdout, new RegExp(`^ {2}notes +\\d+ rows, next id ${ids.deletedNote + 1}$`, 'm'));
		assert.match(copy.stdout, new RegExp(`^ {2}interactions +\\d+ rows, next id ${ids.deletedInteraction + 1}$`, 'm'));
		for (const t of ['sessions', 'refresh_tokens', 'tags', 'contact_tags', 'search_terms', 'audit_log', 'login_failures']) {
			assert.ok(rows[t] > 0, `${t} copied: ${JSON.stringify(rows)}`);
		}
		const total = Object.values(rows).reduce((a, b) => a + b, 0);
		assert.match(copy.stdout, new RegExp(`^${total} rows in 21 tables$`, 'm'));
		assert.equal(copyHash.after, copyHash.before, 'the SQLite file is not modified');
	});

	test('PostgreSQL answers exactly as SQLite did: same statuses, types and bodies', async () => {
		const after_ = await snapshot({ u1: u1.client, u2: u2.client }, ids);
		assert.deepEqual(Object.keys(after_), Object.keys(before_));
		const ok = Object.values(before_).filter((r) => r.status === 200).length;
		assert.ok(ok >= 90, `most reads succeeded (${ok})`);
		for (const key of Object.keys(before_)) assert.deepStrictEqual(after_[key], before_[key], key);
		// A sample of the values that a lossy conversion would change.
		const me = before_['u1 GET /me'].body.data;
		assert.equal(me.plan, 'PREMIUM');
		assert.equal(me.emailVerified, false);
		const c1 = before_[`u1 GET /contacts/${ids.contacts[0]}`].body.data;
		assert.deepEqual(c1.customFields, { big: 1.5e300, met: 2019, neg: -2.5, nickname: 'Annie', quote: 'say "hi"', score: 0.1, vip: true });
		assert.equal(c1.address, '1 Main St\nApt 2\tback\\side');
	});

	test('old access and refresh tokens, revocations and passwords carry over', async () => {
		const api = new Api(pg);
		assert.equal((await api.get('/me', { token: u2.client.token })).status, 200);
		const bad = await api.post('/auth/refresh', { body: { refreshToken: revoked } });
		assert.equal(bad.status, 401, show(bad));
		const rf = await api.post('/auth/refresh', { body: { refreshToken: u1.login.refreshToken } });
		assert.equal(rf.status, 200, show(rf));
		const l = await api.post('/auth/login', { body: { email: u2.ident.email, password: u2.ident.password } });
		assert.equal(l.status, 200, show(l));
		assert.equal(l.json.data.user.id, before_['u2 GET /me'].body.data.id);
		const wrong = await api.post('/auth/login', { body: { email: u2.ident.email, password: 'not-the-password-9' } });
		assert.equal(wrong.status, 401, show(wrong));
	});

	test('new rows continue the ids past every id SQLite issued, deleted ones included', async () => {
		const a = u1.client;
		const overview = async () => {
			const o = (await must(a.get('/insights/overview'), 200));
			return [o.totalContacts, o.totalInteractions, o.totalNotes];
		};
		const [contacts0, interactions0, notes0] = await overview();
		const c = await a.create({ firstName: 'After', lastName: 'Move', tags: ['brand-new'] });
		assert.ok(c.id > ids.deletedContact, `contact id ${c.id} > ${ids.deletedContact} (deleted, never reused)`);
		const n = await must(a.post('/notes', { contactId: c.id, title: 'New', content: 'x' }), 201);
		assert.ok(n.id > ids.deletedNote, `note id ${n.id} > ${ids.deletedNote}`);
		const i = await must(a.post('/interactions', { contactId: c.id, type: 'call', occurredAt: iso(Date.now()) }), 201);
		assert.ok(i.id > ids.deletedInteraction, `interaction id ${i.id} > ${ids.deletedInteraction}`);
		// the copied figures were not counted twice, and the triggers count new rows again
		assert.deepEqual(await overview(), [contacts0 + 1, interactions0 + 1, notes0 + 1]);
		const most = await must(a.get('/insights/most-interacted?limit=100'), 200);
		assert.equal(most.find((x) => x.id === c.id)?.interactionCount, 1);
		const r = await must(a.post(`/contacts/${c.id}/relationships`, { relatedContactId: ids.contacts[0], type: 'sibling' }), 201);
		assert.ok(r.id > 0 && r.inverseId > 0);
		assert.ok(c.tags[0].id > Math.max(...ids.tags), 'tag ids continue');
		const ident = newIdentity('mig3');
		assert.equal((await new Api(pg).post('/auth/register', { body: { email: ident.email, password: ident.password, firstName: 'New' } })).status, 202);
		const users = await sql(pg, 'SELECT count(*), max(id) FROM users');
		assert.equal(users.trim(), `3|${before_['u2 GET /me'].body.data.id + 1}`);
	});

	test('a second copy into the now-populated database is refused and changes nothing', async () => {
		const counts = await sql(pg, 'SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM users)');
		const again = await runCliAsync(['migrate-to-postgres', '--from', sqlitePath, '--to', databaseUrl], { ...ENV, DATA_DIR: tempDir('crm-empty-') });
		assert.equal(again.code, 1, showCli(again));
		assert.match(again.stderr, /already holds data \(users, .*\); refusing to merge/, showCli(again));
		assert.doesNotMatch(again.stdout, /rows in \d+ tables/);
		assert.equal(await sql(pg, 'SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM users)'), counts);
	});
});
